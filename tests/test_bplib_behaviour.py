"""What bplib computes: definitions, conventions, extreme inputs, determinism."""

import numpy as np
import pytest

import bplib as bp
from bplib import functions as F


# --- activations -----------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_finite_and_silent_for_huge_inputs(dtype):
    z = np.array([-1e308 if dtype == np.float64 else -3e38, -1e4, -745.0, -50, 0, 50, 745.0, 1e4, 3e38], dtype=dtype)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        a = F.sigmoid(z)
        g = F.sigmoid_grad(z)
    assert a.dtype == dtype and np.all(np.isfinite(a)) and np.all(np.isfinite(g))
    assert a[0] == 0.0 and a[-1] == 1.0 and a[4] == 0.5
    np.testing.assert_allclose(F.sigmoid(np.array([-2.0, 2.0])), 1 / (1 + np.exp([2.0, -2.0])), rtol=1e-15)


def test_softmax_and_log_softmax_survive_huge_logits():
    z = np.array([[1e4, -1e4, 0.0], [1e300, 1e300, -1e300], [0.0, 0.0, 0.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        p = F.softmax(z)
        logp = F.log_softmax(np.array([[1e4, -1e4, 0.0]]))
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(p[1], [0.5, 0.5, 0.0])
    np.testing.assert_allclose(p[2], 1 / 3)
    np.testing.assert_allclose(logp, [[0.0, -2e4, -1e4]])


def test_relu_derivative_convention_is_zero_at_zero_and_strict_from_the_output():
    z = np.array([-2.0, -0.0, 0.0, 1e-300, 3.0])
    np.testing.assert_array_equal(F.relu_grad(z), [0, 0, 0, 1, 1])
    a = F.relu(z)
    np.testing.assert_array_equal(F.relu_grad_from_output(a), [0, 0, 0, 1, 1])
    assert not np.all(F.relu_grad_from_output(a) == 1)  # the `a >= 0` bug would make it all ones


def test_sigmoid_derivative_from_output_differs_from_applying_it_to_z():
    z = np.array([2.0])
    right = F.sigmoid_grad(z)
    assert F.sigmoid_grad_from_output(F.sigmoid(z)) == pytest.approx(right[0], rel=1e-15)
    assert F.sigmoid_grad_from_output(z)[0] == pytest.approx(-2.0)  # z(1 - z): the classic mix-up
    assert F.sigmoid_grad(F.sigmoid(z))[0] != pytest.approx(right[0], rel=1e-3)  # sigmoid applied twice


# --- losses ------------------------------------------------------------------

def test_mse_with_a_batch_of_one_is_the_textbook_error():
    o, t = np.array([[0.75136507, 0.772928465]]), np.array([[0.01, 0.99]])
    assert bp.MSE().forward(o, t) == pytest.approx(0.5 * (0.01 - 0.75136507) ** 2 + 0.5 * (0.99 - 0.772928465) ** 2, rel=1e-15)


def test_mse_averages_over_the_batch_and_its_gradient_is_y_minus_t_over_n():
    y, t = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0, 2.0], [1.0, 4.0]])
    loss = bp.MSE()
    assert loss.forward(y, t) == pytest.approx((0.5 * 1 + 0.5 * 4) / 2)
    np.testing.assert_allclose(loss.backward(), (y - t) / 2)


def test_softmax_cross_entropy_gradient_is_p_minus_t_over_n_for_labels_and_one_hot():
    rng = np.random.default_rng(0)
    z, labels = rng.normal(size=(5, 3)), np.array([0, 2, 1, 1, 0])
    a, b = bp.SoftmaxCrossEntropy(), bp.SoftmaxCrossEntropy()
    la, lb = a.forward(z, labels), b.forward(z, bp.data.one_hot(labels, 3))
    assert la == pytest.approx(lb, rel=1e-14)
    assert la == pytest.approx(-np.mean(np.log(F.softmax(z)[np.arange(5), labels])), rel=1e-14)
    np.testing.assert_allclose(a.backward(), (F.softmax(z) - bp.data.one_hot(labels, 3)) / 5, rtol=1e-14)
    np.testing.assert_allclose(b.backward(), a.backward(), rtol=1e-14)


