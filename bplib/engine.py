"""A scalar reverse-mode automatic differentiation engine (chapter 2; chapter 10 compares it with PyTorch).

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

``bplib.course.plots.draw_graph`` draws the graph behind a ``Value``: forward
values, gradients and the local derivative on every edge.

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

__all__ = ["Value"]


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
        A label used in drawings (``bplib.course.plots.draw_graph``) and by ``repr``.

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
