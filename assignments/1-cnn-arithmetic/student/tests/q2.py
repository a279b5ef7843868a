from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = 4

@test_case(points=1, hidden=False)
def test_q2_public(rel_error, numerical_gradient, gradient_check_verdict):
    import numpy as np
    from course_lib.grading import time_limit
    with time_limit(10, 'rel_error / numerical_gradient / gradient_check_verdict'):
        assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
        assert abs(rel_error(np.array([1.0]), np.array([3.0])) - 0.5) < 1e-12
        x = np.linspace(-1.0, 1.0, 5)
        g = numerical_gradient(lambda v: v ** 2, x, np.ones(5))
        assert np.asarray(g).shape == (5,)
        assert np.max(np.abs(g - 2 * x)) < 1e-07, 'd(x^2)/dx = 2x'
        assert gradient_check_verdict(1e-09) == 'good'
        assert gradient_check_verdict(0.5) == 'wrong'

@test_case(points=1, hidden=False, 
    failure_message="rel_error must follow the formula exactly, handle zeros and reject different shapes")
def test_q2_rel_error_formula(rel_error):
    import numpy as np
    from course_lib.grading import time_limit
    rng = np.random.default_rng(20)
    a = rng.normal(size=(3, 4))
    b = a + rng.normal(scale=0.001, size=(3, 4))
    want = np.max(np.abs(a - b) / np.maximum(1e-08, np.abs(a) + np.abs(b)))
    with time_limit(10, 'rel_error'):
        got = rel_error(a, b)
        assert isinstance(got, float) and abs(got - want) <= 1e-12 * max(1.0, want)
        assert rel_error(np.zeros(3), np.zeros(3)) == 0.0, '0/0 must not be NaN: the denominator is at least 1e-8'
        assert abs(rel_error(np.zeros(2), np.array([0.0, 1e-09])) - 0.1) < 1e-12
        try:
            rel_error(np.zeros(3), np.zeros(4))
        except ValueError:
            pass
        else:
            raise AssertionError('rel_error must raise ValueError for different shapes')

