"""Print the book as one PDF per edition, with headless Chromium.

    .venv/bin/python -m tools.pdf_book           # `make pdf`, after `make book`
    .venv/bin/python -m tools.pdf_book --edition en

Each edition whose HTML book is built gets ``_build/pdf/<name>.pdf``:

1. The single-page build of the book (``jupyter-book build --builder
   singlehtml``, through tools/build_book.py): every page of the book in one
   HTML file.  It shares the HTML build's execution cache and saved
   environment, so after ``make book`` it executes and re-reads nothing.
2. Chromium opens it (through Playwright, with Debian's ``/usr/bin/chromium``;
   Playwright never downloads a browser here), waits until MathJax has
   typeset every equation, and prepares the page for paper: each chapter
   starts a new sheet, each slider panel keeps its starting figure with one
   line on where it moves, and each chapter's folded solutions are unfolded
   and gathered after its exercises.  ``_assets/print.css`` does the rest
   (no navigation or buttons, code wrapped instead of clipped).
3. Chromium prints it to PDF, A4, with page numbers, bookmarks from the
   headings, and tags.  A code block or output still wider than the page
   fails the print, naming it.

An edition is one entry of ``EDITIONS``.  The Chinese PDF needs a CJK font
(Debian: ``fonts-noto-cjk``).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import http.server
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build"
PDF_DIR = BUILD / "pdf"
PRINT_CSS = ROOT / "_assets" / "print.css"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


@dataclass(frozen=True)
class Edition:
    name: str
    html: Path  # the edition's HTML book: printed only when it is built
    single: Path  # its single-page build
    pdf: str  # file name in _build/pdf/
    build: tuple[str, ...]  # the command (a tools module and its arguments) that makes its single-page build
    #: The one line printed under a slider panel's starting figure.
    panel_note: str
    #: The heading over a chapter's gathered solutions.
    solutions: str


EDITIONS = {
    "en": Edition(
        "en", BUILD / "html", BUILD / "singlehtml", "backprop-book.pdf",
        ("tools.build_book", "--builder", "singlehtml"),
        "Printed at its starting values: the web book and Jupyter let you move the controls.",
        "Solutions"),
    "zh": Edition(
        "zh", BUILD / "html" / "zh", BUILD / "singlehtml-zh", "backprop-book-zh.pdf",
        ("tools.i18n", "singlehtml", "zh_CN"),
        "这里印的是初始设置下的图：在网页书和 Jupyter 中可以拖动控件。",
        "解答"),
}


# ------------------------------------------------------------------ in the page
#: Mark chapters, replace panels' controls by a note, gather folded solutions.
PREPARE = """([panelNote, solutionsTitle]) => {
  // Each page of the web book is a section after a span#document-<page> (Sphinx's singlehtml).
  const documents = Array.from(document.querySelectorAll('span[id^="document-"]'))
    .map(span => span.nextElementSibling).filter(el => el && el.tagName === 'SECTION');
  documents.forEach(section => section.classList.add('bp-print-document'));

  // Slider panels: the starting figure stays; one line says where it moves.
  document.querySelectorAll('.bp-panel').forEach(panel => {
    const note = document.createElement('p');
    note.className = 'bp-print-panel-note';
    note.textContent = panelNote;
    panel.appendChild(note);
  });

  // Everything folded is printed unfolded.
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  document.querySelectorAll('.toggle-hidden').forEach(el => el.classList.remove('toggle-hidden'));

  // Solutions (dropdown admonitions) move to the end of their chapter, each titled
  // with the exercise it answers (the bold "N. Title" that comes before it).
  let moved = 0;
  documents.forEach(section => {
    const solutions = Array.from(section.querySelectorAll('.admonition.dropdown'));
    if (!solutions.length) return;
    const block = document.createElement('section');
    block.className = 'bp-print-solutions';
    const heading = document.createElement('h2');
    heading.textContent = solutionsTitle;
    block.appendChild(heading);
    // An exercise is a paragraph that opens with its bold "N. Title".
    const opensBold = el => el.tagName === 'P' && el.firstElementChild && el.firstElementChild.tagName === 'STRONG'
      && !(el.firstChild.nodeType === Node.TEXT_NODE && el.firstChild.textContent.trim());
    solutions.forEach(solution => {
      let exercise = solution.previousElementSibling;
      while (exercise && !opensBold(exercise)) exercise = exercise.previousElementSibling;
      const title = solution.querySelector('.admonition-title');
      if (exercise && title) {
        const word = title.textContent.trim();
        title.textContent = '';
        title.append(exercise.firstElementChild.cloneNode(true), ' \u2014 ' + word);
      }
      block.appendChild(solution);
      moved += 1;
    });
    section.appendChild(block);
  });
  return {documents: documents.length, panels: document.querySelectorAll('.bp-panel').length,
          solutions: moved};
}"""

#: MathJax 3 does not break lines: an equation wider than the column is set smaller to fit.
FIT_EQUATIONS = """() => {
  let shrunk = 0;
  document.querySelectorAll('mjx-container[display="true"]').forEach(container => {
    const math = container.querySelector('mjx-math');
    const need = math ? math.getBoundingClientRect().width : 0;
    const room = container.clientWidth;
    if (need > room) {
      const size = parseFloat(getComputedStyle(container).fontSize);
      container.style.fontSize = (size * room / need * 0.98).toFixed(2) + 'px';
      shrunk += 1;
    }
  });
  return shrunk;
}"""

#: Code blocks, outputs, tables and equations wider than the printed column (they would be clipped).
OVERFLOWING = """() => {
  const where = el => (el.closest('section[id]') || {id: '?'}).id + ': ' + el.tagName.toLowerCase() + ' ' +
                      el.textContent.trim().slice(0, 60);
  const blocks = Array.from(document.querySelectorAll(
      'pre, div.highlight, .cell_output, .output, table, .bp-panel, img'))
    .filter(el => el.offsetParent !== null && el.scrollWidth > el.clientWidth + 1);
  const equations = Array.from(document.querySelectorAll('mjx-container[display="true"]'))
    .filter(el => el.querySelector('mjx-math') &&
                  el.querySelector('mjx-math').getBoundingClientRect().width > el.clientWidth + 1);
  return blocks.concat(equations).map(where);
}"""

MARGIN_MM = {"top": 16, "bottom": 18, "left": 15, "right": 15}
PAGE_WIDTH_PX = round((210 - MARGIN_MM["left"] - MARGIN_MM["right"]) / 25.4 * 96)
FOOTER = ('<div style="width:100%; font-size:8pt; color:#666; text-align:center;">'
          '<span class="pageNumber"></span></div>')


class NotPrintable(RuntimeError):
    """The page is not fit to print (a block wider than the page, a MathJax or script error)."""


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - signature of the base class
        pass


@contextlib.contextmanager
def serve(directory: Path):
    """Serve ``directory`` on a free localhost port; yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def single_page(edition: Edition) -> Path:
    """The one HTML page of ``edition``'s single-page build (its index.html only redirects there)."""
    root = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))["root"]
    return edition.single / f"{root}.html"


