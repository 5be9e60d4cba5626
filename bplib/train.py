"""The training loop: mini-batches, shuffling, a per-epoch history, a progress bar, callbacks."""

import contextlib
import sys
import time

import numpy as np

from ._checks import check_batch, check_positive_int
from .layers import Dense
from .optim import SGD


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

    Divergence. When the weights or the recorded loss become NaN or infinite,
    ``fit`` stops at the end of that epoch and returns the history so far: every
    record in it is finite, and

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


def _evaluate(forward, loss_value, x, t, t_loss, metrics, batch_size):
    """Loss and metrics in chunks of ``batch_size`` rows; returns ``(result dict, all outputs)``.

    ``forward`` and ``loss_value`` are the checked public methods for ``evaluate``
    and the computing halves for ``fit`` (whose data are checked once);
    ``t`` goes to the metrics, ``t_loss`` (the same targets, converted by the
    loss) to the loss.
    """
    n = x.shape[0]
    outputs, total = [], 0.0
    for start in range(0, n, batch_size):
        y = forward(x[start : start + batch_size])
        total += loss_value(y, t_loss[start : start + batch_size]) * y.shape[0]
        outputs.append(y)
    y = np.concatenate(outputs) if len(outputs) > 1 else outputs[0]
    result = {"loss": total / n}
    for name, metric in (metrics or {}).items():
        result[name] = metric(y, t)
    return result, y


def evaluate(network, loss, x, t, metrics=None, batch_size=10_000):
    """Loss and metrics of ``network`` on ``(x, t)`` in evaluation mode (no dropout).

    Large sets are run in chunks of ``batch_size`` rows to bound memory; the
    loss is averaged with each chunk weighted by its size.
    """
    x = check_batch(x, "evaluate", network.n_in, name="x")
    _check_targets(t, x.shape[0], "evaluate")
    check_positive_int(batch_size, "evaluate", "batch_size")
    return _evaluate(network.forward, loss.forward, x, t, t, metrics, batch_size)[0]


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
    if isinstance(t, (list, tuple)):
        t = np.asarray(t)
    if not isinstance(t, np.ndarray):
        raise TypeError(f"{where}: targets must be a numpy array, got {type(t).__name__}")
    if t.ndim == 0 or t.shape[0] != n:
        got = "a 0-d array" if t.ndim == 0 else f"{t.shape[0]} targets"
        raise ValueError(f"{where}: {got} for {n} inputs; shapes {t.shape} and ({n}, ...)")
    return t


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


