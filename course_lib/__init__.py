"""course_lib: the library behind the CNN Architecture Course Kit."""

__version__ = "0.1.0"
