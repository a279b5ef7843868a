from otter.test_files import test_case

OK_FORMAT = False

name = "q3"
points = 6

@test_case(points=1, hidden=False)
def test_q3_public(SAFPooling2D):
    import numpy as np
    import keras
    import course_lib.layers as ref
    from course_lib.grading import time_limit
    assert SAFPooling2D is not None and getattr(SAFPooling2D, '__module__', '') == '__main__' and (not issubclass(SAFPooling2D, ref.SAFPooling2D)), 'write SAFPooling2D yourself in this notebook'
    x = np.random.default_rng(2).normal(size=(2, 6, 6, 3)).astype('float32')
    with time_limit(60, 'SAFPooling2D'):
        got = np.asarray(SAFPooling2D(rate=0.5)(x))
    want = np.asarray(keras.layers.MaxPooling2D()(x))
    assert got.shape == want.shape and np.allclose(got, want), 'at inference SAFPooling2D must equal MaxPooling2D'

