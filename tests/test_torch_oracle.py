"""An independent oracle: bplib's layers, losses, networks and optimisers against PyTorch, in float64.

Hypothesis draws random networks (widths, activations, a dropout mask, a loss
and its kind of target); PyTorch's autograd differentiates the same function
built from the same arrays, and every gradient bplib's backward pass stores
must agree with it, as must the loss and dL/dx. The optimisers are run step
for step beside ``torch.optim``.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bplib as bp

torch = pytest.importorskip("torch")
TF = torch.nn.functional
TORCH_ACTIVATIONS = {"sigmoid": torch.sigmoid, "relu": torch.relu, "tanh": torch.tanh, "identity": lambda z: z}
RTOL = 1e-10  # float64; bplib and PyTorch sum in different orders, nothing more


def close(a, b, what):
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else b
    np.testing.assert_allclose(a, b, rtol=RTOL, atol=1e-13, err_msg=what)


def torch_loss(kind, y, t):
    """The loss bplib defines, written with PyTorch's own functions."""
    n = y.shape[0]
    if kind == "mse":  # bplib: (1/N) sum_n 0.5 ||y_n - t_n||^2
        return 0.5 * TF.mse_loss(y, t, reduction="sum") / n
    if kind in ("ce labels", "ce one-hot"):
        return TF.cross_entropy(y, t)
    return TF.binary_cross_entropy_with_logits(y, t, reduction="sum") / n


LOSSES = {"mse": bp.MSE, "ce labels": bp.SoftmaxCrossEntropy, "ce one-hot": bp.SoftmaxCrossEntropy,
          "bce": bp.BinaryCrossEntropy}


def targets(kind, rng, n, k):
    if kind == "mse":
        return rng.normal(size=(n, k))
    if kind == "ce labels":
        return rng.integers(0, k, n)
    if kind == "ce one-hot":
        return rng.dirichlet(np.ones(k), size=n)  # probability rows: one-hot is the special case
    return rng.random((n, k))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(widths=st.lists(st.integers(1, 5), min_size=2, max_size=5),
       acts=st.lists(st.sampled_from(list(TORCH_ACTIVATIONS)), min_size=4, max_size=4),
       dropout=st.sampled_from([0.0, 0.4]), kind=st.sampled_from(list(LOSSES)),
       n=st.integers(1, 6), seed=st.integers(0, 2**16))
def test_random_networks_agree_with_torch_autograd(widths, acts, dropout, kind, n, seed):
    if kind.startswith("ce") and widths[-1] < 2:
        widths = widths[:-1] + [2]
    rng = np.random.default_rng(seed)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(widths, widths[1:])):
        layers.append(bp.Dense(n_in, n_out, init="normal", scale=1.0, rng=rng))
        layers[-1].params["b"][...] = rng.normal(size=n_out)
        if i < len(widths) - 2:
            layers.append(bp.activation(acts[i]))
            if dropout:
                layers.append(bp.Dropout(dropout, rng=rng))
    net, loss = bp.Network(layers), LOSSES[kind]()
    x, t = rng.normal(size=(n, widths[0])), targets(kind, rng, n, widths[-1])

    value = loss.forward(net.forward(x, training=True), t)
    dx = net.backward(loss.backward())

    tx = torch.tensor(x, requires_grad=True)
    a, leaves = tx, []
    for layer in net.layers:
        if isinstance(layer, bp.Dense):
            W, b = (torch.tensor(layer.params[k], requires_grad=True) for k in ("W", "b"))
            leaves.append((layer, W, b))
            a = a @ W + b
        elif isinstance(layer, bp.Dropout):
            a = a * torch.tensor(layer.mask)  # the mask bplib drew, scaled by 1 / (1 - p)
        else:
            a = TORCH_ACTIVATIONS[layer.kind](a)
    tt = torch.tensor(t)
    torch_value = torch_loss(kind, a, tt)
    torch_value.backward()

    close(value, torch_value, "loss")
    close(dx, tx.grad, "dL/dx")
    for layer, W, b in leaves:
        close(layer.grads["W"], W.grad, f"{layer!r} dW")
        close(layer.grads["b"], b.grad, f"{layer!r} db")


@settings(max_examples=20, deadline=None)
@given(name=st.sampled_from(list(TORCH_ACTIVATIONS)), shape=st.tuples(st.integers(1, 5), st.integers(1, 5)),
       seed=st.integers(0, 2**16))
def test_each_activation_layer_is_a_vector_jacobian_product_as_torch_computes_it(name, shape, seed):
    rng = np.random.default_rng(seed)
    z, dout = rng.normal(scale=3.0, size=shape), rng.normal(size=shape)
    layer = bp.activation(name)
    a = layer.forward(z)
    dz = layer.backward(dout)
    tz = torch.tensor(z, requires_grad=True)
    ta = TORCH_ACTIVATIONS[name](tz)
    ta.backward(torch.tensor(dout))
    close(a, ta, f"{name} forward")
    close(dz, tz.grad, f"{name} backward")


