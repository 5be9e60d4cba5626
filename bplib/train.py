"""The training loop: mini-batches, shuffling, a per-epoch history, a progress bar, callbacks.

Chapter 5 builds this loop by hand, and ``fit`` is that loop: for every batch,
``network.train_step`` (forward, loss, backward) and ``optimizer.step``, the
same public calls a reader makes, and nothing else. Around it ``fit`` checks
the data once, records the loss and metrics every few epochs, and stops when
the numbers stop being finite.
"""

import contextlib
import sys
import time

import numpy as np

from ._checks import NonFiniteError, check_batch, check_positive_int


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

    Divergence. When the weights, the outputs or the recorded loss become NaN
    or infinite, ``fit`` stops in that epoch and returns the history so far:
    every record in it is finite, and

    * ``history.diverged`` is True,
    * ``history.diverged_at`` is the epoch in which it happened (None otherwise),
    * ``history.divergence`` says what became non-finite, in a sentence.

    The network is left as the diverged epoch left it (its weights may hold
    NaN). Check ``history.diverged`` after a run whose learning rate may be too
    large; ``repr(history)`` says it too.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.diverged_at = None
        self.divergence = None

    @property
    def diverged(self):
        return self.diverged_at is not None

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self):
        epochs = self.get("epoch", [])
        span = f"{len(epochs)} record(s), epochs {epochs[0]}..{epochs[-1]}" if epochs else "no records"
        state = f"; DIVERGED: {self.divergence}" if self.diverged else ""
        return f"History({span}, keys {sorted(self)}{state})"

    def last(self):
        """The latest record of every key, as a plain dict."""
        return {key: values[-1] for key, values in self.items() if values}

    def append(self, record):
        """Add one record (a dict with a value for every key)."""
        for key, value in record.items():
            self.setdefault(key, []).append(value)

    def stop(self, epoch, what):
        """Mark the run as diverged in ``epoch``: ``what`` became NaN or infinite."""
        kept = self["epoch"]
        self.diverged_at = epoch
        self.divergence = (f"{what} became NaN or infinite in epoch {epoch}; the history keeps the {len(kept)} "
                           "record(s) before it" + (f" (epochs {kept[0]} to {kept[-1]})" if kept else ""))


def check_targets(t, n, where):
    """``t`` as an array with one row per input (``n`` rows); what a row must hold is the loss's to check."""
    if isinstance(t, (list, tuple)):
        t = np.asarray(t)
    if not isinstance(t, np.ndarray):
        raise TypeError(f"{where}: targets must be a numpy array, got {type(t).__name__}")
    if t.ndim == 0 or t.shape[0] != n:
        got = "a 0-d array" if t.ndim == 0 else f"{t.shape[0]} targets"
        raise ValueError(f"{where}: {got} for {n} inputs; shapes {t.shape} and ({n}, ...)")
    return t


def check_data(network, loss, x, t, where, name="x"):
    """``(x, t)`` checked as data for ``network`` and ``loss``, before anything runs on them.

    The width of the output comes from one row run through the network in
    evaluation mode (nothing is drawn, no weight changes); the loss then checks
    every target against it at once.
    """
    x = check_batch(x, where, network.n_in, name=name)
    t = check_targets(t, x.shape[0], where)
    width = network.forward(x[:1]).shape[1]
    loss.check_targets(t, (x.shape[0], width), where)
    return x, t


def evaluate(network, loss, x, t, metrics=None, batch_size=10_000):
    """Loss and metrics of ``network`` on ``(x, t)`` in evaluation mode (no dropout), as a dict.

    Large sets are run in chunks of ``batch_size`` rows to bound memory; the
    loss is averaged with each chunk weighted by its size.
    """
    x = check_batch(x, "evaluate", network.n_in, name="x")
    t = check_targets(t, x.shape[0], "evaluate")
    check_positive_int(batch_size, "evaluate", "batch_size")
    outputs, total = [], 0.0
    for start in range(0, len(x), batch_size):
        y = network.forward(x[start : start + batch_size])
        total += loss.forward(y, t[start : start + batch_size]) * len(y)
        outputs.append(y)
    y = np.concatenate(outputs)
    return {"loss": total / len(x), **{name: metric(y, t) for name, metric in (metrics or {}).items()}}


def batches(x, t, batch_size, rng=None):
    """The data in batches of ``batch_size`` rows (the last may be smaller), in an order shuffled by ``rng``."""
    if rng is not None:
        order = rng.permutation(len(x))
        x, t = x[order], t[order]
    for start in range(0, len(x), batch_size):
        yield x[start : start + batch_size], t[start : start + batch_size]


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


_controller = None


def blas_threads(n):
    """A context in which numpy's BLAS uses at most ``n`` threads (``None``: as it is).

    This is the book's one thread policy: ``fit`` trains inside
    ``blas_threads(1)`` unless told otherwise. The book's matrices are small
    (a batch of one image times a 784 x 100 matrix); for them a second BLAS
    thread buys little, and on a busy machine two BLAS threads that spin while
    they wait for each other can make a step ten times slower. One thread also
    makes every run sum in the same order.

    The limit is set through ``threadpoolctl`` (the ``threads`` extra, which
    the book's set-up installs). bplib itself needs numpy alone: where
    ``threadpoolctl`` is not installed, this leaves the threads as they are.
    """
    global _controller
    if n is None:
        return contextlib.nullcontext()
    check_positive_int(n, "blas_threads", "n")
    if _controller is None:
        try:
            import threadpoolctl
        except ModuleNotFoundError:
            return contextlib.nullcontext()
        _controller = threadpoolctl.ThreadpoolController()
    return _controller.limit(limits=int(n), user_api="blas")


