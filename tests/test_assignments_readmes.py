"""The two assignment READMEs (instructor and student) agree on which notebooks prepare each
assignment, and assignment 2's list names the notebooks that teach its three layers; the
student README describes data/ as what it holds."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _instructor_table() -> dict[int, set[str]]:
    text = (REPO / "assignments" / "README.md").read_text(encoding="utf-8")
    out = {}
    for row in re.findall(r"^\| `(\d)-[\w-]+/` \|(.*)$", text, re.M):
        cells = [c.strip() for c in row[1].split("|")]
        out[int(row[0])] = set(re.findall(r"\b0\d\b", cells[3]))  # the "prepared by" column
    return out


def _student_table() -> dict[int, set[str]]:
    text = (REPO / "assignments" / "STUDENT_README.md").read_text(encoding="utf-8")
    out = {}
    for number, prepared in re.findall(r"^\| (\d) \u2014 [^|]+\|([^|]+)\|", text, re.M):
        out[int(number)] = set(re.findall(r"\b0\d\b", prepared))
    return out


def test_both_readmes_name_the_same_preparing_notebooks():
    instructor, student = _instructor_table(), _student_table()
    assert sorted(instructor) == sorted(student) == [1, 2, 3]
    assert instructor == student
    for numbers in instructor.values():
        for n in numbers:
            assert list((REPO / "notebooks").glob(f"{n}_*.ipynb")), n


def test_assignment_2_is_prepared_by_the_notebooks_that_teach_its_layers():
    teaching = {}
    for layer in ("LocalResponseNormalization", "RecurrentConv2D", "SAFPooling2D"):
        first = sorted(p.name[:2] for p in (REPO / "notebooks" / "src").glob("0*.py")
                       if f"from course_lib.layers import {layer}" in p.read_text("utf-8"))
        assert first, layer
        teaching[layer] = first[0]
    assert teaching == {"LocalResponseNormalization": "03", "RecurrentConv2D": "05",
                        "SAFPooling2D": "06"}
    assert _instructor_table()[2] == set(teaching.values())


def test_student_readme_says_what_data_holds():
    text = (REPO / "assignments" / "STUDENT_README.md").read_text(encoding="utf-8")
    (line,) = [l for l in text.splitlines() if l.startswith("data/")]
    assert "Fashion-MNIST" in line and "published results" not in line
    assert (REPO / "data" / "fashion-mnist").is_dir()
