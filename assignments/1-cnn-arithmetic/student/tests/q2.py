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

