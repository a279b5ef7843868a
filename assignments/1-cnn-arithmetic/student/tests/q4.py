from otter.test_files import test_case

OK_FORMAT = False

name = "q4"
points = 5

@test_case(points=1, hidden=False)
def test_q4_public_gradient_check(conv_forward_naive, conv_backward_naive):
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view
    from course_lib.checks import time_limit
    from course_lib.checks.expect import expect_close, expect_rel_error, expect_shape

    def num_grad(f, a, df, h=1e-06):
        g = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            old = a[i]
            a[i] = old + h
            plus = f()
            a[i] = old - h
            minus = f()
            a[i] = old
            g[i] = np.sum((plus - minus) * df) / (2 * h)
        return g
    rng = np.random.default_rng(40)
    x, w, b = (rng.normal(size=(1, 4, 4, 2)), rng.normal(size=(3, 3, 2, 3)), rng.normal(size=3))
    with time_limit(20, 'conv_forward_naive / conv_backward_naive'):
        out, cache = conv_forward_naive(x, w, b, 1, 1)
        xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
        want = np.einsum('nhwcij,ijck->nhwk', sliding_window_view(xp, (3, 3), axis=(1, 2)), w) + b
        expect_close('conv_forward_naive(x (1, 4, 4, 2), w (3, 3, 2, 3), b, 1, 1), the forward pass checked here', out, want)
        dout = rng.normal(size=out.shape)
        dx, dw, db = conv_backward_naive(dout, cache)
        f = lambda: conv_forward_naive(x, w, b, 1, 1)[0]
        for name, got, arr in [('dx', dx, x), ('dw', dw, w), ('db', db, b)]:
            got = expect_shape(f'{name}, the gradient with respect to {name[1]},', got, arr.shape)
            expect_rel_error(f'{name} against the numerical gradient', got, num_grad(f, arr, dout), below=1e-07)

@test_case(points=1.5, hidden=False, 
    failure_message="dx is wrong with stride > 1 or padding: scatter into the padded input, then crop")
def test_q4_strided_padded_against_reference(conv_forward_naive, conv_backward_naive):
    import numpy as np
    from numpy.lib.stride_tricks import sliding_window_view
    from course_lib.checks import time_limit
    from course_lib.checks.expect import expect_close
    rng = np.random.default_rng(42)
    for xs, ws, s, p in [((2, 7, 7, 3), (3, 3, 3, 4), 2, 1), ((1, 7, 6, 2), (3, 2, 2, 3), 2, 0), ((2, 9, 9, 2), (3, 3, 2, 2), 3, 0), ((1, 4, 4, 3), (1, 1, 3, 2), 1, 0)]:
        x, w, b = (rng.normal(size=xs), rng.normal(size=ws), rng.normal(size=ws[3]))
        with time_limit(20, 'conv_forward_naive / conv_backward_naive'):
            out, cache = conv_forward_naive(x, w, b, s, p)
            dout = rng.normal(size=out.shape)
            dx = conv_backward_naive(dout, cache)[0]
        HH, WW = ws[:2]
        N, Ho, Wo, _ = out.shape
        dxp = np.zeros((xs[0], xs[1] + 2 * p, xs[2] + 2 * p, xs[3]))
        for i in range(HH):
            for j in range(WW):
                dxp[:, i:i + s * Ho:s, j:j + s * Wo:s, :] += np.einsum('nhwk,ck->nhwc', dout, w[i, j])
        want = dxp[:, p:p + xs[1], p:p + xs[2], :]
        what = f'dx for x {xs}, w {ws}, stride {s}, pad {p}'
        expect_close(what, dx, want, rtol=1e-09, atol=1e-10)