def test_cross_entropies_are_finite_for_huge_logits():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        ce = bp.SoftmaxCrossEntropy().forward(np.array([[1e4, -1e4]]), np.array([1]))
        bce = bp.BinaryCrossEntropy().forward(np.array([[1e4], [-1e4]]), np.array([[0.0], [1.0]]))
    assert ce == pytest.approx(2e4) and bce == pytest.approx(1e4)


def test_binary_cross_entropy_matches_its_definition():
    z, t = np.array([[0.3], [-1.2]]), np.array([[1.0], [0.0]])
    p = 1 / (1 + np.exp(-z))
    loss = bp.BinaryCrossEntropy()
    assert loss.forward(z, t) == pytest.approx(-np.mean(t * np.log(p) + (1 - t) * np.log(1 - p)), rel=1e-14)
    np.testing.assert_allclose(loss.backward(), (p - t) / 2, rtol=1e-14)


# --- layers --------------------------------------------------------------

def test_dense_is_batch_first_and_backward_leaves_dout_alone():
    layer = bp.Dense.from_weights(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), np.array([0.5, -0.5]))
    x = np.array([[1.0, 0.0, -1.0]])
    np.testing.assert_allclose(layer.forward(x), [[1 - 5 + 0.5, 2 - 6 - 0.5]])
    dout = np.array([[1.0, -2.0]])
    kept = dout.copy()
    dx = layer.backward(dout)
    np.testing.assert_array_equal(dout, kept)
    np.testing.assert_allclose(layer.grads["W"], x.T @ dout)
    np.testing.assert_allclose(layer.grads["b"], [1.0, -2.0])
    np.testing.assert_allclose(dx, dout @ layer.params["W"].T)


@pytest.mark.parametrize("layer", [bp.Sigmoid(), bp.ReLU(), bp.Tanh(), bp.Identity(),
                                   bp.Dropout(0.5, rng=np.random.default_rng(0))])
def test_no_layer_changes_dout_in_place(layer):
    x = np.random.default_rng(1).normal(size=(4, 3))
    layer.forward(x, training=True)
    dout = np.ones((4, 3))
    dx = layer.backward(dout)
    np.testing.assert_array_equal(dout, 1.0)
    assert not np.shares_memory(dx, dout)


@pytest.mark.parametrize("init, std", [("he", lambda i, o: np.sqrt(2 / i)), ("xavier", lambda i, o: np.sqrt(2 / (i + o))),
                                        ("normal", lambda i, o: 0.01)])
def test_initialisers_have_their_stated_spread(init, std):
    layer = bp.Dense(400, 300, init=init, rng=np.random.default_rng(0))
    assert layer.params["W"].std() == pytest.approx(std(400, 300), rel=0.02)
    np.testing.assert_array_equal(layer.params["b"], 0)


def test_inverted_dropout_scales_in_training_and_is_the_identity_in_evaluation():
    rng = np.random.default_rng(0)
    layer = bp.Dropout(0.5, rng=rng)
    x = np.ones((2000, 50))
    out = layer.forward(x, training=True)
    assert set(np.unique(out)) == {0.0, 2.0}
    assert out.mean() == pytest.approx(1.0, abs=0.01)  # expected value kept
    assert (out == 0).mean() == pytest.approx(0.5, abs=0.01)
    dx = layer.backward(np.full_like(x, 3.0))
    np.testing.assert_array_equal(dx, 3.0 * (out / 1.0))  # the same mask, multiplied (not added)
    np.testing.assert_array_equal(layer.forward(x, training=False), x)


def test_float32_is_kept_end_to_end():
    rng = np.random.default_rng(0)
    net = bp.Network.mlp([5, 8, 3], hidden="relu", rng=rng, dtype=np.float32, dropout=0.2)
    x = rng.normal(size=(6, 5)).astype(np.float32)
    y = net.forward(x, training=True)
    assert y.dtype == np.float32
    loss = bp.SoftmaxCrossEntropy()
    loss.forward(y, rng.integers(0, 3, 6))
    dx = net.backward(loss.backward())
    assert dx.dtype == np.float32
    assert all(layer.grads[k].dtype == np.float32 for _, layer, k in net.parameters())


