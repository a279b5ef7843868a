from otter.test_files import test_case

OK_FORMAT = False

name = "q6"
points = 5

@test_case(points=1, hidden=False)
def test_q6_public(max_pool_forward, max_pool_backward):
    import numpy as np
    from course_lib.checks import time_limit
    from course_lib.checks.expect import expect_close, expect_shape
    x = np.array([[1.0, 2, 5, 0], [3, 4, 1, 1], [0, 0, 2, 2], [9, 0, 2, 3]]).reshape(1, 4, 4, 1)
    with time_limit(10, 'max_pool_forward / max_pool_backward'):
        out, cache = max_pool_forward(x, 2, 2)
        out = expect_shape('max_pool_forward(x (1, 4, 4, 1), 2, 2) output', out, (1, 2, 2, 1))
        expect_close('max_pool_forward: the maxima of the four 2x2 windows', out[0, :, :, 0], [[4, 5], [9, 3]], rtol=0, atol=0)
        dx = max_pool_backward(np.array([1.0, 2, 3, 4]).reshape(1, 2, 2, 1), cache)
    want = np.zeros((4, 4))
    want[1, 1], want[0, 2], want[3, 0], want[3, 3] = (1, 2, 3, 4)
    dx = expect_shape('max_pool_backward(dout (1, 2, 2, 1), cache): dx has the shape of x', dx, (1, 4, 4, 1))
    expect_close("max_pool_backward: each gradient goes to its window's maximum", dx[0, :, :, 0], want, rtol=0, atol=0)

@test_case(points=1.5, hidden=False, 
    failure_message="check overlapping windows (3x3 stride 2), stride 1, non-square inputs and sizes that do not fit")
def test_q6_forward_random(max_pool_forward):
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view
    from course_lib.checks import time_limit
    from course_lib.checks.expect import expect_close
    rng = np.random.default_rng(60)
    for xs, F, s in [((2, 6, 6, 3), 2, 2), ((1, 7, 7, 2), 3, 2), ((2, 5, 5, 1), 3, 1), ((1, 8, 6, 4), 2, 2)]:
        x = rng.normal(size=xs)
        with time_limit(10, 'max_pool_forward'):
            out, cache = max_pool_forward(x, F, s)
        want = sliding_window_view(x, (F, F), axis=(1, 2))[:, ::s, ::s].max(axis=(-2, -1))
        expect_close(f'max_pool_forward with x {xs}, pool {F}, stride {s}', out, want, rtol=0, atol=0)
    try:
        with time_limit(10, 'max_pool_forward'):
            got = max_pool_forward(np.zeros((1, 5, 5, 1)), 2, 2)
    except ValueError:
        pass
    else:
        raise AssertionError(f'max_pool_forward(zeros (1, 5, 5, 1), 2, 2): a 5x5 input does not fit 2x2 windows at stride 2: expected a ValueError, got output of shape {np.shape(got[0])}')

