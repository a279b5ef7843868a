from otter.test_files import test_case

OK_FORMAT = False

name = "q3"
points = 4

@test_case(points=1.5, hidden=False)
def test_q3_public(conv_forward_naive):
    import numpy as np
    from course_lib.checks import time_limit
    from course_lib.checks.expect import expect_close, expect_shape
    with time_limit(10, 'conv_forward_naive'):
        out, cache = conv_forward_naive(np.ones((1, 3, 3, 1)), np.ones((3, 3, 1, 1)), np.array([0.5]), 1, 1)
    want = np.array([[4, 6, 4], [6, 9, 6], [4, 6, 4]]) + 0.5
    out = expect_shape('conv_forward_naive(ones (1, 3, 3, 1), ones (3, 3, 1, 1), pad 1) output', out, (1, 3, 3, 1))
    expect_close('ones * ones with pad 1: corners see 4 ones, edges 6, the centre 9, plus the bias 0.5', out[0, :, :, 0], want)
    assert len(cache) == 5, f'cache must be (x, w, b, stride, pad): expected 5 items, got {len(cache)}'
    x = np.arange(16, dtype=np.float64).reshape(1, 4, 4, 1)
    with time_limit(10, 'conv_forward_naive'):
        out, _ = conv_forward_naive(x, np.ones((2, 2, 1, 1)), np.zeros(1), stride=2, pad=0)
    out = expect_shape('conv_forward_naive(arange(16) as (1, 4, 4, 1), ones (2, 2, 1, 1), stride 2) output', out, (1, 2, 2, 1))
    expect_close('stride 2: sums of the four 2x2 blocks of arange(16)', out[0, :, :, 0], [[10, 18], [42, 50]])

@test_case(points=0.5, hidden=False, 
    failure_message="channel mismatch and sizes that do not fit must raise ValueError")
def test_q3_rejects_bad_shapes(conv_forward_naive):
    import numpy as np
    from course_lib.checks import time_limit
    for x, w, s, p in [(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 2, 4)), 1, 0), (np.zeros((1, 8, 8, 1)), np.zeros((3, 3, 1, 1)), 2, 0)]:
        try:
            with time_limit(10, 'conv_forward_naive'):
                got = conv_forward_naive(x, w, np.zeros(w.shape[3]), s, p)
        except ValueError:
            continue
        raise AssertionError(f'conv_forward_naive with x {x.shape}, w {w.shape}, stride {s}, pad {p}: expected a ValueError, got output of shape {(np.shape(got[0]) if isinstance(got, tuple) else np.shape(got))}')

