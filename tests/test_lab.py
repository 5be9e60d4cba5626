"""The chapters in a real JupyterLab, driven in headless Chromium the way a reader uses them.

The test starts JupyterLab (the ``lab`` extra, installed by `make test`) on a
free local port with a token and no browser, on a scratch copy of
``chapters/`` (JupyterLab saves what it runs; the committed notebooks must
stay clean).  For chapters 00, 01 and 05 it opens the notebook, runs all
cells from the Run menu, and checks what the page shows:

* every code cell ran, and no cell shows an error or anything on stderr;
* MathJax typeset the equations with no error and no undefined macro (which
  JupyterLab's MathJax shows as its name in red; the book's macros are defined
  by each chapter's notation cell, see tools/chapter_cells.py);
* every slider panel rendered its controls and its figure, with no
  "Loading widget" or error widget;
* moving a slider of the chapter's first panel with the mouse (and pressing
  its button, if it has one) redraws the panel's figure: the image after
  differs from the image before.

It never reaches the network (every request not to the local server is
blocked and reported) and stops the server it started.  Chromium is Debian's
``/usr/bin/chromium``, the session's shared ``browser`` (conftest.py): without
it the test skips, except in CI (``CI=true``), where it fails.  Screenshots go to
``_build/screenshots/lab-*.png``.

What it relies on in a panel (bplib.course.widgets): a panel is an ipywidgets box
that holds its controls (a slider has the ARIA role ``slider``) and an output
area with the figure as an ``<img>``.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.browser

CHAPTERS = ["00_how_to_use", "01_forward_pass", "05_regression"]
SCREENSHOTS = ROOT / "_build" / "screenshots"
RUN_TIMEOUT_S = 300  # one chapter, all cells (each chapter runs in well under a minute)
JUPYTER_LAB = Path(sys.executable).parent / "jupyter-lab"


# --------------------------------------------------------------------- the server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lab_settings(settings_dir: Path) -> None:
    """User settings for the test's JupyterLab: every cell in the page, no news, no update check."""
    files = {
        # Windowing would leave the cells outside the view out of the page.
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
            "fetchNews": "false", "checkForUpdates": False},
    }
    for name, value in files.items():
        path = settings_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value), encoding="utf-8")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on a copy of chapters/ (and benchmarks/results.json, which chapter 09 reads)."""
    if not JUPYTER_LAB.exists():
        pytest.fail(f"{JUPYTER_LAB} is missing: JupyterLab comes with the dev extra (`make setup`)")
    home = tmp_path_factory.mktemp("lab")
    root = home / "book"
    shutil.copytree(ROOT / "chapters", root / "chapters")
    if (ROOT / "benchmarks" / "results.json").is_file():
        (root / "benchmarks").mkdir()
        shutil.copy(ROOT / "benchmarks" / "results.json", root / "benchmarks" / "results.json")
    lab_settings(home / "settings")
    port, token = free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    cmd = [str(JUPYTER_LAB), "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(home / "lab.log", "w", encoding="utf-8")
    server = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with {server.returncode}:\n{(home / 'lab.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer within 120 s:\n{(home / 'lab.log').read_text()[-3000:]}")
            time.sleep(0.5)
        yield {"base": base, "token": token, "root": root, "log": home / "lab.log"}
    finally:
        server.terminate()  # Jupyter shuts its kernels down on SIGTERM
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


# ------------------------------------------------------------------------ the page
PROMPTS = """panel => Array.from(panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt'))
                          .map(p => p.textContent.trim())"""

REPORT = """panel => {
  const text = el => (el.innerText || el.textContent || '').trim();
  const outputs = Array.from(panel.querySelectorAll('.jp-OutputArea-output'));
  const stderr = outputs.filter(o => o.getAttribute('data-mime-type') === 'application/vnd.jupyter.stderr')
                        .map(o => text(o).slice(0, 400));
  const panels = Array.from(panel.querySelectorAll('.jp-OutputArea-output > .widget-vbox'));
  return {
    stderr,
    mjx: panel.querySelectorAll('mjx-container').length,
    merrors: Array.from(panel.querySelectorAll('mjx-merror')).map(e => text(e)).slice(0, 5),
    // JupyterLab's MathJax shows an undefined macro as its name in red, not as an merror.
    undefined: Array.from(panel.querySelectorAll('mjx-assistive-mml mtext[mathcolor="red"]'))
                    .map(e => e.textContent).slice(0, 5),
    red_text: panel.querySelectorAll('mjx-mtext[style*="red"]').length,
    panels: panels.length,
    panels_without_figure: panels.filter(p => !p.querySelector('img')).length,
    panels_without_controls: panels.filter(p => !p.querySelector('.widget-slider, .widget-dropdown, button')).length,
    error_widgets: panel.querySelectorAll('.jupyter-widgets-error-widget').length,
    loading: text(panel).includes('Loading widget'),
    error_text: text(panel).includes('Error displaying widget'),
  };
}"""


def has_math(chapter: str) -> bool:
    nb = json.loads((ROOT / "chapters" / f"{chapter}.ipynb").read_text(encoding="utf-8"))
    return any("$" in "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def open_chapter(context, lab, chapter):
    """The chapter's tab, once its kernel is idle; returns (tab, the notebook panel's locator)."""
    tab = context.new_page()
    # ?reset: a fresh workspace, so that no notebook of an earlier test is reopened beside it.
    tab.goto(f"{lab['base']}/lab/tree/chapters/{chapter}.ipynb?reset&token={lab['token']}", timeout=120_000)
    notebook = tab.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    notebook.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for(timeout=120_000)
    return tab, notebook


def run_all(tab, notebook) -> list[str]:
    """Run > Run All Cells, then wait until every code cell has an execution count."""
    def started() -> bool:
        return any(p != "[ ]:" for p in notebook.evaluate(PROMPTS))

    for _ in range(3):  # a page that has only just loaded may not take the first click
        # The Run menu acts on the notebook that has the focus: select the first code
        # cell through its prompt (a click into a markdown cell could follow a link).
        notebook.locator(".jp-CodeCell .jp-InputPrompt").first.click()
        tab.locator(".lm-MenuBar-item", has_text="Run").first.click()
        tab.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
        try:
            tab.wait_for_function(f"() => {{ const panel = document.querySelector("
                                  f"'.jp-NotebookPanel:not(.lm-mod-hidden)'); return ({PROMPTS})(panel)"
                                  f".some(p => p !== '[ ]:'); }}", timeout=20_000)
            break
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError; try the menu again
            tab.keyboard.press("Escape")
    if not started():
        raise AssertionError("Run > Run All Cells did not start the notebook")
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while True:
        prompts = notebook.evaluate(PROMPTS)
        if prompts and all(p.startswith("[") and p[1:-2].strip().isdigit() for p in prompts):
            return prompts
        if time.monotonic() > deadline:
            raise AssertionError(f"Run All did not finish within {RUN_TIMEOUT_S} s; prompts: {prompts}")
        time.sleep(0.5)


def move_a_slider_and_compare(tab, notebook) -> tuple[bytes, bytes, str]:
    """Drag the first panel's first slider, press its button if any; return the figure before and after."""
    panel = notebook.locator(".jp-OutputArea-output > .widget-vbox").filter(has=tab.get_by_role("slider")).first
    panel.scroll_into_view_if_needed()
    slider = panel.get_by_role("slider").first
    figure = panel.locator("img").first
    before_src, before = figure.get_attribute("src"), figure.screenshot()
    value_before = slider.get_attribute("aria-valuenow")

    # The figure's screenshot may have scrolled the slider out of the window, where the mouse
    # cannot reach it: bring the slider back into view before reading where it is.
    slider.scroll_into_view_if_needed()
    handle = slider.bounding_box()
    track = slider.locator("xpath=ancestor::*[contains(@class, 'noUi-base') or contains(@class, 'slider-container')][1]")
    box = track.bounding_box() if track.count() else None
    width = box["width"] if box else 150
    x, y = handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2
    step = width * 0.3 if box is None or x < box["x"] + box["width"] * 0.6 else -width * 0.3
    tab.mouse.move(x, y)
    tab.mouse.down()
    tab.mouse.move(x + step, y, steps=8)
    tab.mouse.up()
    value_after = slider.get_attribute("aria-valuenow")
    assert value_after != value_before, f"the slider did not move (aria-valuenow stayed {value_before})"

    buttons = panel.get_by_role("button")
    if buttons.count():
        buttons.first.click()
    deadline = time.monotonic() + 120
    while figure.get_attribute("src") == before_src:
        if time.monotonic() > deadline:
            raise AssertionError("the figure did not change within 120 s of moving the slider")
        time.sleep(0.25)
    time.sleep(0.5)  # let the new image paint
    return before, panel.locator("img").first.screenshot(), f"{value_before} -> {value_after}"


