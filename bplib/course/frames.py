"""The HTML book's side of a slider panel: the grid of each control's values, and the frames drawn on it.

Used by :mod:`bplib.course.widgets` for every slider panel (chapters 0 to 3 and 5 to 9).
While the book builds (``BPLIB_PANEL_FRAMES=1``) a panel draws its figure once
for every point of a grid of its controls' values; each frame is a PNG that
records the values it was drawn for (a text chunk, read back by
:func:`png_values`), so a test can check that the figure on the page is the
one drawn for the values the reader chose.
"""

from __future__ import annotations

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
class Axis:
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


def control_axis(name, spec) -> Axis:
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
    return Axis(name, control, kind, values, tuple(_label(control, kind, v) for v in values), default)


def _label(control, kind, value) -> str:
    if kind == "slider":
        fmt = getattr(control, "readout_format", None) or ("d" if isinstance(value, int) else ".2f")
        try:
            return format(value, fmt)
        except ValueError:
            return f"{value:g}"
    return next(label for label, v in zip(control._options_labels, control._options_values) if _same(v, value))


def frame_keys(axes: list[Axis], groups: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
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


def sweep_groups(sweep, names) -> list[tuple[int, ...]]:
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


def draw_png(draw, values: dict) -> bytes:
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
