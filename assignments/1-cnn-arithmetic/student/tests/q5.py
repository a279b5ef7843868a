from otter.test_files import test_case

OK_FORMAT = False

name = "q5"
points = 4

@test_case(points=1, hidden=False)
def test_q5_public(im2col, conv_forward_im2col):
    import numpy as np
    from course_lib.grading import time_limit
    x = np.arange(8.0).reshape(1, 2, 2, 2)
    with time_limit(10, 'im2col'):
        cols = im2col(x, 2, 2)
    assert cols.shape == (8, 1), f'one 2x2x2 patch gives an (8, 1) column; got {cols.shape}'
    assert np.array_equal(cols[:, 0], np.arange(8.0)), f'flatten the patch in (row, column, channel) order: expected {np.arange(8.0).tolist()}, got {cols[:, 0].tolist()}'
    with time_limit(10, 'im2col'):
        cols = im2col(np.arange(9.0).reshape(1, 3, 3, 1), 2, 2)
    assert cols.shape == (4, 4), f'2x2 patches of a 3x3 image: expected shape (4, 4), got {cols.shape}'
    assert np.array_equal(cols[:, 1], [1, 2, 4, 5]), f'column 1 is the patch at output (0, 0, 1): expected [1, 2, 4, 5], got {cols[:, 1].tolist()}'
    with time_limit(10, 'conv_forward_im2col'):
        out = conv_forward_im2col(np.ones((1, 3, 3, 1)), np.ones((3, 3, 1, 1)), np.array([0.5]), 1, 1)
    want = np.array([[4, 6, 4], [6, 9, 6], [4, 6, 4]]) + 0.5
    assert np.allclose(out[0, :, :, 0], want), f'conv_forward_im2col: expected\n{want}\ngot\n{out[0, :, :, 0]}'

@test_case(points=1, hidden=False, 
    failure_message="conv_forward_im2col must equal conv_forward_naive for strides and paddings")
def test_q5_conv_im2col_matches(conv_forward_im2col):
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view
    from course_lib.grading import time_limit
    rng = np.random.default_rng(51)
    for xs, ws, s, p in [((2, 5, 5, 3), (3, 3, 3, 4), 1, 1), ((2, 7, 7, 3), (3, 3, 3, 2), 2, 1), ((1, 7, 6, 2), (3, 2, 2, 3), 2, 0)]:
        x, w, b = (rng.normal(size=xs), rng.normal(size=ws), rng.normal(size=ws[3]))
        xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
        win = sliding_window_view(xp, ws[:2], axis=(1, 2))[:, ::s, ::s]
        want = np.einsum('nhwcij,ijck->nhwk', win, w) + b
        with time_limit(10, 'conv_forward_im2col'):
            out = conv_forward_im2col(x, w, b, s, p)
        assert np.shape(out) == want.shape and np.allclose(out, want, rtol=1e-10, atol=1e-10), f'x {xs}, w {ws}, stride {s}, pad {p}: conv_forward_im2col differs from the convolution'

