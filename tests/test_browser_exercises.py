"""The Exercises sections of the built book, read in headless Chromium with the network blocked.

For every chapter from 01 on this opens the page as a reader would and
checks its "Exercises" section: at least three folded solutions, each hidden
until its title is clicked, shown by one click and hidden again by a second;
the checked exercises show their verdict ("not attempted" for the stubs as
committed), and their solutions show the reference answer's source. A
screenshot of the first checked exercise, solution shut and open, goes to
``_build/screenshots/``.

It uses the session's shared Chromium and server of the built book
(``browser`` and ``site``, in conftest.py).
"""

from __future__ import annotations

import re

import pytest

from conftest import toc_files
from test_browser import SCREENSHOTS

pytestmark = pytest.mark.browser

CHAPTER_PAGES = [page for page in toc_files() if re.match(r"chapters/\d\d_", page) and not page.startswith("chapters/00_")]

SOLUTIONS = "section#exercises div.admonition.dropdown"


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
def test_solutions_toggle_open_and_shut_offline(page, site, browser):
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
