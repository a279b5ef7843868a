from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = 4

@test_case(points=1, hidden=False)
def test_q2_public(rel_error, numerical_gradient, gradient_check_verdict):
    import numpy as np
    from course_lib.checks import time_limit
    from course_lib.checks.expect import expect_shape
    with time_limit(10, 'rel_error / numerical_gradient / gradient_check_verdict'):
        got = rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
        assert got == 0.0, f'rel_error([1, 2], [1, 2]) of equal arrays: expected 0.0, got {got!r}'
        got = rel_error(np.array([1.0]), np.array([3.0]))
        assert abs(got - 0.5) < 1e-12, f'rel_error([1], [3]) = |1 - 3| / (1 + 3): expected 0.5, got {got!r}'
        x = np.linspace(-1.0, 1.0, 5)
        g = numerical_gradient(lambda v: v ** 2, x, np.ones(5))
        g = expect_shape('numerical_gradient(x ** 2, x of shape (5,), df = ones)', g, (5,))
        print('numerical gradient of x^2, max abs error vs 2x:', np.max(np.abs(g - 2 * x)))
        assert np.max(np.abs(g - 2 * x)) < 1e-07, f'd(x^2)/dx = 2x: max abs error {np.max(np.abs(g - 2 * x)):.2e} (expected below 1e-7); expected {2 * x}, got {g}'
        got = gradient_check_verdict(1e-09)
        assert got == 'good', f"gradient_check_verdict(1e-9): expected 'good', got {got!r}"
        got = gradient_check_verdict(0.5)
        assert got == 'wrong', f"gradient_check_verdict(0.5): expected 'wrong', got {got!r}"

@test_case(points=1, hidden=False, 
    failure_message="rel_error must follow the formula exactly, handle zeros and reject different shapes")
def test_q2_rel_error_formula(rel_error):
    import numpy as np
    from course_lib.checks import time_limit
    rng = np.random.default_rng(20)
    a = rng.normal(size=(3, 4))
    b = a + rng.normal(scale=0.001, size=(3, 4))
    want = np.max(np.abs(a - b) / np.maximum(1e-08, np.abs(a) + np.abs(b)))
    with time_limit(10, 'rel_error'):
        got = rel_error(a, b)
        assert isinstance(got, float) and abs(got - want) <= 1e-12 * max(1.0, want), f'rel_error(a, b) for 3x4 arrays: expected the float {want!r}, got {got!r} ({type(got).__name__})'
        got = rel_error(np.zeros(3), np.zeros(3))
        assert got == 0.0, f'rel_error(zeros, zeros): 0/0 must not be NaN, the denominator is at least 1e-8: expected 0.0, got {got!r}'
        got = rel_error(np.zeros(2), np.array([0.0, 1e-09]))
        assert abs(got - 0.1) < 1e-12, f'rel_error([0, 0], [0, 1e-9]) = 1e-9 / max(1e-8, 1e-9): expected 0.1, got {got!r}'
        try:
            got = rel_error(np.zeros(3), np.zeros(4))
        except ValueError:
            pass
        else:
            raise AssertionError(f'rel_error(zeros(3), zeros(4)): expected a ValueError for different shapes, got {got!r}')

