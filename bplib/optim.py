"""Parameter updates: gradient descent with momentum and weight decay, Adam, and clipping by norm.

Chapter 5 derives plain gradient descent and momentum; chapter 3 clips an
exploding gradient by its norm; chapter 7 adds L2 weight decay; chapters 8 and
10 use Adam (chapter 10 checks it against ``torch.optim.Adam``).

An optimiser has a ``step(network)`` method that reads every trainable
parameter ``layer.params[key]`` and its gradient ``layer.grads[key]`` (written
by the last ``backward``) and changes the parameter in place.
"""

import numpy as np


def _check_rate(value, name, where, low=0.0, high=None, low_open=True):
    ok = not isinstance(value, bool) and isinstance(value, (int, float)) and np.isfinite(value)
    ok = ok and (value > low if low_open else value >= low) and (high is None or value < high)
    if not ok:
        bounds = f"({low}, {high})" if high is not None else ("a positive number" if low_open else "a number >= 0")
        raise ValueError(f"{where}: {name} must be {bounds}, got {value!r}")
    return float(value)


def _trainable(network):
    """``(name, layer, key)`` for every parameter that is not frozen, named as in ``network.parameters()``."""
    return [(f"{layer.name}.{key}", layer, key)
            for layer in network.layers for key in layer.params if key not in layer.frozen]


def clip_grad_norm(network, max_norm):
    """Rescale all gradients of ``network`` together so that their joint L2 norm is at most ``max_norm``.

    The norm is taken over every trainable gradient at once,
    ``||g|| = sqrt(sum over parameters of sum(grads[key] ** 2))``. If it exceeds
    ``max_norm``, every gradient is multiplied by ``max_norm / ||g||``: the step
    keeps its direction and only gets shorter. Returns ``||g||`` before clipping,
    so a training loop can record how large the gradients were.
    """
    max_norm = _check_rate(max_norm, "max_norm", "clip_grad_norm")
    trainable = _trainable(network)
    norm = float(np.sqrt(sum(np.sum(layer.grads[key] ** 2) for _, layer, key in trainable)))
    if norm > max_norm:
        for _, layer, key in trainable:
            layer.grads[key] = layer.grads[key] * (max_norm / norm)
    return norm


def _gradient(layer, key, weight_decay):
    """The gradient a step follows: ``grads[key]``, plus ``weight_decay * W`` for weights named ``"W"``.

    The L2 penalty ``(lambda / 2) * sum(W ** 2)`` added to the loss has the
    gradient ``lambda * W``; biases are not decayed.
    """
    grad = layer.grads[key]
    if weight_decay and key == "W":
        grad = grad + weight_decay * layer.params[key]
    return grad


class SGD:
    """Stochastic gradient descent, with optional (heavy-ball) momentum, weight decay and clipping.

    Without momentum each parameter moves against its gradient:
    ``p <- p - lr * dp``. With momentum ``mu`` a velocity accumulates the
    steps: ``v <- mu * v - lr * dp``, ``p <- p + v``. With ``weight_decay``
    (lambda) the weights' gradient is ``dW + lambda * W``, the gradient of the
    L2 penalty ``(lambda / 2) ||W||^2``; with ``clip_norm`` the gradients are
    first clipped by :func:`clip_grad_norm`.

    Parameters named in a layer's ``frozen`` set are left alone. Updates are
    made in place, so arrays handed out by ``layer.params`` stay current.
    """

    def __init__(self, lr, momentum=0.0, weight_decay=0.0, clip_norm=None):
        self.lr = _check_rate(lr, "learning rate lr", "SGD")
        self.momentum = _check_rate(momentum, "momentum", "SGD", high=1.0, low_open=False)
        self.weight_decay = _check_rate(weight_decay, "weight_decay", "SGD", low_open=False)
        self.clip_norm = None if clip_norm is None else _check_rate(clip_norm, "clip_norm", "SGD")
        self.velocity = {}

    def __repr__(self):
        return f"SGD(lr={self.lr}, momentum={self.momentum})"

    def step(self, network):
        """Update every trainable parameter of ``network`` from the gradients its last backward stored."""
        self._plan(network)()

    def _plan(self, network):
        """A function that makes one update of ``network``'s current parameter arrays.

        ``step`` builds it and calls it once; ``fit`` builds it once and calls it
        after every batch, so the list of parameters, the frozen sets and the
        velocities are looked up once rather than at every step. (``fit``
        builds it again after each callback, which may change ``lr`` or swap
        an array.)
        """
        if self.weight_decay or self.clip_norm is not None:
            return lambda: self._step_reading_grads(network)
        lr, mu = self.lr, self.momentum
        pairs = []
        for layer in network.layers:
            layer._check_params()  # a parameter swapped by hand gets a message naming it, not numpy's
            for key, p in layer.params.items():
                if key not in layer.frozen:
                    pairs.append((f"{layer.name}.{key}", p, layer.grads[key]))  # names as in network.parameters()
        if not mu:
            pairs = [(p, dp) for _, p, dp in pairs]

            def update():
                for p, dp in pairs:
                    p -= lr * dp

            return update
        triples = []
        for name, p, dp in pairs:
            v = self.velocity.get(name)
            if v is None or v.shape != p.shape or v.dtype != p.dtype:
                v = self.velocity[name] = np.zeros_like(p)
            triples.append((p, dp, v))

        def update_with_momentum():
            for p, dp, v in triples:
                v *= mu
                v -= lr * dp
                p += v

        return update_with_momentum

    def _step_reading_grads(self, network):
        if self.clip_norm is not None:
            clip_grad_norm(network, self.clip_norm)
        for name, layer, key in _trainable(network):
            p, grad = layer.params[key], _gradient(layer, key, self.weight_decay)
            if self.momentum:
                v = self.velocity.get(name)
                if v is None or v.shape != p.shape or v.dtype != p.dtype:
                    v = self.velocity[name] = np.zeros_like(p)
                v *= self.momentum
                v -= self.lr * grad
                p += v
            else:
                p -= self.lr * grad


