"""Static scan of a submission for code that reaches into the grading machinery.

The grader runs a submission's code in the same interpreter as the tests (the tests must call
the student's functions), so a notebook could try to change what the tests see: replace
otter's runner or its result objects, patch ``numpy``/``keras``/``course_lib`` functions the
tests call, rewrite builtins, swap entries of ``sys.modules``, or find the grader's own objects
with ``gc`` or frame inspection. None of that has a place in an honest answer to these
assignments, so :func:`scan_notebook` flags it before the notebook runs:

* imports of modules that only serve such tricks (``gc``, ``inspect``, ``ctypes``,
  ``importlib``, ``builtins``, ``signal``, ``threading``, ``pickle``, ``unittest.mock``, ...),
  of otter's internals (``import otter`` for ``otter.Notebook`` is fine) and of the grading
  package itself (its ``design_rules``, ``fixed_training`` and ``time_limit`` helpers are fine);
* assignments to attributes or items of anything imported (``np.allclose = ...``,
  ``keras.ops.mean = ...``, ``TestFile.score = ...``, also through an alias ``m = np``), and
  ``del`` of them;
* ``exec``, ``eval``, ``compile``, ``__import__``, ``globals``, ``vars``, ``breakpoint``;
  ``getattr``/``setattr``/``delattr``/``hasattr`` with a name that is not a plain string
  literal (names built from pieces at run time) or that names a special attribute;
* special attributes other than the everyday ones (``__init__``, ``__name__``,
  ``__class__``...): ``__dict__``, ``__code__``, ``__globals__``, ``__subclasses__``,
  ``__builtins__``, frame attributes (``f_back``, ``f_globals``...);
* ``sys`` beyond reading ``sys.path``/``sys.version``/``sys.platform`` and testing
  ``"name" in sys.modules`` (what the Colab install cell does);
* ``os`` functions that start or signal processes (``os.system``, ``os.kill``, ``os.fork``...);
* classes that define comparison or conversion methods (``__eq__``, ``__bool__``,
  ``__array_ufunc__``, ``__getattr__``...): an answer that returns an "equal to everything"
  object would pass ``==`` checks without touching the machinery, so no layer but this one
  would see it.

The scan is one layer: the grader also re-runs the tests in a clean process and checks that
the machinery is intact there (:mod:`course_lib.grading._judge`), so a trick the scan misses
is still caught by the comparison of the two results.
"""

from __future__ import annotations

import ast
import dataclasses

__all__ = ["Finding", "scan_source", "scan_notebook"]

# Modules with no use in an answer here but every use in tampering with the grader.
_FORBIDDEN_MODULES = {
    "gc", "inspect", "ctypes", "importlib", "builtins", "__builtin__", "signal", "threading",
    "_thread", "multiprocessing", "concurrent", "subprocess", "pickle", "dill", "cloudpickle",
    "marshal", "copyreg", "types", "unittest", "mock", "pytest", "atexit", "code", "codeop",
    "runpy", "pdb", "bdb", "trace", "sysconfig", "site", "pty", "posix", "nt", "_ctypes",
    "faulthandler", "weakref", "zipimport", "pkgutil", "sitecustomize", "nbformat", "nbconvert",
    "jupyter_client", "ipykernel", "IPython", "psutil",
}
# Submodules of course_lib.grading that notebooks legitimately import.
_ALLOWED_GRADING = {"course_lib.grading.design_rules", "course_lib.grading.fixed_training",
                    "course_lib.grading.time_limit"}
_ALLOWED_GRADING_NAMES = {"time_limit", "CallTimeoutError", "CellTimeoutError"}
_FORBIDDEN_CALLS = {"exec", "eval", "compile", "__import__", "globals", "vars", "breakpoint"}
_NAME_ATTR_CALLS = {"getattr", "setattr", "delattr", "hasattr"}
_ALLOWED_DUNDERS = {
    "__init__", "__name__", "__qualname__", "__doc__", "__version__", "__class__", "__module__",
    "__call__", "__len__", "__iter__", "__next__", "__getitem__", "__setitem__", "__contains__",
    "__repr__", "__str__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__",
    "__hash__", "__enter__", "__exit__", "__array__", "__add__", "__sub__", "__mul__",
    "__truediv__", "__floordiv__", "__matmul__", "__neg__", "__abs__", "__float__", "__int__",
    "__bool__", "__new__", "__post_init__",
}
_FORBIDDEN_NAMES = {"__builtins__", "__import__", "__loader__", "__spec__", "__builtin__"}
_FRAME_ATTRS = {"f_back", "f_globals", "f_locals", "f_builtins", "f_code", "tb_frame",
                "gi_frame", "cr_frame", "ag_frame", "co_code", "co_consts"}
