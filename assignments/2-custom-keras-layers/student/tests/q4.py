from otter.test_files import test_case

OK_FORMAT = False

name = "q4"
points = 5

@test_case(points=1, hidden=False)
def test_q4_public(build_mini_rcnn):
    from course_lib.checks.answer_rules import assert_own_code
    assert_own_code(build_mini_rcnn, 'build_mini_rcnn')
    import numpy as np
    from course_lib.checks import time_limit
    from course_lib.checks.expect import expect_close, expect_shape
    with time_limit(120, 'build_mini_rcnn'):
        model = build_mini_rcnn()
        y = model.predict(np.zeros((2, 32, 32, 3), 'float32'), verbose=0)
    y = expect_shape('build_mini_rcnn().predict(zeros (2, 32, 32, 3))', y, (2, 10))
    expect_close('the sums of each row of predict(): class probabilities (softmax) sum to 1', y.sum(axis=1), np.ones(2), rtol=1e-05, atol=1e-05)
    names = {layer.name for layer in model.layers}
    want = {'conv1', 'rcl1', 'rcl2', 'fc'}
    assert want <= names, f'layer names: expected {sorted(want)} among them, got {sorted(names)} (missing {sorted(want - names)})'

@test_case(points=1, hidden=False, 
    failure_message="the model must survive model.save / keras.models.load_model with identical predictions")
def test_q4_save_and_reload(build_mini_rcnn):
    from course_lib.checks import student_side
    student_keras = student_side('keras')
    from course_lib.checks.answer_rules import assert_own_code
    assert_own_code(build_mini_rcnn, 'build_mini_rcnn')
    import os
    import tempfile
    import numpy as np
    import keras
    from course_lib.checks import time_limit
    from course_lib.checks.expect import expect_close
    x = np.random.default_rng(401).normal(size=(3, 32, 32, 3)).astype('float32')
    with time_limit(180, 'saving and loading the mini RCNN'):
        model = build_mini_rcnn()
        path = os.path.join(student_side('tempfile').mkdtemp(), 'mini_rcnn.keras')
        model.save(path)
        loaded = student_keras.models.load_model(path)
        expect_close('predictions of the model loaded from mini_rcnn.keras (expected: those of the saved model)', loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-05, atol=1e-06)

@test_case(points=1, hidden=False, 
    failure_message="the model must train with a finite loss, predict deterministically, and differ in training mode")
def test_q4_training_and_inference_behaviour(build_mini_rcnn):
    from course_lib.checks import student_side
    student_keras = student_side('keras')
    from course_lib.checks.answer_rules import assert_own_code
    assert_own_code(build_mini_rcnn, 'build_mini_rcnn')
    import numpy as np
    import keras
    from course_lib.checks import time_limit
    from course_lib.checks.expect import expect_close, rel_error
    student_keras.utils.set_random_seed(402)
    rng = np.random.default_rng(402)
    x = rng.normal(size=(16, 32, 32, 3)).astype('float32')
    y = rng.integers(0, 10, size=16)
    with time_limit(300, 'training the mini RCNN'):
        model = build_mini_rcnn(filters=16)
        model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')
        history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        loss = history.history['loss'][-1]
        assert np.isfinite(loss), f'the training loss after one epoch: expected a finite number, got {loss}'
        p1, p2 = (model.predict(x, verbose=0), model.predict(x, verbose=0))
        expect_close('a second predict(x) (no dropout at inference; expected: the first predict(x))', p2, p1, rtol=0, atol=0)
        t1 = np.asarray(model(x, training=True))
        assert not np.allclose(t1, p1), f'model(x, training=True): expected outputs that differ from predict(x) (SAF-pooling drops activations in training mode), got the same outputs (rel_error {rel_error(t1, p1):.2e})'

