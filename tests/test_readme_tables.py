"""The README's notebook times are generated (tools/readme_tables.py) and cannot drift from the
committed notebooks, and the tool's map of what each notebook trains follows the notebooks."""

import re
from pathlib import Path
from repo_scripts import load_script

REPO = Path(__file__).resolve().parents[1]


def _tool():
    return load_script("tools/readme_tables.py")


def test_readme_times_table_is_the_generated_one():
    tool = _tool()
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- notebook-times:start -->\n(.*?)\n<!-- notebook-times:end -->",
                      text, re.S)
    assert block, "README.md lost its generated notebook-times block"
    assert block[1] == tool.times_table().rstrip(), (
        "README.md's notebook times differ from the notebooks' metadata: run "
        "python tools/readme_tables.py")


def test_every_notebook_is_mapped_with_the_experiments_it_trains():
    tool = _tool()
    sources = sorted((REPO / "notebooks" / "src").glob("*.py"))
    assert {p.stem for p in sources} == set(tool.NOTEBOOK_RUNS)
    for path in sources:
        called = set(re.findall(r"run_experiment\(\s*\"([a-z0-9-]+)\"", path.read_text()))
        mapped = {experiment for experiment, *_ in tool.NOTEBOOK_RUNS[path.stem]}
        code = "\n".join(line for line in path.read_text().splitlines()
                         if not line.lstrip().startswith("#"))  # not the exercises' calls
        trains_shipped = {experiment for experiment, _, _, shipped in tool.NOTEBOOK_RUNS[path.stem]
                          if shipped == "train"}
        assert trains_shipped == set(re.findall(
            r"run_experiment\(\s*\"([a-z0-9-]+)\"[^)]*shipped=\"train\"", code)), (
            path.stem, trains_shipped)
        # 06 calls run_experiment("simpnet") only for models quick does not train: at quick
        # its slim SimpNet is simpnet-principles' SimpNet-Slim-600K-SAF, read from that record
        assert mapped == called - {"simpnet"}, (path.stem, mapped, called)
