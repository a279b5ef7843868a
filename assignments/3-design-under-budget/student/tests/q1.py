from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = 3

@test_case(points=1, hidden=False)
def test_q1_public_interface(build_model):
    import numpy as np
    import keras
    from course_lib.grading import time_limit
    with time_limit(120, 'build_model'):
        model = build_model()
    assert isinstance(model, keras.Model), f'build_model() must return a keras.Model, not {type(model).__name__}'
    assert tuple(model.input_shape) == (None, 32, 32, 3), f'input shape {model.input_shape}'
    assert tuple(model.output_shape) == (None, 10), f'output shape {model.output_shape}'
    p = np.asarray(model(np.random.default_rng(0).normal(size=(4, 32, 32, 3)).astype('float32'), training=False))
    assert np.allclose(p.sum(axis=1), 1, atol=0.0001) and (p >= 0).all(), 'the outputs must be softmax probabilities'
    assert model.count_params() <= 60000, f'{model.count_params():,} parameters > 60,000'

