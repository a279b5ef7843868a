from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = 3

@test_case(points=1, hidden=False)
def test_q1_public_interface(build_model):
    import numpy as np
    import keras
    from course_lib.checks import time_limit
    from course_lib.checks.expect import expect_close
    with time_limit(120, 'build_model'):
        model = build_model()
    assert isinstance(model, keras.Model), f'build_model(): expected a keras.Model, got {type(model).__name__}'
    assert tuple(model.input_shape) == (None, 32, 32, 3), f'model.input_shape: expected (None, 32, 32, 3), got {model.input_shape}'
    assert tuple(model.output_shape) == (None, 10), f'model.output_shape: expected (None, 10), got {model.output_shape}'
    p = np.asarray(model(np.random.default_rng(0).normal(size=(4, 32, 32, 3)).astype('float32'), training=False))
    assert (p >= 0).all(), f'softmax probabilities: expected outputs >= 0, got a minimum of {p.min():.4g}'
    expect_close('the sums of each row of the outputs on 4 random images: softmax probabilities sum to 1', p.sum(axis=1), np.ones(4), rtol=1e-05, atol=0.0001)
    assert model.count_params() <= 60000, f'model.count_params(): expected at most 60,000, got {model.count_params():,}'

@test_case(points=1, hidden=False, 
    failure_message="at most 60,000 parameters and 15 M multiply-accumulates per image, with layers whose cost can be counted")
def test_q1_budget(build_model):
    from course_lib.checks import time_limit
    from course_lib.checks.design_rules import check_design
    with time_limit(180, 'build_model and the budget check'):
        report = check_design(build_model())
    expected = {'parameters': 'at most 60,000 parameters', 'compute': 'at most 15,000,000 multiply-accumulates per image'}
    for rule in ('parameters', 'compute'):
        failed = report.failed(rule)
        assert not failed, f"{rule} rule: expected {expected[rule]}, got {(failed[0].message if failed else '')}"

