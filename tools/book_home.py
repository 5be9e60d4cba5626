"""The book's public home: one setting, and the buttons that depend on it.

The home is ``repository.url`` (with ``repository.branch``) in ``_config.yml``:
the git repository a reader can clone, open in Binder or Colab, and install
``bplib`` from.  It is empty until the book has a public repository; a fork
sets it to its own address (README, "The book's home").

Two things follow from it:

* the pages' repository, issue and launch (Binder, Colab) buttons.  This module
  is a Sphinx extension (listed under ``local_extensions`` in ``_config.yml``):
  with the home set it turns the repository and issue buttons on; with it
  empty it removes the launch buttons, so that a build has no button that
  leads nowhere.  (``use_repository_button: true`` cannot simply stay in
  ``_config.yml``: Jupyter Book refuses to build with it and no URL.);
* the first code cell of every chapter, which installs bplib from the home
  where it is missing (``tools/chapter_cells.py``).
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "_config.yml"

#: Theme options that make sense only with a repository to point at.
REPOSITORY_BUTTONS = ("use_repository_button", "use_issues_button")


def home(config_path: Path = CONFIG) -> tuple[str, str]:
    """The book's home as ``(url, branch)``; ``url`` is ``""`` when unset."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
    repository = config.get("repository") or {}
    url = str(repository.get("url") or "").strip().rstrip("/")
    branch = str(repository.get("branch") or "main").strip()
    if url and not url.startswith(("https://", "http://")):
        raise ValueError(f"{config_path.name}: repository.url must be an http(s) address of a git repository, got {url!r}")
    return url, branch


def pip_requirement(url: str, branch: str) -> str:
    """What pip installs bplib (with the widgets extra) from, given the book's home."""
    return f"bplib[widgets] @ git+{url}@{branch}"


# ---------------------------------------------------------------- Sphinx extension
def on_config_inited(app, config) -> None:
    options = config.html_theme_options
    if str(options.get("repository_url") or "").strip():
        # Jupyter Book's defaults say False; with a home, the book has these buttons.
        for button in REPOSITORY_BUTTONS:
            options[button] = True
    else:
        options.pop("repository_url", None)
        options.pop("launch_buttons", None)
        for button in REPOSITORY_BUTTONS + ("use_edit_page_button",):
            options[button] = False


def setup(app):
    app.connect("config-inited", on_config_inited)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
