"""Slider panels: a figure that follows the reader's controls, in Jupyter and in the HTML book.

A chapter makes a panel with one call::

    slider_panel(draw_tangent, button=None,
                 z=widgets.FloatSlider(value=1.0, min=-6, max=6, step=0.1),
                 w=with_grid(widgets.FloatSlider(value=1.0, min=-3, max=3), [-2, -1, 0, 1, 2]))

The panel works in two ways, chosen when it is made.

* **Live**, in a Jupyter kernel (the usual case). The panel is an ipywidgets
  tree: the chapter's own controls, an optional button, and a
  ``widgets.Image`` that shows ``draw(**values)``. The figure is drawn again
  on every change of a control, or, with a ``button``, each time the button is
  pressed. Any value a control can take is drawn.
* **Frames**, when the book is built (the environment variable
  ``BPLIB_PANEL_FRAMES=1``, which the book's Sphinx extension sets for the
  notebooks it executes). The panel draws its figure once for every point of a
  grid of the controls' values and shows itself as HTML: plain HTML controls
  over the grid, the figures as PNG frames inside the page, and the book's
  script ``_assets/panels.js`` that shows the frame for the chosen values. No
  kernel and no network is needed to move the sliders of the built book.
  Widgets made in such a kernel send nothing to a frontend, so the page holds
  no widget state and needs no widget manager.

The grid of a control is the control's own ``min``/``max``/``step`` (or its
options), or the list of values given to :func:`with_grid` beside the control.
By default the frames cover every combination of the grids. ``sweep=`` names
controls (or tuples of controls) that vary one at a time from their starting
values instead, which keeps a panel of several controls to a few dozen frames:
in the HTML book, moving one of them puts the other swept controls back to
where they started.

Every frame is a PNG that records the values it was drawn for (a text chunk,
read back by :func:`png_values`), so a test can check that the figure on the
page is the one drawn for the values the reader chose.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import json
import math
import os
from dataclasses import dataclass

#: Set to "1" to make panels draw their frames for the HTML book (see the module docstring).
FRAMES_ENV = "BPLIB_PANEL_FRAMES"
#: Resolution of every panel figure, live and precomputed: the inline backend's default.
FRAME_DPI = 100
#: A panel with more frames than this is refused: the frames of a page must stay a few megabytes.
MAX_FRAMES = 240
#: The PNG text chunk that holds the values a frame was drawn for.
PNG_VALUES_KEY = "bplib-panel-values"


# ------------------------------------------------------------------------------------------- grids
@dataclass(frozen=True)
class Gridded:
    """A control with the values the HTML book precomputes for it (made by :func:`with_grid`)."""

    control: object
    values: tuple


def with_grid(control, values) -> Gridded:
    """Declare the values at which the HTML book draws a panel's figure for ``control``.

    Parameters
    ----------
    control : ipywidgets widget
        The control as the reader uses it in Jupyter, where every value it can
        take is drawn live.
    values : sequence
        The grid for the HTML book: values the control can take, its starting
        value among them.

    Returns
    -------
    Gridded, to pass to :func:`slider_panel` in place of the bare control.
    """
    values = tuple(values)
    _control_kind(control, "with_grid")
    if not values:
        raise ValueError("with_grid: the grid is empty; give at least the control's starting value")
    return Gridded(control, values)


def _control_kind(control, caller):
    """'slider' (a number in [min, max]), 'selection' (one of options) or 'select' (a dropdown)."""
    import ipywidgets as w

    if isinstance(control, (w.Dropdown, w.RadioButtons, w.ToggleButtons, w.Select)):
        return "select"
    if isinstance(control, (w.SelectionSlider,)):
        return "selection"
    if isinstance(control, (w.IntSlider, w.FloatSlider, w.FloatLogSlider)):
        return "slider"
    raise TypeError(
        f"{caller}: a control must be an ipywidgets slider (IntSlider, FloatSlider, FloatLogSlider, "
        f"SelectionSlider) or a choice (Dropdown, RadioButtons, ToggleButtons, Select); "
        f"got {type(control).__name__}"
    )


def _tidy(x: float) -> float:
    """Remove the rounding noise of min + k * step (0.15000000000000002 becomes 0.15)."""
    return float(f"{x:.12g}")


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def _default_grid(control) -> tuple:
    """The values a control's own min/max/step (or options) allow, in order."""
    import ipywidgets as w

    if _control_kind(control, "slider_panel") != "slider":
        return tuple(control._options_values)
    step = control.step
    count = int(math.floor((control.max - control.min) / step + 1e-9)) + 1
    if isinstance(control, w.FloatLogSlider):
        return tuple(_tidy(control.base ** (control.min + k * step)) for k in range(count))
    if isinstance(control.value, int) and not isinstance(control.value, bool):
        return tuple(int(control.min + k * step) for k in range(count))
    return tuple(_tidy(control.min + k * step) for k in range(count))


