"""Sphinx extension: serve MathJax from the book itself.

``_config.yml`` points ``mathjax_path`` at a copy under ``_static/npm/`` of the
built book.  That copy comes from the npm registry (``package.json`` /
``package-lock.json``) and is placed in ``_assets/npm/`` by
``tools/build_book.py`` before Sphinx runs.

This extension checks, when the configuration is read, that the local copy is
really there.  If it is missing (no npm on the machine), it swaps in the same
pinned version from a CDN and says so on the console: the book still builds,
but then needs a network to show equations.

It also makes the notebooks this build executes draw the frames of their
slider panels (``BPLIB_PANEL_FRAMES=1``, see ``bplib.course.widgets``), so that the
sliders move in the built book without a kernel.

It also keeps the vendored trees out of ``html_js_files`` /
``html_css_files``: Jupyter Book adds every ``*.js`` and ``*.css`` it finds
under a ``_static`` folder to every page, which must never happen to the
hundreds of MathJax components.
"""

from __future__ import annotations

import os
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: Versions must match package.json.  Used only when npm was not available.
CDN_FALLBACK = {
    "npm/mathjax/tex-chtml.js": "https://cdn.jsdelivr.net/npm/mathjax@3.2.2/es5/tex-chtml.js",
}

VENDOR_PREFIX = "npm/"


def _static_dirs(app: Sphinx, config: Config) -> list[Path]:
    return [Path(app.confdir, p) for p in config.html_static_path]


def _exists(rel: str, dirs: list[Path]) -> bool:
    return any((d / rel).is_file() for d in dirs)


def _entry_name(entry) -> str:
    return entry[0] if isinstance(entry, (tuple, list)) else str(entry)


def on_config_inited(app: Sphinx, config: Config) -> None:
    dirs = _static_dirs(app, config)

    # 1. Never load the vendored trees wholesale on every page.
    config.html_js_files = [
        e for e in config.html_js_files if not _entry_name(e).startswith(VENDOR_PREFIX)
    ]
    config.html_css_files = [
        e for e in config.html_css_files if not _entry_name(e).startswith(VENDOR_PREFIX)
    ]

    # 2. The local copy, or a loud fallback to the CDN.
    if config.mathjax_path in CDN_FALLBACK and not _exists(config.mathjax_path, dirs):
        # Deliberately not a warning: the build runs with -W, and a machine
        # without npm should still be able to build a (network-needing) book.
        logger.info("offline_assets: %s not found; MathJax comes from the CDN", config.mathjax_path)
        config.mathjax_path = CDN_FALLBACK[config.mathjax_path]
    else:
        logger.info("offline_assets: MathJax is served locally")


def _panels_draw_frames(app: Sphinx, config: Config) -> None:
    """Kernels started by this build (they inherit the environment) precompute panel frames."""
    os.environ["BPLIB_PANEL_FRAMES"] = "1"


def _drop_unused_thebe(app: Sphinx) -> None:
    """Stop sphinx-thebe from adding its scripts when live code (thebe) is off.

    Jupyter Book always loads sphinx-thebe.  Its ``env-before-read-docs``
    handler adds an inline ``const THEBE_JS_URL = ...`` script, and when the
    environment is re-read that script lands on the page twice, which the
    browser reports as a SyntaxError.  The book has ``thebe: false``, so the
    scripts have no use: disconnect the handler.
    """
    if app.config.html_theme_options.get("launch_buttons", {}).get("thebe"):
        return
    for listener in list(app.events.listeners.get("env-before-read-docs", [])):
        handler = listener.handler
        if (getattr(handler, "__module__", ""), getattr(handler, "__name__", "")) == (
            "sphinx_thebe", "init_thebe_core"
        ):
            app.disconnect(listener.id)


def setup(app: Sphinx) -> dict:
    # Run before myst-nb reads nb_ipywidgets_js (it does so at builder-inited).
    app.connect("config-inited", on_config_inited, priority=100)
    app.connect("config-inited", _panels_draw_frames)
    app.connect("builder-inited", _drop_unused_thebe)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