_blas_context = blas_threads  # fit's argument of the same name hides the function inside fit


def all_finite(network):
    """Whether every parameter of ``network`` is finite."""
    return all(np.isfinite(layer.params[key]).all() for _, layer, key in network.parameters())


def record_epoch(network, loss, x, t, validation, metrics):
    """The history's record of one epoch: loss and metrics on the training data, ``val_`` ones on ``validation``.

    Returns ``(record, None)``, or ``(None, what)`` when ``what`` became NaN or infinite.
    """
    record = {}
    for prefix, data, what in (("", (x, t), "training"), ("val_", validation, "validation")):
        if data is None:
            continue
        try:
            result = evaluate(network, loss, *data, metrics=metrics)
        except NonFiniteError:
            result = {"loss": np.nan}
        if not np.isfinite(result["loss"]):
            return None, f"the outputs or the loss on the {what} data"
        record.update({prefix + key: value for key, value in result.items()})
    return record, None


def fit(network, loss, optimizer, x, t, epochs, batch_size=None, rng=None, shuffle=True, validation=None,
        metrics=None, eval_every=1, progress=False, callbacks=(), blas_threads=1):
    """Train ``network`` on ``(x, t)`` and return its :class:`History`.

    Parameters
    ----------
    network : Network
    loss : Loss
        ``MSE``, ``SoftmaxCrossEntropy``, ``BinaryCrossEntropy`` or a reader's own.
    optimizer : SGD, Adam, or anything with ``step(network)``
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
    blas_threads : int or None
        BLAS threads while training (see :func:`blas_threads`); ``None`` leaves
        the BLAS as it is configured.

    Returns
    -------
    History. If the weights, the outputs or the loss become NaN or infinite,
    training stops in that epoch and the history keeps every finite record
    before it, with ``history.diverged`` True (see :class:`History`). Nothing
    is raised for that; bad arguments raise before the first step.
    """
    from .losses import Loss
    from .network import Network

    if not isinstance(network, Network):
        raise TypeError(f"fit: network must be a bplib Network, got {type(network).__name__}")
    if not isinstance(loss, Loss):
        raise TypeError(f"fit: loss must be a bplib Loss (MSE, SoftmaxCrossEntropy, ...), got {type(loss).__name__}")
    if not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"fit: optimizer must have a step(network) method, got {type(optimizer).__name__}")
    check_positive_int(epochs, "fit", "epochs")
    batch_size = check_positive_int(batch_size, "fit", "batch_size", allow_none=True)
    check_positive_int(eval_every, "fit", "eval_every")
    if shuffle and not isinstance(rng, np.random.Generator):
        raise TypeError("fit: shuffle=True needs rng=numpy.random.default_rng(seed) (or pass shuffle=False)")
    if metrics is not None and not (isinstance(metrics, dict) and all(callable(m) for m in metrics.values())):
        raise TypeError(f"fit: metrics must be a dict from name to function(y, t), got {type(metrics).__name__}")
    if not all(callable(c) for c in callbacks):
        raise TypeError("fit: every callback must be callable as f(epoch, network, history)")
    if validation is not None and not (isinstance(validation, (tuple, list)) and len(validation) == 2):
        raise TypeError(f"fit: validation must be a pair (x_val, t_val), got {type(validation).__name__}")
    x, t = check_data(network, loss, x, t, "fit")
    if validation is not None:
        validation = check_data(network, loss, *validation, "fit (validation)", name="validation x")

    history = History(epoch=[], seconds=[])
    bar = ProgressBar(epochs) if progress else None
    elapsed = 0.0
    # Overflow is watched (the run stops and says so), not warned about at every step.
    with _blas_context(blas_threads), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            try:
                for x_batch, t_batch in batches(x, t, batch_size or len(x), rng if shuffle else None):
                    network.train_step(x_batch, t_batch, loss)
                    optimizer.step(network)
            except NonFiniteError:  # the data were finite: the training itself made a NaN or an infinity
                history.stop(epoch, "the weights or the outputs")
                break
            elapsed += time.perf_counter() - start
            if not all_finite(network):
                history.stop(epoch, "the weights")
                break
            if epoch % eval_every == 0 or epoch == epochs:
                record, what = record_epoch(network, loss, x, t, validation, metrics)
                if record is None:
                    history.stop(epoch, what)
                    break
                history.append({"epoch": epoch, "seconds": elapsed, **record})
                for callback in callbacks:
                    callback(epoch, network, history)
            if bar:
                bar.update(epoch, f"loss {history['loss'][-1]:.4g}" if history.get("loss") else "")
    if bar and history.diverged:
        bar.stream.write(f"\nstopped: {history.divergence}\n")
    return history
