"""Shared fixtures: the book is built once per test session.

``tests/test_book_build.py`` and ``tests/test_browser.py`` both use the
``built_book`` fixture, so `make test` runs ``tools/build_book.py`` exactly once
(and it takes seconds when nothing changed since `make book`).

``pytest --book-prebuilt`` skips the build and checks whatever is already in
``_build/html`` (handy while working on the browser checks).
"""

from __future__ import annotations

import subprocess
import sys
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
        [sys.executable, str(ROOT / "tools" / "build_book.py")],
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