_SYS_ALLOWED = {"path", "version", "version_info", "platform", "stdout", "stderr", "exit",
                "maxsize", "float_info"}
_OS_FORBIDDEN_PREFIXES = ("system", "popen", "spawn", "exec", "fork", "kill", "posix_spawn",
                          "setpgid", "setsid", "dup", "putenv", "unsetenv", "chroot", "register_at_fork")
_OTTER_ALLOWED = {"Notebook"}
# Special methods that make an object pass comparisons it should fail (an answer that returns
# an "equal to everything" object instead of a number or an array).
_FAKE_VALUE_METHODS = {
    "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__float__", "__int__",
    "__index__", "__abs__", "__array__", "__array_ufunc__", "__array_function__", "__instancecheck__",
    "__subclasscheck__", "__getattr__", "__getattribute__",
}


@dataclasses.dataclass(frozen=True)
class Finding:
    """One construct the scan flags: where (cell index, line) and why."""

    cell: int
    line: int
    reason: str

    def __str__(self) -> str:
        where = f"cell {self.cell}, line {self.line}" if self.cell >= 0 else f"line {self.line}"
        return f"{where}: {self.reason}"


def _root_name(node: ast.AST) -> str | None:
    """The name an attribute/subscript chain starts from (``np`` for ``np.linalg.norm[0]``)."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def _module_forbidden(module: str) -> str | None:
    top = module.split(".")[0]
    if top in _FORBIDDEN_MODULES or module in _FORBIDDEN_MODULES:
        return f"imports `{module}`, which answers to this assignment do not need (it can change the grader)"
    if top == "otter" and module != "otter":
        return f"imports otter's internals (`{module}`); only `otter.Notebook` is for notebooks"
    if module == "course_lib.grading" or module.startswith("course_lib.grading."):
        if module not in _ALLOWED_GRADING:
            return f"imports the grader (`{module}`)"
    return None


class _Scanner(ast.NodeVisitor):
    def __init__(self) -> None:
        self.imported: dict[str, str] = {}  # local name -> module it came from
        self.findings: list[tuple[int, str]] = []

    def flag(self, node: ast.AST, reason: str) -> None:
        self.findings.append((getattr(node, "lineno", 0), reason))

    # imports ---------------------------------------------------------------------------
    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            reason = _module_forbidden(alias.name)
            if reason:
                self.flag(node, reason)
            local = alias.asname or alias.name.split(".")[0]
            self.imported[local] = alias.name if alias.asname else alias.name.split(".")[0]
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level:
            self.flag(node, "uses a relative import")
        reason = _module_forbidden(module)
        if module == "otter" and any(a.name not in _OTTER_ALLOWED for a in node.names):
            reason = "imports otter's internals; only `otter.Notebook` is for notebooks"
        if module == "course_lib.grading" and all(a.name in _ALLOWED_GRADING_NAMES for a in node.names):
            reason = None
        for alias in node.names:
            if alias.name == "*":
                self.flag(node, f"uses `from {module} import *`")
                continue
            sub_reason = _module_forbidden(f"{module}.{alias.name}") if module else None
            if module == "course_lib.grading" and alias.name in _ALLOWED_GRADING_NAMES:
                sub_reason = None
            if module in ("course_lib", "course_lib.grading") and sub_reason and not reason:
                reason = sub_reason
            self.imported[alias.asname or alias.name] = f"{module}.{alias.name}"
        if reason:
            self.flag(node, reason)
        self.generic_visit(node)

    # assignments to imported things ------------------------------------------------------
    def _check_target(self, target: ast.AST, verb: str) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._check_target(element, verb)
            return
        if isinstance(target, ast.Starred):
            self._check_target(target.value, verb)
            return
        if isinstance(target, (ast.Attribute, ast.Subscript)):
            root = _root_name(target)
            if root in self.imported:
                self.flag(target, f"{verb} `{ast.unparse(target)}`, part of `{self.imported[root]}` "
                                  "(changing imported code or data changes what the tests check)")

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._check_target(target, "assigns to")
        # An alias of something imported is as good as the import: `m = np` then `m.x = ...`.
        root = _root_name(node.value)
        if root in self.imported and isinstance(node.value, (ast.Name, ast.Attribute)):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    self.imported[target.id] = self.imported[root]
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._check_target(node.target, "assigns to")
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._check_target(node.target, "assigns to")
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._check_target(target, "deletes")
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name in _FAKE_VALUE_METHODS:
                self.flag(item, f"class `{node.name}` defines `{item.name}`: answers return plain numbers, "
                                "arrays and layers, not objects that decide how comparisons come out")
            elif isinstance(item, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id in _FAKE_VALUE_METHODS for t in item.targets):
                self.flag(item, f"class `{node.name}` sets a comparison method")
        self.generic_visit(node)

    # calls, names, attributes --------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name):
            if func.id in _FORBIDDEN_CALLS:
                self.flag(node, f"calls `{func.id}`, which runs or reaches code the scan cannot see")
            elif func.id in _NAME_ATTR_CALLS:
                name = node.args[1] if len(node.args) > 1 else None
                if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
                    self.flag(node, f"calls `{func.id}` with an attribute name computed at run time")
                elif name.value.startswith("__") and name.value not in _ALLOWED_DUNDERS:
                    self.flag(node, f"calls `{func.id}` on the special attribute `{name.value}`")
                elif func.id in ("setattr", "delattr") and _root_name(node.args[0]) in self.imported:
                    self.flag(node, f"calls `{func.id}` on `{ast.unparse(node.args[0])}`, which is imported code")
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in _FORBIDDEN_NAMES:
            self.flag(node, f"uses `{node.id}`")
        module = self.imported.get(node.id)
        if module is not None and isinstance(node.ctx, ast.Load) and _module_forbidden(module):
            # e.g. `subprocess` imported by an earlier cell (the kit's install cell) and used here
            self.flag(node, f"uses `{node.id}` (the module `{module}`, which answers do not need)")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        attr = node.attr
        if attr.startswith("__") and attr.endswith("__") and attr not in _ALLOWED_DUNDERS:
            self.flag(node, f"uses the special attribute `{attr}`")
        elif attr in _FRAME_ATTRS:
            self.flag(node, f"inspects frames or code objects (`.{attr}`)")
        root = self.imported.get(_root_name(node) or "")
        if isinstance(node.value, ast.Name) and root is not None:
            if root == "sys" and attr not in _SYS_ALLOWED and attr != "modules":
                self.flag(node, f"uses `sys.{attr}`")
            elif root == "os" and attr.startswith(_OS_FORBIDDEN_PREFIXES):
                self.flag(node, f"uses `os.{attr}`")
            elif root == "otter" and attr not in _OTTER_ALLOWED:
                self.flag(node, f"uses otter's internals (`otter.{attr}`)")
        self.generic_visit(node)

    def scan_modules_uses(self, tree: ast.AST) -> None:
        """``sys.modules`` anywhere except as the right side of ``in`` / ``not in``."""
        allowed = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and all(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
                allowed.update(id(c) for c in node.comparators)
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr == "modules" and id(node) not in allowed
                    and isinstance(node.value, ast.Name) and self.imported.get(node.value.id) == "sys"):
                self.flag(node, "uses `sys.modules` (only `\"name\" in sys.modules` is allowed)")


def _python_source(source: str) -> str:
    """Cell source as Python: IPython magics (``%pip``, ``!git``) become function calls."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:  # pragma: no cover - IPython comes with jupyter
        return source
    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - a cell IPython cannot read is scanned as it is
        return source


