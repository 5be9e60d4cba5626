"""Adam, weight decay, clipping by norm and gradcheck.diagnose, each against an independent answer."""

import numpy as np
import pytest

import bplib
from bplib.optim import SGD, Adam, clip_grad_norm


def _net_and_batch(seed=0):
    rng = np.random.default_rng(seed)
    net = bplib.Network.mlp([3, 5, 2], hidden="tanh", rng=rng)
    return net, rng.normal(size=(6, 3)), rng.normal(size=(6, 2))


def _backward(net, x, t):
    loss = bplib.MSE()
    value = loss.forward(net.forward(x, training=True), t)
    net.backward(loss.backward())
    return value


def _dense(net):
    return [layer for layer in net.layers if "W" in layer.params]


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_adam_matches_torch_step_for_step(weight_decay):
    torch = pytest.importorskip("torch")
    net, x, t = _net_and_batch()
    pairs = [(torch.tensor(layer.params["W"].copy()), torch.tensor(layer.params["b"].copy())) for layer in _dense(net)]
    groups = [{"params": [W for W, _ in pairs], "weight_decay": weight_decay},
              {"params": [b for _, b in pairs], "weight_decay": 0.0}]  # bplib decays weights, not biases
    torch_adam = torch.optim.Adam(groups, lr=0.05, betas=(0.8, 0.99), eps=1e-7)
    adam = Adam(lr=0.05, beta1=0.8, beta2=0.99, eps=1e-7, weight_decay=weight_decay)
    for _ in range(7):
        _backward(net, x, t)
        for layer, (W, b) in zip(_dense(net), pairs):
            W.grad, b.grad = torch.tensor(layer.grads["W"]), torch.tensor(layer.grads["b"])
        adam.step(net)
        torch_adam.step()
    for layer, (W, b) in zip(_dense(net), pairs):
        np.testing.assert_allclose(layer.params["W"], W.numpy(), rtol=0, atol=1e-13)
        np.testing.assert_allclose(layer.params["b"], b.numpy(), rtol=0, atol=1e-13)


def test_adam_ignores_the_gradients_scale():
    nets = [_net_and_batch()[0] for _ in range(2)]
    _, x, t = _net_and_batch()
    adams = [Adam(lr=0.01, eps=1e-12), Adam(lr=0.01, eps=1e-12)]
    for _ in range(5):
        for scale, net, adam in zip((1.0, 441.0), nets, adams):
            _backward(net, x, t)
            for layer in _dense(net):
                layer.grads["W"] = layer.grads["W"] * scale
                layer.grads["b"] = layer.grads["b"] * scale
            adam.step(net)
    for a, b in zip(_dense(nets[0]), _dense(nets[1])):
        np.testing.assert_allclose(a.params["W"], b.params["W"], rtol=0, atol=1e-9)


def test_weight_decay_is_the_gradient_of_the_l2_penalty():
    net, x, t = _net_and_batch()
    lam, lr = 0.3, 0.1
    rng = np.random.default_rng(7)
    before = {name: rng.normal(size=w.shape) for name, w in net.get_weights().items()}  # biases not zero

    def penalised(weights):
        net.set_weights(weights)
        loss = bplib.MSE().forward(net.forward(x), t)
        return loss + 0.5 * lam * sum(np.sum(w ** 2) for name, w in weights.items() if name.endswith(".W"))

    expected = {}
    for name in before:
        weights = {**before, name: before[name].copy()}  # numerical_gradient moves this copy in place
        expected[name] = bplib.numerical_gradient(lambda: penalised(weights), weights[name])
    net.set_weights(before)
    _backward(net, x, t)
    SGD(lr=lr, weight_decay=lam).step(net)
    after = net.get_weights()
    for name in before:
        step = (before[name] - after[name]) / lr
        assert bplib.relative_error(step, expected[name]) < 1e-7, name


def test_clip_grad_norm_keeps_the_direction_and_caps_the_length():
    net, x, t = _net_and_batch()
    _backward(net, x, t)
    grads = np.concatenate([layer.grads[k].ravel() for layer in _dense(net) for k in ("W", "b")])
    norm = clip_grad_norm(net, max_norm=0.01)
    clipped = np.concatenate([layer.grads[k].ravel() for layer in _dense(net) for k in ("W", "b")])
    assert norm == pytest.approx(np.linalg.norm(grads), rel=1e-12)
    assert np.linalg.norm(clipped) == pytest.approx(0.01, rel=1e-12)
    assert bplib.diagnose(clipped, grads).cosine == pytest.approx(1.0, abs=1e-12)
    assert clip_grad_norm(net, max_norm=1.0) == pytest.approx(0.01, rel=1e-12)  # below the cap: unchanged
    with pytest.raises(ValueError, match="clip_grad_norm"):
        clip_grad_norm(net, max_norm=0)


def test_fit_trains_with_adam_and_weight_decay():
    rng = np.random.default_rng(3)
    x, t = rng.normal(size=(64, 2)), rng.normal(size=(64, 1))
    for optimiser in (Adam(lr=0.01), SGD(lr=0.1, weight_decay=1e-3, clip_norm=1.0)):
        net = bplib.Network.mlp([2, 8, 1], hidden="tanh", rng=np.random.default_rng(4))
        history = bplib.fit(net, bplib.MSE(), optimiser, x, t, epochs=20, batch_size=16, rng=rng)
        assert history["loss"][-1] < history["loss"][0]


@pytest.mark.parametrize("factor, verdict", [(441.0, "scale error"), (-1.0, "sign error"), (1.0, "match")])
def test_diagnose_names_the_error(factor, verdict):
    g = np.random.default_rng(5).normal(size=(4, 3))
    found = bplib.diagnose(factor * g, g)
    assert found.verdict == verdict
    assert found.norm_ratio == pytest.approx(abs(factor))
    assert found.relative_error == pytest.approx(abs(1 - factor) / (1 + abs(factor)))


def test_diagnose_wrong_direction():
    g = np.random.default_rng(6).normal(size=(4, 3))
    assert bplib.diagnose(g + np.eye(4, 3), g).verdict == "wrong direction"
