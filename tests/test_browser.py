"""Open every page of the built book in headless Chromium, with no network.

For each page in _toc.yml, in both editions (English, and Chinese in ``zh/``), this checks what a reader would see:

* the page loads with no console error, no script error and no failed request;
* nothing is fetched from outside the book (every non-local request is
  blocked and reported: equations must not need a CDN);
* equations are typeset by MathJax (``mjx-container`` elements, no MathJax
  error, no raw ``$$`` or ``\\(`` left in the text);
* every image has loaded (``naturalWidth > 0``);
* no "Loading widget" placeholder (the book has no widget manager: a page
  with an ipywidgets view fails tests/test_book_build.py);
* no cell shows a traceback.

On every chapter with slider panels (``bplib.course.widgets.slider_panel``) it also
moves each control of each panel with the keyboard, as a reader would, presses
the panel's button, and checks that the figure shown is the frame the build
saved for the chosen values, and that this frame records exactly those values.
Each chapter page, with its images and frames, must stay within
``PAGE_BUDGET_BYTES``.

A full-page screenshot of each page is saved in ``_build/screenshots/``.

Chromium is Debian's ``/usr/bin/chromium`` (``apt-get install chromium``),
driven by Playwright; Playwright never downloads a browser here.  Without
Chromium the test skips, except in CI (``CI=true``), where it fails.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re

import pytest

from conftest import ROOT, toc_files

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "_build" / "screenshots"
SCREENSHOT_MAX_HEIGHT = 12_000
#: Console messages that are not the book's fault.  Keep this empty if you can.
BENIGN_CONSOLE_ERRORS: tuple[str, ...] = ()


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

def _page_id(page: str) -> str:
    return page.replace("/", "__")


@contextlib.contextmanager
def offline_tab(browser, site):
    """A new tab that may reach only the book: yields (tab, problems, blocked).

    ``problems`` collects console errors, script errors and failed requests;
    ``blocked`` every request to anywhere but the local server.
    """
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
        yield tab, problems, blocked
    finally:
        context.close()


#: Every page in both editions: English, and Chinese under zh/ (tools/i18n.py).
BOTH_EDITIONS = toc_files() + [f"zh/{page}" for page in toc_files()]


@pytest.mark.parametrize("page", BOTH_EDITIONS, ids=_page_id)
def test_page_renders_offline(page, site, browser):
    with offline_tab(browser, site) as (tab, problems, blocked):
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

    if blocked:
        problems.append(f"the page tried to reach the network (blocked): {sorted(set(blocked))[:10]}")
    assert not problems, f"{page}.html:\n  " + "\n  ".join(problems)


# ------------------------------------------------------------------- slider panels
#: A chapter page with its images and its panels' frames may weigh this much.
PAGE_BUDGET_BYTES = 6 * 1024 * 1024
#: The keys a reader presses on each control, and where each takes a control at
#: position k of n (a slider, or a dropdown's list).
PANEL_KEYS = {
    "range": ("ArrowRight", "End", "ArrowLeft"),
    "select": ("ArrowDown", "End", "ArrowUp"),
}
KEY_MOVES = {
    "ArrowRight": lambda k, n: min(k + 1, n - 1), "ArrowDown": lambda k, n: min(k + 1, n - 1),
    "ArrowLeft": lambda k, n: max(k - 1, 0), "ArrowUp": lambda k, n: max(k - 1, 0),
    "End": lambda k, n: n - 1, "Home": lambda k, n: 0,
}
PANEL_DATA = re.compile(r'<script type="application/json" class="bp-panel-data">(.*?)</script>', re.S)


def panel_counts() -> dict[str, int]:
    """Chapter page -> number of slider_panel calls in its notebook (read from the source)."""
    counts = {}
    for page in toc_files():
        path = ROOT / f"{page}.ipynb"
        if not path.is_file():
            continue
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        n = sum("slider_panel(" in "".join(c["source"]) for c in cells if c["cell_type"] == "code")
        if n:
            counts[page] = n
    return counts


def saved_panels(book, page: str) -> list[dict]:
    """The panels' data as the build saved it in the page: controls, sweep groups, button, frames."""
    return [json.loads(m) for m in PANEL_DATA.findall((book.html / f"{page}.html").read_text(encoding="utf-8"))]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def shown_pixels(panel) -> str:
    """A digest of the pixels of the panel's figure (not of its bytes, which also hold its values)."""
    import io

    from PIL import Image

    src = panel.locator("img.bp-panel-figure").get_attribute("src") or ","
    image = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).convert("RGB")
    return _sha(repr(image.size).encode() + image.tobytes())


