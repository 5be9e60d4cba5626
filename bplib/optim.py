"""Parameter updates: gradient descent with momentum and weight decay, Adam, and clipping by norm.

Chapter 4 derives the plain step :math:`W \\leftarrow W - \\eta\\, \\partial \\mathcal{L} / \\partial W`
and chapter 5 momentum; chapter 3 clips an exploding gradient by its norm;
chapter 7 adds L2 weight decay; chapters 8 and 10 use Adam (chapter 10 checks
it against ``torch.optim.Adam``).

An optimiser's ``step(network)`` reads each layer's ``grads[key]`` at that
moment, whether the layer wrote into the arrays or assigned new ones, and
updates ``params[key]`` in place, so arrays handed out by ``layer.params`` stay
current. Parameters named in a layer's ``frozen`` set are left alone.
"""

import math

import numpy as np

from ._checks import check_gradient


def _number(value, where, name, low, high=math.inf, low_open=False):
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
    if not ok or value < low or value >= high or (low_open and value == low):
        span = f"{'(' if low_open else '['}{low}, {high})"
        raise ValueError(f"{where}: {name} must be a number in {span}, got {value!r}")
    return float(value)


def trainable(network):
    """``(name, layer, key)`` of every parameter of ``network`` that is not frozen."""
    return [(name, layer, key) for name, layer, key in network.parameters() if key not in layer.frozen]


def clip_grad_norm(network, max_norm):
    """Scale every trainable gradient by ``max_norm / norm`` when their global norm exceeds ``max_norm``.

    The norm is that of all the gradients laid end to end,
    :math:`\\lVert g \\rVert = \\sqrt{\\sum_{\\text{params}} \\sum g^2}`; clipping
    keeps the direction of the step and bounds its length. Each scaled
    gradient is a new array in ``grads`` (an array the layer shares with
    something else is left alone). Returns the norm before clipping.
    """
    max_norm = _number(max_norm, "clip_grad_norm", "max_norm", 0.0, low_open=True)
    params = trainable(network)
    norm = math.sqrt(sum(float(np.sum(check_gradient(layer, key) ** 2)) for _, layer, key in params))
    if norm > max_norm:
        for _, layer, key in params:
            layer.grads[key] = layer.grads[key] * (max_norm / norm)
    return norm


