"""What Binder (repo2docker) builds the chapters' JupyterLab from: binder/.

Checked offline, or nearly (the last test asks pip's index, through its cache):
the files exist, every version in binder/requirements.txt is the one pinned
in requirements/constraints-py3.11.txt (Binder runs Python 3.11), the file
covers what the chapters need, and pip can install it: resolving the file
together with bplib's ``lab`` extra adds nothing and changes nothing.
"""

from __future__ import annotations

import os
import sys

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser under its old name
    import tomli as tomllib

import pytest
from packaging.requirements import Requirement

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
from write_binder import CONSTRAINTS, EXTRA, PYTHON, REQUIREMENTS, normalize, read_pins, resolve  # noqa: E402

BINDER = ROOT / "binder"


def test_binder_files_exist():
    assert REQUIREMENTS.is_file(), "binder/requirements.txt is missing: run `make binder`"
    assert (BINDER / "runtime.txt").read_text().strip() == f"python-{PYTHON}"
    post_build = BINDER / "postBuild"
    assert post_build.is_file() and os.access(post_build, os.X_OK), "binder/postBuild must be an executable script"
    assert "pip install --no-deps -e ." in post_build.read_text(), "postBuild must install bplib from the clone"


def test_binder_pins_are_the_projects_pins():
    binder, pinned = read_pins(REQUIREMENTS), read_pins(CONSTRAINTS)
    assert binder, "binder/requirements.txt pins nothing"
    wrong = {name: (version, pinned.get(name)) for name, version in binder.items() if pinned.get(name) != version}
    assert not wrong, (f"binder/requirements.txt disagrees with {CONSTRAINTS.name} (binder, project): {wrong}; "
                       "run `make binder`")


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
            needed.add(normalize(req.name))
    missing = sorted(needed - set(read_pins(REQUIREMENTS)))
    assert not missing, f"binder/requirements.txt lacks {missing}; run `make binder`"


def test_pip_installs_binder_requirements_with_bplib():
    if "%d.%d" % sys.version_info[:2] != PYTHON:
        pytest.skip(f"pip resolves for the running Python; Binder's is {PYTHON}")
    binder = read_pins(REQUIREMENTS)
    resolved = resolve(["-r", str(REQUIREMENTS), f".[{EXTRA}]"])
    assert resolved.pop("bplib")[1]
    versions = {name: version for name, (_, version) in resolved.items()}
    extra = sorted(set(versions) - set(binder))
    assert not extra, f"installing binder/requirements.txt and bplib[{EXTRA}] also pulls in {extra}: `make binder`"
    assert versions == binder