@dataclass
class _Axis:
    """One control of a panel: its name, the widget, its grid and the grid's labels."""

    name: str
    control: object
    kind: str
    values: tuple
    labels: tuple
    default: int

    @property
    def description(self) -> str:
        return getattr(self.control, "description", "") or self.name


def _axis(name, spec) -> _Axis:
    import ipywidgets as w

    if isinstance(spec, Gridded):
        control, values, declared = spec.control, spec.values, True
    else:
        control, values, declared = spec, _default_grid(spec), False
    kind = _control_kind(control, "slider_panel")
    value = control.value

    if kind == "slider":
        low, high = control.min, control.max
        if isinstance(control, w.FloatLogSlider):
            low, high = control.base ** low, control.base ** high
        outside = [v for v in values if not (low - 1e-12 * abs(low) <= v <= high + 1e-12 * abs(high))]
        if outside:
            raise ValueError(f"slider_panel: control {name!r} takes values in [{low:g}, {high:g}]; "
                             f"its grid has {outside}")
        cast = int if isinstance(value, int) and not isinstance(value, bool) else float
        values = tuple(cast(v) for v in values)
    else:
        allowed = _default_grid(control)
        unknown = [v for v in values if not any(_same(v, a) for a in allowed)]
        if unknown:
            raise ValueError(f"slider_panel: control {name!r} has the options {list(allowed)}; "
                             f"its grid has {unknown}")

    if len(set(values)) != len(values):
        raise ValueError(f"slider_panel: the grid of control {name!r} repeats values: {list(values)}")
    at = [i for i, v in enumerate(values) if _same(v, value)]
    if not at:
        if declared:
            raise ValueError(f"slider_panel: the grid of control {name!r} is {list(values)}, without "
                             f"the control's starting value {value!r}; the HTML book opens at that value")
        values = tuple(sorted(values + (value,)))  # a start between two marks of the slider
        at = [values.index(value)]
    default = at[0]
    values = values[:default] + (value,) + values[default + 1:]  # the start exactly as the control has it
    return _Axis(name, control, kind, values, tuple(_label(control, kind, v) for v in values), default)


def _label(control, kind, value) -> str:
    if kind == "slider":
        fmt = getattr(control, "readout_format", None) or ("d" if isinstance(value, int) else ".2f")
        try:
            return format(value, fmt)
        except ValueError:
            return f"{value:g}"
    return next(label for label, v in zip(control._options_labels, control._options_values) if _same(v, value))


