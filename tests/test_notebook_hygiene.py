"""House rules for the chapter notebooks in chapters/.

Each notebook is a chapter of the book: it is listed in _toc.yml, committed
without outputs (the book and nbval execute it) except the expected output of
its ``# NBVAL_CHECK_OUTPUT`` cells, runs on the python3 kernel, imports bplib,
and does not re-define what another chapter defines (shared code belongs in
bplib).  Its first code cell is the book's first cell (the same in every
chapter, written from the book's home in _config.yml), and a chapter whose
markdown uses the book's MathJax macros defines them for Jupyter in a hidden
notation cell.  ``make strip`` (nbstripout, then tools/chapter_cells.py) puts
a notebook in that shape.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from collections import defaultdict
from pathlib import Path

import pytest

from conftest import ROOT, toc_files
from tools.book_home import home
from tools.chapter_cells import (
    NOTATION_MARKER, apply, book_macros, first_cell, in_shape, is_check_cell, notation_cell, uses_macros,
)

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
HOME = home()
MACROS = book_macros()


def cell_source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def first_cell_problems(nb: dict) -> list[str]:
    """What is wrong with a notebook's first code cell (nothing: an empty list)."""
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    if not code:
        return ["it has no code cell"]
    problems = []
    if cell_source(code[0]) != first_cell(*HOME):
        problems.append("its first code cell is not the book's first cell (the same in every chapter, "
                        "see tools/chapter_cells.py)")
    if "remove-cell" not in code[0].get("metadata", {}).get("tags", []):
        problems.append("its first code cell is not tagged remove-cell")
    return problems


def notation_problems(nb: dict) -> list[str]:
    """What is wrong with a notebook's notation cell, which it needs if its markdown uses a book macro."""
    cells = nb["cells"]
    is_notation = [c["cell_type"] == "markdown" and cell_source(c).startswith(NOTATION_MARKER) for c in cells]
    users = [i for i, c in enumerate(cells)
             if c["cell_type"] == "markdown" and not is_notation[i] and uses_macros(cell_source(c), MACROS)]
    where = [i for i, flag in enumerate(is_notation) if flag]
    if not users:
        return ["it has a notation cell but uses none of the book's macros"] if where else []
    used = sorted({m for i in users for m in uses_macros(cell_source(cells[i]), MACROS)})
    if not where:
        return [f"its markdown uses the book's macros {used} (first in cell {users[0]}) but no cell defines "
                "them, so JupyterLab shows them as errors"]
    problems = []
    if len(where) > 1:
        problems.append(f"cells {where} are notation cells; one is enough")
    cell = cells[where[0]]
    if cell_source(cell) != notation_cell(MACROS):
        problems.append(f"its notation cell (cell {where[0]}) does not define the macros of _config.yml")
    if where[0] > users[0]:
        problems.append(f"its notation cell (cell {where[0]}) comes after the first use of a macro (cell {users[0]})")
    if "remove-cell" not in cell.get("metadata", {}).get("tags", []):
        problems.append(f"its notation cell (cell {where[0]}) is not tagged remove-cell")
    return problems


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


