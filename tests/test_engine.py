"""Tests of bplib.engine: every operation's value and gradient, gradient accumulation, and a neuron.

Gradients are compared with central differences computed on plain floats, so
a wrong local derivative in any operation fails here. The neuron test compares
the engine with the array code of ``Dense``, ``Sigmoid`` and ``MSE``.
"""

import math

import numpy as np
import pytest

from bplib import MSE, Dense, Network, Sigmoid
from bplib.engine import Value

EPS = 1e-6


def central_difference(f, args, i, eps=EPS):
    """d f / d args[i] at ``args`` (a list of floats) by central differences."""
    plus, minus = list(args), list(args)
    plus[i] += eps
    minus[i] -= eps
    return (f(*plus) - f(*minus)) / (2 * eps)


def engine_gradients(f, args):
    """Value and gradient of ``f`` at ``args`` computed by the engine."""
    inputs = [Value(a, name=f"x{i}") for i, a in enumerate(args)]
    out = f(*inputs)
    out.backward()
    return out.data, [v.grad for v in inputs]


# (name, function usable on floats and on Values, a point where it is smooth)
OPERATIONS = [
    ("add", lambda a, b: a + b, [1.3, -0.7]),
    ("sub", lambda a, b: a - b, [1.3, -0.7]),
    ("mul", lambda a, b: a * b, [1.3, -0.7]),
    ("div", lambda a, b: a / b, [1.3, -0.7]),
    ("radd", lambda a: 2.5 + a, [0.4]),
    ("rsub", lambda a: 2.5 - a, [0.4]),
    ("rmul", lambda a: 2.5 * a, [0.4]),
    ("rdiv", lambda a: 2.5 / a, [0.4]),
    ("add_const", lambda a: a + 2.5, [0.4]),
    ("mul_const", lambda a: a * 2.5, [0.4]),
    ("pow2", lambda a: a**2, [-1.7]),
    ("pow3", lambda a: a**3, [-1.7]),
    ("pow_minus1", lambda a: a**-1, [-1.7]),
    ("pow_half", lambda a: a**0.5, [2.3]),
    ("neg", lambda a: -a, [0.9]),
    ("exp", lambda a: a.exp() if isinstance(a, Value) else math.exp(a), [0.8]),
    ("log", lambda a: a.log() if isinstance(a, Value) else math.log(a), [0.8]),
    ("tanh", lambda a: a.tanh() if isinstance(a, Value) else math.tanh(a), [0.8]),
    ("sigmoid", lambda a: a.sigmoid() if isinstance(a, Value) else 1 / (1 + math.exp(-a)), [-0.6]),
    ("relu_positive", lambda a: a.relu() if isinstance(a, Value) else max(a, 0.0), [0.6]),
    ("relu_negative", lambda a: a.relu() if isinstance(a, Value) else max(a, 0.0), [-0.6]),
    ("max_first", lambda a, b: a.max(b) if isinstance(a, Value) else max(a, b), [1.5, -0.5]),
    ("max_second", lambda a, b: a.max(b) if isinstance(a, Value) else max(a, b), [-1.5, 0.5]),
    ("composite", lambda a, b: (a * b + a.tanh() if isinstance(a, Value) else a * b + math.tanh(a)) / (b**2 + 1),
     [0.3, -1.2]),
]


@pytest.mark.parametrize("name, f, args", OPERATIONS, ids=[op[0] for op in OPERATIONS])
def test_operation_value_and_gradient(name, f, args):
    value, grads = engine_gradients(f, args)
    assert value == pytest.approx(f(*args), rel=1e-14, abs=1e-14)
    for i, g in enumerate(grads):
        expected = central_difference(f, args, i)
        assert g == pytest.approx(expected, rel=1e-7, abs=1e-9), f"{name}: d/dx{i}"


def test_hand_derived_gradients_of_the_gate_example():
    # f = (x + y) * max(z, w): add copies, multiply swaps, max routes to the winner.
    x, y, z, w = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z"), Value(1.0, "w")
    q = (x + y).named("q")
    m = z.max(w).named("m")
    f = (q * m).named("f")
    f.backward()
    assert f.data == 3.0
    assert (q.grad, m.grad) == (1.0, 3.0)  # multiply: each gets the other's value
    assert (x.grad, y.grad) == (1.0, 1.0)  # add: both get q's gradient
    assert (z.grad, w.grad) == (0.0, 3.0)  # max: only the winner w gets m's gradient


def test_relu_gradient_at_zero_is_zero():
    # ReLU has no derivative at 0; like bplib.functions.relu_grad, the engine uses 0 there.
    z = Value(0.0)
    out = z.relu()
    out.backward()
    assert (out.data, z.grad) == (0.0, 0.0)


def test_max_tie_sends_the_whole_gradient_to_one_input():
    a, b = Value(2.0), Value(2.0)
    out = a.max(b) * 3.0
    out.backward()
    assert (a.grad, b.grad) == (3.0, 0.0)


def test_a_value_used_twice_accumulates_its_gradient():
    a = Value(3.0, "a")
    g = a * a + a  # dg/da = 2a + 1 = 7, from three edges leaving a
    g.backward()
    assert a.grad == 7.0


