"""The training loop: mini-batches, shuffling, a per-epoch history, a progress bar, callbacks."""

import sys
import time

import numpy as np

from ._checks import check_batch


def accuracy(y, t):
    """Fraction of rows whose largest output is the target class.

    ``y`` has shape ``(N, K)`` with ``K >= 2``; ``t`` holds class labels ``(N,)``
    or one-hot rows ``(N, K)``.
    """
    if y.ndim != 2 or y.shape[1] < 2:
        raise ValueError(f"accuracy: expected outputs of shape (N, K) with K >= 2, got {y.shape}")
    labels = np.argmax(t, axis=1) if np.ndim(t) == 2 else np.asarray(t)
    if labels.shape != (y.shape[0],):
        raise ValueError(f"accuracy: targets of shape {np.shape(t)} do not match outputs of shape {y.shape}")
    return float(np.mean(np.argmax(y, axis=1) == labels))


class History(dict):
    """Per-epoch records: ``history["loss"][i]`` belongs to epoch ``history["epoch"][i]``.

    Keys: ``epoch``, ``loss`` and one per metric, each with a ``val_`` twin when
    validation data is given, and ``seconds`` (training time so far).
    """

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def last(self):
        """The latest record of every key, as a plain dict."""
        return {key: values[-1] for key, values in self.items() if values}


def evaluate(network, loss, x, t, metrics=None, batch_size=10_000):
    """Loss and metrics of ``network`` on ``(x, t)`` in evaluation mode (no dropout).

    Large sets are run in chunks of ``batch_size`` rows to bound memory; the
    loss is averaged with each chunk weighted by its size.
    """
    n = x.shape[0]
    outputs, total = [], 0.0
    for start in range(0, n, batch_size):
        y = network.forward(x[start : start + batch_size])
        total += loss.forward(y, t[start : start + batch_size]) * y.shape[0]
        outputs.append(y)
    y = np.concatenate(outputs) if len(outputs) > 1 else outputs[0]
    result = {"loss": total / n}
    for name, metric in (metrics or {}).items():
        result[name] = metric(y, t)
    return result


class ProgressBar:
    """A one-line text progress bar that redraws itself in place (in a terminal or a notebook)."""

    def __init__(self, total, width=30, stream=None, min_interval=0.2):
        self.total, self.width = total, width
        self.stream = stream or sys.stdout
        self.min_interval = min_interval
        self._last_draw = -np.inf

    def update(self, done, text=""):
        now = time.perf_counter()
        if done < self.total and now - self._last_draw < self.min_interval:
            return
        self._last_draw = now
        filled = int(self.width * done / self.total)
        bar = "#" * filled + "." * (self.width - filled)
        end = "\n" if done >= self.total else ""
        self.stream.write(f"\r[{bar}] {done}/{self.total} {text}{end}")
        self.stream.flush()


def _check_targets(t, n, where):
    if not isinstance(t, np.ndarray):
        raise TypeError(f"{where}: targets must be a numpy array, got {type(t).__name__}")
    if t.shape[0] != n:
        raise ValueError(f"{where}: {t.shape[0]} targets for {n} inputs; shapes {t.shape} and ({n}, ...)")


def fit(
    network,
    loss,
    optimizer,
    x,
    t,
    epochs,
    batch_size=None,
    rng=None,
    shuffle=True,
    validation=None,
    metrics=None,
    eval_every=1,
    progress=False,
    callbacks=(),
):
    """Train ``network`` on ``(x, t)`` and return its :class:`History`.

    Parameters
    ----------
    network : Network
    loss : MSE, SoftmaxCrossEntropy or BinaryCrossEntropy
    optimizer : SGD
    x : ndarray of shape (N, D_in)
    t : ndarray of targets, N rows
    epochs : int
        Passes over the data.
    batch_size : int or None
        Examples per update. ``1`` is per-sample SGD, as classic examples use;
        ``None`` is full-batch gradient descent.
    rng : numpy.random.Generator
        Shuffles the order of examples every epoch (needed when ``shuffle``).
    validation : (x_val, t_val) or None
        Held-out data, evaluated alongside the training set.
    metrics : dict name -> function(y, t) -> float, optional
        For example ``{"accuracy": bplib.accuracy}``.
    eval_every : int
        Record the history every this many epochs (and after the last one).
        Recording runs the whole training (and validation) set forward once.
    progress : bool
        Draw a text progress bar.
    callbacks : sequence of callables ``f(epoch, network, history)``
        Called after each record, e.g. to draw the model while it trains.
    """
    x = check_batch(x, "fit", network.n_in, name="x")
    n = x.shape[0]
    _check_targets(t, n, "fit")
    if not (isinstance(epochs, (int, np.integer)) and epochs >= 1):
        raise ValueError(f"fit: epochs must be a positive integer, got {epochs!r}")
    batch_size = n if batch_size is None else batch_size
    if not (isinstance(batch_size, (int, np.integer)) and batch_size >= 1):
        raise ValueError(f"fit: batch_size must be a positive integer or None, got {batch_size!r}")
    if shuffle and not isinstance(rng, np.random.Generator):
        raise TypeError("fit: shuffle=True needs rng=numpy.random.default_rng(seed) (or pass shuffle=False)")
    if validation is not None:
        x_val, t_val = validation
        x_val = check_batch(x_val, "fit", network.n_in, name="validation x")
        _check_targets(t_val, x_val.shape[0], "fit (validation)")

    history = History(epoch=[], seconds=[])
    bar = ProgressBar(epochs) if progress else None
    elapsed = 0.0
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        order = rng.permutation(n) if shuffle else np.arange(n)
        for first in range(0, n, batch_size):
            idx = order[first : first + batch_size]
            network.train_step(x[idx], t[idx], loss)
            optimizer.step(network)
        elapsed += time.perf_counter() - start
        if epoch % eval_every == 0 or epoch == epochs:
            record = {"epoch": epoch, "seconds": elapsed}
            record.update(evaluate(network, loss, x, t, metrics))
            if validation is not None:
                val = evaluate(network, loss, x_val, t_val, metrics)
                record.update({f"val_{key}": value for key, value in val.items()})
            for key, value in record.items():
                history.setdefault(key, []).append(value)
            for callback in callbacks:
                callback(epoch, network, history)
        if bar:
            bar.update(epoch, f"loss {history['loss'][-1]:.4g}" if history.get("loss") else "")
    return history
