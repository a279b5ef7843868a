from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = 8

@test_case(points=1, hidden=False)
def test_q2_public(RecurrentConv2D):
    import numpy as np
    import course_lib.layers as ref
    from course_lib.grading import time_limit
    assert RecurrentConv2D is not None and getattr(RecurrentConv2D, '__module__', '') == '__main__' and (not issubclass(RecurrentConv2D, ref.RecurrentConv2D)), 'write RecurrentConv2D yourself in this notebook'
    with time_limit(60, 'RecurrentConv2D'):
        layer = RecurrentConv2D(16, iterations=3)
        y = np.asarray(layer(np.ones((2, 8, 8, 4), 'float32')))
    assert y.shape == (2, 8, 8, 16), f'output shape {y.shape}, expected (2, 8, 8, 16)'
    shapes = {w.name: tuple(w.shape) for w in layer.weights}
    assert shapes == {'kernel': (3, 3, 4, 16), 'recurrent_kernel': (3, 3, 16, 16), 'bias': (16,)}, shapes