def check_shown_frame(panel, saved: dict, position: list[int], where: str) -> list[str]:
    """Problems if the figure is not the saved frame for ``position`` or does not record its values."""
    from bplib.course.widgets import png_values

    problems = []
    key = ",".join(map(str, position))
    want_values = {c["name"]: c["values"][k] for c, k in zip(saved["controls"], position)}
    src = panel.locator("img.bp-panel-figure").get_attribute("src") or ""
    if not src.startswith("data:image/png;base64,"):
        return [f"{where}: the figure is not a PNG frame ({src[:40]!r})"]
    shown = base64.b64decode(src.split(",", 1)[1])
    if key not in saved["frames"]:
        problems.append(f"{where}: the build saved no frame for {want_values}")
    elif _sha(shown) != _sha(base64.b64decode(saved["frames"][key])):
        problems.append(f"{where}: the figure (sha {_sha(shown)}) is not the frame saved for {want_values} "
                        f"(sha {_sha(base64.b64decode(saved['frames'][key]))})")
    drawn_for = png_values(shown)
    if drawn_for != want_values:
        problems.append(f"{where}: the figure was drawn for {drawn_for}, not for {want_values}")
    readouts = panel.locator(".bp-panel-input").evaluate_all(
        "els => els.map(e => [e.value, e.parentNode.querySelector('output')?.textContent ?? null])")
    for c, k, (value, readout) in zip(saved["controls"], position, readouts):
        if value != str(k) or (readout is not None and readout != c["labels"][k]):
            problems.append(f"{where}: control {c['name']!r} shows position {value} ({readout!r}), "
                            f"expected {k} ({c['labels'][k]!r})")
    return problems


@pytest.mark.parametrize("page", [e + p for e in ("", "zh/") for p in sorted(panel_counts())], ids=_page_id)
def test_panel_sliders_move_offline(page, book, site, browser):
    """Every control of every panel, moved with the keyboard, brings up the frame saved for its values."""
    saved = saved_panels(book, page)
    expected = panel_counts()[page.removeprefix("zh/")]
    assert len(saved) == expected, f"{page}: {expected} slider_panel calls but {len(saved)} panels with frames"
    problems: list[str] = []
    with offline_tab(browser, site) as (tab, tab_problems, blocked):
        tab.goto(site + page + ".html", wait_until="load", timeout=60_000)
        tab.wait_for_function("n => document.querySelectorAll('.bp-panel.bp-panel-ready').length >= n",
                              arg=len(saved), timeout=30_000)
        for p, data in enumerate(saved):
            panel = tab.locator(".bp-panel").nth(p)
            panel.scroll_into_view_if_needed()
            controls = data["controls"]
            group_of = {i: g for g, group in enumerate(data["groups"]) for i in group}
            button = panel.locator("button.bp-panel-button")
            assert (button.count() == 1) == bool(data["button"]), f"{page} panel {p}: button as declared"
            position = [c["default"] for c in controls]
            shown = list(position)
            problems += check_shown_frame(panel, data, position, f"panel {p} at the start")
            inputs = panel.locator(".bp-panel-input")
            for i, control in enumerate(controls):
                kind = "select" if inputs.nth(i).evaluate("e => e.tagName") == "SELECT" else "range"
                figures = {shown_pixels(panel)}
                for key in PANEL_KEYS[kind]:
                    where = f"panel {p}, {control['name']!r} after {key}"
                    before = list(position)
                    inputs.nth(i).press(key)
                    position[i] = KEY_MOVES[key](position[i], len(control["values"]))
                    if position != before and i in group_of:  # the other sweep groups go back to their start
                        for j, other in enumerate(controls):
                            if j in group_of and group_of[j] != group_of[i]:
                                position[j] = other["default"]
                    if data["button"]:
                        # Until the button is pressed the figure stays as it was, marked stale if it is.
                        stale = panel.evaluate("e => e.classList.contains('bp-panel-stale')")
                        if stale != (position != shown):
                            problems.append(f"{where}: stale mark {stale}, but the figure is for {shown} "
                                            f"and the controls at {position}")
                        src_before = panel.locator("img.bp-panel-figure").get_attribute("src")
                        if src_before != "data:image/png;base64," + data["frames"][",".join(map(str, shown))]:
                            problems.append(f"{where}: the figure changed before {data['button']} was pressed")
                        button.press("Enter")
                        shown = list(position)
                    problems += check_shown_frame(panel, data, position, where)
                    figures.add(shown_pixels(panel))
                if len(figures) < 2 and len(control["values"]) > 1:
                    problems.append(f"panel {p}: moving {control['name']!r} never changed the figure")
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            panel.screenshot(path=str(SCREENSHOTS / f"{_page_id(page)}__panel{p}.png"))
        body = tab.inner_text("body")
        if "Loading widget" in body:
            problems.append("a 'Loading widget...' placeholder is left on the page")
        if "Traceback (most recent call last)" in body:
            problems.append("a traceback is printed on the page")
        problems += tab_problems
    if blocked:
        problems.append(f"the page tried to reach the network (blocked): {sorted(set(blocked))[:10]}")
    assert not problems, f"{page}.html:\n  " + "\n  ".join(problems[:30])


def test_chapter_pages_with_their_frames_fit_the_budget(book, book_pages):
    """What a reader downloads for a page (its HTML, with the frames inside, and its images) stays small."""
    heavy = {}
    for page in book_pages + [f"zh/{page}" for page in book_pages]:
        path = book.html / f"{page}.html"
        text = path.read_text(encoding="utf-8")
        images = {src for src in re.findall(r'<img [^>]*src="([^"]+)"', text) if not src.startswith("data:")}
        size = path.stat().st_size + sum((path.parent / src).stat().st_size for src in images
                                         if (path.parent / src).is_file())
        if size > PAGE_BUDGET_BYTES:
            heavy[page] = f"{size / 2**20:.1f} MB"
    assert not heavy, f"pages above {PAGE_BUDGET_BYTES / 2**20:.0f} MB: {heavy}"
