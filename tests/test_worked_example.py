"""The 2-2-2 worked example (chapter 4) as unit tests of bplib.

The network, weights, targets and learning rate are those of the classic
step-by-step example: inputs 0.05 and 0.10, weights w1..w8 = 0.15 ... 0.55,
fixed biases 0.35 and 0.60, targets 0.01 and 0.99, learning rate 0.5. The
published values are checked to the decimals they are printed with; the
10,000-step numbers are checked against an independent loop of scalar
equations in plain Python floats.
"""

import math

import numpy as np
import pytest

import bplib as bp

I1, I2 = 0.05, 0.10
T_O1, T_O2 = 0.01, 0.99
W = dict(w1=0.15, w2=0.20, w3=0.25, w4=0.30, w5=0.40, w6=0.45, w7=0.50, w8=0.55)
B1, B2 = 0.35, 0.60
ETA = 0.5

X = np.array([[I1, I2]])
T = np.array([[T_O1, T_O2]])

# Batch-first weights: row = from, column = to.
W1 = np.array([[W["w1"], W["w3"]], [W["w2"], W["w4"]]])
W2 = np.array([[W["w5"], W["w7"]], [W["w6"], W["w8"]]])

# Where each named weight sits: (layer index in the network, row, column).
POSITION = {
    "w1": (0, 0, 0), "w2": (0, 1, 0), "w3": (0, 0, 1), "w4": (0, 1, 1),
    "w5": (2, 0, 0), "w6": (2, 1, 0), "w7": (2, 0, 1), "w8": (2, 1, 1),
}


def build_network(train_biases=False):
    hidden = bp.Dense.from_weights(W1, [B1, B1])
    output = bp.Dense.from_weights(W2, [B2, B2])
    if not train_biases:
        hidden.freeze("b")
        output.freeze("b")
    return bp.Network([hidden, bp.Sigmoid(), output, bp.Sigmoid()])


def weight(net, name, what="params"):
    layer, i, j = POSITION[name]
    return float(getattr(net.layers[layer], what)["W"][i, j])


def published_ok(value, text):
    """``value`` agrees with the published ``text`` to every decimal printed there."""
    decimals = len(text.split(".")[1])
    return abs(value - float(text)) <= 0.5 * 10.0**-decimals


def sigma(z):
    return 1.0 / (1.0 + math.exp(-z))


def scalar_steps(steps, w, mixed=False):
    """Plain-float gradient descent on the example; ``mixed`` forms hidden deltas with updated w5..w8."""
    w1, w2, w3, w4, w5, w6, w7, w8 = (w[k] for k in sorted(w))
    for _ in range(steps):
        h1 = sigma(w1 * I1 + w2 * I2 + B1)
        h2 = sigma(w3 * I1 + w4 * I2 + B1)
        o1 = sigma(w5 * h1 + w6 * h2 + B2)
        o2 = sigma(w7 * h1 + w8 * h2 + B2)
        d1 = (o1 - T_O1) * o1 * (1 - o1)
        d2 = (o2 - T_O2) * o2 * (1 - o2)
        n5, n6, n7, n8 = w5 - ETA * d1 * h1, w6 - ETA * d1 * h2, w7 - ETA * d2 * h1, w8 - ETA * d2 * h2
        v5, v6, v7, v8 = (n5, n6, n7, n8) if mixed else (w5, w6, w7, w8)
        e1 = (d1 * v5 + d2 * v7) * h1 * (1 - h1)
        e2 = (d1 * v6 + d2 * v8) * h2 * (1 - h2)
        w1, w2, w3, w4 = w1 - ETA * e1 * I1, w2 - ETA * e1 * I2, w3 - ETA * e2 * I1, w4 - ETA * e2 * I2
        w5, w6, w7, w8 = n5, n6, n7, n8
    o1 = sigma(w5 * sigma(w1 * I1 + w2 * I2 + B1) + w6 * sigma(w3 * I1 + w4 * I2 + B1) + B2)
    o2 = sigma(w7 * sigma(w1 * I1 + w2 * I2 + B1) + w8 * sigma(w3 * I1 + w4 * I2 + B1) + B2)
    return dict(w1=w1, w2=w2, w3=w3, w4=w4, w5=w5, w6=w6, w7=w7, w8=w8), (o1, o2)


def test_forward_pass_and_error_match_published_values():
    net = build_network()
    out = net.forward(X)
    assert published_ok(out[0, 0], "0.75136507")
    assert published_ok(out[0, 1], "0.772928465")
    assert published_ok(bp.MSE().forward(out, T), "0.298371109")


@pytest.mark.parametrize(
    "name, text",
    [("w1", "0.000438568"), ("w5", "0.082167041")],
)
def test_gradients_match_published_values(name, text):
    net = build_network()
    net.train_step(X, T, bp.MSE())
    assert published_ok(weight(net, name, "grads"), text)


def test_one_step_matches_published_weights_and_frozen_biases_stay():
    net = build_network()
    net.train_step(X, T, bp.MSE())
    bp.SGD(lr=ETA).step(net)
    published = dict(w1="0.149780716", w2="0.19956143", w3="0.24975114", w4="0.29950229",
                     w5="0.35891648", w6="0.408666186", w7="0.511301270", w8="0.561370121")
    for name, text in published.items():
        assert published_ok(weight(net, name), text), name
    assert np.array_equal(net.layers[0].params["b"], [B1, B1])
    assert np.array_equal(net.layers[2].params["b"], [B2, B2])


def test_gradients_pass_a_gradient_check():
    errors = bp.check_network(build_network(), bp.MSE(), X, T)
    bp.assert_gradients_ok(errors)


def test_updated_output_weights_first_gives_a_different_step():
    standard, _ = scalar_steps(1, W)
    mixed, _ = scalar_steps(1, W, mixed=True)
    assert published_ok(standard["w1"], "0.149780716")
    assert not published_ok(mixed["w1"], "0.149780716")
    assert all(standard[k] == mixed[k] for k in ("w5", "w6", "w7", "w8"))


def test_bplib_matches_scalar_equations_over_many_steps():
    steps = 2_000
    net = build_network()
    bp.fit(net, bp.MSE(), bp.SGD(lr=ETA), X, T, epochs=steps, batch_size=None, shuffle=False, eval_every=steps)
    w, (o1, o2) = scalar_steps(steps, W)
    for name in W:
        assert abs(weight(net, name) - w[name]) < 1e-12, name
    out = net.forward(X)
    assert abs(out[0, 0] - o1) < 1e-12 and abs(out[0, 1] - o2) < 1e-12


def test_published_outputs_after_10000_rounds_come_from_the_mixed_order():
    _, standard = scalar_steps(10_000, W)
    _, mixed = scalar_steps(10_000, W, mixed=True)
    assert published_ok(mixed[0], "0.015912196") and published_ok(mixed[1], "0.984065734")
    assert not published_ok(standard[0], "0.015912196")
