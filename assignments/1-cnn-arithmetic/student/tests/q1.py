from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = 4

@test_case(points=1, hidden=False)
def test_q1_examples_from_the_notes(conv_output_size, conv_params):
    from course_lib.grading import time_limit
    with time_limit(10, 'conv_output_size / conv_params'):
        assert conv_output_size(227, 11, 4, 0) == 55, 'AlexNet conv1: (227 - 11)/4 + 1 = 55'
        assert conv_output_size(32, 5, 1, 2) == 32, '32x32 input, 5x5 filters, P=2, S=1 keeps 32'
        assert conv_params(5, 3, 10) == 760, 'ten 5x5x3 filters with biases have 760 parameters'

