"""A scalar reverse-mode automatic differentiation engine, and a picture of its graphs.

Every arithmetic step on a :class:`Value` makes a new ``Value`` that remembers
three things: the numbers it was computed from (its *children*), the operation,
and the **local derivatives** ``d(out)/d(child)``, one per child, worked out
while the forward value is computed. Those local derivatives are all the chain
rule needs. :meth:`Value.backward` visits the nodes from the output back to the
inputs and, for every edge, adds

    ``child.grad += local * node.grad``

which is the chain rule ``dL/dchild = sum over parents of dL/dparent * dparent/dchild``
written as one line. A number that is used twice has two outgoing edges, and the
``+=`` adds their contributions, as the multivariable chain rule says it must.

The engine works on single numbers (Python floats), so it is slow and only
meant for small graphs: it exists to make backpropagation visible. The
layers in :mod:`bplib.layers` do the same arithmetic on whole arrays.

:func:`draw_graph` draws the graph behind a ``Value`` with matplotlib: forward
values in blue, gradients in red and the local derivative on every edge.

Example
-------
>>> x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
>>> f = ((x + y) * z).named("f")
>>> f.backward()
>>> f.data, x.grad, y.grad, z.grad
(-12.0, -4.0, -4.0, 3.0)
"""

import math
import numbers
import re

__all__ = ["Value", "draw_graph"]