def test_extreme_inputs_give_finite_outputs_without_warnings():
    rng = np.random.default_rng(0)
    for hidden in ["sigmoid", "tanh", "relu"]:
        net = bp.Network.mlp([4, 16, 3], hidden=hidden, rng=rng)
        for x in [np.full((3, 4), 1e4), np.full((3, 4), -1e4), np.full((3, 4), 1e-300), rng.normal(size=(100_000, 4))]:
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                loss = bp.SoftmaxCrossEntropy()
                value = loss.forward(net.forward(x), np.zeros(len(x), dtype=int))
                dx = net.backward(loss.backward())
            assert np.isfinite(value) and np.all(np.isfinite(dx))


# --- training ---------------------------------------------------------------

def test_frozen_parameters_are_not_updated_but_still_get_gradients():
    rng = np.random.default_rng(0)
    net = bp.Network([bp.Dense(2, 2, rng=rng).freeze("b"), bp.Sigmoid(), bp.Dense(2, 1, rng=rng)])
    b_before, W_before = net.layers[0].params["b"].copy(), net.layers[0].params["W"].copy()
    net.train_step(np.array([[0.05, 0.1]]), np.array([[0.5]]), bp.MSE())
    bp.SGD(0.5).step(net)
    np.testing.assert_array_equal(net.layers[0].params["b"], b_before)
    assert np.any(net.layers[0].grads["b"] != 0)
    assert np.any(net.layers[0].params["W"] != W_before)


def test_momentum_follows_its_formula():
    layer = bp.Dense.from_weights(np.array([[1.0]]), np.array([0.0]))
    net, opt = bp.Network([layer]), bp.SGD(0.1, momentum=0.9)
    layer.grads["W"][...] = 2.0
    layer.grads["b"][...] = 0.0
    opt.step(net)  # v = -0.2
    opt.step(net)  # v = 0.9 * -0.2 - 0.2 = -0.38
    assert layer.params["W"][0, 0] == pytest.approx(1.0 - 0.2 - 0.38)


def test_fit_with_batches_of_one_makes_one_update_per_example():
    rng = np.random.default_rng(0)
    net = bp.Network([bp.Dense(1, 1, rng=rng)])
    updates = []

    class Counting(bp.SGD):
        def step(self, network):
            updates.append(1)
            super().step(network)

    x, t = rng.normal(size=(7, 1)), rng.normal(size=(7, 1))
    history = bp.fit(net, bp.MSE(), Counting(0.01), x, t, epochs=3, batch_size=1, rng=rng)
    assert len(updates) == 21 and history["epoch"] == [1, 2, 3]
    updates.clear()
    bp.fit(net, bp.MSE(), Counting(0.01), x, t, epochs=2, batch_size=3, rng=rng)  # batches of 3, 3, 1
    assert len(updates) == 6


def test_fit_learns_records_history_and_calls_back():
    rng = np.random.default_rng(0)
    x, labels = bp.data.sine_boundary()
    net = bp.Network.mlp([2, 8, 2], hidden="tanh", rng=rng)
    seen = []
    history = bp.fit(net, bp.SoftmaxCrossEntropy(), bp.SGD(0.5, momentum=0.9), x, labels, epochs=40, batch_size=32,
                     rng=rng, validation=(x, labels), metrics={"accuracy": bp.accuracy}, eval_every=10,
                     callbacks=[lambda epoch, network, h: seen.append(epoch)])
    assert history["epoch"] == [10, 20, 30, 40] and seen == [10, 20, 30, 40]
    assert set(history) >= {"loss", "accuracy", "val_loss", "val_accuracy", "seconds"}
    assert history["loss"][-1] < history["loss"][0]
    assert history["accuracy"][-1] > 0.9


def test_the_same_seed_gives_bit_identical_weights():
    def run():
        rng = np.random.default_rng(42)
        x, labels = bp.data.two_spirals(50, rng=rng)
        net = bp.Network.mlp([2, 16, 16, 2], hidden="relu", rng=rng, dropout=0.2)
        bp.fit(net, bp.SoftmaxCrossEntropy(), bp.SGD(0.1, momentum=0.9), x, labels, epochs=20, batch_size=8, rng=rng)
        return net.get_weights()

    first, second = run(), run()
    assert first.keys() == second.keys()
    for name in first:
        assert np.array_equal(first[name], second[name]), name


def test_different_seeds_give_different_weights():
    a = bp.Dense(3, 3, rng=np.random.default_rng(1)).params["W"]
    b = bp.Dense(3, 3, rng=np.random.default_rng(2)).params["W"]
    assert not np.array_equal(a, b)
