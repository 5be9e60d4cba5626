"""Shared fixtures: the book is built once per test session.

``tests/test_book_build.py`` and ``tests/test_browser.py`` both use the
``built_book`` fixture, so `make test` runs ``tools/build_book.py`` exactly once
(and it takes seconds when nothing changed since `make book`).  The PDF
(``book_pdf``, tests/test_pdf.py) is printed from the single-page build of the
same book, which reuses that build's execution cache and environment, in the
session's Chromium.

``pytest --book-prebuilt`` skips the build and checks whatever is already in
``_build/html`` (handy while working on the browser checks).

The browser checks share one headless Chromium (``chromium``, ``browser``) and
one local server of the built book (``site``); without Chromium they skip,
except in CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"


def pytest_addoption(parser):
    parser.addoption(
        "--book-prebuilt",
        action="store_true",
        help="use the book already built in _build/html instead of building it",
    )


@dataclass
class BuiltBook:
    html: Path
    status: int
    log: str


def toc_files(toc_path: Path = ROOT / "_toc.yml") -> list[str]:
    """Every document in _toc.yml, root first, without suffix (e.g. 'chapters/00_how_to_use')."""
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return files


@pytest.fixture(scope="session")
def book_pages() -> list[str]:
    return toc_files()


@pytest.fixture(scope="session")
def built_book(request) -> BuiltBook:
    """Build the HTML book once (warnings are errors) and return where it is."""
    if request.config.getoption("--book-prebuilt"):
        if not (HTML / "index.html").is_file():
            pytest.fail("--book-prebuilt given but _build/html/index.html does not exist; run `make book`")
        return BuiltBook(HTML, 0, "(prebuilt)")
    proc = subprocess.run(
        [sys.executable, "-m", "tools.build_book"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    # Keep the console readable: the full log is in _build/build.log.
    return BuiltBook(HTML, proc.returncode, proc.stdout)


@pytest.fixture(scope="session")
def book(built_book) -> BuiltBook:
    """The built pages, for the tests that check them.

    A failed build (a warning, a failing notebook) is reported once, by
    test_book_builds_without_warnings; as ``--keep-going`` still writes every
    page, the checks of the pages run anyway and report their own problems.
    """
    if not (built_book.html / "index.html").is_file():
        pytest.fail("the book was not built (no _build/html/index.html); see test_book_builds_without_warnings")
    return built_book


# ------------------------------------------------------------------ browser checks
# Chromium is Debian's /usr/bin/chromium (apt-get install chromium), driven by
# Playwright, which never downloads a browser here.  tests/test_browser.py,
# tests/test_browser_exercises.py and tests/test_lab.py share these.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def in_ci() -> bool:
    """CI sets CI=true: there a browser check may not be skipped."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def skip_or_fail(message: str):
    if in_ci():
        pytest.fail(f"{message} (CI=true: the browser check may not be skipped)")
    pytest.skip(message)


def find_chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        skip_or_fail("Chromium is not installed (apt-get install chromium): skipping the browser check")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        skip_or_fail("playwright is not installed (pip install -e '.[test]')")
    return path


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        pass


@pytest.fixture(scope="session")
def site(book):
    """Serve the built book on a free localhost port; yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(book.html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def browser(chromium):
    """One headless Chromium for the whole session, shared by every test that drives a page.

    Playwright's sync API runs one instance per thread; sharing it lets the book's
    browser checks and the JupyterLab test each open their own contexts in it.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # Playwright starts Chromium with a new, empty, temporary user-data-dir.
        b = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield b
        finally:
            b.close()


# ---------------------------------------------------------------------- the PDF
@dataclass
class PrintedBook:
    pdf: Path
    single: Path
    report: dict


def print_book(book, browser, name) -> PrintedBook:
    """One edition's PDF, printed from its single-page build (tools/pdf_book.py)."""
    from tools import pdf_book

    if book.status != 0:
        pytest.fail("the HTML book did not build; see test_book_builds_without_warnings")
    edition = pdf_book.EDITIONS[name]
    proc = subprocess.run([sys.executable, "-m", *edition.build],
                          cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        pytest.fail(f"the single-page build of {name} failed:\n{proc.stdout[-3000:]}")
    report = pdf_book.print_edition(browser, edition)
    return PrintedBook(report["pdf"], pdf_book.single_page(edition), report)


@pytest.fixture(scope="session")
def book_pdf_en(book, browser) -> PrintedBook:
    """The English PDF, printed once per session."""
    return print_book(book, browser, "en")


@pytest.fixture(scope="session")
def book_pdf_zh(book, browser) -> PrintedBook:
    """The Chinese PDF, printed once per session."""
    return print_book(book, browser, "zh")
