"""The HTML book builds with no warning, and what it built is complete and offline.

The build itself runs once, in the ``built_book`` fixture (tests/conftest.py).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.book

SPHINX_PROBLEM = re.compile(r"(^|: )(WARNING|ERROR|CRITICAL|SEVERE): ", re.MULTILINE)
CDN = re.compile(r"""(src|href)=["']https?://(cdn\.jsdelivr\.net|cdnjs\.cloudflare\.com|unpkg\.com)""")


def read(book, page: str) -> str:
    return (book.html / f"{page}.html").read_text(encoding="utf-8")


def test_book_builds_without_warnings(built_book):
    tail = "\n".join(built_book.log.splitlines()[-60:])
    assert built_book.status == 0, f"jupyter-book build failed (full log: _build/build.log):\n{tail}"
    problems = [m.group(0) for m in SPHINX_PROBLEM.finditer(built_book.log)]
    assert not problems, f"the build printed warnings:\n{tail}"


def test_every_toc_page_is_built(book, book_pages):
    missing = [p for p in book_pages if not (book.html / f"{p}.html").is_file()]
    assert not missing, f"pages listed in _toc.yml but not built: {missing}"
    assert (book.html / "index.html").is_file()


def test_no_cell_shows_an_error(book, book_pages):
    for page in book_pages:
        html = read(book, page)
        assert 'class="output traceback' not in html, f"{page}: a cell shows a traceback"
        assert "Traceback (most recent call last)" not in html, f"{page}: a cell shows a traceback"


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is missing: the book falls back to a CDN")
def test_equations_load_from_the_book_not_a_cdn(book, book_pages):
    assert (book.html / "_static" / "npm" / "mathjax" / "tex-chtml.js").is_file(), (
        "_static/npm/mathjax/tex-chtml.js was not copied into the book")
    for page in book_pages:
        html = read(book, page)
        cdn = CDN.findall(html)
        assert not cdn, f"{page} loads scripts from a CDN: {cdn}"
        if "math notranslate" in html:
            assert "_static/npm/mathjax/tex-chtml.js" in html, f"{page} has equations but no local MathJax"


def test_no_page_has_an_ipywidgets_view(book, book_pages):
    """The web book has no kernel and loads no widget manager: a widget would print "Loading widget...".

    Slider panels are plain HTML over precomputed frames (bplib's slider_panel with
    BPLIB_PANEL_FRAMES=1, which the build sets); a bare ipywidgets control in a chapter
    would show up here.
    """
    for page in book_pages:
        html = read(book, page)
        for mime in ("application/vnd.jupyter.widget-view+json", "application/vnd.jupyter.widget-state+json"):
            assert mime not in html, f"{page} carries {mime}: a widget the web book cannot show"
        assert "embed-amd.js" not in html and "require.js" not in html, f"{page} loads a widget manager"


def test_glossary_gives_chinese_terms(book):
    html = read(book, "glossary")
    for term in ("反向传播", "正向传播", "链式法则", "激活函数", "损失函数", "梯度下降", "学习率",
                 "隐藏层", "过拟合", "随机失活"):
        assert term in html, f"glossary lacks {term}"


def test_bibliography_lists_the_works_the_book_draws_on(book):
    html = read(book, "bibliography")
    for title in (
        "Learning representations by back-propagating errors",
        "Neural Networks and Deep Learning",
        "Dropout",
        "Gradient-based learning applied to document recognition",
        "Automatic Differentiation in Machine Learning",
        "A Step by Step Backpropagation Example",
    ):
        assert title.lower() in html.lower(), f"bibliography lacks {title!r}"


def test_second_build_is_quick_and_executes_nothing(book):
    """Run right after a build: nothing changed, so nothing is executed again."""
    if book.status != 0:
        pytest.skip("the first build failed (reported by test_book_builds_without_warnings)")
    proc = subprocess.run(
        [sys.executable, "-m", "tools.build_book"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "Executing notebook" not in proc.stdout, "an unchanged book executed a notebook again"
