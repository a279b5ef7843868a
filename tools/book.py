#!/usr/bin/env python
"""Build the course site: ``python tools/book.py [--out build/book]`` (``make book``).

A static HTML site (Sphinx + MyST-NB, the Jupyter Book theme; configuration in ``docs/``):

* the front page is ``README.md``;
* then the notebooks ``notebooks/NN_*.ipynb`` in order, with the outputs stored in them
  (commit them executed: ``tools/notebooks.py execute --budget quick``); nothing is executed
  here;
* then ``assignments/README.md`` and each assignment's student notebook
  (``assignments/*/student/*.ipynb``).

The pages are staged in ``<out>/../book-src`` (a copy, so the repository is never written
into): relative links to files that are not pages of the site (``course_lib/``,
``benchmarks/RESULTS.md``...) become links to the file on GitHub (``REPO_URL``), and images
that live on the web (the "Open in Colab" badge) become plain links, so that every image of
the site is a local file and the site works offline. The site opens at ``<out>/index.html``.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shutil
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
CONF_DIR = ROOT / "docs"
DEFAULT_OUT = ROOT / "build" / "book"

# [text](target) and ![alt](target), target without spaces; an optional "title" after it.
_LINK_RE = re.compile(r"(!?)\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]+)>?(\s+\"[^\"]*\")?\s*\)")
# A linked web image: [![alt](https://...)](target) -> [alt](target).
_WEB_IMAGE_LINK_RE = re.compile(r"\[!\[([^\]]*)\]\(https?://[^)]+\)\]\(([^)]+)\)")
_WEB_IMAGE_RE = re.compile(r"!\[([^\]]*)\]\((https?://[^)\s]+)[^)]*\)")


class BookError(RuntimeError):
    """The site cannot be built."""


def _notebook_tool():
    """tools/notebooks.py, loaded from its file (tools/ is not a package)."""
    name = "course_notebook_tool"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("notebooks.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def repo_url() -> str:
    """The kit's GitHub address (``REPO_URL`` of course_lib/notebook.py)."""
    return _notebook_tool().repo_url()


def pages(root: Path = ROOT) -> dict[str, list[Path]]:
    """The site's pages by part, as paths relative to ``root``, in reading order."""
    notebooks = sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    student = sorted((root / "assignments").glob("*/student/*.ipynb"))
    guide = [root / "assignments" / "README.md"] if (root / "assignments" / "README.md").exists() else []
    if not (root / "README.md").exists():
        raise BookError(f"{root / 'README.md'} is missing: it is the site's front page.")
    if not notebooks:
        raise BookError(f"no notebooks/NN_*.ipynb under {root}: build them first "
                        "(python tools/notebooks.py build).")
    rel = lambda paths: [p.relative_to(root) for p in paths]  # noqa: E731
    return {"front": [Path("README.md")], "Notebooks": rel(notebooks),
            "Assignments": rel(guide + student)}


def rewrite_markdown(text: str, where: Path, staged: set[Path], root: Path, url: str) -> str:
    """Make the markdown of ``where`` (relative to ``root``) work inside the site.

    Web images become text links; links to staged pages stay relative; other relative
    links point at the file on GitHub; local images are left alone (they are copied).
    """
    text = _WEB_IMAGE_LINK_RE.sub(r"[\1](\2)", text)
    text = _WEB_IMAGE_RE.sub(r"[\1](\2)", text)

    def fix(match: re.Match) -> str:
        bang, label, target, title = match.group(1), match.group(2), match.group(3), match.group(4) or ""
        if re.match(r"^[a-z][a-z0-9+.-]*:|^#|^/", target, re.IGNORECASE):
            return match.group(0)
        path, _, anchor = target.partition("#")
        resolved = Path(*(where.parent / path).parts)
        try:
            resolved = (root / resolved).resolve().relative_to(root.resolve())
        except ValueError:  # outside the repository: leave it
            return match.group(0)
        if bang or resolved in staged or resolved.with_suffix(".md") in staged:
            return match.group(0)
        kind = "tree" if (root / resolved).is_dir() else "blob"
        web = f"{url}/{kind}/main/{resolved.as_posix()}" + (f"#{anchor}" if anchor else "")
        return f"{bang}[{label}]({web}{title})"

    return _LINK_RE.sub(fix, text)


def _images(text: str, where: Path, root: Path) -> list[Path]:
    found = []
    for match in _LINK_RE.finditer(text):
        if match.group(1) and not re.match(r"^[a-z]+:", match.group(3)):
            path = Path(*(where.parent / match.group(3).partition("#")[0]).parts)
            if (root / path).is_file():
                found.append(path)
    return found


def _toctree(caption: str, docs: list[Path]) -> str:
    entries = "\n".join(d.with_suffix("").as_posix() for d in docs)
    return f"\n\n```{{toctree}}\n:caption: {caption}\n:hidden:\n:maxdepth: 1\n\n{entries}\n```\n"


def stage(src_dir: Path, root: Path = ROOT) -> dict[str, list[Path]]:
    """Copy the pages into ``src_dir`` (emptied first), links rewritten; returns the pages."""
    parts = pages(root)
    url = repo_url()
    staged = {p for paths in parts.values() for p in paths}
    if src_dir.exists():
        shutil.rmtree(src_dir)
    src_dir.mkdir(parents=True)
    for rel in sorted(staged):
        target = src_dir / ("index.md" if rel == Path("README.md") else rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        if rel.suffix == ".md":
            text = (root / rel).read_text(encoding="utf-8")
            images = _images(text, rel, root)
            text = rewrite_markdown(text, rel, staged, root, url)
            if rel == Path("README.md"):
                text += "".join(_toctree(c, d) for c, d in parts.items() if c != "front" and d)
            target.write_text(text, encoding="utf-8")
        else:
            nb = nbformat.read(str(root / rel), as_version=4)
            # Code cells may hold IPython syntax (!git, %pip): highlight them as IPython.
            nb.metadata.setdefault("language_info", {})["pygments_lexer"] = "ipython3"
            images = []
            for cell in nb.cells:
                if cell.cell_type == "markdown":
                    images += _images(cell.source, rel, root)
                    cell.source = rewrite_markdown(cell.source, rel, staged, root, url)
            nbformat.write(nb, str(target))
        for image in images:
            (src_dir / image).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / image, src_dir / image)
    return parts


def build(out: Path = DEFAULT_OUT, root: Path = ROOT, *, strict: bool = False) -> Path:
    """Stage the pages and run Sphinx; returns ``out/index.html``.

    Raises:
        BookError: Sphinx failed (or, with ``strict``, warned).
    """
    from sphinx.cmd.build import build_main

    out = Path(out).resolve()
    src_dir = out.parent / f"{out.name}-src"
    stage(src_dir, root)
    args = ["-b", "html", "-q", "-c", str(CONF_DIR), "-d", str(out.parent / f"{out.name}-doctrees"),
            str(src_dir), str(out)]
    if strict:
        args[:0] = ["-W", "--keep-going"]
    code = build_main(args)
    if code:
        raise BookError(f"sphinx-build failed with exit status {code} (messages above).")
    return out / "index.html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/book.py", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="output folder (default %(default)s)")
    parser.add_argument("--strict", action="store_true", help="fail on any Sphinx warning")
    args = parser.parse_args(argv)
    try:
        index = build(args.out, strict=args.strict)
    except BookError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"course site: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
