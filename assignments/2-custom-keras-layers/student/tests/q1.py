from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = 6

@test_case(points=1, hidden=False)
def test_q1_public(LRN):
    import numpy as np
    import course_lib.layers as ref
    from course_lib.grading import time_limit
    assert LRN is not None and getattr(LRN, '__module__', '') == '__main__' and (not issubclass(LRN, ref.LRN)), "write LRN yourself in this notebook (not course_lib's)"
    x = np.random.default_rng(1).normal(size=(2, 4, 4, 8)).astype('float32')
    with time_limit(60, 'LRN'):
        got = np.asarray(LRN()(x))
    assert got.shape == x.shape, f'LRN must keep the shape: {got.shape} != {x.shape}'
    want = np.asarray(ref.LRN()(x))
    assert np.allclose(got, want, rtol=1e-05, atol=1e-06), 'default LRN (size 5, alpha 1e-4, beta 0.75, k 2, sum) differs from the reference'

