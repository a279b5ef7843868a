from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = 8

@test_case(points=1, hidden=False)
def test_q2_public(RecurrentConv2D):
    from course_lib.checks.answer_rules import assert_own_code
    assert_own_code(RecurrentConv2D, 'RecurrentConv2D')
    import numpy as np
    import course_lib.layers as ref
    from course_lib.checks import time_limit
    from course_lib.checks.expect import expect_shape
    assert RecurrentConv2D is not None and getattr(RecurrentConv2D, '__module__', '') == '__main__', f"write RecurrentConv2D yourself in this notebook: expected a class from module '__main__', got {RecurrentConv2D!r}"
    with time_limit(60, 'RecurrentConv2D'):
        layer = RecurrentConv2D(16, iterations=3)
        y = layer(np.ones((2, 8, 8, 4), 'float32'))
    expect_shape("RecurrentConv2D(16, iterations=3) on ones (2, 8, 8, 4): 'same' padding keeps 8x8; output", y, (2, 8, 8, 16))
    shapes = {w.name: tuple(w.shape) for w in layer.weights}
    want = {'kernel': (3, 3, 4, 16), 'recurrent_kernel': (3, 3, 16, 16), 'bias': (16,)}
    assert shapes == want, f'RecurrentConv2D(16) on 4 channels: expected the weights (name: shape) {want}, got {shapes}'

@test_case(points=2, hidden=False, 
    failure_message="one kernel, one recurrent kernel and one bias, whatever the number of iterations")
def test_q2_parameter_counts(RecurrentConv2D):
    from course_lib.checks.answer_rules import assert_own_code
    assert_own_code(RecurrentConv2D, 'RecurrentConv2D')
    import numpy as np
    import course_lib.layers as ref
    from course_lib.checks import time_limit
    assert getattr(RecurrentConv2D, '__module__', '') == '__main__', f"RecurrentConv2D must be a class written in this notebook (module '__main__'), got {RecurrentConv2D!r} from module {getattr(RecurrentConv2D, '__module__', None)!r}"
    for c_in, filters, k in [(3, 8, 3), (16, 24, 5), (7, 5, 1)]:
        counts = set()
        for iterations in (0, 1, 5):
            with time_limit(60, 'RecurrentConv2D'):
                layer = RecurrentConv2D(filters, kernel_size=k, iterations=iterations)
                layer(np.zeros((1, 6, 6, c_in), 'float32'))
            assert len(layer.trainable_weights) == 3, f'RecurrentConv2D({filters}, kernel_size={k}, iterations={iterations}): expected 3 trainable weights (kernel, recurrent_kernel, bias), got {len(layer.trainable_weights)}: {[w.name for w in layer.trainable_weights]}'
            counts.add(layer.count_params())
        reference = ref.RecurrentConv2D(filters, kernel_size=k, iterations=3)
        reference(np.zeros((1, 6, 6, c_in), 'float32'))
        assert counts == {reference.count_params()}, f'in={c_in}, filters={filters}, k={k}: parameter counts {sorted(counts)} for iterations 0, 1, 5; expected {reference.count_params()} for every number of iterations'

@test_case(points=1, hidden=False, 
    failure_message="get_config must hold every argument (lrn_size resolved); a saved .keras model must load with the same weights")
def test_q2_serialisation(RecurrentConv2D):
    from course_lib.checks import student_side
    student_keras = student_side('keras')
    from course_lib.checks.answer_rules import assert_own_code
    assert_own_code(RecurrentConv2D, 'RecurrentConv2D')
    import os
    import tempfile
    import numpy as np
    import keras
    import course_lib.layers as ref
    from course_lib.checks import time_limit
    from course_lib.checks.expect import expect_close
    assert getattr(RecurrentConv2D, '__module__', '') == '__main__', f"RecurrentConv2D must be a class written in this notebook (module '__main__'), got {RecurrentConv2D!r} from module {getattr(RecurrentConv2D, '__module__', None)!r}"
    x = np.random.default_rng(203).normal(size=(2, 5, 5, 3)).astype('float32')
    with time_limit(120, 'RecurrentConv2D serialisation'):
        layer = RecurrentConv2D(10, kernel_size=3, iterations=2, lrn_alpha=0.01, name='rcl')
        cfg = layer.get_config()
        for key, value in dict(filters=10, kernel_size=3, iterations=2, lrn_size=2, lrn_alpha=0.01, name='rcl').items():
            assert cfg.get(key) == value, f'get_config()[{key!r}] = {cfg.get(key)!r}, expected {value!r}'
        got = tuple(layer.compute_output_shape((None, 5, 5, 3)))
        assert got == (None, 5, 5, 10), f'RecurrentConv2D(10).compute_output_shape((None, 5, 5, 3)): expected (None, 5, 5, 10), got {got}'
        model = student_keras.Sequential([student_keras.Input((5, 5, 3)), RecurrentConv2D(6, iterations=2)])
        path = os.path.join(student_side('tempfile').mkdtemp(), 'rcl.keras')
        model.save(path)
        loaded = student_keras.models.load_model(path)
        expect_close('predictions of the model loaded from rcl.keras (expected: those of the saved model)', loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-05, atol=1e-06)

