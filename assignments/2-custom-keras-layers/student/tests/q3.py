from otter.test_files import test_case

OK_FORMAT = False

name = "q3"
points = 6

@test_case(points=1, hidden=False)
def test_q3_public(SAFPooling2D):
    from course_lib.grading.answer_rules import assert_own_code
    assert_own_code(SAFPooling2D, 'SAFPooling2D')
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

@test_case(points=1.5, hidden=False, 
    failure_message="at inference (predict, training=False) SAF-pooling is exactly MaxPooling2D for any pool size, stride and padding")
def test_q3_inference_is_max_pooling(SAFPooling2D):
    from course_lib.grading.answer_rules import assert_own_code
    assert_own_code(SAFPooling2D, 'SAFPooling2D')
    import numpy as np
    import keras
    import course_lib.layers as ref
    from course_lib.grading import time_limit
    assert getattr(SAFPooling2D, '__module__', '') == '__main__' and (not issubclass(SAFPooling2D, ref.SAFPooling2D))
    rng = np.random.default_rng(301)
    for kwargs in [dict(pool_size=3, strides=2), dict(pool_size=3, strides=2, padding='same'), dict(pool_size=2, strides=1), dict(pool_size=(2, 3), strides=(1, 2))]:
        x = rng.normal(size=(2, 7, 8, 3)).astype('float32')
        with time_limit(60, 'SAFPooling2D'):
            layer = SAFPooling2D(rate=0.4, seed=3, **kwargs)
            model = keras.Sequential([keras.Input((7, 8, 3)), layer])
            got = model.predict(x, verbose=0)
        want = np.asarray(keras.layers.MaxPooling2D(**kwargs)(x))
        assert got.shape == want.shape and np.allclose(got, want), f'{kwargs}: predict() must equal MaxPooling2D'
        assert tuple(layer.compute_output_shape((None, 7, 8, 3))) == (None,) + want.shape[1:], f'{kwargs}: compute_output_shape'
        reference = np.asarray(ref.SAFPooling2D(rate=0.4, **kwargs)(x))
        assert np.allclose(got, reference)

@test_case(points=0.5, hidden=False, 
    failure_message="rate in [0, 1), pool_size and strides >= 1, padding valid or same, else ValueError naming the argument")
def test_q3_validation(SAFPooling2D):
    from course_lib.grading.answer_rules import assert_own_code
    assert_own_code(SAFPooling2D, 'SAFPooling2D')
    import course_lib.layers as ref
    from course_lib.grading import time_limit
    assert getattr(SAFPooling2D, '__module__', '') == '__main__' and (not issubclass(SAFPooling2D, ref.SAFPooling2D))
    for bad in [dict(rate=1.0), dict(rate=-0.1), dict(pool_size=0), dict(padding='full'), dict(strides=0)]:
        name = next(iter(bad))
        try:
            with time_limit(30, 'SAFPooling2D'):
                SAFPooling2D(**bad)
        except ValueError as e:
            assert name in str(e), f'the ValueError for {bad} must name {name!r}: {e}'
            continue
        raise AssertionError(f'SAFPooling2D(**{bad}) must raise ValueError')

