from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = 4

@test_case(points=1, hidden=False)
def test_q2_public_all_rules(build_model):
    from course_lib.checks import time_limit
    from course_lib.checks.design_rules import check_design
    with time_limit(180, 'build_model and check_design'):
        report = check_design(build_model())
    expected = {'parameters': 'at most 60,000 parameters', 'compute': 'at most 15,000,000 multiply-accumulates per image', 'locality': 'no 1x1 convolution among the first 3 convolution layers', 'no early pooling': 'the first 2 convolution layers at the full 32x32 resolution', 'receptive field': 'a last feature map whose receptive field covers the 32x32 input'}
    assert report.passed, 'rules not met:\n' + '\n'.join((f"{r.rule} rule: expected {expected.get(r.rule, 'the rule met')}, got {r.message}" for r in report.failed()))

@test_case(points=1, hidden=False, 
    failure_message="no 1x1 convolution among the first three convolution layers")
def test_q2_locality(build_model):
    from course_lib.checks import time_limit
    from course_lib.checks.design_rules import check_design
    with time_limit(180, 'build_model and check_design'):
        failed = check_design(build_model()).failed('locality')
    assert not failed, 'locality rule: expected no 1x1 convolution among the first 3 convolution layers, got ' + (failed[0].message if failed else '')

