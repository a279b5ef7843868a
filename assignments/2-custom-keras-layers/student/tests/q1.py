from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = 6

@test_case(points=1, hidden=False)
def test_q1_public(LRN):
    from course_lib.checks.answer_rules import assert_own_code
    assert_own_code(LRN, 'LRN')
    import numpy as np
    import course_lib.layers as ref
    from course_lib.checks import time_limit
    from course_lib.checks.expect import expect_close
    assert LRN is not None and getattr(LRN, '__module__', '') == '__main__', f"write LRN yourself in this notebook (not course_lib's): expected a class from module '__main__', got {LRN!r}"
    x = np.random.default_rng(1).normal(size=(2, 4, 4, 8)).astype('float32')
    with time_limit(60, 'LRN'):
        got = LRN()(x)
    want = np.asarray(ref.LRN()(x))
    expect_close('LRN() output (size 5, alpha 1e-4, beta 0.75, k 2, sum) on x of shape (2, 4, 4, 8), same shape as x', got, want, rtol=1e-05, atol=1e-06)

@test_case(points=2, hidden=False, 
    failure_message="check both alpha modes, the window at the channel edges and even window sizes")
def test_q1_matches_reference_on_hidden_inputs(LRN):
    from course_lib.checks.answer_rules import assert_own_code
    assert_own_code(LRN, 'LRN')
    import numpy as np
    import course_lib.layers as ref
    from course_lib.checks import time_limit
    from course_lib.checks.expect import expect_close
    assert getattr(LRN, '__module__', '') == '__main__', f"LRN must be a class written in this notebook (module '__main__'), got {LRN!r} from module {getattr(LRN, '__module__', None)!r}"
    rng = np.random.default_rng(101)
    configs = [dict(size=5, alpha=0.0001, beta=0.75, k=2.0, alpha_mode='sum'), dict(size=3, alpha=0.5, beta=0.5, k=1.0, alpha_mode='sum'), dict(size=7, alpha=2.0, beta=0.75, k=1.0, alpha_mode='mean'), dict(size=1, alpha=1.0, beta=1.0, k=0.5, alpha_mode='sum'), dict(size=4, alpha=0.3, beta=0.6, k=1.5, alpha_mode='mean'), dict(size=9, alpha=1.0, beta=0.75, k=1.0, alpha_mode='sum')]
    for cfg in configs:
        for shape in [(2, 3, 5, 6), (1, 2, 2, 3)]:
            x = (3 * rng.normal(size=shape)).astype('float32')
            with time_limit(60, 'LRN'):
                got = LRN(**cfg)(x)
            want = np.asarray(ref.LRN(**cfg)(x))
            expect_close(f'LRN({cfg}) on x of shape {shape}', got, want, rtol=1e-05, atol=1e-06)

