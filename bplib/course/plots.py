"""Figures the chapters draw: training curves, decision boundaries, networks and computational graphs.

* :func:`plot_history`, training curves: chapters 0, 5, 6 and 8;
* :func:`plot_decision_boundary`, a classifier's regions: chapters 6 and 9;
* :func:`draw_network`, the units and weights of a small network: chapters 0, 1 and 4;
* :func:`draw_graph`, the graph behind a :class:`bplib.engine.Value`, with forward
  values, gradients and local derivatives: chapters 2 and 10.

Each function draws into a matplotlib ``Axes`` (a new figure when ``ax`` is
None) and returns the axes, so a chapter can add to the picture.
"""

import re

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import FancyBboxPatch

from bplib.engine import Value


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


# --------------------------------------------------------------- computational graphs

_OP_TEXT = {"+": "+", "-": "\u2212", "*": "\u00b7", "/": "/"}
_FUNC_TEXT = {"exp": "exp", "log": "log", "tanh": "tanh", "sigmoid": "\u03c3", "relu": "relu"}
_SUPERSCRIPT = str.maketrans("0123456789-", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079\u207b")


def _label(node):
    """How a node is referred to inside another node's formula: its name, its number, or its formula."""
    if node.name:
        return node.name
    if not node.op:
        return f"{node.data:g}"
    text = _formula(node, nested=True)
    return text if len(text) <= 12 else "(\u2026)"


def _formula(node, nested=False):
    """The operation that made ``node``, written with its children's labels, e.g. ``x + y``."""
    args = [_label(child) for child in node.children]
    if node.op in _OP_TEXT:
        text = f"{args[0]} {_OP_TEXT[node.op]} {args[1]}"
        return f"({text})" if nested else text
    if node.op.startswith("**"):
        k = node.op[2:]
        power = k.translate(_SUPERSCRIPT) if re.fullmatch(r"-?[0-9]+", k) else f"^{k}"
        # binary operations already come in brackets; only a negation needs them: (-a)², not -a²
        base = f"({args[0]})" if node.children[0].op == "neg" and not node.children[0].name else args[0]
        return f"{base}{power}"
    if node.op == "max":
        return f"max({args[0]}, {args[1]})"
    if node.op == "neg":
        return f"\u2212{args[0]}"
    return f"{_FUNC_TEXT.get(node.op, node.op)}({args[0]})"


class _Waypoint:
    """A place in a column where an edge that skips that column passes between the boxes."""


def _layout(order):
    """Column and row of every node, and the waypoints of edges that skip columns.

    An operation's column is one more than its furthest input's; an input sits
    just left of the first operation that uses it. An edge that spans several
    columns gets a waypoint in every column it crosses, which takes a row
    there like a node, so the edge runs between the boxes rather than through
    them. Rows are ordered by a few sweeps that move each item towards the mean
    height of its neighbours, which keeps edges short and crossings few.

    Returns ``(column, row, routes, n_columns, n_rows)``; ``routes[(node, k)]``
    lists the waypoints of the edge from ``node.children[k]`` to ``node``.
    """
    parents = {node: [] for node in order}
    for node in order:
        for child in node.children:
            parents[child].append(node)
    column = {}
    for node in order:  # children come first in ``order``
        column[node] = 1 + max((column[c] for c in node.children), default=-1)
    for node in reversed(order):  # pull inputs (and only inputs) right, next to their first use
        if not node.children and parents[node]:
            column[node] = min(column[p] for p in parents[node]) - 1
    shift = min(column.values())
    for node in order:
        column[node] -= shift

    # Neighbours in adjacent columns, with waypoints standing in for the skipped columns.
    left = {node: [] for node in order}
    right = {node: [] for node in order}
    routes = {}
    for node in order:
        for k, child in enumerate(node.children):
            previous, route = child, []
            for c in range(column[child] + 1, column[node]):
                point = _Waypoint()
                column[point], left[point], right[point] = c, [previous], []
                right[previous].append(point)
                route.append(point)
                previous = point
            right[previous].append(node)
            left[node].append(previous)
            routes[(node, k)] = route

    n_columns = 1 + max(column.values())
    columns = [[] for _ in range(n_columns)]
    for item in column:  # nodes in order of computation, then waypoints
        columns[column[item]].append(item)
    row = {}

    def assign(items):
        for i, item in enumerate(items):
            row[item] = (len(items) - 1) / 2 - i

    def height(item):
        neighbours = left[item] + right[item]
        return sum(row[m] for m in neighbours) / len(neighbours) if neighbours else row[item]

    for items in columns:
        assign(items)
    for _ in range(4):
        for k in list(range(n_columns)) + list(reversed(range(n_columns))):
            columns[k].sort(key=lambda item: -height(item))
            assign(columns[k])
    return column, row, routes, n_columns, max(len(items) for items in columns)


def draw_graph(root, ax=None, show_grad=True, show_local=True, title=None, value_fmt="{:.4g}",
               value_color="tab:blue", grad_color="tab:red"):
    """Draw the computational graph that produced ``root``.

    Each node is a box with its formula (``q = x + y``), its forward value
    (blue) and, when ``show_grad``, its gradient ``d(root)/d(node)`` (red) as
    left by ``root.backward()``. When ``show_local``, each edge carries the
    local derivative ``d(parent)/d(child)`` in grey, near its arrow head.
    Inputs are on the left, the output on the right.

    Parameters
    ----------
    root : Value
        The output of the graph.
    ax : matplotlib Axes, optional
        Where to draw; a new figure sized to the graph when None.
    show_grad, show_local : bool
        Whether to write gradients on nodes and local derivatives on edges.
    title : str, optional
    value_fmt : str
        Format for every number, e.g. ``"{:.3f}"``.
    value_color, grad_color : matplotlib colours

    Returns
    -------
    matplotlib Axes
    """
    if not isinstance(root, Value):
        raise TypeError(f"draw_graph: expected a Value, got {type(root).__name__}")
    order = root.topological_order()
    column, row, routes, n_columns, n_rows = _layout(order)
    dx, dy, w, h = 2.5, 1.35, 1.55, 0.95  # column spacing, row spacing, box width and height
    if ax is None:
        _, ax = plt.subplots(figsize=(1.25 * dx * n_columns + 0.3, 0.95 * dy * n_rows + 0.6))

    def at(item):
        return column[item] * dx, row[item] * dy

    edge_style = dict(color="0.55", lw=1.0)
    for node in order:
        px, py = at(node)
        # Edges arrive at separate points on the left side of the box, the highest input highest,
        # so that the local derivative written near each arrow head can be told apart.
        n = len(node.children)
        last_before = [routes[(node, k)][-1] if routes[(node, k)] else node.children[k] for k in range(n)]
        by_height = sorted(range(n), key=lambda k: -at(last_before[k])[1])
        arrive = {k: py + 0.3 * h * ((n - 1) / 2 - i) for i, k in enumerate(by_height)}
        for k, (child, local) in enumerate(zip(node.children, node.local_grads)):
            x0, y0 = at(child)[0] + w / 2, at(child)[1]
            for point in routes[(node, k)]:  # straight through each skipped column, between its boxes
                wx, wy = at(point)
                ax.plot([x0, wx - w / 2, wx + w / 2], [y0, wy, wy], zorder=1, **edge_style)
                x0, y0 = wx + w / 2, wy
            x1, y1 = px - w / 2, arrive[k]
            repeated = child in node.children[:k]  # the same input twice, as in x * x: bend this edge
            rad = (-0.35 if y1 > y0 else 0.35) if repeated else 0.0
            ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                        arrowprops=dict(arrowstyle="-|>", shrinkA=0, shrinkB=0,
                                        connectionstyle=f"arc3,rad={rad}", **edge_style))
            if show_local:
                if rad:  # the middle of matplotlib's arc3 curve, a quadratic Bezier
                    lx, ly = (x0 + x1) / 2 + rad * (y1 - y0) / 2, (y0 + y1) / 2 - rad * (x1 - x0) / 2
                else:  # near the arrow head, where edges into one box are furthest apart
                    lx, ly = x0 + 0.6 * (x1 - x0), y0 + 0.6 * (y1 - y0)
                ax.text(lx, ly, value_fmt.format(local), fontsize=8, color="0.3", ha="center", va="center",
                        style="italic", bbox=dict(boxstyle="round,pad=0.12", fc="white", ec="none", alpha=0.9),
                        zorder=2)

    for node in order:
        px, py = at(node)
        is_root = node is root
        ax.add_patch(FancyBboxPatch((px - w / 2, py - h / 2), w, h, boxstyle="round,pad=0.02,rounding_size=0.08",
                                    fc="#fff6d5" if is_root else ("#eef3f8" if node.op else "#f4f4f4"),
                                    ec="0.25", lw=1.4 if is_root else 0.9, zorder=3))
        head = f"{node.name} = {_formula(node)}" if node.op and node.name else (_formula(node) if node.op else _label(node))
        lines = [(head, "black", "bold" if not node.op else "normal")]
        lines.append((value_fmt.format(node.data), value_color, "normal"))
        if show_grad:
            lines.append(("grad " + value_fmt.format(node.grad), grad_color, "normal"))
        offsets = [0.27, 0.0, -0.27] if show_grad else [0.14, -0.14]
        for (text, color, weight), off in zip(lines, offsets):
            size = 8.5 if len(text) <= 16 else (7.5 if len(text) <= 20 else 6.5)
            ax.text(px, py + off * h / 0.95, text, ha="center", va="center", color=color, fontsize=size,
                    fontweight=weight, zorder=4)

    ax.set_xlim(-w / 2 - 0.15, (n_columns - 1) * dx + w / 2 + 0.15)
    half = (n_rows - 1) / 2 * dy + h / 2 + 0.2
    ax.set_ylim(-half, half)
    ax.set_aspect("equal")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10)
    return ax
