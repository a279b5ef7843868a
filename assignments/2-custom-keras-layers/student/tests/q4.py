from otter.test_files import test_case

OK_FORMAT = False

name = "q4"
points = 5

@test_case(points=1, hidden=False)
def test_q4_public(build_mini_rcnn):
    from course_lib.grading.answer_rules import assert_own_code
    assert_own_code(build_mini_rcnn, 'build_mini_rcnn')
    import numpy as np
    from course_lib.grading import time_limit
    with time_limit(120, 'build_mini_rcnn'):
        model = build_mini_rcnn()
        y = model.predict(np.zeros((2, 32, 32, 3), 'float32'), verbose=0)
    assert y.shape == (2, 10), f'output shape {y.shape}, expected (2, 10)'
    assert np.allclose(y.sum(axis=1), 1, atol=1e-05), 'the outputs must be class probabilities (softmax)'
    names = {layer.name for layer in model.layers}
    assert {'conv1', 'rcl1', 'rcl2', 'fc'} <= names, f'layer names: {sorted(names)}'

@test_case(points=1, hidden=False, 
    failure_message="the model must survive model.save / keras.models.load_model with identical predictions")
def test_q4_save_and_reload(build_mini_rcnn):
    from course_lib.grading.answer_rules import assert_own_code
    assert_own_code(build_mini_rcnn, 'build_mini_rcnn')
    import os
    import tempfile
    import numpy as np
    import keras
    from course_lib.grading import time_limit
    x = np.random.default_rng(401).normal(size=(3, 32, 32, 3)).astype('float32')
    with time_limit(180, 'saving and loading the mini RCNN'):
        model = build_mini_rcnn()
        path = os.path.join(tempfile.mkdtemp(), 'mini_rcnn.keras')
        model.save(path)
        loaded = keras.models.load_model(path)
        assert np.allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-05, atol=1e-06)

@test_case(points=1, hidden=False, 
    failure_message="the model must train with a finite loss, predict deterministically, and differ in training mode")
def test_q4_training_and_inference_behaviour(build_mini_rcnn):
    from course_lib.grading.answer_rules import assert_own_code
    assert_own_code(build_mini_rcnn, 'build_mini_rcnn')
    import numpy as np
    import keras
    from course_lib.grading import time_limit
    keras.utils.set_random_seed(402)
    rng = np.random.default_rng(402)
    x = rng.normal(size=(16, 32, 32, 3)).astype('float32')
    y = rng.integers(0, 10, size=16)
    with time_limit(300, 'training the mini RCNN'):
        model = build_mini_rcnn(filters=16)
        model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')
        history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
        assert np.isfinite(history.history['loss'][-1]), 'the loss must be finite'
        p1, p2 = (model.predict(x, verbose=0), model.predict(x, verbose=0))
        assert np.array_equal(p1, p2), 'predict() must be deterministic (no dropout at inference)'
        t1 = np.asarray(model(x, training=True))
        assert not np.allclose(t1, p1), 'in training mode SAF-pooling must drop activations'

