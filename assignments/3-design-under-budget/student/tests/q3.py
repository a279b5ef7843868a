from otter.test_files import test_case

OK_FORMAT = False

name = "q3"
points = 5

@test_case(points=1, hidden=False)
def test_q3_public_trains(build_model):
    import numpy as np
    import keras
    from course_lib.checks import time_limit
    rng = np.random.default_rng(3)
    x = rng.normal(size=(8, 32, 32, 3)).astype('float32')
    y = rng.integers(0, 10, size=8)
    with time_limit(180, 'one training step of your model'):
        model = build_model()
        model.compile(optimizer=keras.optimizers.Adam(0.002), loss='sparse_categorical_crossentropy')
        loss = model.train_on_batch(x, y)
    assert np.isfinite(np.asarray(loss)).all(), f'train_on_batch on 8 random images: expected a finite training loss, got {loss}'

@test_case(points=1.5, hidden=False, 
    failure_message="the test accuracy after the fixed training must reach 0.75 within the budget")
def test_q3_accuracy_075(build_model):
    from course_lib.checks.design_rules import check_design
    from course_lib.checks.fixed_training import fixed_training
    model = build_model()
    report = check_design(model)
    over = report.failed('parameters') + report.failed('compute')
    assert not over, 'not trained: expected at most 60,000 parameters and 15,000,000 multiply-accumulates per image, got ' + '; '.join((r.message for r in over))
    result = fixed_training(model, timeout=600)
    globals()['_q3_fixed_training_result'] = result
    assert result.test_accuracy >= 0.75, f'test accuracy after the fixed training: expected at least 0.75, got {result.test_accuracy:.4f}'

