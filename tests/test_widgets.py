"""bplib.course.widgets: a slider panel is live in plain Python and carries the right frames for the book.

No kernel runs here: the live panel's figure is an ipywidgets Image whose value
is set from Python, so a changed control must change those bytes; the frames
made for the HTML book are checked against the values each was drawn for
(every frame records them) and against the live drawing.
"""

from __future__ import annotations

import base64
import html as html_lib
import json
import re

import ipywidgets as w
import matplotlib

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from bplib.course import frames as panel_frames  # noqa: E402
from bplib.course import widgets as bw  # noqa: E402
from bplib.course.widgets import png_values, render_png, slider_panel, with_grid  # noqa: E402


class Recorder:
    """A draw function that plots its arguments and remembers every call."""

    def __init__(self):
        self.calls = []

    def __call__(self, **values):
        self.calls.append(values)
        fig, ax = plt.subplots(figsize=(3, 2))
        numbers = [v for v in values.values() if isinstance(v, (int, float))]
        ax.plot(np.arange(4), np.arange(4) * (sum(numbers) + 1))
        ax.set_title(", ".join(f"{k}={v}" for k, v in sorted(values.items())), fontsize=7)
        return fig


@pytest.fixture
def live(monkeypatch):
    monkeypatch.delenv(bw.FRAMES_ENV, raising=False)


@pytest.fixture
def frames(monkeypatch):
    monkeypatch.setenv(bw.FRAMES_ENV, "1")


def panel_data(panel) -> dict:
    found = re.search(r'<script type="application/json" class="bp-panel-data">(.*?)</script>', panel.html())
    assert found, "the panel's HTML carries no frame data"
    return json.loads(found.group(1))


# ------------------------------------------------------------------------------ live
def test_live_panel_redraws_the_figure_on_every_change(live):
    draw = Recorder()
    x = w.FloatSlider(value=0.5, min=0, max=1, step=0.25)
    panel = slider_panel(draw, x=x, kind=w.Dropdown(options=["a", "b"], value="a"))
    assert isinstance(panel.widget, w.VBox) and panel.frames == {}
    first = panel.figure.value
    assert png_values(first) == {"x": 0.5, "kind": "a"}

    x.value = 0.75
    assert png_values(panel.figure.value) == {"x": 0.75, "kind": "a"}
    assert panel.figure.value != first
    panel.controls["kind"].value = "b"
    assert png_values(panel.figure.value) == {"x": 0.75, "kind": "b"}
    assert draw.calls == [{"x": 0.5, "kind": "a"}, {"x": 0.75, "kind": "a"}, {"x": 0.75, "kind": "b"}]


def test_live_panel_with_a_button_draws_only_when_pressed(live):
    draw = Recorder()
    x = w.IntSlider(value=2, min=0, max=4)
    panel = slider_panel(draw, button="Train", x=x)
    first = panel.figure.value
    x.value = 3
    assert panel.figure.value == first and len(draw.calls) == 1
    panel.run_button.click()
    assert png_values(panel.figure.value) == {"x": 3} and len(draw.calls) == 2


def test_live_panel_shows_as_a_widget_with_its_controls_and_figure(live):
    x = w.IntSlider(value=1, min=0, max=2)
    panel = slider_panel(Recorder(), button="Go", x=x)
    bundle = panel._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle and "text/html" not in bundle
    row, status, figure = panel.widget.children
    assert list(row.children) == [x, panel.run_button] and figure is panel.figure
    assert status.value == ""


def test_live_panel_shows_a_failing_draw_under_its_controls(live):
    def draw(x):
        if x > 1:
            raise ValueError("x is too large")
        return Recorder()(x=x)

    x = w.IntSlider(value=0, min=0, max=3)
    panel = slider_panel(draw, x=x)
    before = panel.figure.value
    with pytest.raises(ValueError, match="too large"):
        x.value = 2
    assert "x is too large" in panel.status.value and panel.figure.value == before


