from otter.test_files import test_case

OK_FORMAT = False

name = "q1"
points = 4

@test_case(points=1, hidden=False)
def test_q1_examples_from_the_notes(conv_output_size, conv_params):
    from course_lib.checks import time_limit
    with time_limit(10, 'conv_output_size / conv_params'):
        got = conv_output_size(227, 11, 4, 0)
        assert got == 55, f'conv_output_size(227, 11, 4, 0) for AlexNet conv1, (227 - 11)/4 + 1: expected 55, got {got!r}'
        got = conv_output_size(32, 5, 1, 2)
        assert got == 32, f'conv_output_size(32, 5, 1, 2): a 32x32 input, 5x5 filters, P=2, S=1 keeps 32: expected 32, got {got!r}'
        got = conv_params(5, 3, 10)
        assert got == 760, f'conv_params(5, 3, 10): ten 5x5x3 filters with biases have 760 parameters: expected 760, got {got!r}'

@test_case(points=2, hidden=False, 
    failure_message="check the integer cases and that sizes that do not fit raise ValueError")
def test_q1_sizes_and_errors(conv_output_size):
    from course_lib.checks import time_limit
    with time_limit(10, 'conv_output_size'):
        cases = {(7, 3, 1, 0): 5, (7, 3, 2, 0): 3, (5, 3, 1, 1): 5, (224, 3, 1, 1): 224, (224, 2, 2, 0): 112, (1, 1, 1, 0): 1, (13, 3, 2, 0): 6, (6, 6, 1, 0): 1}
        for args, want in cases.items():
            got = conv_output_size(*args)
            assert got == want and isinstance(got, int), f'conv_output_size{args}: expected the int {want}, got {got!r} ({type(got).__name__})'
        for bad in [(7, 3, 3, 0), (10, 3, 2, 0), (3, 5, 1, 0), (0, 1, 1, 0), (5, 3, 0, 0), (5, 3, 1, -1), (5.0, 3, 1, 0)]:
            try:
                got = conv_output_size(*bad)
            except ValueError:
                continue
            raise AssertionError(f'conv_output_size{bad}: expected a ValueError (the size does not fit or is invalid), got {got!r}')

