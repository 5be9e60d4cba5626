"""Losses: a scalar measure of how wrong a batch of outputs is, with its gradient.

Every loss has ``forward(y, t)``, returning a float averaged over the batch, and
``backward()``, returning dL/dy for the same batch (shape of ``y``). Both check
their inputs before any arithmetic: a target of shape ``(N,)`` against an output
of shape ``(N, 1)`` would otherwise broadcast to ``(N, N)`` and give a wrong,
finite number.
"""

import numpy as np

from . import functions as F
from ._checks import as_float_array, check_batch, check_finite, check_same_shape


class Loss:
    """Base class: remembers what ``backward`` needs from the last ``forward``."""

    def __init__(self):
        self._cache = None

    def __repr__(self):
        return f"{type(self).__name__}()"

    def __call__(self, y, t):
        return self.forward(y, t)

    def _cached(self):
        if self._cache is None:
            raise RuntimeError(f"{self!r}.backward called before forward")
        return self._cache

    def _check_output(self, y):
        return check_batch(y, f"{self!r}.forward", name="output y")


class MSE(Loss):
    """Mean squared error ``L = (1/N) sum_n 0.5 * ||y_n - t_n||^2``.

    With a batch of one this is the textbook ``E = sum_k 0.5 (t_k - o_k)^2``,
    whose derivative is ``dE/do_k = o_k - t_k`` with no stray factor 2.

    ``forward(y, t)``: ``y`` and ``t`` of the same shape ``(N, K)``.
    ``backward()``: ``dL/dy = (y - t) / N``.
    """

    def forward(self, y, t):
        y = self._check_output(y)
        t = as_float_array(t, f"{self!r}.forward", "target t")
        check_same_shape(y, t, f"{self!r}.forward")
        check_finite(t, f"{self!r}.forward", "target t")
        diff = y - t
        self._cache = diff
        return float(0.5 * np.sum(diff * diff) / y.shape[0])

    def backward(self):
        diff = self._cached()
        return diff / diff.shape[0]


def _class_targets(where, t, n, k):
    """Turn class indices ``(N,)`` or one-hot / probability rows ``(N, K)`` into ``(N, K)`` rows."""
    if isinstance(t, (list, tuple)):
        t = np.asarray(t)
    if not isinstance(t, np.ndarray):
        raise TypeError(f"{where}: target t must be a numpy array, got {type(t).__name__}")
    if t.ndim == 1:
        if t.dtype.kind not in "iu":
            raise TypeError(
                f"{where}: class labels of shape {t.shape} must be integers, got dtype {t.dtype} "
                f"(pass one-hot rows of shape ({n}, {k}) for soft targets)"
            )
        if t.shape[0] != n:
            raise ValueError(f"{where}: target t has shape {t.shape}, expected ({n},) class labels or ({n}, {k}) one-hot")
        if t.size and (t.min() < 0 or t.max() >= k):
            raise ValueError(
                f"{where}: class labels must lie in [0, {k}) for an output of shape ({n}, {k}); "
                f"got labels from {t.min()} to {t.max()}"
            )
        return None, t
    t = as_float_array(t, where, "target t")
    if t.shape != (n, k):
        raise ValueError(f"{where}: target t has shape {t.shape}, expected ({n},) class labels or ({n}, {k}) one-hot")
    check_finite(t, where, "target t")
    return t, None


class SoftmaxCrossEntropy(Loss):
    """Softmax followed by cross-entropy, fused: it takes **logits** ``z``, not probabilities.

    ``L = -(1/N) sum_n sum_k t_nk log softmax(z_n)_k``.

    ``forward(z, t)``: ``z`` of shape ``(N, K)``; ``t`` either integer class
    labels of shape ``(N,)`` in ``[0, K)`` or one-hot (or probability) rows of
    shape ``(N, K)``.

    ``backward()`` returns ``dL/dz`` **through the softmax**:
    ``(softmax(z) - t) / N``. So the last layer of the network must be the
    ``Dense`` layer that makes the logits, with no softmax layer after it.
    """

    def forward(self, y, t):
        z = self._check_output(y)
        n, k = z.shape
        onehot, labels = _class_targets(f"{self!r}.forward", t, n, k)
        logp = F.log_softmax(z)
        if labels is not None:
            loss = -np.mean(logp[np.arange(n), labels])
        else:
            loss = -np.sum(onehot * logp) / n
        self._cache = (np.exp(logp), onehot, labels)
        return float(loss)

    def backward(self):
        p, onehot, labels = self._cached()
        n = p.shape[0]
        if labels is not None:
            grad = p.copy()
            grad[np.arange(n), labels] -= 1.0
        else:
            grad = p - onehot
        return grad / n


class BinaryCrossEntropy(Loss):
    """Sigmoid followed by binary cross-entropy, fused: it takes **logits** ``z``.

    Each of the ``K`` outputs is an independent yes/no with probability
    ``sigmoid(z)``:
    ``L = (1/N) sum_n sum_k [t_nk softplus(-z_nk) + (1 - t_nk) softplus(z_nk)]``,
    which equals ``-[t log sigma(z) + (1 - t) log(1 - sigma(z))]`` (since
    ``-log sigma(z) = softplus(-z)``) but stays finite and exact for any z.

    ``forward(z, t)``: ``z`` and ``t`` of the same shape ``(N, K)``, ``t`` in [0, 1].
    ``backward()`` returns ``dL/dz = (sigmoid(z) - t) / N``, so the network ends
    in the ``Dense`` layer that makes the logits, with no sigmoid layer after it.
    """

    def forward(self, y, t):
        z = self._check_output(y)
        t = as_float_array(t, f"{self!r}.forward", "target t")
        check_same_shape(z, t, f"{self!r}.forward")
        check_finite(t, f"{self!r}.forward", "target t")
        if t.min() < 0 or t.max() > 1:
            raise ValueError(f"{self!r}.forward: targets must lie in [0, 1], got values from {t.min()} to {t.max()}")
        self._cache = (z, t)
        return float(np.sum(t * F.softplus(-z) + (1.0 - t) * F.softplus(z)) / z.shape[0])

    def backward(self):
        z, t = self._cached()
        return (F.sigmoid(z) - t) / z.shape[0]
