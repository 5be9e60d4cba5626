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

    def forward(self, y, t):
        """The loss of outputs ``y`` against targets ``t``, as a float (checked, then computed)."""
        y = self._check_output(y)
        return self._forward(y, self._targets(t, y.shape, f"{self!r}.forward"))

    def backward(self):
        """dL/dy for the batch of the last ``forward``, in the shape of ``y``."""
        if self._cache is None:
            raise RuntimeError(f"{self!r}.backward called before forward")
        return self._backward()

    def _check_output(self, y):
        return check_batch(y, f"{self!r}.forward", name="output y")

    # Subclasses define the three computing parts; the public methods above check first.
    # ``fit`` checks (and converts) the targets of a whole data set once with ``_targets``,
    # then calls ``_delta`` on every batch: the cache and dL/dy, without the loss value.

    def _targets(self, t, shape, where):
        """``t`` checked (and converted) as targets for outputs of ``shape``; raises otherwise."""
        raise NotImplementedError

    def _store(self, y, t):
        """Compute and cache what ``_backward`` needs; may return what ``_forward`` reuses."""
        raise NotImplementedError

    def _forward(self, y, t):
        raise NotImplementedError

    def _backward(self):
        raise NotImplementedError

    def _delta(self, y, t):
        self._store(y, t)
        return self._backward()

    def _fast(self):
        """``(targets, delta)`` for ``fit``: its own computing parts for bplib's losses;
        ``None`` and forward-then-backward for a loss that overrides the public methods."""
        owners = {name: next(c for c in type(self).__mro__ if name in vars(c)) for name in ("forward", "backward")}
        if all(owner.__module__ == __name__ for owner in owners.values()):
            return self._targets, self._delta
        return None, lambda y, t: (self.forward(y, t), self.backward())[1]


class MSE(Loss):
    """Mean squared error ``L = (1/N) sum_n 0.5 * ||y_n - t_n||^2``.

    With a batch of one this is the textbook ``E = sum_k 0.5 (t_k - o_k)^2``,
    whose derivative is ``dE/do_k = o_k - t_k`` with no stray factor 2.

    ``forward(y, t)``: ``y`` and ``t`` of the same shape ``(N, K)``.
    ``backward()``: ``dL/dy = (y - t) / N``.
    """

    def _targets(self, t, shape, where):
        t = as_float_array(t, where, "target t")
        check_same_shape(shape, t, where)
        check_finite(t, where, "target t")
        return t

    def _store(self, y, t):
        diff = y - t
        self._cache = diff
        return diff

    def _forward(self, y, t):
        diff = self._store(y, t)
        return float(0.5 * np.sum(diff * diff) / y.shape[0])

    def _backward(self):
        diff = self._cache
        return diff / diff.shape[0]


def _class_targets(where, t, n, k):
    """Check class indices ``(N,)`` or one-hot / probability rows ``(N, K)``; returns ``(onehot, labels)``."""
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

    def _targets(self, t, shape, where):
        onehot, labels = _class_targets(where, t, *shape)
        return labels if labels is not None else onehot

    def _store(self, z, t):
        logp = F.log_softmax(z)
        self._cache = (np.exp(logp), None, t) if t.ndim == 1 else (np.exp(logp), t, None)
        return logp

    def _forward(self, z, t):
        logp = self._store(z, t)
        n = z.shape[0]
        if t.ndim == 1:
            loss = -np.mean(logp[np.arange(n), t])
        else:
            loss = -np.sum(t * logp) / n
        return float(loss)

    def _backward(self):
        p, onehot, labels = self._cache
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

    def _targets(self, t, shape, where):
        t = as_float_array(t, where, "target t")
        check_same_shape(shape, t, where)
        check_finite(t, where, "target t")
        if t.min() < 0 or t.max() > 1:
            raise ValueError(f"{where}: targets must lie in [0, 1], got values from {t.min()} to {t.max()}")
        return t

    def _store(self, z, t):
        self._cache = (z, t)

    def _forward(self, z, t):
        self._store(z, t)
        return float(np.sum(t * F.softplus(-z) + (1.0 - t) * F.softplus(z)) / z.shape[0])

    def _backward(self):
        z, t = self._cache
        return (F.sigmoid(z) - t) / z.shape[0]