def dense_net(rng, widths=(4, 6, 3)):
    return bp.Network.mlp(list(widths), hidden="tanh", rng=rng)


def torch_twin(net):
    """The network's parameters as torch tensors, weights and biases apart."""
    weights, biases = [], []
    for layer in net.layers:
        if isinstance(layer, bp.Dense):
            weights.append(torch.tensor(layer.params["W"], requires_grad=True))
            biases.append(torch.tensor(layer.params["b"], requires_grad=True))
    return weights, biases


def torch_forward(weights, biases, x):
    a = torch.tensor(x)
    for i, (W, b) in enumerate(zip(weights, biases)):
        a = a @ W + b
        if i < len(weights) - 1:
            a = torch.tanh(a)
    return a


def run_side_by_side(make_ours, make_theirs, steps=25, seed=0):
    rng = np.random.default_rng(seed)
    net = dense_net(rng)
    x, labels = rng.normal(size=(16, 4)), rng.integers(0, 3, 16)
    weights, biases = torch_twin(net)
    ours, theirs = make_ours(), make_theirs(weights, biases)
    for step in range(steps):
        rows = slice(4 * (step % 4), 4 * (step % 4) + 4)
        net.train_step(x[rows], labels[rows], bp.SoftmaxCrossEntropy())
        ours.step(net)
        theirs.zero_grad()
        TF.cross_entropy(torch_forward(weights, biases, x[rows]), torch.tensor(labels[rows])).backward()
        theirs.step()
        dense = [layer for layer in net.layers if isinstance(layer, bp.Dense)]
        for layer, W, b in zip(dense, weights, biases):
            np.testing.assert_allclose(layer.params["W"], W.detach().numpy(), rtol=1e-12, atol=1e-14,
                                       err_msg=f"W after step {step + 1}")
            np.testing.assert_allclose(layer.params["b"], b.detach().numpy(), rtol=1e-12, atol=1e-14,
                                       err_msg=f"b after step {step + 1}")
    return net


@pytest.mark.parametrize("weight_decay", [0.0, 0.05])
@pytest.mark.parametrize("betas", [(0.9, 0.999), (0.5, 0.9)])
def test_adam_matches_torch_optim_adam_step_for_step(weight_decay, betas):
    run_side_by_side(
        lambda: bp.Adam(lr=0.01, beta1=betas[0], beta2=betas[1], weight_decay=weight_decay),
        lambda W, b: torch.optim.Adam([{"params": W, "weight_decay": weight_decay}, {"params": b, "weight_decay": 0.0}],
                                      lr=0.01, betas=betas),
    )


@pytest.mark.parametrize("momentum, weight_decay", [(0.0, 0.0), (0.9, 0.0), (0.0, 0.1), (0.9, 0.1)])
def test_sgd_matches_torch_optim_sgd_step_for_step(momentum, weight_decay):
    # Their momentum keeps v = mu v + g and steps by lr v; ours keeps -lr times that. The same steps.
    run_side_by_side(
        lambda: bp.SGD(0.1, momentum=momentum, weight_decay=weight_decay),
        lambda W, b: torch.optim.SGD([{"params": W, "weight_decay": weight_decay}, {"params": b, "weight_decay": 0.0}],
                                     lr=0.1, momentum=momentum),
    )


def test_the_adam_check_would_catch_an_update_without_bias_correction():
    class AdamWithoutBiasCorrection(bp.Adam):
        def update(self, name, p, g):
            m, v, t = self.state.get(name) or (np.zeros_like(p), np.zeros_like(p), 0)
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            p -= self.lr * m / (np.sqrt(v) + self.eps)
            self.state[name] = (m, v, t + 1)

    with pytest.raises(AssertionError, match="after step 1"):
        run_side_by_side(lambda: AdamWithoutBiasCorrection(lr=0.01),
                         lambda W, b: torch.optim.Adam(W + b, lr=0.01))


def test_clip_grad_norm_scales_to_the_limit_and_returns_the_norm_before():
    rng = np.random.default_rng(0)
    net = dense_net(rng)
    net.train_step(rng.normal(size=(8, 4)), rng.integers(0, 3, 8), bp.SoftmaxCrossEntropy())
    grads = [layer.grads[key].copy() for _, layer, key in net.parameters()]
    norm = np.sqrt(sum(np.sum(g * g) for g in grads))
    assert bp.clip_grad_norm(net, norm / 4) == pytest.approx(norm, rel=1e-15)
    for g, (_, layer, key) in zip(grads, net.parameters()):
        np.testing.assert_allclose(layer.grads[key], g / 4, rtol=1e-14)
    assert bp.clip_grad_norm(net, norm) == pytest.approx(norm / 4, rel=1e-14)  # below the limit: unchanged
    for g, (_, layer, key) in zip(grads, net.parameters()):
        np.testing.assert_allclose(layer.grads[key], g / 4, rtol=1e-14)
