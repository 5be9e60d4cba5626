"""The Exercises sections of the built book, read in headless Chromium with the network blocked.

For every chapter from 01 to 09 this opens the page as a reader would and
checks its "Exercises" section: at least three folded solutions, each hidden
until its title is clicked, shown by one click and hidden again by a second;
the checked exercises show their verdict ("not attempted" for the stubs as
committed), and their solutions show the reference answer's source. A
screenshot of the first checked exercise, solution shut and open, goes to
``_build/screenshots/``.

The fixtures that find Chromium and serve the book are those of
``test_browser.py``. Its ``browser`` fixture is not shared: it keeps a
Playwright Sync API open in the main thread for the whole session, and a
thread can run only one, so this module drives its own Chromium from a worker
thread (``browser_in_thread``).
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import toc_files
from test_browser import CHROMIUM_FLAGS, SCREENSHOTS, chromium, site  # noqa: F401

pytestmark = pytest.mark.browser

CHAPTER_PAGES = [page for page in toc_files() if re.match(r"chapters/\d\d_", page) and not page.startswith("chapters/00_")]

SOLUTIONS = "section#exercises div.admonition.dropdown"


@pytest.fixture(scope="module")
def browser_in_thread(chromium):  # noqa: F811 - the fixture's value
    """``run(fn, *args)`` calls ``fn(browser, *args)`` in the one thread that owns this module's Chromium."""
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chromium")
    state = {}

    def start():
        from playwright.sync_api import sync_playwright

        state["playwright"] = sync_playwright().start()
        state["browser"] = state["playwright"].chromium.launch(executable_path=chromium, headless=True,
                                                               args=CHROMIUM_FLAGS)

    def stop():
        state["browser"].close()
        state["playwright"].stop()

    worker.submit(start).result()
    try:
        yield lambda fn, *args: worker.submit(fn, state["browser"], *args).result()
    finally:
        worker.submit(stop).result()
        worker.shutdown()


def _offline_tab(browser, site, problems):
    context = browser.new_context(viewport={"width": 1280, "height": 900})

    def only_local(route):
        url = route.request.url
        if url.startswith(site) or url.startswith(("data:", "blob:", "about:")):
            route.continue_()
        else:
            problems.append(f"tried to reach the network (blocked): {url}")
            route.abort()

    context.route("**/*", only_local)
    tab = context.new_page()
    tab.on("pageerror", lambda e: problems.append(f"script error: {e}"))
    return context, tab


def test_every_chapter_page_is_tested():
    numbers = [page.split("/")[1][:2] for page in CHAPTER_PAGES]
    assert len(numbers) >= 10 and numbers == [f"{i:02d}" for i in range(1, len(numbers) + 1)]


@pytest.mark.parametrize("page", CHAPTER_PAGES, ids=lambda p: p.split("/")[-1])
def test_solutions_toggle_open_and_shut_offline(page, site, browser_in_thread):  # noqa: F811
    browser_in_thread(_check_exercises_page, site, page)


def _check_exercises_page(browser, site, page):
    problems: list[str] = []
    context, tab = _offline_tab(browser, site, problems)
    try:
        tab.goto(site + page + ".html", wait_until="load", timeout=60_000)
        section = tab.locator("section#exercises")
        assert section.count() == 1, f"{page}: no section with id 'exercises'"
        solutions = tab.locator(SOLUTIONS)
        n = solutions.count()
        assert n >= 3, f"{page}: {n} folded solutions in the Exercises section, expected at least 3"
        # sphinx-togglebutton adds one button per dropdown once the page has loaded.
        tab.wait_for_function("([sel, n]) => document.querySelectorAll(sel + ' button.toggle-button').length >= n",
                              arg=[SOLUTIONS, n], timeout=30_000)

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shot = None
        for i in range(n):
            solution = solutions.nth(i)
            title = solution.locator(".admonition-title")
            body = solution.locator(":scope > :not(.admonition-title)").first
            assert title.inner_text().strip() == "Solution", f"{page}: dropdown {i} is titled {title.inner_text()!r}"
            solution.scroll_into_view_if_needed()
            assert not body.is_visible(), f"{page}: solution {i} is visible before it is opened"
            is_checked = solution.locator("div.highlight").count() > 0 and "reference answer" in solution.text_content()
            if is_checked and shot is None:
                shot = i
                tab.screenshot(path=str(SCREENSHOTS / f"exercises__{page.split('/')[-1]}__shut.png"))
            title.click()
            body.wait_for(state="visible", timeout=5_000)
            if is_checked:
                code = solution.locator("div.highlight pre").first
                assert code.is_visible() and code.inner_text().startswith(("def ", "class ")), (
                    f"{page}: solution {i} does not show the reference answer's source")
                if shot == i:
                    tab.wait_for_timeout(400)  # the fade-in of the opened solution
                    tab.screenshot(path=str(SCREENSHOTS / f"exercises__{page.split('/')[-1]}__open.png"))
            title.click()
            body.wait_for(state="hidden", timeout=5_000)
        assert shot is not None, f"{page}: no solution shows the source of a reference answer"

        text = section.inner_text()
        assert "not attempted" in text, f"{page}: no verdict 'not attempted' printed for the stubs"
        assert "Traceback" not in text, f"{page}: a traceback in the Exercises section"
    finally:
        context.close()
    assert not problems, f"{page}.html:\n  " + "\n  ".join(problems)
