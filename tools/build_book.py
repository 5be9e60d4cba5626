"""Build the HTML book into ``_build/html`` (and its Chinese edition into ``_build/html/zh``), failing on any warning.

Run with the project's environment (``make book`` does this)::

    .venv/bin/python -m tools.build_book                       # the HTML book
    .venv/bin/python -m tools.build_book --builder singlehtml  # one page, for the PDF

Steps:

1. Browser assets.  ``npm ci`` installs the pinned MathJax
   (``package-lock.json``) and it is copied to ``_assets/npm/``, which Sphinx
   publishes as ``_static/npm/``.  Skipped when the copy is already up to
   date.  Without npm the book falls back to a CDN, and this script says so.
2. Execution cache.  Notebooks are executed through jupyter-cache, which keys
   on a notebook's code only.  When ``bplib`` or the pinned versions change,
   the cached outputs may be stale, so the cache and Sphinx's saved
   environment are cleared.
3. The book's home (``repository.url`` in ``_config.yml``, tools/book_home.py):
   the build says which it is.  It decides the repository, issue and launch
   buttons (the ``book_home`` extension) and the first cell of every chapter,
   so a chapter whose first cell was written for another home fails the
   build: run ``make strip`` after changing the home.
4. ``jupyter-book build`` with ``-W -n --keep-going``: any Sphinx warning,
   including a notebook cell that raises, fails the build.  The full log is kept
   in ``_build/build.log`` (``_build/build-singlehtml.log``).  The single-page
   build shares the HTML build's execution cache and saved environment, so
   after ``make book`` it executes and re-reads nothing.
5. The Chinese edition (``python -m tools.i18n html zh_CN``): the same sources
   and execution cache with the translations in ``locale/zh_CN``, also with
   warnings as errors, into ``_build/html/zh/``.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
HTML = BUILD / "html"
VENDOR = ROOT / "_assets" / "npm"
NODE_MODULES = ROOT / "node_modules"

#: What the book takes from npm: MathJax's ready-to-serve tree.
MATHJAX = NODE_MODULES / "mathjax" / "es5"


#: A Sphinx warning or error line ("path:line: WARNING: ..." or "WARNING: ...").
#: Kernel log lines such as "[IPKernelApp] WARNING | ..." are not Sphinx's.
SPHINX_PROBLEM = re.compile(r"(^|: )(WARNING|ERROR|CRITICAL|SEVERE): ")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def say(msg: str) -> None:
    print(f"[build_book] {msg}", flush=True)


def _sha256_files(paths) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.relative_to(ROOT).as_posix().encode())
        h.update(b"\0")
        h.update(p.read_bytes())
    return h.hexdigest()


# --------------------------------------------------------------------------- assets
def vendor_assets() -> bool:
    """Make ``_assets/npm`` match ``package-lock.json``.  Return True if local."""
    lock = ROOT / "package-lock.json"
    stamp = VENDOR / "STAMP.json"
    want = _sha256_files([lock, Path(__file__).resolve()])
    if stamp.is_file() and json.loads(stamp.read_text()).get("lock") == want:
        return True

    npm = shutil.which("npm")
    if npm is None:
        if VENDOR.is_dir():
            say("npm not found; keeping the existing (possibly older) copies in _assets/npm")
            return True
        say("npm not found: the book will load MathJax from a CDN, so equations need a network to render")
        return False

    say("installing browser assets with npm ci (pinned by package-lock.json)")
    subprocess.run(
        [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=ROOT, check=True,
    )
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    shutil.copytree(MATHJAX, VENDOR / "mathjax")
    version = json.loads((NODE_MODULES / "mathjax" / "package.json").read_text())["version"]
    stamp.write_text(json.dumps({"lock": want, "versions": {"mathjax": version}}, indent=2) + "\n")
    say(f"browser assets: mathjax {version}")
    return True


# ------------------------------------------------------------------ execution cache
def invalidate_cache_if_bplib_changed() -> None:
    """Drop cached notebook outputs when what they were computed with changed.

    That is bplib (code and data files) and the pinned versions of everything
    else; a change to a notebook's own code is noticed by jupyter-cache itself.
    """
    sources = [
        p for p in (ROOT / "bplib").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    ]
    sources += list((ROOT / "requirements").glob("constraints-py*.txt"))
    digest = _sha256_files(sources) if sources else "none"
    stamp = BUILD / ".bplib.sha256"
    if stamp.is_file() and stamp.read_text().strip() == digest:
        return
    for stale in (BUILD / ".jupyter_cache", BUILD / ".doctrees", BUILD / ".doctrees-zh"):
        if stale.exists():
            say(f"bplib or the pinned versions changed: clearing {stale.relative_to(ROOT)}")
            shutil.rmtree(stale)
    BUILD.mkdir(exist_ok=True)
    stamp.write_text(digest + "\n")


# --------------------------------------------------------------------- book home
def check_book_home() -> bool:
    """Say what the book's home is; False if a chapter's first cell was written for another."""
    from tools.book_home import home
    from tools.chapter_cells import apply, book_macros

    url, branch = home()
    if url:
        say(f"book home: {url} (branch {branch}): repository, issue, Binder and Colab buttons on")
    else:
        say("book home unset (repository.url in _config.yml): no repository, issue or launch buttons")
    macros = book_macros()
    stale = []
    for path in sorted((ROOT / "chapters").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        if apply(copy.deepcopy(nb), url, branch, macros) != nb:
            stale.append(path.name)
    if stale:
        say(f"the first cells of {', '.join(stale)} do not match the book's home or notation: run `make strip`")
        return False
    return True


# -------------------------------------------------------------------------- build
def jupyter_book_command(builder: str = "html") -> list[str]:
    exe = Path(sys.executable).parent / "jupyter-book"
    if not exe.exists():
        found = shutil.which("jupyter-book")
        if found is None:
            raise SystemExit("jupyter-book is not installed in this environment; run `make book`")
        exe = Path(found)
    return [str(exe), "build", str(ROOT), "--builder", builder, "-W", "-n", "--keep-going"]


def _run_logged(cmd: list[str], env: dict, log, warnings: list[str]) -> int:
    """Run one build, echoing and logging its output and collecting its warning lines."""
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, encoding="utf-8", errors="replace",
    )
    assert proc.stdout is not None
    for line in proc.stdout:
        sys.stdout.write(line)
        plain = ANSI.sub("", line)
        log.write(plain)
        if SPHINX_PROBLEM.search(plain):
            warnings.append(plain.rstrip())
    return proc.wait()


def build(builder: str = "html", log_path: Path | None = None) -> int:
    """Build the book with ``builder``; return jupyter-book's exit status (non-zero on any warning).

    The HTML build also builds the Chinese edition into ``_build/html/zh/``.
    """
    started = time.monotonic()
    if not check_book_home():
        return 1
    local = vendor_assets()
    invalidate_cache_if_bplib_changed()
    # Sphinx re-reads only changed pages, so a page that warned (or whose
    # notebook failed) last time would pass silently now: after a failed build,
    # re-read everything (successful notebooks still come from the cache).
    failed_marker = BUILD / ".last-build-failed"
    if failed_marker.exists() and (BUILD / ".doctrees").exists():
        say("the last build failed: re-reading every page")
        shutil.rmtree(BUILD / ".doctrees")
        shutil.rmtree(BUILD / ".doctrees-zh", ignore_errors=True)
    log_path = log_path or BUILD / ("build.log" if builder == "html" else f"build-{builder}.log")
    log_path.parent.mkdir(parents=True, exist_ok=True)

    env = dict(os.environ)
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # silences a debugger note in kernels
    cmd = jupyter_book_command(builder)
    say(f"running: jupyter-book build . --builder {builder} -W -n --keep-going")
    warnings = []
    with open(log_path, "w", encoding="utf-8") as log:
        status = _run_logged(cmd, env, log, warnings)
        if status == 0 and builder == "html":
            # The Chinese edition, into _build/html/zh/: the same sources and
            # execution cache, the translations from locale/ (tools/i18n.py).
            say("running: python -m tools.i18n html zh_CN (the Chinese edition)")
            zh_started = time.monotonic()
            status = _run_logged([sys.executable, "-m", "tools.i18n", "html", "zh_CN"], env, log, warnings)
            say(f"Chinese edition built in {time.monotonic() - zh_started:.0f} s")
    elapsed = time.monotonic() - started
    if status == 0 and warnings:
        status = 1  # belt and braces: -W should already have failed
    if status != 0:
        failed_marker.touch()
        say(f"BUILD FAILED after {elapsed:.0f} s ({len(warnings)} warning/error lines; "
            f"full log in {log_path.relative_to(ROOT)})")
        for w in warnings[:50]:
            say("  " + w)
        return status
    failed_marker.unlink(missing_ok=True)
    say(f"built in {elapsed:.0f} s with no warnings"
        + ("" if local else " (equations load from a CDN: npm was missing)"))
    if builder == "html":
        say(f"open {HTML / 'index.html'} in a browser, or run `make serve`")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--builder", choices=["html", "singlehtml"], default="html")
    return build(parser.parse_args(argv).builder)


if __name__ == "__main__":
    sys.exit(main())
