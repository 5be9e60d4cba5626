"""The Chinese edition as a reader gets it: every page, in Chinese, linked both ways, searchable.

``make book`` builds it into ``_build/html/zh/`` (``tools/i18n.py html``).  The
checks of what the pages look like in a browser (offline, equations, images,
panels) are in tests/test_browser.py, which opens the Chinese pages too; this
file checks what is particular to the translation:

* every page of the English book is in ``zh/``, marked ``lang="zh-CN"``, with
  the theme's own words (search, contents, next and previous) in Chinese;
* every page of each edition links to the same page in the other, and in a
  browser the link goes there and back;
* Chinese search: searching the Chinese edition for 反向传播 or 梯度 finds the
  glossary, the page that defines them, and a word of the prose (滑块) its page.
"""

from __future__ import annotations

import posixpath
import re
import urllib.parse

import pytest

from conftest import toc_files

pytestmark = pytest.mark.book

EDITION_LINK = re.compile(r'<a class="btn btn-sm bp-edition-link" href="([^"]+)" hreflang="([^"]+)"')


def read(book, page: str) -> str:
    return (book.html / f"{page}.html").read_text(encoding="utf-8")


def test_every_page_is_in_the_chinese_edition_in_chinese(book, book_pages):
    missing = [p for p in book_pages if not (book.html / "zh" / f"{p}.html").is_file()]
    assert not missing, f"pages of the English book missing from _build/html/zh/: {missing}"
    for page in book_pages:
        html = read(book, f"zh/{page}")
        assert '<html lang="zh-CN"' in html, f"zh/{page}.html is not marked lang=\"zh-CN\""
        assert 'placeholder="搜索' in html or "搜索" in html, f"zh/{page}.html: the search box is not in Chinese"
        assert '<html lang="en"' in read(book, page), f"{page}.html is not marked lang=\"en\""
    # The theme's words: contents, and next/previous page links.
    chapter = read(book, "zh/chapters/05_regression")
    for word in ("目录", "上一页", "下一页"):
        assert word in chapter, f"zh/chapters/05_regression.html lacks the theme's {word!r}"
    intro = read(book, "zh/intro")
    assert "反向传播之书" in intro and "本书写给谁" in intro, "zh/intro.html is not the translated intro"
    assert "图中的文字和滑块面板上的标签保留英文" in intro, "the Chinese intro does not say figures keep English labels"


def test_every_page_links_to_the_same_page_in_the_other_edition(book, book_pages):
    for page in book_pages + ["search", "genindex"]:
        for here, there, lang in ((page, f"zh/{page}", "zh-CN"), (f"zh/{page}", page, "en")):
            links = EDITION_LINK.findall(read(book, here))
            assert len(links) == 1, f"{here}.html: {len(links)} language links, expected 1"
            href, hreflang = links[0]
            target = posixpath.normpath(posixpath.join(posixpath.dirname(here), href))
            assert (target, hreflang) == (f"{there}.html", lang), (
                f"{here}.html links to {target} ({hreflang}), not to {there}.html ({lang})")


@pytest.mark.browser
def test_language_links_go_both_ways_in_a_browser(site, browser):
    from test_browser import offline_tab

    with offline_tab(browser, site) as (tab, problems, blocked):
        tab.goto(site + "chapters/05_regression.html", wait_until="load")
        tab.click("a.bp-edition-link")
        tab.wait_for_load_state("load")
        assert tab.url == site + "zh/chapters/05_regression.html"
        assert tab.evaluate("document.documentElement.lang") == "zh-CN"
        tab.click("a.bp-edition-link")
        tab.wait_for_load_state("load")
        assert tab.url == site + "chapters/05_regression.html"
        assert tab.evaluate("document.documentElement.lang") == "en"
    assert not problems and not blocked, problems + blocked


@pytest.mark.browser
@pytest.mark.parametrize(("term", "page"), [
    ("反向传播", "zh/glossary.html"),  # glossary terms are also in the index as objects
    ("梯度", "zh/glossary.html"),
    ("滑块", "zh/intro.html"),         # a word of the prose only: found only through jieba's words
])
def test_chinese_search_finds_the_page_that_defines_the_term(term, page, site, browser):
    from test_browser import offline_tab

    with offline_tab(browser, site) as (tab, problems, blocked):
        tab.goto(site + "zh/search.html?q=" + urllib.parse.quote(term), wait_until="load")
        tab.wait_for_function(
            "() => { const s = document.querySelector('#search-results .search-summary, p.search-summary');"
            " return s && s.textContent.trim() && !/Preparing|准备/.test(s.textContent); }",
            timeout=30_000,
        )
        found = tab.eval_on_selector_all("#search-results ul.search li a", "els => els.map(e => e.href)")
    pages = [urllib.parse.urlsplit(u).path.removeprefix("/") for u in found]
    assert page in pages, f"searching the Chinese edition for {term} does not find {page}: {pages}"
    assert all(p.startswith("zh/") for p in pages), f"a Chinese search led out of the Chinese edition: {pages}"
    assert not problems and not blocked, problems + blocked


def test_the_english_pages_are_not_translated(book):
    assert "反向传播之书" not in read(book, "intro")
    assert "The backprop book" in read(book, "intro")
    assert toc_files()[0] == "intro"
