from otter.test_files import test_case

OK_FORMAT = False

name = "q7"
points = 4

@test_case(points=1, hidden=False)
def test_q7_public(receptive_field, stack_vs_single_params):
    from course_lib.checks import time_limit
    with time_limit(10, 'receptive_field / stack_vs_single_params'):
        got = receptive_field([(3, 1), (3, 1), (3, 1)])
        assert got == 7, f'receptive_field([(3, 1)] * 3): three 3x3 stride-1 convs see 7x7: expected 7, got {got!r}'
        got = receptive_field([])
        assert got == 1, f'receptive_field([]), no layers: expected 1, got {got!r}'
        got = tuple(stack_vs_single_params(1))
        assert got == (27, 49), f'stack_vs_single_params(1): expected (27, 49), got {got!r}'

@test_case(points=1.5, hidden=False, 
    failure_message="27 C^2 versus 49 C^2 weights; and 384 / 32 = 12 before the 7x7 conv")
def test_q7_params_and_score_map(stack_vs_single_params, SCORE_MAP_SIDE_384):
    from course_lib.checks import time_limit
    with time_limit(10, 'stack_vs_single_params'):
        for channels, want in [(64, (110592, 200704)), (3, (243, 441))]:
            got = tuple(stack_vs_single_params(channels))
            assert got == want, f'stack_vs_single_params({channels}) = (27 C^2, 49 C^2): expected {want}, got {got!r}'
    assert SCORE_MAP_SIDE_384 == 6, f'SCORE_MAP_SIDE_384: 384 / 32 = 12 positions, a 7x7 valid conv leaves 12 - 7 + 1: expected 6, got {SCORE_MAP_SIDE_384!r}'

