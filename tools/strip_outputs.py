"""Strip chapter notebooks for committing: no outputs except the expected ones.

    python tools/strip_outputs.py                 # every notebook in chapters/
    python tools/strip_outputs.py chapters/05_regression.ipynb
    python tools/strip_outputs.py --check         # exit 1 if a notebook needs stripping

(`make strip` runs the first form with the project's Python.)

Rules, the same ones tests/test_notebook_hygiene.py checks:

* Every code cell loses its outputs and execution count: the book and nbval
  execute the notebooks themselves.
* Except a cell with a ``# NBVAL_CHECK_OUTPUT`` comment line: nbval compares
  what it prints with the output stored in the notebook, so that output is
  the expected value and is kept (text only: stdout and the ``text/plain`` of
  a result; images, HTML and stderr are dropped), with execution count 1
  (nbval refuses stored outputs of a cell that was never run).  Run the
  notebook once before stripping so that the stored output is the current one.
* Saved widget state and per-cell execution timings are dropped.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECK_MARKER = "NBVAL_CHECK_OUTPUT"


def is_check_cell(source: str) -> bool:
    """True for a cell nbval compares (a comment line ``# NBVAL_CHECK_OUTPUT``)."""
    for line in source.splitlines():
        line = line.strip()
        if line.startswith("#") and line.lstrip("#").strip() == CHECK_MARKER:
            return True
    return False


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _expected_outputs(outputs: list) -> list:
    kept = []
    for out in outputs:
        if out.get("output_type") == "stream" and out.get("name") == "stdout":
            kept.append(out)
        elif out.get("output_type") == "execute_result" and "text/plain" in out.get("data", {}):
            kept.append({"output_type": "execute_result", "execution_count": 1,
                         "metadata": {}, "data": {"text/plain": out["data"]["text/plain"]}})
    return kept


def strip(nb: dict) -> dict:
    nb.get("metadata", {}).pop("widgets", None)
    for cell in nb.get("cells", []):
        cell.get("metadata", {}).pop("execution", None)
        if cell.get("cell_type") != "code":
            continue
        if is_check_cell(_source(cell)):
            cell["outputs"] = _expected_outputs(cell.get("outputs", []))
            cell["execution_count"] = 1 if cell["outputs"] else None
        else:
            cell["outputs"] = []
            cell["execution_count"] = None
    return nb


def dumps(nb: dict) -> str:
    # The layout Jupyter itself writes: indent 1, sorted keys, real Unicode.
    return json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--check", action="store_true", help="only report; exit 1 if a notebook needs stripping")
    args = parser.parse_args(argv)
    return rewrite(args.notebooks, strip, args.check, "needs stripping: ", "stripped: ")


def rewrite(paths, transform, check, report_check, report_write) -> int:
    """Apply ``transform`` (notebook dict -> notebook dict) to each notebook (default: chapters/).

    Writes the notebooks that change, or with ``check`` only names them; prints one
    line per notebook that changes and returns the exit status (1: ``check`` found some).
    """
    paths = paths or sorted((ROOT / "chapters").glob("*.ipynb"))
    changed = []
    for path in paths:
        before = path.read_text(encoding="utf-8")
        after = dumps(transform(json.loads(before)))
        if after != before:
            changed.append(path)
            if not check:
                path.write_text(after, encoding="utf-8")
    for path in changed:
        print((report_check if check else report_write) + str(path))
    return 1 if (check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
