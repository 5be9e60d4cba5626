"""Figures more than one chapter draws: training curves and decision boundaries.

Each function draws into a matplotlib ``Axes`` (a new figure when ``ax`` is
None) and returns the axes, so a chapter can add to the picture.
"""

import matplotlib.pyplot as plt
import numpy as np


def _axes(ax, figsize=(5, 3.5)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_history(histories, key="loss", ax=None, logy=False, validation=True, title=None):
    """Plot ``key`` against the epoch for one History or a dict ``label -> History``.

    Validation curves (``val_<key>``), when recorded, are drawn dashed in the
    same colour as their training curve and labelled "validation".
    """
    ax = _axes(ax)
    if not isinstance(histories, dict) or "epoch" in histories:
        histories = {"": histories}
    for label, history in histories.items():
        (line,) = ax.plot(history["epoch"], history[key], label=f"{label} train".strip() if validation and f"val_{key}" in history else label or key)
        if validation and f"val_{key}" in history:
            ax.plot(history["epoch"], history[f"val_{key}"], "--", color=line.get_color(), label=f"{label} validation".strip())
    ax.set_xlabel("epoch")
    ax.set_ylabel(key)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    if ax.get_legend_handles_labels()[1]:
        ax.legend(fontsize="small")
    return ax


def plot_decision_boundary(network, x=None, labels=None, ax=None, lim=(-1.0, 1.0), resolution=200, curve=None, title=None):
    """Shade the plane by the class ``network`` predicts, with the data points on top.

    Parameters
    ----------
    network : Network with two inputs and K >= 2 outputs (class scores)
    x, labels : optional points ``(N, 2)`` and their classes ``(N,)`` to scatter
    lim : (low, high) range of both axes, or ((x_low, x_high), (y_low, y_high))
    curve : optional function ``y = curve(x)``, the true boundary, drawn as a line
    """
    ax = _axes(ax, (4, 4))
    (x0, x1), (y0, y1) = lim if np.ndim(lim) == 2 else (lim, lim)
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    pred = network.predict(grid).reshape(gx.shape)
    ax.contourf(gx, gy, pred, levels=np.arange(pred.max() + 2) - 0.5, cmap="coolwarm", alpha=0.3)
    if x is not None:
        ax.scatter(x[:, 0], x[:, 1], c=labels, cmap="coolwarm", s=8, edgecolors="none")
    if curve is not None:
        u = np.linspace(x0, x1, 400)
        ax.plot(u, curve(u), "k-", lw=1.5, label="true boundary")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    if title:
        ax.set_title(title)
    return ax


def draw_network(sizes, ax=None, labels=None, weights=None, layer_names=None, title=None):
    """Draw a small fully connected network as circles and arrows.

    Parameters
    ----------
    sizes : list of int
        Units per layer, input first, e.g. ``[2, 2, 2]``.
    labels : list of list of str, optional
        Text inside each unit, layer by layer (e.g. names and values).
    weights : list of 2-D arrays or of 2-D lists of str, optional
        ``weights[l][i][j]`` is written on the edge from unit i of layer l to
        unit j of layer l + 1: the batch-first ``W`` of shape ``(n_in, n_out)``.
    layer_names : list of str, optional
        A caption under each layer.
    """
    ax = _axes(ax, (1.8 * len(sizes) + 1, 1.1 * max(sizes) + 1))
    ys = [np.linspace(0.5 * (n - 1), -0.5 * (n - 1), n) if n > 1 else np.zeros(1) for n in sizes]
    for l in range(len(sizes) - 1):
        for i, y0 in enumerate(ys[l]):
            for j, y1 in enumerate(ys[l + 1]):
                ax.annotate("", xy=(l + 1 - 0.17, y1), xytext=(l + 0.17, y0),
                            arrowprops=dict(arrowstyle="->", color="0.55", lw=0.8))
                if weights is not None:
                    value = weights[l][i][j]
                    text = value if isinstance(value, str) else f"{value:.3g}"
                    f = 0.28 if i % 2 == 0 else 0.62  # stagger labels so crossing edges stay readable
                    ax.text(l + f, y0 + f * (y1 - y0), text, fontsize=8, ha="center", va="center",
                            bbox=dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85))
    for l, layer in enumerate(ys):
        for i, y in enumerate(layer):
            ax.add_patch(plt.Circle((l, y), 0.17, fc="#dbe9f6", ec="#2b5d8a", lw=1.2, zorder=3))
            if labels is not None:
                ax.text(l, y, labels[l][i], ha="center", va="center", fontsize=8, zorder=4)
        if layer_names is not None:
            ax.text(l, min(min(y) for y in ys) - 0.45, layer_names[l], ha="center", va="top", fontsize=9)
    ax.set_xlim(-0.4, len(sizes) - 0.6)
    ax.set_ylim(min(min(y) for y in ys) - 0.8, max(max(y) for y in ys) + 0.4)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax
