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

@test_case(points=1, hidden=False, 
    failure_message="at most 60,000 parameters and 15 M multiply-accumulates per image, with layers whose cost can be counted")
def test_q1_budget(build_model):
    from course_lib.grading import time_limit
    from course_lib.grading.design_rules import check_design
    with time_limit(180, 'build_model and the budget check'):
        report = check_design(build_model())
    for rule in ('parameters', 'compute'):
        failed = report.failed(rule)
        assert not failed, failed[0].message if failed else ''