def _frame_keys(axes: list[_Axis], groups: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """Grid positions to draw: every combination, except that at most one sweep group leaves its start."""
    swept = {i for g in groups for i in g}
    crossed = [i for i in range(len(axes)) if i not in swept]
    keys = []
    for outer in itertools.product(*(range(len(axes[i].values)) for i in crossed)):
        start = [a.default for a in axes]
        for i, k in zip(crossed, outer):
            start[i] = k
        keys.append(tuple(start))
        for group in groups:
            for inner in itertools.product(*(range(len(axes[i].values)) for i in group)):
                if all(k == axes[i].default for i, k in zip(group, inner)):
                    continue
                key = list(start)
                for i, k in zip(group, inner):
                    key[i] = k
                keys.append(tuple(key))
    return keys


def _sweep_groups(sweep, names) -> list[tuple[int, ...]]:
    if sweep is None:
        return []
    if isinstance(sweep, str):
        sweep = [sweep]
    groups, seen = [], set()
    for entry in sweep:
        group = (entry,) if isinstance(entry, str) else tuple(entry)
        for name in group:
            if name not in names:
                raise ValueError(f"slider_panel: sweep names {name!r}, which is not one of the controls {names}")
            if name in seen:
                raise ValueError(f"slider_panel: control {name!r} appears twice in sweep")
            seen.add(name)
        groups.append(tuple(names.index(n) for n in group))
    return groups


# ------------------------------------------------------------------------------------------ frames
def render_png(fig, values: dict | None = None) -> bytes:
    """A matplotlib figure as a small PNG (256 colours, ``FRAME_DPI``), recording ``values`` if given.

    The figure is cropped to its contents like the inline backend's figures.
    Rendering the same figure twice gives the same bytes.
    """
    from PIL import Image, PngImagePlugin

    small = _rgb_tight(fig).quantize(colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    info = PngImagePlugin.PngInfo()
    if values is not None:
        info.add_text(PNG_VALUES_KEY, json.dumps(values, sort_keys=True))
    out = io.BytesIO()
    small.save(out, format="png", pnginfo=info)
    return out.getvalue()


def _rgb_tight(fig):
    """The figure drawn at FRAME_DPI on white, cropped to its contents like ``bbox_inches="tight"``.

    One draw instead of savefig's two: the picture is drawn once and cropped to
    its non-white pixels plus savefig's default padding of 0.1 inch. A figure
    whose contents touch its edges (a legend placed outside, say) may reach
    past them, and is saved with ``bbox_inches="tight"`` instead.
    """
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    old_dpi, old_face = fig.dpi, fig.get_facecolor()
    try:
        fig.set_dpi(FRAME_DPI)
        fig.set_facecolor("white")
        canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
        canvas.draw()
        rgb = np.asarray(canvas.buffer_rgba())[:, :, :3]
    finally:
        fig.set_dpi(old_dpi)
        fig.set_facecolor(old_face)
    ink = np.any(rgb < 255, axis=2)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    height, width = ink.shape
    if rows.size and rows[0] > 0 and cols[0] > 0 and rows[-1] < height - 1 and cols[-1] < width - 1:
        pad = round(0.1 * FRAME_DPI)
        top, bottom = max(rows[0] - pad, 0), min(rows[-1] + 1 + pad, height)
        left, right = max(cols[0] - pad, 0), min(cols[-1] + 1 + pad, width)
        return Image.fromarray(np.ascontiguousarray(rgb[top:bottom, left:right]))
    raw = io.BytesIO()
    fig.savefig(raw, format="png", dpi=FRAME_DPI, bbox_inches="tight", facecolor="white",
                pil_kwargs={"compress_level": 1})
    return Image.open(io.BytesIO(raw.getvalue())).convert("RGB")


def png_values(png: bytes) -> dict | None:
    """The values a frame made by :func:`render_png` was drawn for (None if it records none)."""
    from PIL import Image

    text = Image.open(io.BytesIO(png)).text.get(PNG_VALUES_KEY)
    return None if text is None else json.loads(text)


def _draw_png(draw, values: dict) -> bytes:
    """Call ``draw(**values)``, render its figure, and close every figure it opened."""
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    try:
        fig = draw(**values)
        fig = fig if fig is not None else plt.gcf()
        return render_png(fig, values)
    finally:
        for number in set(plt.get_fignums()) - before:
            plt.close(number)


def frames_wanted() -> bool:
    """True when panels should draw their frames for the HTML book (``BPLIB_PANEL_FRAMES=1``)."""
    return os.environ.get(FRAMES_ENV, "").strip().lower() in ("1", "true", "yes")


def _widgets_talk_to_nobody() -> None:
    """While the book builds, give every new widget a comm that sends nothing.

    No frontend ever shows a kernel that builds the book, and the panels there
    are plain HTML. A control whose comm opened would still put its state into
    the page, and that makes the page load the ipywidgets manager (a 3.6 MB
    script) only to show nothing. Called once, when this module is imported
    with ``BPLIB_PANEL_FRAMES=1``: chapters import it before they make their
    controls.
    """
    import ipywidgets as w
    from comm import DummyComm

    def quiet(widget):
        if widget.comm is None:
            widget.comm = DummyComm()

    w.Widget.on_widget_constructed(quiet)


# ------------------------------------------------------------------------------------------- panel
class SliderPanel:
    """What :func:`slider_panel` returns; display it as the last expression of a cell.

    Attributes
    ----------
    widget : ipywidgets.VBox or None
        The live panel (controls, optional button, status line, figure), or
        None when the panel was made for the HTML book.
    figure : ipywidgets.Image or None
        The live figure, redrawn on every change (or button press).
    frames : dict
        For the HTML book only: grid position (a tuple of indices, one per
        control) to PNG bytes. Empty for a live panel.
    """

    def __init__(self, draw, button, axes: list[_Axis], groups, frames: bool):
        self.draw = draw
        self.button = button
        self.axes = axes
        self.groups = groups
        self.frames: dict[tuple[int, ...], bytes] = {}
        self.widget = self.figure = self.status = self.run_button = None
        if frames:
            for key in _frame_keys(axes, groups):
                self.frames[key] = _draw_png(draw, self.values_at(key))
        else:
            self._build_live()

    # -- both
    @property
    def controls(self) -> dict:
        return {a.name: a.control for a in self.axes}

    def values_at(self, key) -> dict:
        """The keyword arguments of ``draw`` at a grid position."""
        return {a.name: _plain(a.values[k]) for a, k in zip(self.axes, key)}

    @property
    def default_key(self) -> tuple[int, ...]:
        return tuple(a.default for a in self.axes)

    def _repr_mimebundle_(self, include=None, exclude=None):
        if self.widget is not None:
            return self.widget._repr_mimebundle_(include=include, exclude=exclude)
        return {"text/html": self.html(), "text/plain": repr(self)}

    def __repr__(self):
        names = ", ".join(a.name for a in self.axes)
        mode = f"{len(self.frames)} frames" if self.widget is None else "live"
        return f"<slider panel of {names}: {mode}>"

    # -- live
    def _build_live(self):
        import ipywidgets as w

        self.figure = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self.status = w.HTML(layout=w.Layout(min_height="1.5em"))
        items = [a.control for a in self.axes]
        if self.button:
            self.run_button = w.Button(description=self.button, button_style="primary")
            self.run_button.on_click(self.redraw)
            items.append(self.run_button)
        else:
            for control in self.controls.values():
                control.observe(self.redraw, names="value")
        self.widget = w.VBox([w.HBox(items, layout=w.Layout(flex_flow="row wrap")), self.status, self.figure])
        self.figure.value = _draw_png(self.draw, self.current_values())

    def current_values(self) -> dict:
        return {a.name: _plain(a.control.value) for a in self.axes}

    def redraw(self, *_):
        """Draw the figure for the controls' current values (what a change or the button does)."""
        self.status.value = "<i>drawing…</i>"
        try:
            self.figure.value = _draw_png(self.draw, self.current_values())
        except Exception as err:  # shown under the controls; the old figure stays
            self.status.value = f"<b>{html.escape(type(err).__name__)}</b>: {html.escape(str(err))}"
            raise
        self.status.value = ""

    # -- HTML book
    def html(self) -> str:
        """The panel for the HTML book: controls, the starting frame, and every frame as data."""
        if self.widget is not None:
            raise ValueError("SliderPanel.html: this panel is live and has no frames; "
                             f"make it with {FRAMES_ENV}=1")
        data = {
            "controls": [
                {"name": a.name, "label": a.description, "values": [_plain(v) for v in a.values],
                 "labels": list(a.labels), "default": a.default}
                for a in self.axes
            ],
            "groups": [list(g) for g in self.groups],
            "button": self.button or None,
            "frames": {",".join(map(str, k)): base64.b64encode(png).decode("ascii")
                       for k, png in self.frames.items()},
        }
        payload = json.dumps(data, separators=(",", ":"), ensure_ascii=False).replace("<", "\\u003c")
        rows = []
        for a in self.axes:
            name = html.escape(a.description)
            if a.kind == "select":
                options = "".join(
                    f'<option value="{i}"{" selected" if i == a.default else ""}>{html.escape(label)}</option>'
                    for i, label in enumerate(a.labels))
                field = f'<select class="bp-panel-input" data-control="{html.escape(a.name)}">{options}</select>'
            else:
                field = (f'<input class="bp-panel-input" type="range" data-control="{html.escape(a.name)}" '
                         f'min="0" max="{len(a.values) - 1}" step="1" value="{a.default}" '
                         f'aria-valuetext="{html.escape(a.labels[a.default])}">'
                         f'<output class="bp-panel-readout">{html.escape(a.labels[a.default])}</output>')
            rows.append(f'<label class="bp-panel-control"><span class="bp-panel-name">{name}</span>{field}</label>')
        if self.button:
            rows.append(f'<button type="button" class="bp-panel-button">{html.escape(self.button)}</button>')
        start = base64.b64encode(self.frames[self.default_key]).decode("ascii")
        alt = html.escape("figure for " + ", ".join(f"{a.description} = {a.labels[a.default]}" for a in self.axes))
        return (
            '<div class="bp-panel">'
            f'<script type="application/json" class="bp-panel-data">{payload}</script>'
            f'<div class="bp-panel-controls">{"".join(rows)}</div>'
            f'<img class="bp-panel-figure" alt="{alt}" src="data:image/png;base64,{start}">'
            f'<p class="bp-panel-note">{html.escape(self.note())}</p>'
            '</div>'
        )

    def note(self) -> str:
        """One line under the panel in the HTML book: what its frames cover."""
        n = len(self.frames)
        if self.button:
            text = (f"In the web book, {self.button} shows one of {n} runs made when the book was built, "
                    "for the marks on the controls.")
        else:
            text = f"In the web book, the panel shows {n} figures drawn when the book was built, one per mark."
        if len(self.groups) > 1:
            names = "; ".join(" with ".join(self.axes[i].description for i in g) for g in self.groups)
            text += f" These move one at a time from their starting values (moving one sets the others back): {names}."
        return text + " Run the chapter in Jupyter to try any value."


def _plain(value):
    """numpy scalars to Python numbers, for JSON and for draw()."""
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    return value


if frames_wanted():
    _widgets_talk_to_nobody()


def slider_panel(draw, button=None, sweep=None, **controls) -> SliderPanel:
    """Show ``controls`` above a figure drawn by ``draw(**values)``: live in Jupyter, precomputed in the book.

    Parameters
    ----------
    draw : callable
        Called with one keyword argument per control; makes a matplotlib figure
        and returns it (or leaves it as the current figure). Every figure it
        opens is closed once rendered.
    button : str or None
        Label of a button (e.g. ``"Train"``). With a button, the figure is
        redrawn only when it is pressed: use this when ``draw`` trains a model.
        Without one, the figure follows every change of a control.
    sweep : sequence of names or tuples of names, optional
        Controls that the HTML book varies one at a time from their starting
        values (a tuple varies together, in every combination); every other
        control is combined with each of them. Without ``sweep``, the book
        precomputes every combination of the grids.
    **controls : ipywidgets widgets, or :func:`with_grid` of one
        For example ``w=ipywidgets.FloatSlider(value=0.5, min=-2, max=2, step=0.5)``.
        A control's grid for the HTML book is its own ``min``/``max``/``step``
        (or options), or the values given to :func:`with_grid`.

    Returns
    -------
    SliderPanel, the last expression of its cell. With ``BPLIB_PANEL_FRAMES=1``
    (the book build) it holds the frames and shows as HTML; otherwise it is the
    live ipywidgets panel.
    """
    if not callable(draw):
        raise TypeError(f"slider_panel: draw must be callable, got {type(draw).__name__}")
    if not controls:
        raise ValueError("slider_panel: give at least one control, e.g. w=ipywidgets.FloatSlider()")
    axes = [_axis(name, spec) for name, spec in controls.items()]
    groups = _sweep_groups(sweep, [a.name for a in axes])
    # Checked in a live kernel too, so that running the chapter finds a panel the book build would refuse.
    count = len(_frame_keys(axes, groups))
    if count > MAX_FRAMES:
        sizes = ", ".join(f"{a.name}: {len(a.values)}" for a in axes)
        raise ValueError(f"slider_panel: {count} frames for the HTML book (grid sizes {sizes}) are more "
                         f"than {MAX_FRAMES}; give coarser grids with with_grid() or vary controls "
                         "one at a time with sweep=")
    return SliderPanel(draw, button, axes, groups, frames_wanted())
