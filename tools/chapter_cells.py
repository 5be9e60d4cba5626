"""Put chapter notebooks in their committed shape: stripped, and with the cells every chapter starts with.

    python -m tools.chapter_cells                 # every notebook in chapters/ (`make strip`)
    python -m tools.chapter_cells chapters/10_pytorch.ipynb
    python -m tools.chapter_cells --check         # exit 1 if a notebook is not in shape

First nbstripout strips every output and execution count, except the outputs
of cells with the metadata ``"keep_output": true``: the expected text of the
cells marked ``# NBVAL_CHECK_OUTPUT``, which nbval compares.  nbval compares
only cells that were run, so such a cell then gets execution count 1.
Then two cells, both generated, never edited by hand:

* **The first code cell**, the same in every chapter.  It imports bplib; where
  bplib is missing (a downloaded notebook, Colab) it shows one line saying how
  to get it instead of a traceback, and stops there: Jupyter's "Run All" runs
  no further cell after an error, so the reader does not get one NameError
  per cell.  When the book's home (``repository.url`` in ``_config.yml``, see
  tools/book_home.py) is set, the cell first tries ``%pip install`` from
  there, which is what makes Colab work.  Tagged ``remove-cell``: the HTML book
  does not show it.  A notebook whose first code cell is not this cell gets it
  inserted in front (a new chapter); an older version of it is replaced.
* **The notation cell**, only in chapters whose markdown uses the book's
  MathJax macros (``\\R``, ``\\vec``, ...; the list is in ``_config.yml``).  The
  HTML book defines them in its MathJax configuration; JupyterLab and Colab do
  not, so this hidden markdown cell defines them with ``\\newcommand``.  It sits
  right after the chapter's title cell (tagged ``remove-cell``).

tests/test_notebook_hygiene.py checks that every chapter is what this tool makes of it.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from tools.book_home import CONFIG, home, pip_requirement

ROOT = Path(__file__).resolve().parent.parent
#: How `make strip` runs nbstripout: cell ids stay (chapter_cells and the tests name cells by them).
NBSTRIPOUT = [sys.executable, "-m", "nbstripout", "--keep-id"]
CHECK_MARKER = "NBVAL_CHECK_OUTPUT"

FIRST_CELL_MARKER = "# The same first cell in every chapter"
FIRST_CELL_ID = "bplib-first-cell"
NOTATION_MARKER = "<!-- The book's notation, for Jupyter (tools/chapter_cells.py writes this cell) -->"
NOTATION_ID = "book-notation"
HIDDEN = {"tags": ["remove-cell"]}


# ----------------------------------------------------------------------- the cells
def missing_message(url: str = "", branch: str = "main") -> str:
    """The one line a reader without bplib sees."""
    if url:
        how = f"pip install '{pip_requirement(url, branch)}'"
    else:
        how = "run pip install '.[widgets]' in the book's source folder"
    return f"This chapter needs bplib, the book's library: {how}, then restart the kernel."


def first_cell(url: str = "", branch: str = "main") -> str:
    """The source of every chapter's first code cell, for the book's home ``url`` (``""``: unset)."""
    lines = [FIRST_CELL_MARKER + ": it loads bplib, the book's library."]
    if url:
        lines += [
            "try:",
            "    import bplib",
            "except ModuleNotFoundError:  # a downloaded notebook, Colab: install it from the book's home",
            f"    %pip install --quiet {json.dumps(pip_requirement(url, branch))}",
            "    import importlib",
            "    importlib.invalidate_caches()",
        ]
    lines += [
        "try:",
        "    import bplib",
        "except ModuleNotFoundError as missing:  # say how to get it, not a traceback; Run All stops here",
        "    missing._render_traceback_ = lambda: [",
        f"        {json.dumps(missing_message(url, branch))}]",
        "    raise",
    ]
    return "\n".join(lines)


def book_macros(config_path: Path = CONFIG) -> dict[str, object]:
    """The MathJax macros the HTML book defines (``sphinx.config.mathjax3_config`` in _config.yml)."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    return config["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"]


def notation_cell(macros: dict[str, object]) -> str:
    """A markdown cell that defines ``macros`` (MathJax's configuration format) with \\newcommand."""
    defs = []
    for name, body in macros.items():
        if isinstance(body, list):
            body, nargs = body
            defs.append(f"\\newcommand{{\\{name}}}[{nargs}]{{{body}}}")
        else:
            defs.append(f"\\newcommand{{\\{name}}}{{{body}}}")
    return NOTATION_MARKER + "\n$" + " ".join(defs) + "$"


