"""Slider panels: a figure that follows the reader's controls, in Jupyter and in the HTML book.

Used by the interactive sections of chapters 0 to 3 and 5 to 9.

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
import json

from .frames import (
    FRAME_DPI, FRAMES_ENV, MAX_FRAMES, PNG_VALUES_KEY, Axis, Gridded, control_axis, draw_png, frame_keys,
    frames_wanted, png_values, render_png, sweep_groups, with_grid,
)

# with_grid, png_values, render_png and the constants are defined in .frames and belong to this interface too.
__all__ = ["FRAMES_ENV", "FRAME_DPI", "MAX_FRAMES", "PNG_VALUES_KEY", "Gridded", "SliderPanel", "png_values",
           "render_png", "slider_panel", "with_grid"]


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

    def __init__(self, draw, button, axes: list[Axis], groups, frames: bool):
        self.draw = draw
        self.button = button
        self.axes = axes
        self.groups = groups
        self.frames: dict[tuple[int, ...], bytes] = {}
        self.widget = self.figure = self.status = self.run_button = None
        if frames:
            for key in frame_keys(axes, groups):
                self.frames[key] = draw_png(draw, self.values_at(key))
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
        self.figure.value = draw_png(self.draw, self.current_values())

    def current_values(self) -> dict:
        return {a.name: _plain(a.control.value) for a in self.axes}

    def redraw(self, *_):
        """Draw the figure for the controls' current values (what a change or the button does)."""
        self.status.value = "<i>drawing…</i>"
        try:
            self.figure.value = draw_png(self.draw, self.current_values())
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
    axes = [control_axis(name, spec) for name, spec in controls.items()]
    groups = sweep_groups(sweep, [a.name for a in axes])
    # Checked in a live kernel too, so that running the chapter finds a panel the book build would refuse.
    count = len(frame_keys(axes, groups))
    if count > MAX_FRAMES:
        sizes = ", ".join(f"{a.name}: {len(a.values)}" for a in axes)
        raise ValueError(f"slider_panel: {count} frames for the HTML book (grid sizes {sizes}) are more "
                         f"than {MAX_FRAMES}; give coarser grids with with_grid() or vary controls "
                         "one at a time with sweep=")
    return SliderPanel(draw, button, axes, groups, frames_wanted())
