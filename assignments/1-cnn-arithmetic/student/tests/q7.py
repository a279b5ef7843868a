from otter.test_files import test_case

OK_FORMAT = False

name = "q7"
points = 4

@test_case(points=1, hidden=False)
def test_q7_public(receptive_field, stack_vs_single_params):
    from course_lib.grading import time_limit
    with time_limit(10, 'receptive_field / stack_vs_single_params'):
        assert receptive_field([(3, 1), (3, 1), (3, 1)]) == 7, 'three 3x3 stride-1 convs see 7x7'
        assert receptive_field([]) == 1
        assert tuple(stack_vs_single_params(1)) == (27, 49)

