"""The pinned versions (requirements/) and what Binder (repo2docker) builds the chapters' JupyterLab from (binder/).

`make lock` writes all three files with ``uv pip compile`` from pyproject.toml.
Checked: the binder files exist, every version in binder/requirements.txt is
the one pinned in requirements/constraints-py3.11.txt (Binder runs Python
3.11), the file covers what the chapters need, and each file is what
`make lock` resolves now: resolving again, with the file's own pins preferred,
changes nothing (this asks the package index, through uv's cache).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser under its old name
    import tomli as tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import ROOT

BINDER = ROOT / "binder"
REQUIREMENTS = BINDER / "requirements.txt"
PYTHON = "3.11"  # binder/runtime.txt
CONSTRAINTS = ROOT / "requirements" / f"constraints-py{PYTHON}.txt"
EXTRA = "lab"
#: What `make lock` runs for each file (the Makefile's LOCK lines, without the output file).
LOCKED = {
    ROOT / "requirements" / "constraints-py3.10.txt": ["--all-extras", "--python-version", "3.10"],
    CONSTRAINTS: ["--all-extras", "--python-version", PYTHON],
    REQUIREMENTS: ["--extra", EXTRA, "--python-version", PYTHON, "-c", str(CONSTRAINTS)],
}


def read_pins(path: Path) -> dict[str, str]:
    """``{normalized name: version}`` from a file of ``name==version`` lines (comments skipped)."""
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, version = line.partition("==")
        if not sep:
            raise ValueError(f"{path.name}: {line!r} is not a name==version pin")
        pins[canonicalize_name(name.strip())] = version.strip()
    return pins


def test_binder_files_exist():
    assert REQUIREMENTS.is_file(), "binder/requirements.txt is missing: run `make lock`"
    assert (BINDER / "runtime.txt").read_text().strip() == f"python-{PYTHON}"
    post_build = BINDER / "postBuild"
    assert post_build.is_file() and os.access(post_build, os.X_OK), "binder/postBuild must be an executable script"
    assert "pip install --no-deps -e ." in post_build.read_text(), "postBuild must install bplib from the clone"


def test_binder_pins_are_the_projects_pins():
    binder, pinned = read_pins(REQUIREMENTS), read_pins(CONSTRAINTS)
    assert binder, "binder/requirements.txt pins nothing"
    wrong = {name: (version, pinned.get(name)) for name, version in binder.items() if pinned.get(name) != version}
    assert not wrong, (f"binder/requirements.txt disagrees with {CONSTRAINTS.name} (binder, project): {wrong}; "
                       "run `make lock`")


def test_binder_has_what_the_chapters_need():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    needed = set()
    specs = project["dependencies"] + project["optional-dependencies"][EXTRA]
    while specs:
        req = Requirement(specs.pop())
        if req.name == "bplib":  # bplib[widgets]: that extra's packages (and the extras it names)
            for extra in req.extras:
                specs += project["optional-dependencies"][extra]
        else:
            needed.add(canonicalize_name(req.name))
    missing = sorted(needed - set(read_pins(REQUIREMENTS)))
    assert not missing, f"binder/requirements.txt lacks {missing}; run `make lock`"


@pytest.mark.parametrize("locked", sorted(LOCKED), ids=lambda p: p.name)
def test_pins_are_what_make_lock_resolves(locked, tmp_path):
    uv = shutil.which("uv", path=str(Path(sys.executable).parent))
    if uv is None:
        pytest.skip("uv is not installed (the lock extra of pyproject.toml)")
    out = tmp_path / locked.name
    shutil.copyfile(locked, out)  # uv keeps the pins of the file it writes, where they still fit
    proc = subprocess.run([uv, "pip", "compile", "pyproject.toml", "--quiet", *LOCKED[locked], "-o", str(out)],
                          cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, f"uv could not resolve {locked.name}:\n{proc.stderr[-3000:]}"
    now, pinned = read_pins(out), read_pins(locked)
    changed = {n: (pinned.get(n), now.get(n)) for n in set(now) | set(pinned) if now.get(n) != pinned.get(n)}
    assert not changed, f"{locked.relative_to(ROOT)} is not what `make lock` resolves (pinned, now): {changed}"
