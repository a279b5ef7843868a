from otter.test_files import test_case

OK_FORMAT = False

name = "q6"
points = 5

@test_case(points=1, hidden=False)
def test_q6_public(max_pool_forward, max_pool_backward):
    import numpy as np
    from course_lib.grading import time_limit
    x = np.array([[1.0, 2, 5, 0], [3, 4, 1, 1], [0, 0, 2, 2], [9, 0, 2, 3]]).reshape(1, 4, 4, 1)
    with time_limit(10, 'max_pool_forward / max_pool_backward'):
        out, cache = max_pool_forward(x, 2, 2)
        assert out.shape == (1, 2, 2, 1)
        assert np.array_equal(out[0, :, :, 0], [[4, 5], [9, 3]])
        dx = max_pool_backward(np.array([1.0, 2, 3, 4]).reshape(1, 2, 2, 1), cache)
    want = np.zeros((4, 4))
    want[1, 1], want[0, 2], want[3, 0], want[3, 3] = (1, 2, 3, 4)
    assert np.array_equal(np.asarray(dx)[0, :, :, 0], want), "each gradient goes to its window's maximum"