def _sigmoid(z):
    """Logistic sigmoid of a float, without overflow for large ``|z|``."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


class Value:
    """A number that remembers how it was computed, so that it can be differentiated.

    Parameters
    ----------
    data : float
        The number (the forward value).
    name : str, optional
        A label used by :func:`draw_graph` and ``repr``.

    Attributes
    ----------
    data : float
        The forward value.
    grad : float
        After ``out.backward()``: the derivative ``d(out)/d(self)``. Zero before.
    children : tuple of Value
        The inputs of the operation that made this value (empty for an input).
    local_grads : tuple of float
        ``d(self)/d(child)`` for each child, in the same order.
    op : str
        The operation that made this value ("" for an input).
    """

    def __init__(self, data, name="", _children=(), _local_grads=(), _op=""):
        if isinstance(data, Value):
            raise TypeError("Value: data is already a Value; use it directly")
        self.data = float(data)
        self.grad = 0.0
        self.name = name
        self.children = tuple(_children)
        self.local_grads = tuple(float(g) for g in _local_grads)
        self.op = _op

    def __repr__(self):
        label = f"{self.name}=" if self.name else ""
        return f"Value({label}{self.data:.6g}, grad={self.grad:.6g})"

    def named(self, name):
        """Give this value a name (for drawings) and return it, so ``f = (x * y).named("f")`` works."""
        self.name = name
        return self

    # ---- the operations: each returns a new Value with its local derivatives ----

    @staticmethod
    def _wrap(other):
        """Turn a plain number into a constant ``Value`` (an input that nobody differentiates)."""
        if isinstance(other, Value):
            return other
        if isinstance(other, numbers.Real) and not isinstance(other, bool):  # also numpy's float64, int64
            return Value(other, name=f"{float(other):g}")
        return NotImplemented

    def __add__(self, other):
        """``self + other``: both local derivatives are 1, so the gradient is copied to both inputs."""
        other = self._wrap(other)
        if other is NotImplemented:
            return other
        return Value(self.data + other.data, _children=(self, other), _local_grads=(1.0, 1.0), _op="+")

    def __mul__(self, other):
        """``self * other``: each input's local derivative is the *other* input's value."""
        other = self._wrap(other)
        if other is NotImplemented:
            return other
        return Value(self.data * other.data, _children=(self, other), _local_grads=(other.data, self.data), _op="*")

    def __sub__(self, other):
        """``self - other``: local derivatives 1 and -1."""
        other = self._wrap(other)
        if other is NotImplemented:
            return other
        return Value(self.data - other.data, _children=(self, other), _local_grads=(1.0, -1.0), _op="-")

    def __truediv__(self, other):
        """``self / other``: local derivatives ``1 / other`` and ``-self / other**2``."""
        other = self._wrap(other)
        if other is NotImplemented:
            return other
        if other.data == 0.0:
            raise ZeroDivisionError(f"Value: division of {self!r} by {other!r}")
        return Value(
            self.data / other.data,
            _children=(self, other),
            _local_grads=(1.0 / other.data, -self.data / other.data**2),
            _op="/",
        )

    def __pow__(self, k):
        """``self ** k`` for a constant number ``k``: local derivative ``k * self**(k - 1)``."""
        if isinstance(k, Value) or not isinstance(k, numbers.Real) or isinstance(k, bool):
            raise TypeError(f"Value ** k: k must be a plain int or float, got {type(k).__name__}")
        if self.data < 0 and float(k) != int(k):
            raise ValueError(f"Value ** k: a negative number {self!r} to the non-integer power {k} is not real")
        return Value(self.data**k, _children=(self,), _local_grads=(k * self.data ** (k - 1),), _op=f"**{float(k):g}")

    def __neg__(self):
        """``-self``: local derivative -1."""
        return Value(-self.data, _children=(self,), _local_grads=(-1.0,), _op="neg")

    def __radd__(self, other):  # 2 + v
        other = self._wrap(other)
        return other if other is NotImplemented else other + self

    def __rmul__(self, other):  # 2 * v
        other = self._wrap(other)
        return other if other is NotImplemented else other * self

    def __rsub__(self, other):  # 2 - v
        other = self._wrap(other)
        return other if other is NotImplemented else other - self

    def __rtruediv__(self, other):  # 2 / v
        other = self._wrap(other)
        return other if other is NotImplemented else other / self

    def exp(self):
        """``e**self``: its own derivative, so the local derivative is the output."""
        out = math.exp(self.data)
        return Value(out, _children=(self,), _local_grads=(out,), _op="exp")

    def log(self):
        """Natural logarithm, for ``self > 0``: local derivative ``1 / self``."""
        if self.data <= 0.0:
            raise ValueError(f"Value.log: needs a positive number, got {self!r}")
        return Value(math.log(self.data), _children=(self,), _local_grads=(1.0 / self.data,), _op="log")

    def tanh(self):
        """Hyperbolic tangent: local derivative ``1 - tanh(self)**2``, from the output."""
        a = math.tanh(self.data)
        return Value(a, _children=(self,), _local_grads=(1.0 - a * a,), _op="tanh")

    def sigmoid(self):
        """Logistic sigmoid: local derivative ``a * (1 - a)`` with ``a`` the output."""
        a = _sigmoid(self.data)
        return Value(a, _children=(self,), _local_grads=(a * (1.0 - a),), _op="sigmoid")

    def relu(self):
        """``max(0, self)``: local derivative 1 where the input is positive, 0 elsewhere (0 at 0)."""
        return Value(max(self.data, 0.0), _children=(self,), _local_grads=(float(self.data > 0),), _op="relu")

    def max(self, other):
        """The larger of ``self`` and ``other``: local derivative 1 for the winner, 0 for the loser.

        On a tie the first argument (``self``) counts as the winner, so the
        gradient still goes to exactly one input.
        """
        other = self._wrap(other)
        if other is NotImplemented:
            raise TypeError(f"Value.max: expected a Value or a number, got {type(other).__name__}")
        first_wins = self.data >= other.data
        return Value(
            max(self.data, other.data),
            _children=(self, other),
            _local_grads=(float(first_wins), float(not first_wins)),
            _op="max",
        )

    # ---- the backward pass ----

    def topological_order(self):
        """Every node this value depends on, each listed after all of its children.

        An iterative depth-first search (no recursion limit for long chains).
        A node reached along two paths is listed once.
        """
        order, seen = [], set()
        stack = [(self, False)]
        while stack:
            node, children_done = stack.pop()
            if children_done:
                order.append(node)  # all of its children are already in ``order``
                continue
            if node in seen:
                continue
            seen.add(node)
            stack.append((node, True))
            # reversed, so the first child is explored first and inputs keep the order they were written in
            stack.extend((child, False) for child in reversed(node.children) if child not in seen)
        return order

    def backward(self):
        """Fill ``grad`` of every node in the graph with ``d(self)/d(node)``.

        Earlier gradients in the graph are cleared first, so calling
        ``backward`` twice gives the same numbers, not twice them.
        """
        order = self.topological_order()
        for node in order:
            node.grad = 0.0
        self.grad = 1.0  # d(self)/d(self)
        for node in reversed(order):  # outputs before the nodes they were computed from
            for child, local in zip(node.children, node.local_grads):
                child.grad += local * node.grad  # chain rule; += because a child may have several parents


# ---------------------------------------------------------------------------
# Drawing

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
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

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