def test_live_panel_closes_every_figure_it_draws(live):
    before = plt.get_fignums()
    x = w.IntSlider(value=0, min=0, max=3)
    slider_panel(Recorder(), x=x)
    x.value = 1
    assert plt.get_fignums() == before


# ---------------------------------------------------------------------------- frames
def test_frames_cover_every_combination_and_record_their_values(frames):
    draw = Recorder()
    panel = slider_panel(draw, x=w.IntSlider(value=1, min=0, max=2), kind=w.Dropdown(options=["a", "b"], value="b"))
    assert panel.widget is None
    assert sorted(panel.frames) == [(i, j) for i in range(3) for j in range(2)]
    for key, png in panel.frames.items():
        assert png_values(png) == panel.values_at(key) == {"x": key[0], "kind": "ab"[key[1]]}
    assert len(draw.calls) == 6
    assert panel.default_key == (1, 1)


def test_frames_equal_the_live_drawing_for_the_same_values(frames, monkeypatch):
    def make(value):
        return slider_panel(lambda x, y: Recorder()(x=x, y=y),
                            x=with_grid(w.FloatSlider(value=value, min=-1, max=1), [-1.0, 0.25, 1.0]),
                            y=w.IntSlider(value=3, min=3, max=4))

    book = make(0.25)
    monkeypatch.delenv(bw.FRAMES_ENV)
    for i, x in enumerate([-1.0, 0.25, 1.0]):
        live_panel = make(0.25)
        live_panel.controls["x"].value = x
        assert live_panel.figure.value == book.frames[(i, 0)], f"frame for x = {x} differs from the live drawing"


def test_frames_are_the_same_bytes_every_time(frames):
    def make():
        return slider_panel(Recorder(), x=w.FloatSlider(value=0.0, min=-1, max=1, step=0.5))

    assert make().frames == make().frames


def test_sweep_moves_one_group_at_a_time_and_crosses_the_rest(frames):
    draw = Recorder()
    panel = slider_panel(
        draw, sweep=["b", ("c", "d")],
        a=w.Dropdown(options=["p", "q"], value="p"),
        b=w.IntSlider(value=1, min=0, max=3),
        c=w.IntSlider(value=0, min=0, max=2),
        d=w.IntSlider(value=5, min=5, max=6),
    )
    # a: 2 values, crossed with (the start, 3 other b values, 3 * 2 - 1 other (c, d) pairs)
    assert len(panel.frames) == 2 * (1 + 3 + 5) == len(draw.calls)  # each frame drawn once
    start = panel.default_key
    for key in panel.frames:
        b_moved = key[1] != start[1]
        cd_moved = key[2:] != start[2:]
        assert not (b_moved and cd_moved), key
    assert {(a, c, d) for a, b, c, d in panel.frames if b == start[1]} == {
        (a, c, d) for a in range(2) for c in range(3) for d in range(2)}
    assert panel_data(panel)["groups"] == [[1], [2, 3]]


def test_html_carries_controls_frames_and_the_starting_figure(frames):
    panel = slider_panel(
        Recorder(), button="Train", sweep=["x", "lr"],
        x=w.IntSlider(value=2, min=1, max=3, description="units"),
        lr=with_grid(w.FloatLogSlider(value=0.1, base=10, min=-2, max=0), [0.01, 0.1, 1.0]),
        act=w.Dropdown(options=[("sigmoid", "s"), ("tanh", "t")], value="t", description="f"),
    )
    page = panel.html()
    data = panel_data(panel)
    assert [c["name"] for c in data["controls"]] == ["x", "lr", "act"]
    assert data["controls"][1]["values"] == [0.01, 0.1, 1.0] and data["controls"][1]["labels"] == ["0.01", "0.1", "1"]
    assert data["controls"][2]["labels"] == ["sigmoid", "tanh"] and data["controls"][2]["values"] == ["s", "t"]
    assert data["button"] == "Train"
    assert set(data["frames"]) == {",".join(map(str, k)) for k in panel.frames}
    for key, encoded in data["frames"].items():
        assert base64.b64decode(encoded) == panel.frames[tuple(int(k) for k in key.split(","))]
    ranges = re.findall(r'<input class="bp-panel-input" type="range" data-control="(\w+)" min="0" max="(\d+)" '
                        r'step="1" value="(\d+)"', page)
    assert ranges == [("x", "2", "1"), ("lr", "2", "1")]
    assert '<select class="bp-panel-input" data-control="act">' in page and "selected>tanh" in page
    assert '<button type="button" class="bp-panel-button">Train</button>' in page
    start = re.search(r'<img class="bp-panel-figure" alt="[^"]*" src="data:image/png;base64,([^"]+)"', page).group(1)
    assert png_values(base64.b64decode(start)) == {"x": 2, "lr": 0.1, "act": "t"}
    note = html_lib.unescape(re.search(r'<p class="bp-panel-note">(.*?)</p>', page).group(1))
    assert f"{len(panel.frames)} runs" in note and "(moving one sets the others back): units; lr." in note
    assert panel._repr_mimebundle_()["text/html"] == page


def test_frames_close_every_figure_they_draw(frames):
    def leaky(x):
        plt.figure()  # an extra figure the draw function forgets about
        return Recorder()(x=x)

    before = plt.get_fignums()
    slider_panel(leaky, x=w.IntSlider(value=0, min=0, max=3))
    assert plt.get_fignums() == before


# ----------------------------------------------------------------------------- grids
@pytest.mark.parametrize("control, values, labels", [
    (w.IntSlider(value=2, min=1, max=4), (1, 2, 3, 4), ("1", "2", "3", "4")),
    (w.IntSlider(value=20, min=10, max=40, step=10), (10, 20, 30, 40), ("10", "20", "30", "40")),
    (w.FloatSlider(value=0.0, min=-0.3, max=0.3, step=0.15), (-0.3, -0.15, 0.0, 0.15, 0.3),
     ("-0.30", "-0.15", "0.00", "0.15", "0.30")),
    (w.FloatLogSlider(value=1.0, base=2, min=-2, max=2, step=1), (0.25, 0.5, 1.0, 2.0, 4.0),
     ("0.25", "0.5", "1", "2", "4")),
    # a start between two marks of the slider becomes a mark of its own
    (w.FloatLogSlider(value=0.2, base=10, min=-1, max=0, step=0.5), (0.1, 0.2, 0.316227766017, 1.0),
     ("0.1", "0.2", "0.316", "1")),
    (w.SelectionSlider(options=[1, 4, 16], value=4), (1, 4, 16), ("1", "4", "16")),
    (w.Dropdown(options=[("one", 1), ("two", 2)], value=2), (1, 2), ("one", "two")),
])
def test_a_controls_own_range_is_its_default_grid(live, control, values, labels):
    axis = panel_frames.control_axis("c", control)
    assert axis.values == values and axis.labels == labels
    assert axis.values[axis.default] == control.value


def test_with_grid_replaces_the_controls_own_range(live):
    axis = panel_frames.control_axis("c", with_grid(w.FloatSlider(value=0.5, min=-3, max=3, step=0.05), [-1, 0, 0.5, 3]))
    assert axis.values == (-1.0, 0.0, 0.5, 3.0) and all(isinstance(v, float) for v in axis.values)
    assert axis.default == 2