def test_diamond_shaped_graph_sums_both_paths():
    a = Value(0.5)
    b = a * 2.0
    c = b.exp() + b.tanh()  # b feeds two operations
    c.backward()
    expected = 2.0 * (math.exp(1.0) + 1 - math.tanh(1.0) ** 2)
    assert a.grad == pytest.approx(expected, rel=1e-14)


def test_backward_twice_gives_the_same_gradients():
    a, b = Value(1.5), Value(-0.5)
    out = (a * b).sigmoid() + a
    out.backward()
    first = (a.grad, b.grad)
    out.backward()
    assert (a.grad, b.grad) == first


def test_topological_order_lists_children_first_and_each_node_once():
    a = Value(1.0)
    b = a * a
    c = b + a
    order = c.topological_order()
    assert len(order) == len({id(n) for n in order}) == 3
    assert order.index(a) < order.index(b) < order.index(c)


def test_long_chain_needs_no_recursion():
    x = Value(0.0)
    out = x
    for _ in range(5000):
        out = out + 1.0
    out.backward()
    assert out.data == 5000.0 and x.grad == 1.0


def test_sigmoid_is_finite_for_large_inputs():
    for z in (-1000.0, 1000.0):
        v = Value(z)
        s = v.sigmoid()
        s.backward()
        assert math.isfinite(s.data) and math.isfinite(v.grad)


def test_bad_input_raises():
    with pytest.raises(TypeError):
        Value(2.0) ** Value(2.0)
    with pytest.raises(ValueError):
        Value(-1.0).log()
    with pytest.raises(ZeroDivisionError):
        Value(1.0) / 0.0
    with pytest.raises(TypeError):
        Value(1.0) + "2"
    with pytest.raises(ValueError):
        Value(-2.0) ** 0.5


def test_numpy_scalars_work_like_python_numbers():
    v = Value(3.0)
    for out in (v * np.float64(2.0), np.float64(2.0) * v, v * np.int64(2), np.int64(2) * v, v + np.int64(3)):
        assert isinstance(out, Value) and out.data == 6.0


def engine_neuron_loss(x, t, W, b):
    """MSE of a sigmoid neuron over a batch, with the engine: returns (loss, W Values, b Value)."""
    n, d = x.shape
    w_vals = [Value(W[i, 0], f"w{i}") for i in range(d)]
    b_val = Value(b[0], "b")
    total = Value(0.0)
    for row, target in zip(x, t[:, 0]):
        z = b_val
        for xi, wi in zip(row, w_vals):
            z = z + float(xi) * wi
        total = total + 0.5 * (z.sigmoid() - float(target)) ** 2
    return total / n, w_vals, b_val


def test_neuron_matches_dense_sigmoid_mse():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3))
    t = rng.uniform(size=(5, 1))
    W = rng.standard_normal((3, 1))
    b = rng.standard_normal(1)

    loss, w_vals, b_val = engine_neuron_loss(x, t, W, b)
    loss.backward()

    dense = Dense.from_weights(W, b)
    net = Network([dense, Sigmoid()])
    mse = MSE()
    expected_loss = mse.forward(net.forward(x), t)
    net.backward(mse.backward())

    assert loss.data == pytest.approx(expected_loss, rel=1e-13)
    np.testing.assert_allclose([w.grad for w in w_vals], dense.grads["W"][:, 0], rtol=1e-12, atol=1e-15)
    assert b_val.grad == pytest.approx(dense.grads["b"][0], rel=1e-12, abs=1e-15)


def test_draw_graph_labels_every_node():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from bplib.course.plots import draw_graph  # the engine's figure belongs to the course

    x, y = Value(2.0, "x"), Value(-3.0, "y")
    f = (x * y + x).named("f")
    f.backward()
    ax = draw_graph(f)
    texts = [t.get_text() for t in ax.texts]
    assert "x" in texts and "y" in texts
    assert "f = (x \u00b7 y) + x" in texts
    assert "grad -2" in texts  # df/dx = y + 1
    assert "grad 2" in texts  # df/dy = x
    plt.close(ax.figure)
    with pytest.raises(TypeError):
        draw_graph(3.0)


def test_layout_gives_every_node_its_own_place_and_routes_long_edges_around_boxes():
    from bplib.course.plots import _layout

    x = Value(2.0, "x")
    y = (x.exp() * x + x.tanh()).named("y")  # x feeds a node two columns to its right
    order = y.topological_order()
    column, row, routes, n_columns, n_rows = _layout(order)
    places = [(column[item], row[item]) for item in column]
    assert len(places) == len(set(places))  # nodes and waypoints never share a place
    product = y.children[0]
    assert column[product] - column[x] == 2
    assert len(routes[(product, 1)]) == 1  # one waypoint in the skipped column
    assert all(column[c] - column[n] == -1 for n in order for k, c in enumerate(n.children) if not routes[(n, k)])


def test_formulas_written_on_the_boxes():
    from bplib.course.plots import _formula

    a = Value(2.0, "a")
    assert _formula((a - 1.0) ** 2) == "(a \u2212 1)\u00b2"
    assert _formula((-a) ** 2) == "(\u2212a)\u00b2"
    assert _formula(a.sigmoid()) == "\u03c3(a)"
    assert _formula(a.max(0.0)) == "max(a, 0)"