def _all_finite(network):
    return all(np.isfinite(p).all() for layer in network.layers for p in layer.params.values())


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
    blas_threads=1,
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
    blas_threads : int or None
        BLAS threads while training (see :func:`blas_threads`); ``None`` leaves
        the BLAS as it is configured.

    Returns
    -------
    History. If the weights or the loss become NaN or infinite, training stops
    after that epoch and the history keeps every finite record before it, with
    ``history.diverged`` True (see :class:`History`). Nothing is raised.

    Notes
    -----
    Everything that does not change from one step to the next is checked once,
    before the first update: the data and targets (shapes, dtypes, NaN, label
    ranges), the arguments, and that every parameter still matches its
    gradient. A refused call changes nothing. The steps then run the layers'
    computing halves directly (see ``Network._training_plan``), and the checks
    run again after every callback, which may change the network.
    """
    from .losses import Loss
    from .network import Network

    if not isinstance(network, Network):
        raise TypeError(f"fit: network must be a bplib Network, got {type(network).__name__}")
    if not isinstance(loss, Loss):
        raise TypeError(f"fit: loss must be a bplib Loss (MSE, SoftmaxCrossEntropy, ...), got {type(loss).__name__}")
    if not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"fit: optimizer must have a step(network) method, got {type(optimizer).__name__}")
    x = check_batch(x, "fit", network.n_in, name="x")
    n = x.shape[0]
    t = _check_targets(t, n, "fit")
    check_positive_int(epochs, "fit", "epochs")
    check_positive_int(batch_size, "fit", "batch_size", allow_none=True)
    check_positive_int(eval_every, "fit", "eval_every")
    batch_size = n if batch_size is None else int(batch_size)
    if shuffle and not isinstance(rng, np.random.Generator):
        raise TypeError("fit: shuffle=True needs rng=numpy.random.default_rng(seed) (or pass shuffle=False)")
    if metrics is not None and not (isinstance(metrics, dict) and all(callable(m) for m in metrics.values())):
        raise TypeError(f"fit: metrics must be a dict from name to function(y, t), got {type(metrics).__name__}")
    if not all(callable(c) for c in callbacks):
        raise TypeError("fit: every callback must be callable as f(epoch, network, history)")
    if validation is not None:
        if not (isinstance(validation, (tuple, list)) and len(validation) == 2):
            raise TypeError(f"fit: validation must be a pair (x_val, t_val), got {type(validation).__name__}")
        x_val, t_val = validation
        x_val = check_batch(x_val, "fit", network.n_in, name="validation x")
        t_val = _check_targets(t_val, x_val.shape[0], "fit (validation)")
    network._check_params()
    # The width of the output, without changing anything: one row through the
    # network in evaluation mode (no dropout mask is drawn). Then every target
    # is checked once, here, instead of at every step.
    k = network.forward(x[:1]).shape[1]
    targets, delta = loss._fast()
    t_loss = targets(t, (n, k), "fit") if targets else t
    if validation is not None:
        t_val_loss = targets(t_val, (x_val.shape[0], k), "fit (validation)") if targets else t_val
    first = network.layers[0]
    if isinstance(first, Dense) and x.dtype != first.params["W"].dtype:
        x = x.astype(first.params["W"].dtype)  # once, rather than in every step
    # A shuffled copy per epoch, sliced into batches, is faster than gathering
    # every batch by index; for large sets, gather instead, to spare the memory.
    copy_per_epoch = shuffle and x.nbytes + t_loss.nbytes <= 64 * 2**20

    def plan():
        forwards, backwards = network._training_plan()
        update = optimizer._plan(network) if isinstance(optimizer, SGD) and type(optimizer).step is SGD.step \
            else (lambda: optimizer.step(network))
        return forwards, backwards, update

    def predict(forwards):
        def run(xb):
            for forward in forwards:
                xb = forward(xb, False)
            return xb
        return run

    loss_value = loss._forward if targets else loss.forward
    history = History(epoch=[], seconds=[])
    bar = ProgressBar(epochs) if progress else None
    elapsed = 0.0
    # Overflow and NaN are watched below (the run stops and says so), not warned about at every step.
    with _blas_context(blas_threads), np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        forwards, backwards, update = plan()
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            if shuffle:
                order = rng.permutation(n)
                if copy_per_epoch:
                    xs, ts = x[order], t_loss[order]
            else:
                xs, ts = x, t_loss
            for begin in range(0, n, batch_size):
                if shuffle and not copy_per_epoch:
                    idx = order[begin : begin + batch_size]
                    a, tb = x[idx], t_loss[idx]
                else:
                    a, tb = xs[begin : begin + batch_size], ts[begin : begin + batch_size]
                for forward in forwards:
                    a = forward(a, True)
                d = delta(a, tb)
                for backward in backwards:
                    d = backward(d)
                update()
            elapsed += time.perf_counter() - start
            if not _all_finite(network):
                history.diverged_at = epoch
                history.divergence = f"the weights became NaN or infinite in epoch {epoch}"
                break
            if epoch % eval_every == 0 or epoch == epochs:
                run = predict(forwards)
                record = {"epoch": epoch, "seconds": elapsed}
                result, y = _evaluate(run, loss_value, x, t, t_loss, metrics, 10_000)
                bad = [] if np.isfinite(y).all() and np.isfinite(result["loss"]) else ["training"]
                record.update(result)
                if validation is not None:
                    val, y_val = _evaluate(run, loss_value, x_val, t_val, t_val_loss, metrics, 10_000)
                    if not (np.isfinite(y_val).all() and np.isfinite(val["loss"])):
                        bad.append("validation")
                    record.update({f"val_{key}": value for key, value in val.items()})
                if bad:
                    history.diverged_at = epoch
                    history.divergence = (f"the outputs or the loss on the {' and '.join(bad)} data became NaN "
                                          f"or infinite in epoch {epoch}")
                    break
                for key, value in record.items():
                    history.setdefault(key, []).append(value)
                if callbacks:
                    for callback in callbacks:
                        callback(epoch, network, history)
                    network._check_params()  # a callback may have swapped a parameter
                    forwards, backwards, update = plan()
            if bar:
                bar.update(epoch, f"loss {history['loss'][-1]:.4g}" if history.get("loss") else "")
    if history.diverged:
        kept = history["epoch"]
        history.divergence += (f"; the history keeps the {len(kept)} record(s) before it"
                               + (f" (epochs {kept[0]} to {kept[-1]})" if kept else ""))
        if bar:
            bar.stream.write(f"\nstopped: {history.divergence}\n")
    return history