# ---------------------------------------------------------------------------- errors
@pytest.mark.parametrize("make, error, words", [
    (lambda: slider_panel(Recorder(), x=with_grid(w.IntSlider(value=3, min=0, max=9), [0, 5, 9])),
     ValueError, ["slider_panel", "'x'", "starting value 3"]),
    (lambda: slider_panel(Recorder(), x=with_grid(w.IntSlider(value=3, min=0, max=9), [3, 12])),
     ValueError, ["slider_panel", "'x'", "[0, 9]", "12"]),
    (lambda: slider_panel(Recorder(), f=with_grid(w.Dropdown(options=["a", "b"], value="a"), ["a", "c"])),
     ValueError, ["slider_panel", "'f'", "'c'"]),
    (lambda: slider_panel(Recorder(), x=with_grid(w.IntSlider(value=3), [3, 3])),
     ValueError, ["slider_panel", "repeats"]),
    (lambda: slider_panel(Recorder(), sweep=["y"], x=w.IntSlider(value=1, max=2)),
     ValueError, ["slider_panel", "sweep", "'y'"]),
    (lambda: slider_panel(Recorder(), sweep=["x", ("x",)], x=w.IntSlider(value=1, max=2)),
     ValueError, ["slider_panel", "'x'", "twice"]),
    (lambda: slider_panel(Recorder(), a=w.IntSlider(max=20), b=w.IntSlider(max=20)),
     ValueError, ["slider_panel", "441 frames", f"{bw.MAX_FRAMES}", "sweep="]),
    (lambda: slider_panel(Recorder()), ValueError, ["slider_panel", "at least one control"]),
    (lambda: slider_panel(Recorder(), x=w.Text("hi")), TypeError, ["slider_panel", "Text"]),
    (lambda: slider_panel(Recorder(), x=0.5), TypeError, ["slider_panel", "float"]),
    (lambda: slider_panel("draw", x=w.IntSlider()), TypeError, ["slider_panel", "callable", "str"]),
    (lambda: with_grid(w.IntSlider(), []), ValueError, ["with_grid", "empty"]),
    (lambda: with_grid(w.Checkbox(), [True]), TypeError, ["with_grid", "Checkbox"]),
    (lambda: slider_panel(Recorder(), x=w.IntSlider()).html(), ValueError, ["SliderPanel.html", "live"]),
])
def test_bad_panels_are_refused_with_a_message_that_names_the_problem(live, make, error, words):
    with pytest.raises(error) as caught:
        make()
    for word in words:
        assert word in str(caught.value), (word, str(caught.value))


# ---------------------------------------------------------------------------- frames as PNG
def test_render_png_is_small_cropped_and_records_values():
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot([0, 1], [0, 1])
    ax.set_position([0.3, 0.3, 0.4, 0.4])  # wide empty margins: the frame is cropped to the axes
    try:
        png = render_png(fig, {"x": 1.5, "name": "tanh"})
        plain = render_png(fig)
    finally:
        plt.close(fig)
    from PIL import Image
    import io

    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.mode == "P"  # 256 colours
    assert image.width < 0.7 * 6 * bw.FRAME_DPI and image.height < 0.7 * 4 * bw.FRAME_DPI
    assert png_values(png) == {"x": 1.5, "name": "tanh"} and png_values(plain) is None
    assert fig.dpi == plt.rcParams["figure.dpi"]  # the figure is left as it was


def test_in_a_book_build_widgets_open_no_comm_so_the_page_carries_no_widget_state(monkeypatch):
    import comm

    opened = []

    def kernel_comm(**kwargs):  # what a kernel does: open a comm, which sends the widget's state out
        opened.append(kwargs["data"]["state"]["_model_name"])
        return comm.DummyComm(**kwargs)

    monkeypatch.setattr(comm, "create_comm", kernel_comm)
    w.IntSlider(value=1)
    assert "IntSliderModel" in opened and "LayoutModel" in opened

    before = w.Widget._widget_construction_callback
    opened.clear()
    try:
        bw._widgets_talk_to_nobody()
        slider = w.IntSlider(value=1, min=0, max=3)
        slider.value = 2  # still a working control: the panel reads its value and range
    finally:
        w.Widget.on_widget_constructed(before)
    assert opened == [] and slider.value == 2
