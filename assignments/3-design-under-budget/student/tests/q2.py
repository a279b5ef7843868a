from otter.test_files import test_case

OK_FORMAT = False

name = "q2"
points = 4

@test_case(points=1, hidden=False)
def test_q2_public_all_rules(build_model):
    from course_lib.grading import time_limit
    from course_lib.grading.design_rules import check_design
    with time_limit(180, 'build_model and check_design'):
        report = check_design(build_model())
    assert report.passed, 'rules not met:\n' + '\n'.join((f'{r.rule}: {r.message}' for r in report.failed()))

@test_case(points=1, hidden=False, 
    failure_message="no 1x1 convolution among the first three convolution layers")
def test_q2_locality(build_model):
    from course_lib.grading import time_limit
    from course_lib.grading.design_rules import check_design
    with time_limit(180, 'build_model and check_design'):
        failed = check_design(build_model()).failed('locality')
    assert not failed, failed[0].message if failed else ''

