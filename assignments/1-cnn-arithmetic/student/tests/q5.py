from otter.test_files import test_case

OK_FORMAT = False

name = "q5"
points = 4

@test_case(points=1, hidden=False)
def test_q5_public(im2col, conv_forward_im2col):
    import numpy as np
    from course_lib.checks import time_limit
    from course_lib.checks.expect import expect_close, expect_shape
    x = np.arange(8.0).reshape(1, 2, 2, 2)
    with time_limit(10, 'im2col'):
        cols = im2col(x, 2, 2)
    cols = expect_shape('im2col(arange(8) as (1, 2, 2, 2), 2, 2): one 2x2x2 patch gives one column', cols, (8, 1))
    expect_close("im2col's column: the patch flattened in (row, column, channel) order", cols[:, 0], np.arange(8.0), rtol=0, atol=0)
    with time_limit(10, 'im2col'):
        cols = im2col(np.arange(9.0).reshape(1, 3, 3, 1), 2, 2)
    cols = expect_shape('im2col(arange(9) as (1, 3, 3, 1), 2, 2): four 2x2 patches of a 3x3 image', cols, (4, 4))
    expect_close("im2col's column 1, the patch at output (0, 0, 1)", cols[:, 1], [1, 2, 4, 5], rtol=0, atol=0)
    with time_limit(10, 'conv_forward_im2col'):
        out = conv_forward_im2col(np.ones((1, 3, 3, 1)), np.ones((3, 3, 1, 1)), np.array([0.5]), 1, 1)
    want = np.array([[4, 6, 4], [6, 9, 6], [4, 6, 4]]) + 0.5
    out = expect_shape('conv_forward_im2col(ones (1, 3, 3, 1), ones (3, 3, 1, 1), pad 1) output', out, (1, 3, 3, 1))
    expect_close('conv_forward_im2col(ones, ones, bias 0.5, pad 1)', out[0, :, :, 0], want)

@test_case(points=1, hidden=False, 
    failure_message="conv_forward_im2col must equal conv_forward_naive for strides and paddings")
def test_q5_conv_im2col_matches(conv_forward_im2col):
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view
    from course_lib.checks import time_limit
    from course_lib.checks.expect import expect_close
    rng = np.random.default_rng(51)
    for xs, ws, s, p in [((2, 5, 5, 3), (3, 3, 3, 4), 1, 1), ((2, 7, 7, 3), (3, 3, 3, 2), 2, 1), ((1, 7, 6, 2), (3, 2, 2, 3), 2, 0)]:
        x, w, b = (rng.normal(size=xs), rng.normal(size=ws), rng.normal(size=ws[3]))
        xp = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
        win = sliding_window_view(xp, ws[:2], axis=(1, 2))[:, ::s, ::s]
        want = np.einsum('nhwcij,ijck->nhwk', win, w) + b
        with time_limit(10, 'conv_forward_im2col'):
            out = conv_forward_im2col(x, w, b, s, p)
        expect_close(f'conv_forward_im2col with x {xs}, w {ws}, stride {s}, pad {p}', out, want, rtol=1e-10, atol=1e-10)

