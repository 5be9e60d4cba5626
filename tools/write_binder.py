"""Write binder/requirements.txt: what Binder installs to open the chapters in JupyterLab.

    python tools/write_binder.py      # `make binder`; run it after `make lock`

Binder (repo2docker) reads ``binder/``: ``runtime.txt`` picks Python 3.11,
``requirements.txt`` is installed with pip, and ``postBuild`` installs bplib
itself from the clone (``pip install --no-deps -e .``, so that a reader's
edits to bplib take effect).  The requirements are the ``lab`` extra
of pyproject.toml (bplib's numpy, the widgets extra, JupyterLab, ipykernel)
and everything they pull in, each pinned to its version in
``requirements/constraints-py3.11.txt``: pip resolves ``.[lab]`` under those
constraints (a dry run, nothing is installed) and this script writes what it
would install.  tests/test_binder.py checks that the file and the pins agree.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
REQUIREMENTS = BINDER / "requirements.txt"
PYTHON = "3.11"  # binder/runtime.txt
CONSTRAINTS = ROOT / "requirements" / f"constraints-py{PYTHON}.txt"
EXTRA = "lab"


def normalize(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return name.lower().replace("_", "-").replace(".", "-")


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
        pins[normalize(name.strip())] = version.strip()
    return pins


def resolve(requirements: list[str], constraints: Path | None = None) -> dict[str, tuple[str, str]]:
    """What pip would install for ``requirements`` from scratch: ``{normalized: (name, version)}``."""
    cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
           "--disable-pip-version-check", "--no-input", "--report", "-"]
    if constraints is not None:
        cmd += ["-c", str(constraints)]
    proc = subprocess.run(cmd + requirements, cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"pip could not resolve {requirements}:\n{proc.stderr[-3000:]}")
    report = json.loads(proc.stdout)
    return {normalize(item["metadata"]["name"]): (item["metadata"]["name"], item["metadata"]["version"])
            for item in report["install"]}


def main() -> int:
    if "%d.%d" % sys.version_info[:2] != PYTHON:
        raise SystemExit(f"write_binder.py resolves for Binder's Python {PYTHON}; run it with a Python {PYTHON}")
    pins = read_pins(CONSTRAINTS)
    resolved = resolve([f".[{EXTRA}]"], CONSTRAINTS)
    resolved.pop("bplib")
    unpinned = sorted(name for name, (_, version) in resolved.items() if pins.get(name) != version)
    if unpinned:
        raise SystemExit(f"not pinned in {CONSTRAINTS.relative_to(ROOT)}: {unpinned}; run `make lock` first")
    lines = [
        f"# What Binder installs for the chapters: the '{EXTRA}' extra of pyproject.toml and its",
        f"# dependencies, pinned as in requirements/constraints-py{PYTHON}.txt.  Written by",
        "# `make binder` (tools/write_binder.py); do not edit.  bplib itself: binder/postBuild.",
        "",
    ]
    lines += [f"{name}=={version}" for name, version in sorted(resolved.values(), key=lambda nv: nv[0].lower())]
    BINDER.mkdir(exist_ok=True)
    REQUIREMENTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(resolved)} pins to {REQUIREMENTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
