from otter.test_files import test_case

OK_FORMAT = False

name = "q3"
points = 6

@test_case(points=1, hidden=False)
def test_q3_public(SAFPooling2D):
    from course_lib.checks.answer_rules import assert_own_code
    assert_own_code(SAFPooling2D, 'SAFPooling2D')
    import numpy as np
    import keras
    import course_lib.layers as ref
    from course_lib.checks import time_limit
    from course_lib.checks.expect import expect_close
    assert SAFPooling2D is not None and getattr(SAFPooling2D, '__module__', '') == '__main__', f"write SAFPooling2D yourself in this notebook: expected a class from module '__main__', got {SAFPooling2D!r}"
    x = np.random.default_rng(2).normal(size=(2, 6, 6, 3)).astype('float32')
    with time_limit(60, 'SAFPooling2D'):
        got = SAFPooling2D(rate=0.5)(x)
    want = np.asarray(keras.layers.MaxPooling2D()(x))
    expect_close('SAFPooling2D(rate=0.5)(x) at inference (expected: MaxPooling2D()(x))', got, want)

@test_case(points=1.5, hidden=False, 
    failure_message="at inference (predict, training=False) SAF-pooling is exactly MaxPooling2D for any pool size, stride and padding")
def test_q3_inference_is_max_pooling(SAFPooling2D):
    from course_lib.checks import student_side
    student_keras = student_side('keras')
    from course_lib.checks.answer_rules import assert_own_code
    assert_own_code(SAFPooling2D, 'SAFPooling2D')
    import numpy as np
    import keras
    import course_lib.layers as ref
    from course_lib.checks import time_limit
    from course_lib.checks.expect import expect_close
    assert getattr(SAFPooling2D, '__module__', '') == '__main__', f"SAFPooling2D must be a class written in this notebook (module '__main__'), got {SAFPooling2D!r} from module {getattr(SAFPooling2D, '__module__', None)!r}"
    rng = np.random.default_rng(301)
    for kwargs in [dict(pool_size=3, strides=2), dict(pool_size=3, strides=2, padding='same'), dict(pool_size=2, strides=1), dict(pool_size=(2, 3), strides=(1, 2))]:
        x = rng.normal(size=(2, 7, 8, 3)).astype('float32')
        with time_limit(60, 'SAFPooling2D'):
            layer = SAFPooling2D(rate=0.4, seed=3, **kwargs)
            model = student_keras.Sequential([student_keras.Input((7, 8, 3)), layer])
            got = model.predict(x, verbose=0)
        want = np.asarray(keras.layers.MaxPooling2D(**kwargs)(x))
        expect_close(f'SAFPooling2D(rate=0.4, {kwargs}) predict() on x (2, 7, 8, 3) (expected: MaxPooling2D)', got, want)
        shape = tuple(layer.compute_output_shape((None, 7, 8, 3)))
        assert shape == (None,) + want.shape[1:], f'SAFPooling2D({kwargs}).compute_output_shape((None, 7, 8, 3)): expected {(None,) + want.shape[1:]}, got {shape}'
        reference = np.asarray(ref.SAFPooling2D(rate=0.4, **kwargs)(x))
        expect_close(f'SAFPooling2D(rate=0.4, {kwargs}) predict() on x (2, 7, 8, 3) (expected: the reference layer)', got, reference)

@test_case(points=0.5, hidden=False, 
    failure_message="rate in [0, 1), pool_size and strides >= 1, padding valid or same, else ValueError naming the argument")
def test_q3_validation(SAFPooling2D):
    from course_lib.checks.answer_rules import assert_own_code
    assert_own_code(SAFPooling2D, 'SAFPooling2D')
    import course_lib.layers as ref
    from course_lib.checks import time_limit
    assert getattr(SAFPooling2D, '__module__', '') == '__main__', f"SAFPooling2D must be a class written in this notebook (module '__main__'), got {SAFPooling2D!r} from module {getattr(SAFPooling2D, '__module__', None)!r}"
    for bad in [dict(rate=1.0), dict(rate=-0.1), dict(pool_size=0), dict(padding='full'), dict(strides=0)]:
        name = next(iter(bad))
        try:
            with time_limit(30, 'SAFPooling2D'):
                got = SAFPooling2D(**bad)
        except ValueError as e:
            assert name in str(e), f'SAFPooling2D(**{bad}): expected a ValueError naming {name!r}, got the message {str(e)!r}'
            continue
        raise AssertionError(f'SAFPooling2D(**{bad}): expected a ValueError naming {name!r}, got a layer {got!r}')