def check_chapter(browser, chapter: str, lab: dict) -> list[str]:
    """Open, run and check one chapter in JupyterLab; return what is wrong (nothing: [])."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    blocked: list[str] = []

    def only_local(route):
        url = route.request.url
        if url.startswith(lab["base"]) or url.startswith(("ws://127.0.0.1", "data:", "blob:", "about:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", only_local)
    problems: list[str] = []
    started = time.monotonic()
    try:
        tab, notebook = open_chapter(context, lab, chapter)
        tab.on("pageerror", lambda e: problems.append(f"script error: {e}"))
        prompts = run_all(tab, notebook)
        ran_in = time.monotonic() - started

        tab.wait_for_timeout(1000)  # the last outputs and MathJax settle
        report = notebook.evaluate(REPORT)
        if report["stderr"]:
            problems.append(f"cells show errors or stderr: {report['stderr'][:3]}")
        if report["merrors"]:
            problems.append(f"MathJax errors: {report['merrors']}")
        if report["undefined"] or report["red_text"]:
            problems.append(f"{report['red_text']} undefined TeX macros shown in red: {report['undefined']}")
        if has_math(chapter) and report["mjx"] == 0:
            problems.append("no equation was typeset (no mjx-container)")
        if report["panels"] == 0:
            problems.append("no slider panel rendered")
        for key in ("panels_without_figure", "panels_without_controls", "error_widgets"):
            if report[key]:
                problems.append(f"{report[key]} {key.replace('_', ' ')}")
        if report["loading"] or report["error_text"]:
            problems.append("a widget placeholder or widget error is left on the page")

        before, after, moved = move_a_slider_and_compare(tab, notebook)
        if before == after:
            problems.append(f"moving the slider ({moved}) left the figure's image unchanged")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / f"lab-{chapter}-figure-before.png").write_bytes(before)
        (SCREENSHOTS / f"lab-{chapter}-figure-after.png").write_bytes(after)
        tab.screenshot(path=str(SCREENSHOTS / f"lab-{chapter}.png"))
        print(f"{chapter}: {len(prompts)} code cells ran in JupyterLab in {ran_in:.0f} s; "
              f"{report['panels']} panels; {report['mjx']} equations; slider {moved}")
    finally:
        context.close()
    if blocked:
        problems.append(f"JupyterLab tried to reach the network (blocked): {sorted(set(blocked))[:5]}")
    return problems


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_runs_in_jupyterlab(chapter, browser, lab):
    problems = check_chapter(browser, chapter, lab)
    assert not problems, f"{chapter} in JupyterLab:\n  " + "\n  ".join(problems)
