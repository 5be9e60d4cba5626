"""The book as a PDF (`make pdf`, tools/pdf_book.py): complete, typeset, and readable on paper.

Each edition's PDF is printed once per session (``book_pdf_en``, ``book_pdf_zh`` in conftest.py)
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
import unicodedata

import pytest

from conftest import toc_files

pytestmark = [pytest.mark.book, pytest.mark.pdf]

RAW_TEX = ("$$", "\\frac", "\\begin{", "\\partial", "\\mathcal", "\\(")


def squash(text: str) -> str:
    """Text with runs of white space made one space (PDF text breaks lines anywhere), ligatures undone."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


def bare(text: str) -> str:
    """Text without any white space: a title broken over two lines loses the space at the break."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def as_printed(text: str) -> re.Pattern:
    """A pattern for ``text`` as the PDF's text layer gives it back.

    Chromium's subset of a CJK font may map a character to its look-alike in
    the CJK radical blocks (U+2E80 to U+2FDF: 页 read back as ⻚), which NFKC
    does not always undo; there any such character stands for the ideograph.
    """
    parts = []
    for char in bare(text):
        parts.append(f"(?:{re.escape(char)}|[\u2e80-\u2fdf])" if "\u4e00" <= char <= "\u9fff" else re.escape(char))
    return re.compile("".join(parts))


@pytest.fixture(scope="module", params=["en", "zh"])
def edition(request, book):
    """An edition: its name and the folder of its HTML book (the Chinese one is in zh/)."""
    return request.param, book.html if request.param == "en" else book.html / "zh"


@pytest.fixture(scope="module")
def book_pdf(edition, request):
    """The edition's PDF, printed once per session (conftest.py)."""
    return request.getfixturevalue("book_pdf_zh" if edition[0] == "zh" else "book_pdf_en")


@pytest.fixture(scope="module")
def pdf(book_pdf):
    from pypdf import PdfReader

    reader = PdfReader(book_pdf.pdf)
    pages = [squash(page.extract_text() or "") for page in reader.pages]
    return reader, pages


def html_pages(edition):
    """Each page of the edition's HTML book: (page, parsed article)."""
    from bs4 import BeautifulSoup

    for page in toc_files():
        soup = BeautifulSoup((edition[1] / f"{page}.html").read_text(encoding="utf-8"), "html.parser")
        yield page, soup.select_one("article.bd-article")


def title_of(article) -> str:
    h1 = article.find("h1")
    for extra in h1.select(".headerlink, .section-number"):
        extra.decompose()
    return squash(h1.get_text())


def bookmarks(reader) -> list:
    """Every bookmark of the PDF, at any depth."""
    found = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                found.append(item)

    walk(reader.outline)
    return found


def test_every_page_of_the_book_starts_a_sheet_with_its_title(edition, pdf):
    """Each page of the web book is bookmarked, and its bookmark is the top of a sheet that shows its title."""
    reader, pages = pdf
    marks = bookmarks(reader)
    problems = []
    for page, article in html_pages(edition):
        title = title_of(article)
        if not any(bare(title) in bare(text) for text in pages):  # Chinese text extracts with stray spaces
            problems.append(f"{page}: its title {title!r} is not in the PDF")
        # A bookmark carries the heading's number too ("1. The forward pass").
        mark = next((m for m in marks if re.sub(r"^[\d.]+", "", bare(m.title)) == bare(title)), None)
        if mark is None:
            problems.append(f"{page}: no bookmark for {title!r}")
            continue
        at = reader.get_destination_page_number(mark)
        height = float(reader.pages[at].mediabox.height)
        # The printed margin is 16 mm (45 pt): a heading that opens a sheet starts just below it.
        if mark.top is None or float(mark.top) < height - 100:
            problems.append(f"{page}: {title!r} does not start a sheet (sheet {at + 1}, {mark.top} pt of {height})")
        if bare(title) not in bare(pages[at]):
            problems.append(f"{page}: its bookmark leads to sheet {at + 1}, which does not show {title!r}")
    assert not problems, "\n".join(problems)


def test_the_pdf_has_every_figure_of_the_book(edition, book_pdf, pdf):
    reader, pages = pdf
    in_html = sum(len(article.find_all("img")) for _, article in html_pages(edition))
    panels = sum(len(article.select(".bp-panel")) for _, article in html_pages(edition))
    in_pdf = sum(len(page.images) for page in reader.pages)
    assert in_html > 0 and panels > 0
    assert in_pdf == in_html, f"the HTML book shows {in_html} images, the PDF has {in_pdf}"
    assert book_pdf.report["panels"] == panels
    note = as_printed(book_pdf.report["panel_note"])
    printed = sum(len(note.findall(bare(text))) for text in pages)
    assert printed == panels, f"{panels} slider panels but the note under their figure is printed {printed} times"


def test_no_raw_tex_traceback_or_placeholder(book_pdf, pdf):
    from bs4 import BeautifulSoup

    _, pages = pdf
    text = " ".join(pages)
    single = BeautifulSoup(book_pdf.single.read_text(encoding="utf-8"), "html.parser")
    code = " ".join(squash(el.get_text()) for el in single.select("pre, code"))
    for raw in RAW_TEX:
        assert text.count(raw) <= code.count(raw), (
            f"{raw!r} printed {text.count(raw)} times, but only {code.count(raw)} times in code: "
            f"...{text[max(0, text.find(raw) - 80):text.find(raw) + 80]}...")
    for bad in ("Traceback", "Loading widget"):
        assert bad not in text, f"the PDF shows {bad!r}: ...{text[max(0, text.find(bad) - 80):text.find(bad) + 80]}..."


def test_folded_solutions_are_printed(edition, book_pdf, pdf):
    _, pages = pdf
    folded = sum(len(article.select(".admonition.dropdown")) for _, article in html_pages(edition))
    assert folded > 0 and book_pdf.report["solutions"] == folded
    heading = squash(book_pdf.report["solutions_title"])
    chapters = sum(1 for _, article in html_pages(edition) if article.select(".admonition.dropdown"))
    assert sum(text.startswith(heading) for text in pages) == chapters, (
        f"{chapters} chapters have solutions, but not each has a sheet starting with {heading!r}")