class Adam:
    r"""Adam (Kingma and Ba, 2015): steps scaled by running averages of the gradient and its square.

    For each parameter :math:`\theta` with gradient :math:`g_t` at step :math:`t = 1, 2, \dots`:

    .. math::

        m_t = \beta_1 m_{t-1} + (1 - \beta_1)\, g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2,

        \hat m_t = \frac{m_t}{1 - \beta_1^t}, \qquad
        \hat v_t = \frac{v_t}{1 - \beta_2^t}, \qquad
        \theta \leftarrow \theta - \eta\, \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon},

    with :math:`m_0 = v_0 = 0`; the divisions by :math:`1 - \beta^t` undo the
    pull towards zero of averages that start at zero. This is the update of
    ``torch.optim.Adam``. With ``weight_decay`` (lambda) the weights' gradient
    is ``dW + lambda * W`` before it enters the averages (L2 regularisation,
    as ``torch.optim.Adam`` does it, not AdamW's decoupled decay); biases are
    not decayed.

    Because the step divides :math:`\hat m` by :math:`\sqrt{\hat v}`, a gradient
    multiplied by any constant :math:`c > 0` gives the same step (up to
    :math:`\epsilon`): Adam does not notice a missing or doubled 1/N. Chapter 8
    shows why that hides a scale bug that plain SGD would reveal.
    """

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0, clip_norm=None):
        self.lr = _check_rate(lr, "learning rate lr", "Adam")
        self.beta1 = _check_rate(beta1, "beta1", "Adam", high=1.0, low_open=False)
        self.beta2 = _check_rate(beta2, "beta2", "Adam", high=1.0, low_open=False)
        self.eps = _check_rate(eps, "eps", "Adam")
        self.weight_decay = _check_rate(weight_decay, "weight_decay", "Adam", low_open=False)
        self.clip_norm = None if clip_norm is None else _check_rate(clip_norm, "clip_norm", "Adam")
        self.t = 0
        self.m, self.v = {}, {}

    def __repr__(self):
        return f"Adam(lr={self.lr}, beta1={self.beta1}, beta2={self.beta2}, eps={self.eps})"

    def step(self, network):
        """One Adam update of every trainable parameter of ``network`` from the gradients its last backward stored."""
        if self.clip_norm is not None:
            clip_grad_norm(network, self.clip_norm)
        self.t += 1
        for name, layer, key in _trainable(network):
            p, g = layer.params[key], _gradient(layer, key, self.weight_decay)
            if name not in self.m or self.m[name].shape != p.shape:
                self.m[name], self.v[name] = np.zeros_like(p), np.zeros_like(p)
            m, v = self.m[name], self.v[name]
            m *= self.beta1
            m += (1 - self.beta1) * g
            v *= self.beta2
            v += (1 - self.beta2) * g * g
            m_hat = m / (1 - self.beta1 ** self.t)
            v_hat = v / (1 - self.beta2 ** self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
