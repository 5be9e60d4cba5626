"""Losses: a scalar measure of how wrong a batch of outputs is, with its gradient.

Chapter 2 derives the mean squared error and its gradient, chapter 5 uses it
for regression, chapter 6 derives the softmax and binary cross-entropies.

Every loss has ``forward(y, t)``, returning :math:`\\mathcal{L}` as a float
averaged over the batch, and ``backward()``, returning
:math:`\\partial \\mathcal{L} / \\partial y` for the same batch (shape of ``y``).
``forward`` checks its inputs first, in one line (``check``): a target of
shape ``(N,)`` against an output of shape ``(N, 1)`` would otherwise broadcast
to ``(N, N)`` and give a wrong, finite number.
"""

import numpy as np

from . import functions as F
from ._checks import _name, as_float_array, check_batch, check_finite, check_like


class Loss:
    """Base class. A loss defines ``forward(y, t)``, ``backward()`` and ``check_targets(t, shape)``."""

    def __repr__(self):
        return f"{type(self).__name__}()"

    def __call__(self, y, t):
        return self.forward(y, t)

    def forward(self, y, t):
        raise NotImplementedError

    def backward(self):
        raise NotImplementedError

    def check(self, y, t):
        """``(y, t)`` checked and converted: ``y`` a finite 2-D batch, ``t`` targets for it; raises otherwise."""
        y = check_batch(y, (self, "forward"), name="output y")
        return y, self.check_targets(t, y.shape)

    def check_targets(self, t, shape, where=None):
        """``t`` checked (and converted) as targets for outputs of ``shape``; ``where`` names the caller.

        bplib's losses say what their targets must be; a loss that defines only
        ``forward`` and ``backward`` takes ``t`` as it is.
        """
        return t


def _not_yet(loss):
    return RuntimeError(f"{loss!r}.backward called before forward")


class MSE(Loss):
    """Mean squared error :math:`\\mathcal{L} = \\frac{1}{N} \\sum_n \\frac{1}{2} \\lVert y_n - t_n \\rVert^2`.

    With a batch of one this is the textbook :math:`E = \\sum_k \\frac{1}{2} (t_k - o_k)^2`,
    whose derivative is :math:`\\partial E / \\partial o_k = o_k - t_k`, with no stray factor 2.

    ``forward(y, t)``: ``y`` and ``t`` of the same shape ``(N, K)``.
    ``backward()``: :math:`\\partial \\mathcal{L} / \\partial y = (y - t) / N`.
    """

    _diff = None

    def check_targets(self, t, shape, where=None):
        return check_like(t, shape, where or (self, "forward"), "target t", "the shape of the output")

    def forward(self, y, t):
        y, t = self.check(y, t)
        diff = self._diff = y - t  # backward needs y - t
        return float(0.5 * np.sum(diff * diff) / y.shape[0])

    def backward(self):
        if self._diff is None:
            raise _not_yet(self)
        return self._diff / self._diff.shape[0]


def class_targets(t, n, k, where):
    """Check class indices ``(N,)`` or one-hot / probability rows ``(N, K)``; returns ``t`` (one-hot as floats)."""
    if isinstance(t, (list, tuple)):
        t = np.asarray(t)
    if not isinstance(t, np.ndarray):
        raise TypeError(f"{_name(where)}: target t must be a numpy array, got {type(t).__name__}")
    if t.ndim == 1:
        if t.dtype.kind not in "iu":
            raise TypeError(
                f"{_name(where)}: class labels of shape {t.shape} must be integers, got dtype {t.dtype} "
                f"(pass one-hot rows of shape ({n}, {k}) for soft targets)"
            )
        if t.shape[0] != n:
            raise ValueError(f"{_name(where)}: target t has shape {t.shape}, expected ({n},) class labels "
                             f"or ({n}, {k}) one-hot")
        if t.size and (t.min() < 0 or t.max() >= k):
            raise ValueError(
                f"{_name(where)}: class labels must lie in [0, {k}) for an output of shape ({n}, {k}); "
                f"got labels from {t.min()} to {t.max()}"
            )
        return t
    t = as_float_array(t, where, "target t")
    if t.shape != (n, k):
        raise ValueError(f"{_name(where)}: target t has shape {t.shape}, expected ({n},) class labels "
                         f"or ({n}, {k}) one-hot")
    check_finite(t, where, "target t")
    return t


