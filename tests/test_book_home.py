"""The book's home decides the buttons a reader sees: none without it, all of them with it.

``repository.url`` in _config.yml is the one setting (tools/book_home.py).
Both states are checked on built HTML, as a reader gets it:

* the book itself (the session's build, ``built_book``), in whatever state
  _config.yml is: as committed, with no home, its chapter pages must have no
  repository, issue or launch button;
* a second, small book built here in a temporary folder from the same
  configuration with the other state (a home set, when the real book has
  none): the index page and chapter 00, not executed, so it takes seconds.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

from tools.book_home import home

pytestmark = pytest.mark.book

CHAPTER = "chapters/00_how_to_use"
SOME_HOME = "https://github.com/someone/backprop-book"


def header_buttons(page: Path) -> dict[str, list[str]]:
    """The links of a page's header buttons, by kind: launch, repository, issues."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    header = soup.select_one(".article-header-buttons")
    assert header is not None, f"{page}: no header button bar (has the theme changed?)"
    found = {"launch": [], "repository": [], "issues": []}
    for a in header.select("a[href]"):
        href, classes = a["href"], " ".join(a.get("class", []))
        if "mybinder.org" in href or "colab.research.google.com" in href or "launch" in classes:
            found["launch"].append(href)
        elif "repository-button" in classes:
            found["repository"].append(href)
        elif "issues-button" in classes:
            found["issues"].append(href)
    found["launch"] += [b.get("aria-label", "") for b in header.select(".dropdown-launch-buttons")]
    return found


def assert_buttons(page: Path, url: str, branch: str) -> None:
    found = header_buttons(page)
    if not url:
        assert found == {"launch": [], "repository": [], "issues": []}, (
            f"{page.name}: the book has no home (repository.url is empty) but shows buttons: {found}")
        text = page.read_text(encoding="utf-8")
        for dead in ("mybinder.org", "colab.research.google.com"):
            assert dead not in text, f"{page.name}: links to {dead} although the book has no home"
        return
    org_repo = url.removeprefix("https://github.com/")
    want_launch = {
        f"https://mybinder.org/v2/gh/{org_repo}/{branch}?urlpath=lab/tree/{CHAPTER}.ipynb",
        f"https://colab.research.google.com/github/{org_repo}/blob/{branch}/{CHAPTER}.ipynb",
    }
    assert want_launch <= set(found["launch"]), f"{page.name}: launch buttons {found['launch']}, expected {want_launch}"
    assert found["repository"] == [url], f"{page.name}: repository button {found['repository']}"
    assert found["issues"] and found["issues"][0].startswith(f"{url}/issues"), f"{page.name}: issues {found['issues']}"


def test_the_book_has_buttons_exactly_when_it_has_a_home(book):
    url, branch = home()
    for page in sorted((book.html / "chapters").glob("*.html")):
        assert_buttons(page, url, branch)


@pytest.fixture(scope="module")
def small_book_with_the_other_setting(tmp_path_factory) -> tuple[Path, str, str]:
    """A two-page book built with the real configuration, except the home flipped."""
    url, branch = home()
    other = "" if url else SOME_HOME
    src = tmp_path_factory.mktemp("small-book")
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["repository"]["url"] = other
    config["execute"]["execute_notebooks"] = "off"      # only the page around the cells matters
    config["only_build_toc_files"] = True
    sphinx = config["sphinx"]
    sphinx["local_extensions"] = {name: str(ROOT / path) for name, path in sphinx["local_extensions"].items()}
    sphinx["config"]["html_static_path"] = []           # no copy of the npm assets: not needed here
    (src / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    (src / "_toc.yml").write_text(f"format: jb-book\nroot: index\nchapters:\n  - file: {CHAPTER}\n", encoding="utf-8")
    (src / "index.md").write_text("# A small book\n\nTwo pages, to look at the buttons.\n", encoding="utf-8")
    shutil.copy(ROOT / "references.bib", src / "references.bib")
    (src / "chapters").mkdir()
    shutil.copy(ROOT / f"{CHAPTER}.ipynb", src / f"{CHAPTER}.ipynb")
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "jupyter-book"), "build", str(src), "--builder", "html"],
        cwd=src, capture_output=True, text=True,
    )
    assert proc.returncode == 0, f"the small book did not build:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return src / "_build" / "html", other, branch


def test_a_book_with_the_other_setting_has_the_other_buttons(small_book_with_the_other_setting):
    html, url, branch = small_book_with_the_other_setting
    assert_buttons(html / f"{CHAPTER}.html", url, branch)


def test_the_check_sees_buttons_where_there_should_be_none(small_book_with_the_other_setting):
    """The two checks disagree on the same page: they can fail."""
    html, url, branch = small_book_with_the_other_setting
    page = html / f"{CHAPTER}.html"
    with pytest.raises(AssertionError):
        assert_buttons(page, "" if url else SOME_HOME, branch)
