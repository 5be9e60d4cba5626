"""A chapter opened where bplib is not installed: one line on how to get it, not a traceback.

This is what a reader gets who downloads a chapter's ``.ipynb`` from the book
and opens it in their own Jupyter, or opens it in Colab.  Each chapter is
copied into an empty folder and run, the way JupyterLab's "Run All" runs it
(every cell sent at once, ``stop_on_error``), in a Python environment that has
Jupyter, numpy and matplotlib but not bplib: a scratch virtual environment
that sees this environment's packages through a ``.pth`` file, which does not
carry bplib's editable install along.

Checked: the first cell shows exactly the one-line instruction (its
"traceback" is that line and nothing else), and the kernel runs no later cell
(JupyterLab then shows no NameError in the cells below).  And with the book's
home set, the same cell installs bplib with ``%pip`` from there, after which
the chapter runs: the Colab route, tried on a local git clone of this
repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from conftest import ROOT

from tools.book_home import home
from tools.chapter_cells import first_cell, missing_message

#: The first cell is the same in every chapter (tests/test_notebook_hygiene.py), so
#: three chapters stand for all: the first, one with panels, one with data.
CHAPTERS = [ROOT / "chapters" / name
            for name in ("00_how_to_use.ipynb", "05_regression.ipynb", "07_mnist_dropout.ipynb")]


def make_python_without_bplib(where: Path) -> Path:
    """A Python with this environment's packages except bplib, in ``where``; returns its ``bin/python``."""
    venv.EnvBuilder(with_pip=False, symlinks=True).create(where)
    python = where / "bin" / "python"
    site = Path(subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # A .pth file adds a directory to sys.path, but the .pth files *in* that directory
    # (such as bplib's editable-install hook) are not run, so bplib stays out of reach.
    (site / "dev-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    probe = subprocess.run([python, "-c", "import ipykernel, numpy, matplotlib, ipywidgets; import bplib"],
                           cwd=where, capture_output=True, text=True, env=env)
    assert "No module named 'bplib'" in probe.stderr, (
        f"the scratch Python should have Jupyter and numpy but not bplib: {probe.stderr[-500:]}")
    return python


@pytest.fixture(scope="module")
def python_without_bplib(tmp_path_factory) -> Path:
    return make_python_without_bplib(tmp_path_factory.mktemp("no-bplib") / "venv")


def run_all(notebook: Path, python: Path, cwd: Path, timeout: float = 120) -> list[dict]:
    """Run every code cell the way JupyterLab's Run All does; return one record per code cell.

    Each record has ``status`` (the kernel's reply: ``ok``, ``error`` or ``aborted``) and
    ``outputs`` (the iopub messages the cell produced: streams, results, errors).
    """
    from jupyter_client import KernelManager

    nb = json.loads(notebook.read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    km = KernelManager()
    km.kernel_spec  # noqa: B018 - loads the default spec, whose argv is replaced below
    km.kernel_spec.argv = [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    km.start_kernel(cwd=str(cwd), env=env)
    try:
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        # A front end sends all of Run All's requests at once, and the kernel aborts the
        # ones queued behind an error.  This client sends them one by one from Python,
        # so it first keeps the kernel busy for a moment: every request is queued before
        # the first cell runs, as in JupyterLab.
        kc.execute("import time; time.sleep(0.5)")
        ids = [kc.execute(src, stop_on_error=True) for src in sources]
        records = {msg_id: {"status": None, "outputs": []} for msg_id in ids}
        while any(r["status"] is None for r in records.values()):
            reply = kc.get_shell_msg(timeout=timeout)
            parent = reply["parent_header"].get("msg_id")
            if parent in records:
                records[parent]["status"] = reply["content"]["status"]
        # Outputs arrive on iopub; the kernel is idle after the last reply.
        while True:
            try:
                msg = kc.get_iopub_msg(timeout=2)
            except Exception:  # queue.Empty: nothing more
                break
            parent = msg["parent_header"].get("msg_id")
            if parent in records and msg["msg_type"] in ("stream", "execute_result", "display_data", "error"):
                records[parent]["outputs"].append({"type": msg["msg_type"], **msg["content"]})
        kc.stop_channels()
        return [records[msg_id] for msg_id in ids]
    finally:
        km.shutdown_kernel(now=True)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[p.name for p in CHAPTERS])
def test_chapter_in_an_empty_folder_says_how_to_get_bplib(chapter, python_without_bplib, tmp_path):
    copy = tmp_path / chapter.name
    shutil.copy(chapter, copy)
    assert sorted(p.name for p in tmp_path.iterdir()) == [chapter.name]

    cells = run_all(copy, python_without_bplib, cwd=tmp_path)

    first = cells[0]
    assert first["status"] == "error", f"the first cell should stop the run, got {first['status']!r}"
    shown = [line for out in first["outputs"] for line in out.get("traceback", [out.get("text", "")])]
    assert shown == [missing_message(*home())], (
        f"the first cell should show only the one-line instruction, it showed: {shown}")
    assert not any("Traceback" in line or "File " in line for line in shown)
    ran = [i for i, c in enumerate(cells[1:], start=2) if c["status"] != "aborted" or c["outputs"]]
    assert not ran, f"code cells {ran} ran after the first cell failed (a reader would see a wall of errors)"


def test_the_message_names_what_to_install():
    assert missing_message("", "main") == (
        "This chapter needs bplib, the book's library: run pip install '.[widgets]' in the book's "
        "source folder, then restart the kernel.")
    assert "pip install 'bplib[widgets] @ git+https://example.org/a/b@dev'" in missing_message(
        "https://example.org/a/b", "dev")


@pytest.fixture(scope="module")
def local_home(tmp_path_factory) -> str:
    """A git repository standing in for the book's home: this tree's files, committed on ``main``."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed: cannot stand in for the book's home")
    where = tmp_path_factory.mktemp("home") / "book"
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                           cwd=ROOT, check=True, capture_output=True, text=True).stdout.split("\0")
    for name in filter(None, files):
        if (ROOT / name).is_file():
            (where / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, where / name)
    git = ["git", "-c", "user.name=book", "-c", "user.email=book@localhost", "-C", str(where)]
    for step in (["init", "--quiet", "--initial-branch=main"], ["add", "--all"], ["commit", "--quiet", "-m", "home"]):
        subprocess.run(git + step, check=True, capture_output=True)
    return f"file://{where}"


def test_with_the_home_set_the_first_cell_installs_bplib_and_the_chapter_runs(local_home, tmp_path):
    """What Colab does with a downloaded chapter once the book's home is set (here a local clone)."""
    python_without_bplib = make_python_without_bplib(tmp_path / "venv")  # its own: bplib lands in it
    nb = json.loads((ROOT / "chapters" / "00_how_to_use.ipynb").read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["cell_type"] == "code")
    cell["source"] = first_cell(local_home, "main")
    chapter = tmp_path / "empty" / "00_how_to_use.ipynb"
    chapter.parent.mkdir()
    chapter.write_text(json.dumps(nb), encoding="utf-8")

    cells = run_all(chapter, python_without_bplib, cwd=chapter.parent, timeout=300)

    assert cells[0]["status"] == "ok", f"the first cell failed: {cells[0]['outputs']}"
    failed = [(i, c["outputs"]) for i, c in enumerate(cells, start=1) if c["status"] != "ok"]
    assert not failed, f"cells that failed after bplib was installed from the home: {failed[:2]}"
    installed = subprocess.run([python_without_bplib, "-c", "import bplib; print(bplib.__file__)"],
                               cwd=tmp_path, capture_output=True, text=True)
    assert installed.returncode == 0 and str(ROOT) not in installed.stdout, installed
