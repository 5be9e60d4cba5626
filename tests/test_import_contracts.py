"""The core and the course, apart: the import-linter contracts of pyproject.toml hold, and can break.

The contracts say that no module of the core imports ``bplib.course`` (and that
every new module of bplib is placed in one or the other), that ``import bplib``
does not import the course, that the course uses the core's public modules only,
and that the core needs no plotting, widget, data-set or deep-learning package.
Each is checked on the real package, and each is broken once on a copy of it,
so that a contract that no longer sees anything would fail here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT

LINT = ("import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(no_cache=True, no_logo=True))")

CONTRACT_NAMES = {
    "core-below-course": "No core module imports the course",
    "package-without-course": "import bplib does not import the course",
    "course-uses-public-core": "The course uses the core's public modules only",
    "core-needs-numpy-only": "The core needs no plotting, widget, data-set or deep-learning package",
}


def lint(root):
    """Run import-linter with the pyproject.toml in ``root`` on the bplib in ``root``: (exit code, report)."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.run([sys.executable, "-c", LINT], cwd=root, env=env, capture_output=True, text=True,
                          timeout=300)
    return proc.returncode, proc.stdout + proc.stderr


def test_the_contracts_hold():
    code, report = lint(ROOT)
    assert code == 0, report
    for name in CONTRACT_NAMES.values():
        assert f"{name} KEPT" in report, report


# Each change and the contracts it breaks: (file inside bplib, line appended, the contracts it breaks).
# bplib imports bplib.losses, so the course imported there is imported by ``import bplib`` too.
BREAKS = {
    "a core module imports the course": (
        "losses.py", "from bplib.course import bugs", {"core-below-course", "package-without-course"}),
    "a core module imports a course module indirectly": (
        "engine.py", "from bplib.course.exercises import ch03", {"core-below-course"}),
    "a new module that is neither core nor course": ("helpers.py", "import numpy", {"core-below-course"}),
    "the package imports the course": ("__init__.py", "from .course import exercises", {"package-without-course"}),
    "the course imports a private core module": (
        "course/plots.py", "from bplib._checks import check_batch", {"course-uses-public-core"}),
    "the core imports matplotlib": ("functions.py", "import matplotlib.pyplot as plt", {"core-needs-numpy-only"}),
}


@pytest.mark.parametrize("change", list(BREAKS))
def test_each_contract_can_break(change, tmp_path):
    path, line, contracts = BREAKS[change]
    shutil.copytree(ROOT / "bplib", tmp_path / "bplib", ignore=shutil.ignore_patterns("__pycache__", "embedded"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    code, report = lint(tmp_path)
    assert code == 0, f"the unchanged copy should keep every contract:\n{report}"
    with open(tmp_path / "bplib" / path, "a", encoding="utf-8") as f:
        f.write(f"\n{line}\n")
    code, report = lint(tmp_path)
    assert code != 0, f"{change}: no contract broke\n{report}"
    broken = {key for key, name in CONTRACT_NAMES.items() if f"{name} BROKEN" in report}
    assert broken == contracts, f"{change}: expected {sorted(contracts)} broken, got {sorted(broken)}\n{report}"
