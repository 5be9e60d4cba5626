"""A reader's own layer, written as the from-scratch texts write one, is treated exactly like bplib's.

Two reproductions, then a property: random networks with reader-style layers
(some assigning their gradients, some writing into the arrays, one possibly
first in the network) train under ``fit`` exactly as under the loop a reader
writes by hand with the public ``forward``, ``backward`` and ``step``.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bplib as bp


class AssigningDense(bp.Layer):
    """``z = x W + b``, its gradients assigned as new arrays in backward."""

    def __init__(self, n_in, n_out, rng):
        super().__init__()
        self.params = {"W": rng.normal(0.0, 0.5, (n_in, n_out)), "b": np.zeros(n_out)}
        self.grads = {"W": np.zeros((n_in, n_out)), "b": np.zeros(n_out)}

    def forward(self, x, training=False):
        self.x = x
        return x @ self.params["W"] + self.params["b"]

    def backward(self, dout):
        self.grads["W"] = self.x.T @ dout
        self.grads["b"] = dout.sum(axis=0)
        return dout @ self.params["W"].T


class WritingDense(AssigningDense):
    """The same layer, writing its gradients into the existing arrays."""

    def backward(self, dout):
        self.grads["W"][...] = self.x.T @ dout
        self.grads["b"][...] = dout.sum(axis=0)
        return dout @ self.params["W"].T


class ReaderTanh(bp.Layer):
    """An activation without parameters, as a reader writes one."""

    def forward(self, x, training=False):
        self.a = np.tanh(x)
        return self.a

    def backward(self, dout):
        return dout * (1.0 - self.a**2)


def hand_loop(network, loss, optimizer, x, t, epochs, batch_size, rng):
    """What a reader writes: shuffle, then forward, loss, backward and step for every batch (one BLAS
    thread, as fit, so that every product sums in the same order)."""
    with bp.train.blas_threads(1):
        for _ in range(epochs):
            order = rng.permutation(len(x))
            for start in range(0, len(x), batch_size):
                rows = order[start : start + batch_size]
                y = network.forward(x[rows], training=True)
                loss.forward(y, t[rows])
                network.backward(loss.backward())
                optimizer.step(network)


def assert_same_weights(a, b):
    for (name, la, key), (_, lb, _) in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(la.params[key], lb.params[key], err_msg=name)


def issue_network(seed=0):
    rng = np.random.default_rng(seed)
    return bp.Network([bp.Dense(2, 3, rng=rng), bp.Tanh(), AssigningDense(3, 3, rng), bp.Tanh(), bp.Dense(3, 1, rng=rng)])


def test_a_layer_that_assigns_its_gradients_trains_under_fit_exactly_as_by_hand():
    x = np.random.default_rng(1).normal(size=(32, 2))
    t = np.sin(x[:, :1]) * x[:, 1:]
    by_fit, by_hand = issue_network(), issue_network()
    W0 = by_fit.layers[2].params["W"].copy()
    bp.fit(by_fit, bp.MSE(), bp.SGD(0.1), x, t, epochs=100, batch_size=8, rng=np.random.default_rng(2))
    hand_loop(by_hand, bp.MSE(), bp.SGD(0.1), x, t, 100, 8, np.random.default_rng(2))
    assert np.abs(by_fit.layers[2].params["W"] - W0).max() > 0.1  # it trained
    assert_same_weights(by_fit, by_hand)


def test_a_readers_layer_first_in_a_network_is_accepted():
    rng = np.random.default_rng(0)
    net = bp.Network([AssigningDense(2, 3, rng), bp.Tanh(), bp.Dense(3, 1, rng=rng)])
    x, t = np.random.default_rng(1).normal(size=(8, 2)), np.zeros((8, 1))
    assert net.forward(x).shape == (8, 1)
    history = bp.fit(net, bp.MSE(), bp.SGD(0.1), x, t, epochs=5, rng=np.random.default_rng(2))
    assert len(history["loss"]) == 5 and history["loss"][-1] < history["loss"][0]
    bp.assert_gradients_ok(bp.check_network(net, bp.MSE(), x, t))


def test_a_network_still_refuses_widths_it_can_know_to_be_wrong():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="width 3 but layer 2"):
        bp.Network([bp.Dense(2, 3, rng=rng), bp.Tanh(), bp.Dense(4, 1, rng=rng)])
    bp.Network([bp.Dense(2, 3, rng=rng), AssigningDense(3, 4, rng), bp.Dense(4, 1, rng=rng)])  # unknown: accepted
    with pytest.raises(ValueError, match=r"Network.forward.*\(8, 3\).*\(N, 2\)"):
        bp.Network([bp.Dense(2, 3, rng=rng)]).forward(np.ones((8, 3)))


LAYER_KINDS = ["bplib Dense", "assigning Dense", "writing Dense"]


@st.composite
def reader_networks(draw):
    """A recipe for a random network: widths, the kind of each dense layer, activations, dropout."""
    depth = draw(st.integers(1, 3))
    widths = draw(st.lists(st.integers(1, 4), min_size=depth + 1, max_size=depth + 1))
    kinds = draw(st.lists(st.sampled_from(LAYER_KINDS), min_size=depth, max_size=depth))
    if "bplib Dense" in kinds and len(set(kinds)) == 1:  # at least one reader's layer, anywhere
        kinds[draw(st.integers(0, depth - 1))] = draw(st.sampled_from(LAYER_KINDS[1:]))
    acts = draw(st.lists(st.sampled_from(["tanh", "reader tanh", "sigmoid"]), min_size=depth, max_size=depth))
    dropout = draw(st.sampled_from([0.0, 0.3]))
    return widths, kinds, acts, dropout


def build(recipe, seed):
    widths, kinds, acts, dropout = recipe
    rng = np.random.default_rng(seed)
    layers = []
    for i, (n_in, n_out, kind, act) in enumerate(zip(widths, widths[1:], kinds, acts)):
        layers.append({"bplib Dense": lambda: bp.Dense(n_in, n_out, rng=rng),
                       "assigning Dense": lambda: AssigningDense(n_in, n_out, rng),
                       "writing Dense": lambda: WritingDense(n_in, n_out, rng)}[kind]())
        if i < len(kinds) - 1:
            layers.append(ReaderTanh() if act == "reader tanh" else bp.activation(act))
            if dropout:
                layers.append(bp.Dropout(dropout, rng=rng))
    return bp.Network(layers)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recipe=reader_networks(), n=st.integers(1, 12), batch_size=st.sampled_from([1, 3, None]),
       momentum=st.sampled_from([0.0, 0.9]), seed=st.integers(0, 2**16))
def test_random_reader_layers_train_under_fit_exactly_as_by_hand(recipe, n, batch_size, momentum, seed):
    data = np.random.default_rng(seed)
    x, t = data.normal(size=(n, recipe[0][0])), data.normal(size=(n, recipe[0][-1]))
    by_fit, by_hand = build(recipe, seed), build(recipe, seed)
    before = by_fit.get_weights()
    bp.fit(by_fit, bp.MSE(), bp.SGD(0.05, momentum), x, t, epochs=3, batch_size=batch_size,
           rng=np.random.default_rng(seed + 1))
    hand_loop(by_hand, bp.MSE(), bp.SGD(0.05, momentum), x, t, 3, batch_size or n, np.random.default_rng(seed + 1))
    assert_same_weights(by_fit, by_hand)
    last = by_fit.parameters()[-2][0]  # the last layer's W: it gets a gradient from every example
    assert not np.array_equal(by_fit.get_weights()[last], before[last])


class ReadersMSE(bp.Loss):
    """A reader's loss that keeps the contract with forward and backward alone."""

    def forward(self, y, t):
        self.diff = y - t
        return float(0.5 * np.sum(self.diff ** 2) / len(y))

    def backward(self):
        return self.diff / len(self.diff)


def test_a_readers_loss_trains_under_fit_exactly_like_mse():
    rng = np.random.default_rng(11)
    x, t = rng.normal(size=(32, 2)), rng.normal(size=(32, 1))
    weights = []
    for loss in (bp.MSE(), ReadersMSE()):
        net = bp.Network.mlp([2, 4, 1], hidden="tanh", rng=np.random.default_rng(12))
        bp.fit(net, loss, bp.SGD(lr=0.1), x, t, epochs=5, batch_size=8, rng=np.random.default_rng(13))
        weights.append(net.get_weights())
    for name in weights[0]:
        np.testing.assert_array_equal(weights[0][name], weights[1][name])
