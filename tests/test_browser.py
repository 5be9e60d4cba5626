"""Open every page of the built book in headless Chromium, with no network.

For each page in _toc.yml this checks what a reader would see:

* the page loads with no console error, no script error and no failed request;
* nothing is fetched from outside the book (every non-local request is
  blocked and reported: equations and widgets must not need a CDN);
* equations are typeset by MathJax (``mjx-container`` elements, no MathJax
  error, no raw ``$$`` or ``\\(`` left in the text);
* every image has loaded (``naturalWidth > 0``);
* widget panels render: every widget view in the page became real controls,
  and no "Loading widget" placeholder is left;
* no cell shows a traceback.

A full-page screenshot of each page is saved in ``_build/screenshots/``.

Chromium is Debian's ``/usr/bin/chromium`` (``apt-get install chromium``),
driven by Playwright; Playwright never downloads a browser here.  Without
Chromium the test skips, except in CI (``CI=true``), where it fails.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

from conftest import ROOT, toc_files

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "_build" / "screenshots"
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
SCREENSHOT_MAX_HEIGHT = 12_000
#: Console messages that are not the book's fault.  Keep this empty if you can.
BENIGN_CONSOLE_ERRORS: tuple[str, ...] = ()


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _skip_or_fail(message: str):
    if _in_ci():
        pytest.fail(f"{message} (CI=true: the browser check may not be skipped)")
    pytest.skip(message)


def find_chromium() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


# --------------------------------------------------------------------- fixtures
@pytest.fixture(scope="session")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        _skip_or_fail("Chromium is not installed (apt-get install chromium): skipping the browser check")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _skip_or_fail("playwright is not installed (pip install -e '.[test]')")
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
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        # Playwright starts Chromium with a new, empty, temporary user-data-dir.
        b = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        try:
            yield b
        finally:
            b.close()


# ------------------------------------------------------------------------- checks
TEXT_OUTSIDE_CODE = """() => {
  const clone = document.querySelector('main, article, .bd-article, body').cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, mjx-container, .highlight, textarea')
       .forEach(e => e.remove());
  return clone.innerText;
}"""

BROKEN_IMAGES = """async () => {
  const images = Array.from(document.images);
  await Promise.all(images.map(img => img.complete ? null :
      new Promise(done => { img.addEventListener('load', done); img.addEventListener('error', done); })));
  return images.filter(img => !(img.naturalWidth > 0))
               .map(img => (img.currentSrc || img.src || '').slice(0, 120));
}"""

WIDGET_REPORT = """() => {
  const views = document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]');
  const rendered = Array.from(document.querySelectorAll('.widget-subarea'));
  const empty = rendered.filter(el => el.getBoundingClientRect().height < 5);
  return {
    views: views.length,
    rendered: rendered.length,
    empty: empty.length,
    controls: document.querySelectorAll('.jupyter-widgets').length,
    errors: document.querySelectorAll('.jupyter-widgets-error-widget, .jp-ErrorWidget').length,
  };
}"""


def _page_id(page: str) -> str:
    return page.replace("/", "__")


@pytest.mark.parametrize("page", toc_files(), ids=_page_id)
def test_page_renders_offline(page, site, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    problems: list[str] = []
    blocked: list[str] = []

    def only_local(route):
        url = route.request.url
        if url.startswith(site) or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", only_local)
    tab = context.new_page()
    tab.on("console", lambda m: m.type == "error" and not any(b in m.text for b in BENIGN_CONSOLE_ERRORS)
           and problems.append(f"console error: {m.text}"))
    tab.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    tab.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    try:
        tab.goto(site + page + ".html", wait_until="load", timeout=60_000)

        # Equations: wait until MathJax has typeset the page.
        tab.evaluate("""() => (window.MathJax && MathJax.startup && MathJax.startup.promise)
                               ? MathJax.startup.promise.then(() => true) : true""")
        has_math = tab.locator(".math, .MathJax, span.math, div.math").count() > 0
        if has_math:
            if tab.locator("mjx-container").count() == 0:
                problems.append("equations are not typeset (no mjx-container)")
            merrors = tab.locator("mjx-merror").all_inner_texts()
            if merrors:
                problems.append(f"MathJax errors: {merrors[:5]}")
        text = tab.evaluate(TEXT_OUTSIDE_CODE)
        for raw in ("$$", "\\(", "\\["):
            if raw in text:
                at = text.index(raw)
                problems.append(f"raw TeX {raw!r} left in the text: ...{text[max(0, at - 60):at + 60]!r}...")

        # Widgets: every view became a panel with real controls.
        widgets = tab.evaluate(WIDGET_REPORT)
        if widgets["views"]:
            try:
                tab.wait_for_function(
                    "n => document.querySelectorAll('.widget-subarea').length >= n",
                    arg=widgets["views"], timeout=30_000,
                )
            except Exception:  # the report below says what is missing
                pass
            widgets = tab.evaluate(WIDGET_REPORT)
            if widgets["rendered"] < widgets["views"]:
                problems.append(f"{widgets['views']} widget views but only {widgets['rendered']} rendered")
            if widgets["empty"]:
                problems.append(f"{widgets['empty']} widget panels rendered empty")
            if widgets["controls"] == 0:
                problems.append("widget views present but no .jupyter-widgets controls rendered")
            if widgets["errors"]:
                problems.append(f"{widgets['errors']} widgets failed to render (error widgets shown)")
        body = tab.inner_text("body")
        if "Loading widget" in body:
            problems.append("a 'Loading widget...' placeholder is left on the page")

        # Images: scroll through the page so that lazy images load, then check.
        tab.evaluate("""async () => {
            for (let y = 0; y < document.body.scrollHeight; y += 800) {
              window.scrollTo(0, y); await new Promise(r => setTimeout(r, 20));
            }
            window.scrollTo(0, 0);
        }""")
        broken = tab.evaluate(BROKEN_IMAGES)
        if broken:
            problems.append(f"images that did not load: {broken}")

        # Tracebacks.
        if tab.locator(".output.traceback, .cell_output .traceback").count():
            problems.append("a cell shows a traceback")
        if "Traceback (most recent call last)" in body:
            problems.append("a traceback is printed on the page")

        # Whole page, down to SCREENSHOT_MAX_HEIGHT (taller captures are very slow
        # in software rendering and hit Chromium's texture limit).
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        height = min(tab.evaluate("document.documentElement.scrollHeight"), SCREENSHOT_MAX_HEIGHT)
        tab.screenshot(path=str(SCREENSHOTS / f"{_page_id(page)}.png"), full_page=True,
                       clip={"x": 0, "y": 0, "width": 1280, "height": height}, timeout=120_000)
    finally:
        context.close()

    if blocked:
        problems.append(f"the page tried to reach the network (blocked): {sorted(set(blocked))[:10]}")
    assert not problems, f"{page}.html:\n  " + "\n  ".join(problems)