@pytest.fixture(scope="module")
def stripped() -> dict[Path, str]:
    """Every chapter as `make strip` would write it (nbstripout, then the book's cells)."""
    return in_shape(NOTEBOOKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_committed_as_make_strip_writes_it(path, stripped):
    nb, clean = load(path), json.loads(stripped[path])
    dirty = [i for i, (c, k) in enumerate(zip(nb["cells"], clean["cells"]))
             if c["cell_type"] == "code"
             and (c.get("outputs") != k["outputs"] or c.get("execution_count") != k["execution_count"])]
    assert not dirty, (
        f"{path.name}: cells {dirty} have outputs or execution counts; run `make strip` before committing "
        "(it keeps only the outputs of cells with the metadata \"keep_output\": true)"
    )
    assert "widgets" not in nb.get("metadata", {}), f"{path.name}: saved widget state in the metadata; `make strip`"
    assert stripped[path] == path.read_text(encoding="utf-8"), f"{path.name}: not as `make strip` writes it"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_output_checks_keep_their_output(path):
    """nbstripout keeps the outputs of cells with "keep_output": true, and only those: the checked ones."""
    cells = [c for c in load(path)["cells"] if c["cell_type"] == "code"]
    unkept = [i for i, c in enumerate(cells) if is_check_cell(cell_source(c)) and not c["metadata"].get("keep_output")]
    assert not unkept, (f"{path.name}: code cells {unkept} are marked # NBVAL_CHECK_OUTPUT but lack the cell "
                        "metadata \"keep_output\": true, so `make strip` drops their expected output")
    stray = [i for i, c in enumerate(cells) if c["metadata"].get("keep_output") and not is_check_cell(cell_source(c))]
    assert not stray, f"{path.name}: code cells {stray} keep their output but nbval does not check it"


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


# ------------------------------------------------------- the cells every chapter starts with
FIX = "run `make strip` (tools/chapter_cells.py writes these cells)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_first_code_cell_is_the_books(path):
    """The same first cell everywhere: it imports bplib, or says in one line how to get it."""
    problems = first_cell_problems(load(path))
    assert not problems, f"{path.name}: " + "; ".join(problems) + f"; {FIX}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_book_macros_are_defined_for_jupyter(path):
    problems = notation_problems(load(path))
    assert not problems, f"{path.name}: " + "; ".join(problems) + f"; {FIX}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_chapter_is_what_chapter_cells_makes_of_it(path):
    nb = load(path)
    assert apply(copy.deepcopy(nb), *HOME, MACROS) == nb, f"{path.name}: {FIX}"


def test_first_cell_follows_the_books_home():
    """The cell carries the home (Colab cannot read _config.yml); without a home it installs nothing."""
    url = "https://example.org/someone/book"
    assert "%pip install" not in first_cell("", "main")
    with_home = first_cell(url, "stable")
    assert f'%pip install --quiet "bplib[widgets] @ git+{url}@stable"' in with_home
    assert with_home.count("import bplib") == 2 and first_cell("", "main").count("import bplib") == 1


def test_notation_cell_defines_every_macro_of_the_book():
    cell = notation_cell(MACROS)
    for name, body in MACROS.items():
        args = f"[{body[1]}]" if isinstance(body, list) else ""
        definition = body[0] if isinstance(body, list) else body
        assert f"\\newcommand{{\\{name}}}{args}{{{definition}}}" in cell, name


def test_the_checks_catch_a_wrong_first_cell_and_a_missing_notation_cell():
    """The rules above can fail: break a chapter in memory and look."""
    nb = load(CHAPTERS / "00_how_to_use.ipynb")
    assert not first_cell_problems(nb) and not notation_problems(nb)
    first_code = next(c for c in nb["cells"] if c["cell_type"] == "code")

    edited = copy.deepcopy(nb)
    cell = next(c for c in edited["cells"] if c["cell_type"] == "code")
    cell["source"] = cell_source(first_code).replace("import bplib", "import bplib, os", 1)
    assert first_cell_problems(edited)

    untagged = copy.deepcopy(nb)
    next(c for c in untagged["cells"] if c["cell_type"] == "code")["metadata"] = {}
    assert first_cell_problems(untagged)

    imports_first = copy.deepcopy(nb)  # a chapter whose imports come before the book's cell
    at = imports_first["cells"].index(next(c for c in imports_first["cells"] if c["cell_type"] == "code"))
    imports_first["cells"].insert(at, {"cell_type": "code", "id": "x", "metadata": {}, "outputs": [],
                                       "execution_count": None, "source": "import numpy as np"})
    assert first_cell_problems(imports_first)

    no_notation = copy.deepcopy(nb)
    no_notation["cells"] = [c for c in no_notation["cells"] if not cell_source(c).startswith(NOTATION_MARKER)]
    assert notation_problems(no_notation)
    assert apply(copy.deepcopy(no_notation), *HOME, MACROS) == nb  # and make strip puts it back

    late = copy.deepcopy(nb)  # the notation cell moved to the end
    at = next(i for i, c in enumerate(late["cells"]) if cell_source(c).startswith(NOTATION_MARKER))
    late["cells"].append(late["cells"].pop(at))
    assert notation_problems(late)