def uses_macros(source: str, macros) -> list[str]:
    """The macros of ``macros`` that a markdown source uses (``\\L`` but not ``\\Lambda``)."""
    return [name for name in macros if re.search(r"\\" + re.escape(name) + r"(?![A-Za-z])", source)]


def is_check_cell(source: str) -> bool:
    """True for a cell nbval compares (a comment line ``# NBVAL_CHECK_OUTPUT``)."""
    return any(line.strip().startswith("#") and line.strip().lstrip("#").strip() == CHECK_MARKER
               for line in source.splitlines())


# ------------------------------------------------------------------- the notebook
def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _set_source(cell: dict, text: str) -> None:
    cell["source"] = text.splitlines(keepends=True)


def _new_cell(kind: str, cell_id: str, text: str, ids: set[str]) -> dict:
    base, n = cell_id, 1
    while cell_id in ids:
        n += 1
        cell_id = f"{base}-{n}"
    cell = {"cell_type": kind, "id": cell_id, "metadata": json.loads(json.dumps(HIDDEN))}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    _set_source(cell, text)
    return cell


def apply(nb: dict, url: str, branch: str, macros: dict[str, object]) -> dict:
    """Put the first code cell and (where needed) the notation cell into ``nb``, in place."""
    cells = nb["cells"]
    ids = {c.get("id") for c in cells}

    # The first code cell.
    code_at = next((i for i, c in enumerate(cells) if c["cell_type"] == "code"), len(cells))
    want = first_cell(url, branch)
    if code_at < len(cells) and _source(cells[code_at]).startswith(FIRST_CELL_MARKER):
        cell = cells[code_at]
        if _source(cell) != want:
            _set_source(cell, want)
        cell.setdefault("metadata", {})["tags"] = list(HIDDEN["tags"])
    else:
        cells.insert(code_at, _new_cell("code", FIRST_CELL_ID, want, ids))

    # The notation cell: present exactly when the markdown uses a macro.
    old = [i for i, c in enumerate(cells) if c["cell_type"] == "markdown" and _source(c).startswith(NOTATION_MARKER)]
    kept = cells[old[0]] if old else None
    for i in reversed(old):
        del cells[i]
    used = any(uses_macros(_source(c), macros) for c in cells if c["cell_type"] == "markdown")
    if used:
        cell = kept or _new_cell("markdown", NOTATION_ID, "", ids)
        _set_source(cell, notation_cell(macros))
        cell.setdefault("metadata", {})["tags"] = list(HIDDEN["tags"])
        # Right after the title cell, unless the title itself uses a macro.
        title_uses = cells and cells[0]["cell_type"] == "markdown" and uses_macros(_source(cells[0]), macros)
        cells.insert(0 if (not cells or title_uses or cells[0]["cell_type"] != "markdown") else 1, cell)

    # nbval compares only cells that were run: a kept output needs an execution count.
    for cell in cells:
        if cell["cell_type"] == "code" and cell.get("metadata", {}).get("keep_output") and cell.get("outputs"):
            cell["execution_count"] = 1
    return nb


def dumps(nb: dict) -> str:
    """The layout Jupyter and nbstripout write: indent 1, sorted keys, real Unicode."""
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def stripped(paths: list[Path]) -> dict[Path, dict]:
    """What nbstripout makes of each notebook (read from copies; the files are not touched)."""
    with tempfile.TemporaryDirectory() as tmp:
        copies = []
        for i, path in enumerate(paths):
            copies.append(Path(tmp, f"{i}_{path.name}"))
            shutil.copyfile(path, copies[-1])
        if copies:
            subprocess.run(NBSTRIPOUT + [str(c) for c in copies], check=True)
        return {path: json.loads(copy.read_text(encoding="utf-8")) for path, copy in zip(paths, copies)}


def in_shape(paths: list[Path]) -> dict[Path, str]:
    """Each notebook as `make strip` writes it: stripped by nbstripout, then the book's cells."""
    url, branch = home()
    macros = book_macros()
    return {path: dumps(apply(nb, url, branch, macros)) for path, nb in stripped(paths).items()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--check", action="store_true", help="only report; exit 1 if a notebook needs changes")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "chapters").glob("*.ipynb"))
    changed = []
    for path, after in in_shape(paths).items():
        if after != path.read_text(encoding="utf-8"):
            changed.append(path)
            if not args.check:
                path.write_text(after, encoding="utf-8")
            print(("not in shape (run `make strip`): " if args.check else "wrote: ") + str(path))
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
