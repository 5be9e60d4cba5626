"""House rules for the chapter notebooks in chapters/.

Each notebook is a chapter of the book: it is listed in _toc.yml, committed
without outputs (the book and nbval execute it) except the expected output of
its ``# NBVAL_CHECK_OUTPUT`` cells, runs on the python3 kernel, imports bplib,
and does not re-define what another chapter defines (shared code belongs in
bplib).  ``make strip`` (tools/strip_outputs.py) puts a notebook in that shape.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from conftest import ROOT, toc_files

sys.path.insert(0, str(ROOT / "tools"))
from strip_outputs import is_check_cell, strip  # noqa: E402

CHAPTERS = ROOT / "chapters"
NOTEBOOKS = sorted(CHAPTERS.glob("*.ipynb"))
NAME = re.compile(r"^\d\d_[a-z0-9]+(_[a-z0-9]+)*\.ipynb$")


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(nb: dict) -> list[str]:
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in nb["cells"] if c["cell_type"] == "code"]


def python_source(cell: str) -> str:
    """A code cell without IPython magics and shell escapes, so that ast can parse it."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in cell.splitlines())


def top_level_definitions(nb: dict) -> set[str]:
    names = set()
    for cell in code_cells(nb):
        try:
            tree = ast.parse(python_source(cell))
        except SyntaxError:
            continue  # nbval reports real syntax errors
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
    return names


ids = [p.name for p in NOTEBOOKS]


def test_there_are_chapters():
    assert NOTEBOOKS, "chapters/ holds no notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_named_nn_slug(path):
    assert NAME.match(path.name), f"{path.name}: chapter notebooks are named NN_slug.ipynb (e.g. 05_regression.ipynb)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_listed_in_toc(path):
    entry = f"chapters/{path.stem}"
    assert entry in toc_files(), f"{path.name} is not in _toc.yml: add (or uncomment) '- file: {entry}'"


def test_toc_lists_only_existing_documents():
    missing = [f for f in toc_files()
               if not any((ROOT / f"{f}{suffix}").is_file() for suffix in (".md", ".ipynb"))]
    assert not missing, f"_toc.yml lists documents that do not exist: {missing}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_committed_without_outputs(path):
    nb = load(path)
    clean = strip(copy.deepcopy(nb))
    dirty = [i for i, (c, k) in enumerate(zip(nb["cells"], clean["cells"]))
             if c["cell_type"] == "code"
             and (c.get("outputs") != k["outputs"] or c.get("execution_count") != k["execution_count"])]
    assert not dirty, (
        f"{path.name}: cells {dirty} have outputs or execution counts; run `make strip` before committing "
        "(it keeps only the text output of # NBVAL_CHECK_OUTPUT cells)"
    )
    assert "widgets" not in nb.get("metadata", {}), f"{path.name}: saved widget state in the metadata; `make strip`"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_output_checks_have_expected_output(path):
    """A # NBVAL_CHECK_OUTPUT cell with no stored output would compare against nothing."""
    nb = load(path)
    empty = [i for i, c in enumerate(nb["cells"])
             if c["cell_type"] == "code" and is_check_cell("".join(c["source"])) and not c.get("outputs")]
    assert not empty, (
        f"{path.name}: cells {empty} are marked # NBVAL_CHECK_OUTPUT but store no expected output; "
        "run the notebook, then `make strip` (which keeps their output)"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_python3_kernel(path):
    spec = load(path).get("metadata", {}).get("kernelspec", {})
    assert spec.get("name") == "python3", f"{path.name}: kernelspec name is {spec.get('name')!r}, expected 'python3'"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_imports_bplib(path):
    source = "\n".join(code_cells(load(path)))
    assert re.search(r"^\s*(import bplib\b|from bplib\b)", source, re.MULTILINE), (
        f"{path.name} does not import bplib"
    )


def test_no_two_chapters_define_the_same_name():
    defined_in = defaultdict(list)
    for path in NOTEBOOKS:
        for name in top_level_definitions(load(path)):
            defined_in[name].append(path.name)
    clashes = {name: where for name, where in defined_in.items() if len(where) > 1}
    assert not clashes, (
        "functions or classes defined in more than one chapter (move them into bplib): "
        + "; ".join(f"{name} in {', '.join(where)}" for name, where in sorted(clashes.items()))
    )
