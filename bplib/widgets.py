"""Slider panels: a figure that redraws as the reader moves a control.

A panel is live only while a Jupyter kernel runs the chapter. The built HTML
book shows the controls and the figure as they were when the chapter was
executed, so every panel is paired in the chapter with a static figure that
tells the same story without a kernel.
"""

import matplotlib.pyplot as plt
from IPython.display import display


def _show(draw, values, out):
    with out:
        out.clear_output(wait=True)
        fig = draw(**values)
        fig = fig if fig is not None else plt.gcf()
        display(fig)
        plt.close(fig)


def slider_panel(draw, button=None, **controls):
    """Show ``controls`` above a figure drawn by ``draw(**values)``.

    Parameters
    ----------
    draw : callable
        Called with one keyword argument per control; makes a matplotlib figure
        and returns it (or leaves it as the current figure).
    button : str or None
        Label of a button (e.g. ``"Train"``). With a button, the figure is
        redrawn only when it is pressed: use this when ``draw`` trains a model.
        Without one, the figure follows every change of a control.
    **controls : ipywidgets widgets
        For example ``w=ipywidgets.FloatSlider(value=0.5, min=-2, max=2)``.

    Returns
    -------
    ipywidgets.VBox holding the controls, the optional button and the figure.
    """
    import ipywidgets as w

    out = w.Output()

    def redraw(*_):
        _show(draw, {name: c.value for name, c in controls.items()}, out)

    items = list(controls.values())
    if button:
        run = w.Button(description=button, button_style="primary")
        run.on_click(redraw)
        items.append(run)
    else:
        for control in controls.values():
            control.observe(redraw, names="value")
    panel = w.VBox([w.HBox(items, layout=w.Layout(flex_flow="row wrap")), out])
    redraw()
    return panel
