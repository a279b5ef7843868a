"""Assignment 2's "write it yourself" rule: answers may not use ``course_lib.layers``."""

from __future__ import annotations

import ast
import inspect
import textwrap
import types

__all__ = ["assert_own_code"]

_FORBIDDEN = "course_lib.layers"


def _is_forbidden(value) -> bool:
    if isinstance(value, types.ModuleType):
        name = value.__name__
        return name == _FORBIDDEN or name.startswith(_FORBIDDEN + ".")
    module = getattr(value, "__module__", None)
    return isinstance(module, str) and (module == _FORBIDDEN or module.startswith(_FORBIDDEN + "."))


def _functions(obj) -> list[types.FunctionType]:
    if isinstance(obj, types.FunctionType):
        return [obj]
    out = []
    if isinstance(obj, type):
        for member in vars(obj).values():
            member = getattr(member, "__func__", member)
            if isinstance(member, property):
                member = member.fget
            if isinstance(member, types.FunctionType):
                out.append(member)
    return out


def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _ast_problems(obj) -> list[str]:
    try:
        source = textwrap.dedent(inspect.getsource(obj))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, IndentationError):
        return []
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            problems += [f"imports {a.name}" for a in node.names if a.name.startswith(_FORBIDDEN)]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith(_FORBIDDEN) or (
                    node.module == "course_lib" and any(a.name == "layers" for a in node.names)):
                problems.append(f"imports from {node.module}")
        elif isinstance(node, ast.Attribute) and node.attr == "layers":
            if isinstance(node.value, ast.Name) and node.value.id == "course_lib":
                problems.append("uses course_lib.layers")
    return problems


def assert_own_code(answer, name: str) -> None:
    """Raise ``AssertionError`` when ``answer`` imports, subclasses or calls ``course_lib.layers``."""
    message = (
        f"{name} must be your own implementation: it {{}}, which is course_lib.layers' reference "
        "implementation. Write the layer with keras.layers.Layer and keras.ops instead."
    )
    if answer is None:
        return  # the test itself reports the missing answer
    if _is_forbidden(answer):
        raise AssertionError(message.format(f"is {answer.__module__}.{getattr(answer, '__name__', name)}"))
    if isinstance(answer, type):
        for base in answer.__mro__[1:]:
            if _is_forbidden(base):
                raise AssertionError(message.format(f"subclasses {base.__module__}.{base.__name__}"))
    problems = _ast_problems(answer)
    if problems:
        raise AssertionError(message.format(problems[0]))
    for func in _functions(answer):
        for used in sorted(_code_names(func.__code__)):
            value = func.__globals__.get(used)
            if value is not None and _is_forbidden(value):
                what = getattr(value, "__name__", used)
                raise AssertionError(message.format(f"calls {what} (from {_FORBIDDEN}) in {func.__name__}"))
