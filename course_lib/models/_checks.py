"""Argument checks shared by the zoo's builders."""


def check_common(num_classes, input_shape, dropout=0.0) -> tuple:
    """Validate the arguments every classifier builder takes; return ``input_shape`` as a tuple.

    Raises:
        ValueError: ``num_classes`` is not a positive integer, ``input_shape`` is not
            (height, width, channels), or ``dropout`` is outside [0, 1).
    """
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(
            f"`num_classes` must be a positive integer. Received: num_classes={num_classes!r}"
        )
    input_shape = tuple(input_shape)
    if len(input_shape) != 3:
        raise ValueError(
            "`input_shape` must be (height, width, channels). "
            f"Received: input_shape={input_shape!r}"
        )
    if not 0.0 <= float(dropout) < 1.0:
        raise ValueError(f"`dropout` must be in [0, 1). Received: dropout={dropout!r}")
    return input_shape