def print_edition(browser, edition: Edition) -> dict:
    """Print ``edition``'s single-page build to ``_build/pdf/``; return what was printed."""
    index = single_page(edition)
    if not index.is_file():
        raise NotPrintable(f"{index} is missing: build it first (python -m tools.build_book --builder singlehtml)")
    out = PDF_DIR / edition.pdf
    out.parent.mkdir(parents=True, exist_ok=True)
    with serve(edition.single) as url:
        # The width of the printed column (A4 less the margins, at 96 px per inch), so that the
        # page is laid out, and checked for overflow, as it will be printed.
        context = browser.new_context(viewport={"width": PAGE_WIDTH_PX, "height": 1000})
        try:
            page = context.new_page()
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url + index.name, wait_until="load", timeout=120_000)
            page.evaluate("""() => (window.MathJax && MathJax.startup && MathJax.startup.promise)
                                   ? MathJax.startup.promise.then(() => MathJax.typesetPromise()) : null""")
            page.wait_for_function("() => Array.from(document.images).every(i => i.complete)", timeout=60_000)
            report = page.evaluate(PREPARE, [edition.panel_note, edition.solutions])
            page.add_style_tag(content=PRINT_CSS.read_text(encoding="utf-8"))
            page.emulate_media(media="print")
            report["equations_shrunk"] = page.evaluate(FIT_EQUATIONS)
            report["math_errors"] = page.locator("mjx-merror").count()
            report["overflowing"] = page.evaluate(OVERFLOWING)
            if report["overflowing"] or report["math_errors"] or errors:
                raise NotPrintable(f"{edition.pdf}: not printed: {len(report['overflowing'])} blocks wider than "
                                 f"the page {report['overflowing'][:10]}, {report['math_errors']} MathJax "
                                 f"errors, script errors {errors[:5]}")
            page.pdf(path=str(out), format="A4", print_background=True, outline=True, tagged=True,
                     display_header_footer=True, header_template="<span></span>", footer_template=FOOTER,
                     margin={side: f"{mm}mm" for side, mm in MARGIN_MM.items()})
        finally:
            context.close()
    report.update(pdf=out, panel_note=edition.panel_note, solutions_title=edition.solutions)
    return report


def editions_built() -> list[Edition]:
    """The editions whose HTML book exists."""
    return [e for e in EDITIONS.values() if (e.html / "index.html").is_file()]


def main(argv=None) -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edition", choices=sorted(EDITIONS), action="append",
                        help="print only this edition (default: every edition whose HTML book is built)")
    args = parser.parse_args(argv)
    editions = [EDITIONS[name] for name in args.edition] if args.edition else editions_built()
    if not editions:
        raise SystemExit("no HTML book in _build/html: run `make book` first")
    if not Path(CHROMIUM).is_file():
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install chromium")
    for edition in editions:
        module, *arguments = edition.build
        if importlib.import_module(module).main(arguments) != 0:
            return 1
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for edition in editions:
                started = time.monotonic()
                try:
                    report = print_edition(browser, edition)
                except NotPrintable as err:
                    raise SystemExit(str(err)) from None
                from pypdf import PdfReader

                pages = len(PdfReader(report["pdf"]).pages)
                print(f"[pdf_book] {report['pdf'].relative_to(ROOT)}: {pages} pages, {report['documents']} "
                      f"chapters and pages, {report['panels']} panels, {report['solutions']} solutions, "
                      f"printed in {time.monotonic() - started:.0f} s", flush=True)
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
