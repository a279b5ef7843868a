from otter.test_files import test_case

OK_FORMAT = False

name = "q4"
points = 5

@test_case(points=1, hidden=False)
def test_q4_public(build_mini_rcnn):
    import numpy as np
    from course_lib.grading import time_limit
    with time_limit(120, 'build_mini_rcnn'):
        model = build_mini_rcnn()
        y = model.predict(np.zeros((2, 32, 32, 3), 'float32'), verbose=0)
    assert y.shape == (2, 10), f'output shape {y.shape}, expected (2, 10)'
    assert np.allclose(y.sum(axis=1), 1, atol=1e-05), 'the outputs must be class probabilities (softmax)'
    names = {layer.name for layer in model.layers}
    assert {'conv1', 'rcl1', 'rcl2', 'fc'} <= names, f'layer names: {sorted(names)}'