class Optimizer:
    """What every optimiser shares: the loop over the trainable parameters, weight decay and clipping.

    A subclass defines ``update(name, p, g)``, the step of one parameter ``p``
    (in place) given its gradient ``g``; ``name``, the pair ``(layer.name, key)``,
    keys its state.
    """

    def __init__(self, lr, weight_decay=0.0, clip_norm=None):
        where = type(self).__name__
        self.lr = _number(lr, where, "learning rate lr", 0.0, low_open=True)
        self.weight_decay = _number(weight_decay, where, "weight_decay", 0.0)
        self.clip_norm = None if clip_norm is None else _number(clip_norm, where, "clip_norm", 0.0, low_open=True)

    def step(self, network):
        """Update every trainable parameter of ``network`` from the gradients in its layers' ``grads`` now."""
        if self.clip_norm is not None:
            clip_grad_norm(network, self.clip_norm)
        for layer in network.layers:
            for key, p in layer.params.items():
                if key in layer.frozen:
                    continue
                g = check_gradient(layer, key)
                if self.weight_decay and key == "W":
                    g = g + self.weight_decay * p  # the gradient of the penalty (lambda / 2) ||W||^2
                self.update((layer.name, key), p, g)

    def update(self, name, p, g):
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, with optional (heavy-ball) momentum and weight decay.

    Without momentum each parameter moves against its gradient:
    :math:`p \\leftarrow p - \\eta\\, g`. With momentum :math:`\\mu` a velocity
    accumulates the steps: :math:`v \\leftarrow \\mu v - \\eta\\, g`, :math:`p \\leftarrow p + v`.

    Parameters
    ----------
    lr : float
        The learning rate :math:`\\eta > 0`.
    momentum : float in [0, 1)
    weight_decay : float
        :math:`\\lambda \\ge 0`: adds :math:`\\lambda W` to the gradient of every
        parameter named ``"W"`` (weights, not biases), the gradient of an L2
        penalty :math:`\\frac{\\lambda}{2} \\lVert W \\rVert^2` in the loss.
    clip_norm : float or None
        When set, :func:`clip_grad_norm` runs before each step.
    """

    def __init__(self, lr, momentum=0.0, weight_decay=0.0, clip_norm=None):
        super().__init__(lr, weight_decay, clip_norm)
        self.momentum = _number(momentum, "SGD", "momentum", 0.0, 1.0)
        self.velocity = {}

    def __repr__(self):
        return f"SGD(lr={self.lr}, momentum={self.momentum})"

    def update(self, name, p, g):
        if not self.momentum:
            p -= self.lr * g
            return
        v = self.velocity.get(name)
        if v is None or v.shape != p.shape or v.dtype != p.dtype:
            v = self.velocity[name] = np.zeros_like(p)
        v *= self.momentum
        v -= self.lr * g
        p += v


class Adam(Optimizer):
    """Adam (Kingma and Ba, 2015): a step scaled per parameter by running averages of the gradient.

    With :math:`g_t` the gradient at step :math:`t` (counted per parameter, from 1):

    .. math::

        m_t &= \\beta_1 m_{t-1} + (1 - \\beta_1)\\, g_t, \\qquad
        v_t = \\beta_2 v_{t-1} + (1 - \\beta_2)\\, g_t^2, \\\\
        \\hat m_t &= \\frac{m_t}{1 - \\beta_1^t}, \\qquad
        \\hat v_t = \\frac{v_t}{1 - \\beta_2^t}, \\qquad
        p_t = p_{t-1} - \\eta\\, \\frac{\\hat m_t}{\\sqrt{\\hat v_t} + \\epsilon},

    elementwise, from :math:`m_0 = v_0 = 0`; the division by :math:`1 - \\beta^t`
    corrects the pull of those zeros on the first steps. The same update as
    ``torch.optim.Adam``. Since :math:`\\hat m / \\sqrt{\\hat v}` does not change
    when the gradient is multiplied by a constant, Adam's steps ignore the
    gradient's scale: a missing :math:`1/N` does not show as a larger step.

    Parameters
    ----------
    lr : float
        :math:`\\eta`, the largest step of a parameter, roughly.
    beta1, beta2 : float in [0, 1)
    eps : float
    weight_decay : float
        :math:`\\lambda`: adds :math:`\\lambda W` to the gradient of every ``"W"``
        before the averages (coupled L2, as ``torch.optim.Adam``).
    clip_norm : float or None
        When set, :func:`clip_grad_norm` runs before each step.
    """

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, clip_norm=None):
        super().__init__(lr, weight_decay, clip_norm)
        self.beta1 = _number(beta1, "Adam", "beta1", 0.0, 1.0)
        self.beta2 = _number(beta2, "Adam", "beta2", 0.0, 1.0)
        self.eps = _number(eps, "Adam", "eps", 0.0)
        self.state = {}  # (layer name, key) -> (m, v, t)

    def __repr__(self):
        return f"Adam(lr={self.lr}, beta1={self.beta1}, beta2={self.beta2}, eps={self.eps})"

    def update(self, name, p, g):
        m, v, t = self.state.get(name) or (np.zeros_like(p), np.zeros_like(p), 0)
        t += 1
        m *= self.beta1
        m += (1 - self.beta1) * g
        v *= self.beta2
        v += (1 - self.beta2) * g * g
        m_hat_scale = 1 / (1 - self.beta1**t)
        v_hat_sqrt_scale = 1 / math.sqrt(1 - self.beta2**t)
        p -= self.lr * m_hat_scale * m / (np.sqrt(v) * v_hat_sqrt_scale + self.eps)
        self.state[name] = (m, v, t)
