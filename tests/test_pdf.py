"""The book as a PDF (`make pdf`, tools/pdf_book.py): complete, typeset, and readable on paper.

The PDF is printed once per session (the ``book_pdf`` fixture in conftest.py)
from the single-page build of the book the session has built, in the session's
Chromium; printing itself fails if a code block or output is wider than the
page, or MathJax reports an error.  Read back with pypdf, the PDF must have:

* every page of the book, each starting a new sheet with its title, and a
  bookmark for each;
* as many images as the HTML book shows (figures, and one starting figure per
  slider panel, each with its printed note);
* no raw TeX (``$$``, ``\\frac``, ...) outside what the book prints as code,
  no traceback and no "Loading widget" placeholder;
* every folded solution printed.

Without Chromium it skips, except in CI (``CI=true``), where it fails.
"""

from __future__ import annotations

import re

import pytest

from conftest import toc_files

pytestmark = [pytest.mark.book, pytest.mark.pdf]

RAW_TEX = ("$$", "\\frac", "\\begin{", "\\partial", "\\mathcal", "\\(")


def squash(text: str) -> str:
    """Text with runs of white space made one space (PDF text breaks lines anywhere)."""
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def pdf(book_pdf):
    from pypdf import PdfReader

    reader = PdfReader(book_pdf.pdf)
    pages = [squash(page.extract_text() or "") for page in reader.pages]
    return reader, pages


def html_pages(book):
    """Each page of the HTML book: (page, parsed article)."""
    from bs4 import BeautifulSoup

    for page in toc_files():
        soup = BeautifulSoup((book.html / f"{page}.html").read_text(encoding="utf-8"), "html.parser")
        yield page, soup.select_one("article.bd-article")


def title_of(article) -> str:
    h1 = article.find("h1")
    for extra in h1.select(".headerlink, .section-number"):
        extra.decompose()
    return squash(h1.get_text())


def outline_titles(reader) -> list[str]:
    titles = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(squash(item.title))

    walk(reader.outline)
    return titles


def test_every_page_of_the_book_starts_a_sheet_with_its_title(book, pdf):
    reader, pages = pdf
    bookmarks = outline_titles(reader)
    problems = []
    for page, article in html_pages(book):
        title = title_of(article)
        starts = [i for i, text in enumerate(pages) if title in text[:len(title) + 40]]
        if not any(title in text for text in pages):
            problems.append(f"{page}: its title {title!r} is not in the PDF")
        elif not starts:
            problems.append(f"{page}: no sheet starts with its title {title!r}")
        if not any(title in b for b in bookmarks):
            problems.append(f"{page}: no bookmark for {title!r}")
    assert not problems, "\n".join(problems)


def test_the_pdf_has_every_figure_of_the_book(book, book_pdf, pdf):
    reader, pages = pdf
    in_html = sum(len(article.find_all("img")) for _, article in html_pages(book))
    panels = sum(len(article.select(".bp-panel")) for _, article in html_pages(book))
    in_pdf = sum(len(page.images) for page in reader.pages)
    assert in_html > 0 and panels > 0
    assert in_pdf == in_html, f"the HTML book shows {in_html} images, the PDF has {in_pdf}"
    assert book_pdf.report["panels"] == panels
    note = squash(book_pdf.report["panel_note"])
    printed = sum(text.count(note) for text in pages)
    assert printed == panels, f"{panels} slider panels but the note under their figure is printed {printed} times"


def test_no_raw_tex_traceback_or_placeholder(book_pdf, pdf):
    from bs4 import BeautifulSoup

    _, pages = pdf
    text = " ".join(pages)
    single = BeautifulSoup((book_pdf.single / "index.html").read_text(encoding="utf-8"), "html.parser")
    code = " ".join(squash(el.get_text()) for el in single.select("pre, code"))
    for raw in RAW_TEX:
        assert text.count(raw) <= code.count(raw), (
            f"{raw!r} printed {text.count(raw)} times, but only {code.count(raw)} times in code: "
            f"...{text[max(0, text.find(raw) - 80):text.find(raw) + 80]}...")
    for bad in ("Traceback", "Loading widget"):
        assert bad not in text, f"the PDF shows {bad!r}: ...{text[max(0, text.find(bad) - 80):text.find(bad) + 80]}..."


def test_folded_solutions_are_printed(book, book_pdf, pdf):
    _, pages = pdf
    folded = sum(len(article.select(".admonition.dropdown")) for _, article in html_pages(book))
    assert folded > 0 and book_pdf.report["solutions"] == folded
    heading = squash(book_pdf.report["solutions_title"])
    chapters = sum(1 for _, article in html_pages(book) if article.select(".admonition.dropdown"))
    assert sum(text.startswith(heading) for text in pages) == chapters, (
        f"{chapters} chapters have solutions, but not each has a sheet starting with {heading!r}")