class SoftmaxCrossEntropy(Loss):
    """Softmax followed by cross-entropy, fused: it takes **logits** ``z``, not probabilities.

    :math:`\\mathcal{L} = -\\frac{1}{N} \\sum_n \\sum_k t_{nk} \\log \\mathrm{softmax}(z_n)_k`.

    ``forward(z, t)``: ``z`` of shape ``(N, K)``; ``t`` either integer class
    labels of shape ``(N,)`` in ``[0, K)`` or one-hot (or probability) rows of
    shape ``(N, K)``.

    ``backward()`` returns :math:`\\partial \\mathcal{L} / \\partial z` **through
    the softmax**: :math:`(\\mathrm{softmax}(z) - t) / N`. So the last layer of
    the network must be the ``Dense`` layer that makes the logits, with no
    softmax layer after it.
    """

    _p = _t = None

    def check_targets(self, t, shape, where=None):
        return class_targets(t, *shape, where or (self, "forward"))

    def forward(self, z, t):
        z, t = self.check(z, t)
        logp = F.log_softmax(z)
        self._p, self._t = np.exp(logp), t  # backward needs the probabilities and the targets
        n = z.shape[0]
        if t.ndim == 1:  # labels: pick log p of the right class in each row
            return float(-np.mean(logp[np.arange(n), t]))
        return float(-np.sum(t * logp) / n)

    def backward(self):
        if self._p is None:
            raise _not_yet(self)
        p, t = self._p, self._t
        n = p.shape[0]
        if t.ndim == 1:  # p - onehot(t), without building the one-hot rows
            grad = p.copy()
            grad[np.arange(n), t] -= 1.0
        else:
            grad = p - t
        return grad / n


class BinaryCrossEntropy(Loss):
    """Sigmoid followed by binary cross-entropy, fused: it takes **logits** ``z``.

    Each of the ``K`` outputs is an independent yes/no with probability
    :math:`\\sigma(z)`:
    :math:`\\mathcal{L} = \\frac{1}{N} \\sum_n \\sum_k [t_{nk}\\, \\mathrm{softplus}(-z_{nk})
    + (1 - t_{nk})\\, \\mathrm{softplus}(z_{nk})]`,
    which equals :math:`-[t \\log \\sigma(z) + (1 - t) \\log(1 - \\sigma(z))]` (since
    :math:`-\\log \\sigma(z) = \\mathrm{softplus}(-z)`) but stays finite and exact for any z.

    ``forward(z, t)``: ``z`` and ``t`` of the same shape ``(N, K)``, ``t`` in [0, 1].
    ``backward()`` returns :math:`\\partial \\mathcal{L} / \\partial z = (\\sigma(z) - t) / N`,
    so the network ends in the ``Dense`` layer that makes the logits, with no
    sigmoid layer after it.
    """

    _z = _t = None

    def check_targets(self, t, shape, where=None):
        where = where or (self, "forward")
        t = check_like(t, shape, where, "target t", "the shape of the output")
        if t.min() < 0 or t.max() > 1:
            raise ValueError(f"{_name(where)}: targets must lie in [0, 1], got values from {t.min()} to {t.max()}")
        return t

    def forward(self, z, t):
        z, t = self.check(z, t)
        self._z, self._t = z, t  # backward needs both
        return float(np.sum(t * F.softplus(-z) + (1.0 - t) * F.softplus(z)) / z.shape[0])

    def backward(self):
        if self._z is None:
            raise _not_yet(self)
        return (F.sigmoid(self._z) - self._t) / self._z.shape[0]