def scan_source(source: str, *, cell: int = -1, imported: dict | None = None) -> list[Finding]:
    """Findings for one piece of code (a cell); ``imported`` carries names across cells.

    Code that does not parse is not flagged (it fails when it runs).
    """
    try:
        tree = ast.parse(_python_source(source))
    except SyntaxError:
        return []
    scanner = _Scanner()
    if imported is not None:
        scanner.imported = imported
    scanner.visit(tree)
    scanner.scan_modules_uses(tree)
    seen, out = set(), []
    for line, reason in sorted(scanner.findings):
        if (line, reason) not in seen:
            seen.add((line, reason))
            out.append(Finding(cell, line, reason))
    return out


def scan_notebook(nb: dict, provided: frozenset[str] | set[str] = frozenset()) -> list[Finding]:
    """Findings for every code cell of a notebook (a parsed ``.ipynb``), in order.

    ``provided``: the sources of the code cells the kit itself gives students (the student
    notebook's cells, e.g. the Colab install cell, which imports ``subprocess``). A cell whose
    source is exactly one of them is the kit's own code: its findings are not reported, but its
    imports are still tracked, so later cells that use what it imported are judged by them. A
    changed copy of a provided cell is scanned like any other cell.
    """
    imported: dict[str, str] = {}
    out = []
    for index, cell in enumerate(nb.get("cells", []) if isinstance(nb, dict) else []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        findings = scan_source(source, cell=index, imported=imported)
        if source not in provided:
            out.extend(findings)
    return out
