"""Exercises that check themselves: the checkers and reference answers of every chapter.

Each chapter of the book ends with exercises. For the ones checked by code the
reader fills in a stub function, and one call judges it::

    from bplib import exercises

    def my_leaky_relu_grad(z):
        return None          # your code here

    exercises.check("03.leaky_relu_grad", my_leaky_relu_grad)

``check`` runs the function on fixed and random inputs, compares values,
shapes and dtype with a reference answer, runs a gradient check against
central differences where the answer is a derivative or a backward pass, and
prints one short verdict:

* ``passed``, with what was checked;
* ``not yet right``, with the first thing that is wrong, named: a shape
  ("dW has shape (3, 4), expected (4, 3)"), a value at a place
  ("your derivative is off at z < 0: got 1.0, expected 0.01"), a factor
  ("N = 5 times too large: is the 1/N of the mean missing?");
* ``not attempted``, for a stub that still returns ``None`` or raises
  ``NotImplementedError``.

A wrong answer never raises, so a chapter runs top to bottom with its stubs
unfilled. Bad input to the checker itself (an unknown key, something that is
not a function) raises ``ValueError`` or ``TypeError``.

``judge`` returns the :class:`Verdict` instead of printing it (the book's
hidden cells and the tests use it), ``reference`` returns the reference
answer, ``show_solution`` prints its source, and ``wrong_answers`` lists the
typical wrong answers every checker must reject. Those live in one section at
the end of this module, ``WRONG_ANSWERS``; a wrong answer that is one of the
chapters' planted bugs is taken from :mod:`bplib.bugs`, where it is defined once.
"""

from __future__ import annotations

import inspect
import textwrap
from dataclasses import dataclass
from typing import Callable

import numpy as np

from . import bugs
from . import functions as F
from .gradcheck import check_function, check_step, numerical_gradient, relative_error
from .losses import MSE, BinaryCrossEntropy, Loss

__all__ = ["Verdict", "WrongAnswer", "check", "judge", "keys", "reference", "show_solution", "wrong_answers"]

#: A gradient check passes below this relative error (correct float64 code scores about 1e-9).
GRADCHECK_TOL = 1e-6
#: Printed verdicts are wrapped to this many characters, so they fit a page of the book.
VERDICT_WIDTH = 78


# ============================================================================ verdicts
@dataclass(frozen=True)
class Verdict:
    """What a checker concluded about an answer.

    Attributes
    ----------
    key : str
        The exercise, e.g. ``"03.leaky_relu_grad"``.
    status : str
        ``"passed"``, ``"failed"`` or ``"not attempted"``.
    message : str
        One or two sentences for the reader: what was checked, or what is wrong.
    """

    key: str
    status: str
    message: str

    @property
    def passed(self) -> bool:
        """True when the answer passed every check."""
        return self.status == "passed"

    def __str__(self) -> str:
        """The verdict as the reader sees it, wrapped to fit a page."""
        head = f"{self.key}: not yet right:" if self.status == "failed" else f"{self.key}: {self.status}."
        return textwrap.fill(f"{head} {self.message}", width=VERDICT_WIDTH, subsequent_indent="    ",
                             break_long_words=False, break_on_hyphens=False)


class _Wrong(Exception):
    """Raised inside a checker: the answer is wrong, and the message says how."""


class _NotAttempted(Exception):
    """Raised inside a checker: the answer is still a stub."""


# ====================================================================== shared helpers
def _fmt(value) -> str:
    """A number for a message: short, but with enough digits to tell two close values apart."""
    value = float(value)
    if value == 0:
        return "0.0"
    if value == int(value) and abs(value) < 1e6:
        return f"{value:.1f}"
    return f"{value:.6g}"


def _pair(got, expected):
    """Two numbers for a message, with as many digits as it takes to tell them apart."""
    got, expected = float(got), float(expected)
    for digits in (6, 9, 12, 15):
        a, b = f"{got:.{digits}g}", f"{expected:.{digits}g}"
        if a != b:
            break
    return (_fmt(got), _fmt(expected)) if digits == 6 else (a, b)


def _call(fn, *args, what="your function", allow_none=False):
    """Call the reader's function; turn a stub into _NotAttempted and an exception into _Wrong.

    A function that returns ``None`` is a stub (or lacks its ``return``) unless ``allow_none``.
    """
    try:
        out = fn(*args)
    except NotImplementedError:
        raise _NotAttempted("it raises NotImplementedError") from None
    except Exception as err:  # noqa: BLE001 - any error in the reader's code is reported, not raised
        shapes = ", ".join(str(np.shape(a)) for a in args if isinstance(a, np.ndarray))
        text = str(err).splitlines()[0] if str(err) else ""
        raise _Wrong(f"{what} raised {type(err).__name__}" + (f" ({text})" if text else "")
                     + (f" for inputs of shapes {shapes}" if shapes else "")) from None
    if out is None and not allow_none:
        raise _NotAttempted("it returns None")
    return out


def _unchanged(name, before, after):
    """The reader's function must not change its inputs in place."""
    if not np.array_equal(before, after, equal_nan=True):
        raise _Wrong(f"your function changed its input {name} in place; compute a new array and return it")


def _as_result_array(name, value, expected, transposed=" (transposed?)"):
    """The reader's result as an ndarray of the expected shape, or _Wrong saying why not."""
    if value is None:
        raise _Wrong(f"{name} is None")
    if isinstance(value, (tuple, list)) and not isinstance(expected, (tuple, list)) and len(value) and \
            isinstance(value[0], np.ndarray):
        raise _Wrong(f"{name}: return one array, got a {type(value).__name__} of {len(value)} arrays")
    if isinstance(value, (str, dict)):
        raise _Wrong(f"{name} is a {type(value).__name__}, expected a numpy array of shape {expected.shape}")
    try:
        got = np.asarray(value)
    except Exception:  # noqa: BLE001
        raise _Wrong(f"{name} is a {type(value).__name__}, expected a numpy array of shape {expected.shape}") from None
    if got.dtype.kind not in "fiub":
        raise _Wrong(f"{name} holds {got.dtype} values, expected numbers of shape {expected.shape}")
    if got.shape != expected.shape:
        hint = ""
        if got.shape == expected.shape[::-1] and len(expected.shape) == 2:
            hint = transposed
        elif len(expected.shape) == 1 and len(got.shape) == 2 and got.shape[1:] == expected.shape:
            hint = " (sum over the batch, axis 0: a parameter is shared by all examples)"
        raise _Wrong(f"{name} has shape {got.shape}, expected {expected.shape}{hint}")
    return got


def _constant_ratio(got, expected):
    """got / expected when it is (nearly) one constant over all nonzero entries, else None."""
    mask = np.abs(expected) > 1e-12 * max(1.0, float(np.max(np.abs(expected))))
    if mask.sum() < 2:
        return None
    ratio = got[mask] / expected[mask]
    c = float(np.median(ratio))
    if c != 0 and np.all(np.abs(ratio - c) <= 1e-6 * abs(c)):
        return c
    return None


def _compare(name, got, expected, *, place=None, n=None, rtol=1e-7, atol=1e-12, note=""):
    """Values of ``got`` against ``expected`` (same shape): _Wrong naming the first place they differ.

    ``place(index)`` describes a position for the reader ("at z < 0 (z = -1.5)");
    ``n`` is the batch size, so that a result N times too large or too small is
    named as a missing or doubled 1/N.
    """
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if not np.all(np.isfinite(got)):
        raise _Wrong(f"{name} contains NaN or infinity{note}")
    bad = np.abs(got - expected) > atol + rtol * np.abs(expected)
    if not bad.any():
        return
    ratio = _constant_ratio(got, expected)
    if ratio is not None and n is not None and n > 1:
        if abs(ratio - n) < 1e-6 * n:
            raise _Wrong(f"{name} is N = {n} times too large: is the 1/N of the mean missing?")
        if abs(ratio - 1 / n) < 1e-6 / n:
            raise _Wrong(f"{name} is N = {n} times too small: is the 1/N applied twice?")
    if ratio is not None and abs(ratio + 1) < 1e-6:
        raise _Wrong(f"{name} has the wrong sign everywhere{note}")
    if got.ndim == 0:
        g, e = _pair(got, expected)
        raise _Wrong(f"{name} is off{note}: got {g}, expected {e}")
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    where = place(index) if place else f"at index {list(index) if len(index) > 1 else index[0]}"
    g, e = _pair(got[index], expected[index])
    raise _Wrong(f"{name} is off {where}{note}: got {g}, expected {e}")


def _same_dtype(name, got, like, hint=""):
    """float32 in, float32 out: the book's layers accept float32 end to end."""
    got = np.asarray(got)
    if got.dtype != like.dtype:
        raise _Wrong(f"the values are right, but for a {like.dtype} input {name} has dtype {got.dtype}; "
                     f"keep the input's dtype{hint}")


def _gradcheck(name, analytic, f, x):
    """Relative error of ``analytic`` against central differences of the scalar ``f()`` at ``x``."""
    err = relative_error(analytic, numerical_gradient(f, x))
    if not err < GRADCHECK_TOL:
        raise _Wrong(f"the gradient check fails for {name}: relative error {err:.1e} against central "
                     f"differences (correct code scores below {GRADCHECK_TOL:g})")
    return err


def _tuple_of(value, names):
    """The reader's result as a tuple of ``len(names)`` items, or _Wrong."""
    if isinstance(value, np.ndarray) or not isinstance(value, (tuple, list)):
        raise _Wrong(f"return {len(names)} values, ({', '.join(names)}); got one {type(value).__name__}"
                     + (f" of shape {value.shape}" if isinstance(value, np.ndarray) else ""))
    if len(value) != len(names):
        raise _Wrong(f"return {len(names)} values, ({', '.join(names)}); got {len(value)}")
    return tuple(value)


def _passed(inputs, err=None, how="the gradient check"):
    """The message of a passed verdict: what was compared, and how well the gradient check agreed."""
    text = f"Values, shapes and dtype agree with the reference on {inputs}"
    if err is not None:
        text += f"; {how} agrees with central differences (largest relative error {err:.0e})"
    return text + "."


# ======================================================================== chapter 01
def forward_3_4_2(x, W1, b1, W2, b2):
    """Reference: the forward pass of a 3-4-2 sigmoid network.

    Batch first: x (N, 3), W1 (3, 4), b1 (4,), W2 (4, 2), b2 (2,).
    Returns the output, shape (N, 2).
    """
    a_h = F.sigmoid(x @ W1 + b1)      # (N, 3) @ (3, 4) -> (N, 4)
    return F.sigmoid(a_h @ W2 + b2)   # (N, 4) @ (4, 2) -> (N, 2)


def _params_3_4_2(rng, dtype=np.float64):
    return (rng.normal(size=(3, 4)).astype(dtype), rng.normal(scale=0.5, size=4).astype(dtype),
            rng.normal(size=(4, 2)).astype(dtype), rng.normal(scale=0.5, size=2).astype(dtype))


_BATCH_FIRST = " (transposed: batch first means one row per example, one column per output unit)"


def _check_forward_3_4_2(answer):
    rng = np.random.default_rng(101)
    fixed = (np.array([[0.5, -1.0, 2.0]]),
             np.array([[0.1, 0.2, -0.3, 0.4], [0.5, -0.6, 0.7, 0.8], [-0.9, 1.0, 0.1, -0.2]]),
             np.array([0.1, -0.1, 0.2, 0.0]),
             np.array([[1.0, -0.5], [0.4, 0.9], [-0.7, 0.3], [0.2, -0.8]]),
             np.array([0.0, 0.1]))
    cases = [fixed] + [(rng.normal(size=(n, 3)),) + _params_3_4_2(rng) for n in (5, 7)]
    for args in cases:
        copies = [a.copy() for a in args]
        expected = forward_3_4_2(*args)
        got = _as_result_array("your output", _call(answer, *copies), expected, transposed=_BATCH_FIRST)
        for name, a, c in zip(("x", "W1", "b1", "W2", "b2"), args, copies):
            _unchanged(name, a, c)
        _compare("your output", got, expected, note=f" for a batch of N = {len(args[0])}")
    x32 = rng.normal(size=(4, 3)).astype(np.float32)
    p32 = _params_3_4_2(rng, np.float32)
    got = _as_result_array("your output", _call(answer, x32, *p32), forward_3_4_2(x32, *p32))
    _compare("your output", got, forward_3_4_2(x32, *p32), rtol=1e-5, atol=1e-6, note=" for float32 inputs")
    _same_dtype("the output", got, x32)
    return _passed("one fixed example, two random batches (N = 5 and 7) and a float32 batch")


# ======================================================================== chapter 02
def xy_plus_max_backward(x, y):
    """Reference: (df/dx, df/dy) of f = x * y + max(x, y), elementwise.

    Multiply swaps (d(xy)/dx = y); max routes the upstream gradient
    1 to the larger input only; the two paths into x add up.
    """
    x_wins = (x > y).astype(x.dtype)
    return y + x_wins, x + (1 - x_wins)


def _where_xy(x, y):
    return lambda i: f"where x {'>' if x[i] > y[i] else '<'} y (x = {_fmt(x[i])}, y = {_fmt(y[i])})"


def _check_xy_plus_max(answer):
    rng = np.random.default_rng(202)
    fixed = (np.array([3.0, -1.0, 2.0, -4.0]), np.array([2.0, 4.0, -5.0, 1.0]))
    x_r = rng.normal(size=(4, 3))
    y_r = x_r + rng.choice([-1, 1], size=(4, 3)) * rng.uniform(0.1, 2.0, size=(4, 3))  # no ties
    worst = 0.0
    for x, y in (fixed, (x_r, y_r)):
        xc, yc = x.copy(), y.copy()
        out = _tuple_of(_call(answer, xc, yc), ("df/dx", "df/dy"))
        _unchanged("x", x, xc)
        _unchanged("y", y, yc)
        exp_dx, exp_dy = xy_plus_max_backward(x, y)
        got_dx = _as_result_array("df/dx", out[0], exp_dx)
        got_dy = _as_result_array("df/dy", out[1], exp_dy)
        _compare("df/dx", got_dx, exp_dx, place=_where_xy(x, y))
        _compare("df/dy", got_dy, exp_dy, place=_where_xy(x, y))
        for name, got, arr in (("df/dx", got_dx, x), ("df/dy", got_dy, y)):
            worst = max(worst, _gradcheck(name, got, lambda: float(np.sum(x * y + np.maximum(x, y))), arr))
    x32, y32 = x_r.astype(np.float32), y_r.astype(np.float32)
    out = _tuple_of(_call(answer, x32, y32), ("df/dx", "df/dy"))
    _same_dtype("df/dx", out[0], x32)
    return _passed("fixed and random inputs, with x > y and x < y", worst)


# ======================================================================== chapter 03
LEAKY_SLOPE = 0.01


def leaky_relu(z, alpha=LEAKY_SLOPE):
    """LeakyReLU: ``z`` for ``z > 0``, ``alpha * z`` otherwise."""
    return np.where(z > 0, z, alpha * z)


def leaky_relu_grad(z, alpha=LEAKY_SLOPE):
    """Reference: LeakyReLU's derivative from the pre-activation z.

    1 where z > 0, alpha elsewhere: at z = 0 the left slope, as
    bplib.functions.relu_grad takes 0 there. Keeps z's dtype.
    """
    grad = np.full_like(z, alpha)
    grad[z > 0] = 1.0
    return grad


def _where_z(z):
    def place(i):
        side = "z > 0" if z[i] > 0 else "z < 0" if z[i] < 0 else "z = 0"
        return f"at {side} (z = {_fmt(z[i])})"
    return place


def _check_leaky_relu_grad(answer):
    rng = np.random.default_rng(303)
    fixed = np.array([-3.0, -1.5, -0.2, 0.0, 0.2, 1.5, 3.0])
    rand = rng.normal(scale=2.0, size=(5, 4))
    rand[np.abs(rand) < 1e-3] = 0.5  # keep the random probes off the kink
    err = 0.0
    for z in (fixed, rand):
        zc = z.copy()
        got = _as_result_array("your derivative", _call(answer, zc), leaky_relu_grad(z))
        _unchanged("z", z, zc)
        _compare("your derivative", got, leaky_relu_grad(z), place=_where_z(z))
    err = _gradcheck("LeakyReLU", got, lambda: float(np.sum(leaky_relu(rand))), rand)
    z32 = rand.astype(np.float32)
    _same_dtype("the derivative", _call(answer, z32), z32, " (np.full_like(z, 0.01) keeps it)")
    return _passed("fixed points on both sides of 0 and at 0, a random batch and float32", err)


def softplus_grad_from_output(a):
    """Reference: softplus's derivative from its output a.

    With a = log(1 + e^z), softplus'(z) = sigmoid(z), and e^a = 1 + e^z
    gives sigmoid(z) = 1 - e^(-a). -expm1(-a) computes it without
    cancellation when a is tiny.
    """
    return -np.expm1(-a)


def _check_softplus_grad_from_output(answer):
    rng = np.random.default_rng(304)
    fixed_z = np.array([-6.0, -2.0, -0.5, 0.0, 0.5, 2.0, 6.0])
    rand_z = rng.normal(scale=3.0, size=(4, 5))
    err = 0.0
    for z in (fixed_z, rand_z):
        a = F.softplus(z)
        ac = a.copy()
        expected = softplus_grad_from_output(a)
        got = _as_result_array("your derivative", _call(answer, ac), expected)
        _unchanged("a", a, ac)
        bad = np.abs(got - expected) > 1e-12 + 1e-7 * np.abs(expected)
        if bad.any():
            i = tuple(np.argwhere(bad)[0])
            text = (f"your derivative is off at z = {_fmt(z[i])} (a = {_fmt(a[i])}): got {_fmt(got[i])}, "
                    f"expected {_fmt(expected[i])}")
            if np.allclose(got, F.sigmoid(a), rtol=1e-7, atol=1e-12):
                text += ". It equals sigmoid(a): the z-formula applied to the output a"
            elif np.allclose(got, F.sigmoid(z), rtol=1e-7, atol=1e-12):
                text += ". It equals sigmoid(z), but your function is given a, not z"
            raise _Wrong(text)
        err = max(err, _gradcheck("softplus", got, lambda: float(np.sum(F.softplus(z))), z))
    a32 = F.softplus(rand_z).astype(np.float32)
    _same_dtype("the derivative", _call(answer, a32), a32)
    return _passed("outputs of fixed and random z, and float32", err)


# ======================================================================== chapter 04
def _two_layer_sigmoid_loss(p, x, t):
    """L = (1/N) sum_n 0.5 ||y_n - t_n||^2 of the 2-2-2 sigmoid network (for the gradient check)."""
    y = F.sigmoid(F.sigmoid(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"])
    return float(0.5 * np.sum((y - t) ** 2) / len(x))


def step_with_biases(p, x, t, lr):
    """Reference: one gradient-descent step of the 2-2-2 sigmoid
    network, with the biases trained too.

    p holds W1 (2, 2), b1 (2,), W2 (2, 2), b2 (2,); the loss is
    L = (1/N) sum_n 0.5 ||y_n - t_n||^2. Every gradient is taken at
    the old weights, then all four arrays move. Returns a new dict.
    """
    N = len(x)
    a_h = F.sigmoid(x @ p["W1"] + p["b1"])
    y = F.sigmoid(a_h @ p["W2"] + p["b2"])
    delta_o = (y - t) / N * y * (1 - y)                # dL/dz_o
    delta_h = (delta_o @ p["W2"].T) * a_h * (1 - a_h)  # old W2
    grads = {"W1": x.T @ delta_h, "b1": delta_h.sum(axis=0),
             "W2": a_h.T @ delta_o, "b2": delta_o.sum(axis=0)}
    return {key: p[key] - lr * grads[key] for key in p}


WORKED_PARAMS = {"W1": np.array([[0.15, 0.25], [0.20, 0.30]]), "b1": np.array([0.35, 0.35]),
                 "W2": np.array([[0.40, 0.50], [0.45, 0.55]]), "b2": np.array([0.60, 0.60])}
WORKED_X, WORKED_T = np.array([[0.05, 0.10]]), np.array([[0.01, 0.99]])


def _check_step_with_biases(answer):
    rng = np.random.default_rng(404)
    rand_p = {"W1": rng.normal(size=(2, 2)), "b1": rng.normal(size=2),
              "W2": rng.normal(size=(2, 2)), "b2": rng.normal(size=2)}
    cases = [(WORKED_PARAMS, WORKED_X, WORKED_T, 0.5, "the chapter's example"),
             (rand_p, rng.uniform(-1, 1, size=(3, 2)), rng.uniform(size=(3, 2)), 0.3, "a random batch of 3")]
    err = 0.0
    for p, x, t, lr, label in cases:
        trial = {k: v.copy() for k, v in p.items()}
        out = _call(answer, trial, x.copy(), t.copy(), lr, allow_none=True)
        if out is None:
            if any(not np.array_equal(trial[k], p[k]) for k in p):
                raise _Wrong("your function returned None but changed params in place; "
                             "return the dict of new parameters")
            raise _NotAttempted("it returns None")
        if not isinstance(out, dict):
            raise _Wrong(f"return a dict with keys W1, b1, W2, b2; got a {type(out).__name__}")
        missing = [k for k in p if k not in out]
        if missing:
            raise _Wrong(f"the returned dict has no {', '.join(missing)}")
        expected = step_with_biases(p, x, t, lr)
        for key in ("W2", "b2", "W1", "b1"):
            got = _as_result_array(key, out[key], expected[key])
            if key.startswith("b") and np.array_equal(got, p[key]):
                raise _Wrong(f"{key} did not change ({label}); with the biases trained it moves by "
                             f"-lr times the sum of its layer's deltas over the batch")
            _compare(key, got, expected[key], rtol=1e-9, atol=1e-14, note=f" after one step ({label})",
                     place=lambda i: f"at {list(i)}" if len(i) > 1 else f"at [{i[0]}]")
        errors = check_step(lambda q, x_, t_, lr: answer(q, x_, t_, lr), _two_layer_sigmoid_loss,
                            {k: v.copy() for k, v in p.items()}, x, t, lr=lr)
        worst_key = max(errors, key=errors.get)
        if not errors[worst_key] < GRADCHECK_TOL:
            raise _Wrong(f"the step check fails for {worst_key}: relative error {errors[worst_key]:.1e}")
        err = max(err, max(errors.values()))
    return _passed("the chapter's example and a random batch of 3", err,
                   how="bplib.gradcheck.check_step (your step divided by the learning rate)")


# ======================================================================== chapter 05
def huber_loss(y, t, delta=1.0):
    """Reference: the Huber loss, averaged over the batch, and its
    gradient.

    L = (1/N) sum_n sum_k h(y_nk - t_nk), with h(r) = r^2 / 2 for
    |r| <= delta and delta (|r| - delta / 2) beyond: quadratic near 0,
    linear in the tails, so an outlier pulls with at most delta.

    Returns
    -------
    L : float
    dL_dy : ndarray of the shape of y
        r / N where |r| <= delta, delta * sign(r) / N beyond.
    """
    N = len(y)
    r = y - t
    small = np.abs(r) <= delta
    h = np.where(small, 0.5 * r * r, delta * (np.abs(r) - 0.5 * delta))
    dh = np.where(small, r, delta * np.sign(r))
    return float(np.sum(h) / N), dh / N


class HuberLoss(Loss):
    """Reference for the chapter 5 project: huber_loss as a bplib
    loss, for bplib.fit.

    forward(y, t) returns the loss and keeps the gradient; backward()
    returns it, as every bplib loss does.
    """

    def __init__(self, delta=1.0):
        super().__init__()
        self.delta = delta

    def __repr__(self):
        return f"HuberLoss(delta={self.delta:g})"

    # The computing parts of the Loss contract; Loss.forward and
    # Loss.backward check first, then call them. The targets are those of
    # MSE: real numbers, one for each output.
    _targets = MSE._targets

    def _store(self, y, t):
        L, self._cache = huber_loss(y, t, self.delta)
        return L

    def _forward(self, y, t):
        return self._store(y, t)

    def _backward(self):
        return self._cache


def _check_huber_loss(answer):
    rng = np.random.default_rng(505)
    y_fix = np.array([[0.0], [0.5], [-0.3], [2.5], [-4.0]])
    t_fix = np.array([[0.0], [0.0], [0.2], [0.0], [0.0]])
    cases = [(y_fix, t_fix, 1.0), (rng.normal(scale=2, size=(7, 1)), rng.normal(size=(7, 1)), 1.0),
             (rng.normal(scale=2, size=(6, 3)), rng.normal(size=(6, 3)), 0.5)]
    err = 0.0
    for y, t, delta in cases:
        yc, tc = y.copy(), t.copy()
        out = _tuple_of(_call(answer, yc, tc, delta), ("L", "dL/dy"))
        _unchanged("y", y, yc)
        _unchanged("t", t, tc)
        exp_L, exp_dy = huber_loss(y, t, delta)
        r = y - t
        note = f" (N = {len(y)}, delta = {delta:g})"

        def place(i, r=r, y=y, t=t, delta=delta):
            side = "|y - t| > delta" if abs(r[i]) > delta else "|y - t| <= delta"
            return f"where {side} (y = {_fmt(y[i])}, t = {_fmt(t[i])})"

        got_L = _as_result_array("the loss", out[0], np.asarray(exp_L))
        _compare("the loss", got_L, exp_L, n=len(y), note=note)
        got_dy = _as_result_array("dL/dy", out[1], exp_dy)
        _compare("dL/dy", got_dy, exp_dy, n=len(y), place=place, note=note)
        err = max(err, _gradcheck("dL/dy", got_dy, lambda y=y, t=t, d=delta: huber_loss(y, t, d)[0], y))
    y32, t32 = cases[1][0].astype(np.float32), cases[1][1].astype(np.float32)
    _same_dtype("dL/dy", _tuple_of(_call(answer, y32, t32, 1.0), ("L", "dL/dy"))[1], y32)
    return _passed("points inside and beyond delta, random batches, two values of delta and float32", err)


# ======================================================================== chapter 06
def bce_output_delta(z, t):
    """Reference: dL/dz of sigmoid outputs under binary cross-entropy.

    L = (1/N) sum -[t log sigmoid(z) + (1 - t) log(1 - sigmoid(z))].
    The sigmoid's derivative y (1 - y) cancels the 1 / (y (1 - y))
    of the cross-entropy, which leaves (sigmoid(z) - t) / N.
    """
    return (F.sigmoid(z) - t) / len(z)


def _check_bce_output_delta(answer):
    rng = np.random.default_rng(606)
    z_fix = np.array([[-3.0], [-0.5], [0.0], [1.0], [4.0]])
    t_fix = np.array([[0.0], [1.0], [1.0], [0.0], [1.0]])
    cases = [(z_fix, t_fix), (rng.normal(scale=2, size=(8, 3)), rng.integers(0, 2, size=(8, 3)).astype(float))]
    err = 0.0
    for z, t in cases:
        zc, tc = z.copy(), t.copy()
        expected = bce_output_delta(z, t)
        got = _as_result_array("your delta", _call(answer, zc, tc), expected)
        _unchanged("z", z, zc)
        _unchanged("t", t, tc)
        _compare("your delta", got, expected, n=len(z), note=f" (N = {len(z)})",
                 place=lambda i, z=z, t=t: f"at z = {_fmt(z[i])}, t = {_fmt(t[i])}")
        bce = BinaryCrossEntropy()
        err = max(err, _gradcheck("dL/dz", got, lambda z=z, t=t: bce.forward(z, t), z))
    z32 = cases[1][0].astype(np.float32)
    _same_dtype("the delta", _call(answer, z32, cases[1][1].astype(np.float32)), z32)
    return _passed("fixed and random logits, one and three outputs, and float32", err)


# ======================================================================== chapter 07
def dropout_backward(dout, mask):
    """Reference: the backward pass of inverted dropout.

    mask is the scaled mask the forward pass used (0 or 1 / (1 - p)).
    The derivative of a * mask with respect to a is mask, so
    dL/da = dL/d(a_tilde) * mask.
    """
    return dout * mask


def _dropout_masks(rng, shape, p, dtype=np.float64):
    return ((rng.random(shape) >= p) / (1.0 - p)).astype(dtype)


def _check_dropout_backward(answer):
    rng = np.random.default_rng(707)
    err = 0.0
    for shape, p in (((1, 8), 0.5), ((6, 5), 0.2)):
        dout, mask = rng.normal(size=shape), _dropout_masks(rng, shape, p)
        dc, mc = dout.copy(), mask.copy()
        expected = dropout_backward(dout, mask)
        got = _as_result_array("dx", _call(answer, dc, mc), expected)
        _unchanged("dout", dout, dc)
        _unchanged("mask", mask, mc)
        dropped = mask == 0  # the dropped units first: they must get no gradient at all
        _compare("dx", got[dropped], expected[dropped], note=f" (p = {p:g})",
                 place=lambda i: "where the unit was dropped (mask = 0)")
        _compare("dx", got[~dropped], expected[~dropped], note=f" (p = {p:g})",
                 place=lambda i, m=mask[~dropped]: f"where the unit was kept (mask = {_fmt(m[i])})")
        a = rng.normal(size=shape)
        err = max(err, _gradcheck("dx", got, lambda a=a, m=mask, d=dout: float(np.sum(d * (a * m))), a))
    d32, m32 = rng.normal(size=(3, 4)).astype(np.float32), _dropout_masks(rng, (3, 4), 0.5, np.float32)
    _same_dtype("dx", _call(answer, d32, m32), d32)
    return _passed("masks with p = 0.5 and p = 0.2, and float32", err)


def dropout_forward(a, p, rng):
    """Reference: inverted dropout in training: (a * mask, mask).

    A unit is kept with probability 1 - p (u >= p for u uniform in
    [0, 1)) and scaled by 1 / (1 - p), so E[mask] = 1 and evaluation
    needs no rescaling. A fresh mask from rng, in the dtype of a.
    """
    keep = rng.random(a.shape) >= p
    mask = keep.astype(a.dtype) / a.dtype.type(1.0 - p)
    return a * mask, mask


def _check_dropout_forward(answer):
    a = np.random.default_rng(708).uniform(0.5, 2.0, size=(400, 500))
    for p in (0.2, 0.5):
        ac = a.copy()
        out = _tuple_of(_call(answer, ac, p, np.random.default_rng(1)), ("a_tilde", "mask"))
        _unchanged("a", a, ac)
        a_tilde = _as_result_array("a_tilde", out[0], a)
        mask = _as_result_array("the mask", out[1], a)
        values = np.unique(mask)
        scale = 1.0 / (1.0 - p)
        if not np.all(np.isclose(values[:, None], [0.0, scale], rtol=1e-6, atol=0).any(axis=1)):
            shown = ", ".join(_fmt(v) for v in values[:4]) + (", ..." if len(values) > 4 else "")
            raise _Wrong(f"the mask holds the values {shown}; with p = {p:g} a dropped unit's mask is 0 and a "
                         f"kept unit's is 1/(1 - p) = {_fmt(scale)} (inverted dropout)")
        kept = float(np.mean(mask > 0))
        if abs(kept - (1 - p)) > 0.01:
            raise _Wrong(f"you kept {kept:.1%} of the units with p = {p:g}, expected about {1 - p:.0%} "
                         "(p is the probability of dropping a unit)")
        _compare("a_tilde", a_tilde, a * mask, note=f" (p = {p:g})", place=lambda i: "(it should be a * mask)")
        again = _tuple_of(_call(answer, a.copy(), p, np.random.default_rng(1)), ("a_tilde", "mask"))
        if not np.array_equal(np.asarray(again[1]), mask):
            raise _Wrong("two generators with the same seed gave different masks: draw from the rng you are given")
        gen = np.random.default_rng(2)
        first = np.asarray(_call(answer, a.copy(), p, gen)[1]).copy()
        second = np.asarray(_call(answer, a.copy(), p, gen)[1])
        if np.array_equal(first, second):
            raise _Wrong("two calls with one generator gave the same mask: draw a fresh mask every call")
    same = _tuple_of(_call(answer, a.copy(), 0.0, np.random.default_rng(3)), ("a_tilde", "mask"))
    _compare("a_tilde", _as_result_array("a_tilde", same[0], a), a, note=" with p = 0 (nothing is dropped)")
    a32 = a[:3, :4].astype(np.float32)
    out32 = _tuple_of(_call(answer, a32, 0.5, np.random.default_rng(4)), ("a_tilde", "mask"))
    _same_dtype("a_tilde", out32[0], a32)
    return ("The mask holds 0 and 1/(1 - p), the kept fraction is 1 - p for p = 0.2 and 0.5 on 200,000 units, "
            "a_tilde = a * mask, the masks come from the rng and are fresh at every call, p = 0 changes "
            "nothing, and float32 stays float32.")


# ======================================================================== chapter 08
def cured_loss_and_grads(p, x, t):
    """Reference: the bug-clinic exercise's patient, cured.

    A 3-4-2 network, tanh hidden units, softmax cross-entropy on
    one-hot t; returns (L, grads). The delta at the logits already
    carries the 1/N of the mean: no gradient divides by N again.
    """
    N = len(x)
    a1 = np.tanh(x @ p["W1"] + p["b1"])
    z2 = a1 @ p["W2"] + p["b2"]
    L = -np.sum(t * F.log_softmax(z2)) / N
    delta2 = (F.softmax(z2) - t) / N
    delta1 = (delta2 @ p["W2"].T) * (1 - a1 ** 2)
    return float(L), {"W1": x.T @ delta1, "b1": delta1.sum(axis=0),
                      "W2": a1.T @ delta2, "b2": delta2.sum(axis=0)}


def patient_loss_and_grads(p, x, t):
    """The patient: loss and gradients of a 3-4-2 network.

    tanh hidden units, softmax cross-entropy on one-hot t; returns
    (L, grads). It runs, its shapes are right, and one line is wrong.
    """
    N = len(x)
    a1 = np.tanh(x @ p["W1"] + p["b1"])
    z2 = a1 @ p["W2"] + p["b2"]
    L = -np.sum(t * F.log_softmax(z2)) / N
    delta2 = (F.softmax(z2) - t) / N
    delta1 = (delta2 @ p["W2"].T) * (1 - a1 ** 2)
    return float(L), {"W1": x.T @ delta1 / N, "b1": delta1.sum(axis=0),
                      "W2": a1.T @ delta2, "b2": delta2.sum(axis=0)}


def patient_data(seed=8, n=6):
    """Parameters and a batch for the patient: ``(params, x, t)``, float64, one-hot ``t``."""
    rng = np.random.default_rng(seed)
    params = {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(scale=0.5, size=4),
              "W2": rng.normal(size=(4, 2)), "b2": rng.normal(scale=0.5, size=2)}
    x = rng.normal(size=(n, 3))
    t = np.eye(2)[rng.integers(0, 2, size=n)]
    return params, x, t


def _check_cured_loss_and_grads(answer):
    err = 0.0
    for seed, n in ((8, 6), (9, 5)):
        p, x, t = patient_data(seed, n)
        trial = {k: v.copy() for k, v in p.items()}
        out = _tuple_of(_call(answer, trial, x.copy(), t.copy()), ("L", "grads"))
        if not isinstance(out[1], dict):
            raise _Wrong(f"grads must be a dict with keys W1, b1, W2, b2; got a {type(out[1]).__name__}")
        exp_L, exp_grads = cured_loss_and_grads(p, x, t)
        _compare("the loss", _as_result_array("the loss", out[0], np.asarray(exp_L)), exp_L, n=n)
        for key in ("W2", "b2", "W1", "b1"):
            if key not in out[1]:
                raise _Wrong(f"grads has no {key!r}")
            got = _as_result_array(f"grads[{key!r}]", out[1][key], exp_grads[key])
            _compare(f"grads[{key!r}]", got, exp_grads[key], n=n)
        errors = check_function(lambda q, x_, t_: answer(q, x_, t_), {k: v.copy() for k, v in p.items()}, x, t)
        worst = max(errors, key=errors.get)
        if not errors[worst] < GRADCHECK_TOL:
            raise _Wrong(f"check_function fails for {worst}: relative error {errors[worst]:.1e}")
        err = max(err, max(errors.values()))
    return _passed("two random batches (N = 6 and 5)", err, how="bplib.gradcheck.check_function")


# ======================================================================== chapter 09
def dense_backward_loop(x, W, delta):
    """The given per-example loop: ``(dx, dW, db)`` of a dense layer ``z = x W + b``, one row at a time.

    Written the way first examples are: for each example an outer product for
    ``dW``, a row for ``db`` and a row for ``dx``. (Not an exercise answer: it
    is the code the exercise vectorises.)
    """
    N, D_in = x.shape
    D_out = W.shape[1]
    dx = np.zeros((N, D_in), dtype=x.dtype)
    dW = np.zeros((D_in, D_out), dtype=x.dtype)
    db = np.zeros(D_out, dtype=x.dtype)
    for n in range(N):
        for i in range(D_in):
            for j in range(D_out):
                dW[i, j] += x[n, i] * delta[n, j]
                dx[n, i] += delta[n, j] * W[i, j]
        for j in range(D_out):
            db[j] += delta[n, j]
    return dx, dW, db


def dense_backward(x, W, delta):
    """Reference: dense_backward_loop's gradients as matrix products.

    dx = delta W^T (N, D_in), dW = x^T delta (D_in, D_out) and
    db = sum_n delta_n (D_out,). The 1/N of a mean loss is already
    inside delta.
    """
    return delta @ W.T, x.T @ delta, delta.sum(axis=0)


def _check_dense_backward(answer):
    rng = np.random.default_rng(909)
    err = 0.0
    for N, D_in, D_out in ((5, 4, 3), (2, 3, 6)):
        x, W, delta = rng.normal(size=(N, D_in)), rng.normal(size=(D_in, D_out)), rng.normal(size=(N, D_out))
        copies = [x.copy(), W.copy(), delta.copy()]
        out = _tuple_of(_call(answer, *copies), ("dx", "dW", "db"))
        for name, a, c in zip(("x", "W", "delta"), (x, W, delta), copies):
            _unchanged(name, a, c)
        expected = dense_backward_loop(x, W, delta)
        got = [_as_result_array(name, value, exp) for name, value, exp in zip(("dx", "dW", "db"), out, expected)]
        for name, g, e in zip(("dx", "dW", "db"), got, expected):
            _compare(name, g, e, n=N, note=f" (N = {N}, D_in = {D_in}, D_out = {D_out})")
        b = rng.normal(size=D_out)
        for name, g, arr in zip(("dx", "dW", "db"), got, (x, W, b)):
            err = max(err, _gradcheck(name, g, lambda: float(np.sum(delta * (x @ W + b))), arr))
    x32, W32, d32 = (rng.normal(size=s).astype(np.float32) for s in ((3, 4), (4, 2), (3, 2)))
    out = _tuple_of(_call(answer, x32, W32, d32), ("dx", "dW", "db"))
    for name, value in zip(("dx", "dW", "db"), out):
        _same_dtype(name, value, x32)
    return _passed("two layers of different widths (the loop as the reference) and float32", err)


# ======================================================================== chapter 10
def torch_linear_params(W, b):
    """Reference: the weight and bias a torch.nn.Linear must hold to compute bplib's Dense.

    bplib's Dense computes z = x W + b with W of shape (D_in, D_out);
    torch.nn.Linear computes x weight^T + bias with weight of shape
    (D_out, D_in). So weight = W^T, of shape (D_out, D_in), and bias = b.
    """
    return W.T.copy(), b.copy()


def _check_torch_linear_params(answer):
    rng = np.random.default_rng(1010)
    # A 4 -> 3 layer shows a missing transpose as a shape; a square one only in the values.
    for D_in, D_out in ((4, 3), (3, 3)):
        W, b = rng.normal(size=(D_in, D_out)), rng.normal(size=D_out)
        Wc, bc = W.copy(), b.copy()
        out = _tuple_of(_call(answer, Wc, bc), ("weight", "bias"))
        _unchanged("W", W, Wc)
        _unchanged("b", b, bc)
        exp_weight, exp_bias = torch_linear_params(W, b)
        weight = _as_result_array("weight", out[0], exp_weight)
        bias = _as_result_array("bias", out[1], exp_bias)
        x = rng.normal(size=(5, D_in))
        note = f" (a {D_in} -> {D_out} layer)"
        _compare("x @ weight.T + bias, what torch.nn.Linear computes,", x @ weight.T + bias, x @ W + b, note=note)
        _compare("weight", weight, exp_weight, note=note)
    W32, b32 = rng.normal(size=(4, 3)).astype(np.float32), rng.normal(size=3).astype(np.float32)
    out = _tuple_of(_call(answer, W32, b32), ("weight", "bias"))
    _same_dtype("weight", out[0], W32)
    _same_dtype("bias", out[1], b32)
    return _passed("a 4 -> 3 and a square 3 -> 3 layer, against x @ W + b, and float32")


# ======================================================================== the registry
@dataclass(frozen=True)
class _Exercise:
    key: str
    reference: Callable
    checker: Callable
    signature: str


_EXERCISES = {e.key: e for e in (
    _Exercise("01.forward_3_4_2", forward_3_4_2, _check_forward_3_4_2, "fn(x, W1, b1, W2, b2) -> output"),
    _Exercise("02.xy_plus_max", xy_plus_max_backward, _check_xy_plus_max, "fn(x, y) -> (df_dx, df_dy)"),
    _Exercise("03.leaky_relu_grad", leaky_relu_grad, _check_leaky_relu_grad, "fn(z) -> derivative"),
    _Exercise("03.softplus_grad_from_output", softplus_grad_from_output, _check_softplus_grad_from_output,
              "fn(a) -> derivative"),
    _Exercise("04.step_with_biases", step_with_biases, _check_step_with_biases, "fn(params, x, t, lr) -> new params"),
    _Exercise("05.huber_loss", huber_loss, _check_huber_loss, "fn(y, t, delta) -> (L, dL_dy)"),
    _Exercise("06.bce_output_delta", bce_output_delta, _check_bce_output_delta, "fn(z, t) -> dL_dz"),
    _Exercise("07.dropout_backward", dropout_backward, _check_dropout_backward, "fn(dout, mask) -> dx"),
    _Exercise("07.dropout_forward", dropout_forward, _check_dropout_forward, "fn(a, p, rng) -> (a_tilde, mask)"),
    _Exercise("08.cured_loss_and_grads", cured_loss_and_grads, _check_cured_loss_and_grads,
              "fn(params, x, t) -> (L, grads)"),
    _Exercise("09.dense_backward", dense_backward, _check_dense_backward, "fn(x, W, delta) -> (dx, dW, db)"),
    _Exercise("10.torch_linear_params", torch_linear_params, _check_torch_linear_params,
              "fn(W, b) -> (weight, bias)"),
)}


def keys() -> list[str]:
    """The keys of every checked exercise, in chapter order."""
    return list(_EXERCISES)


def _exercise(key, where):
    if not isinstance(key, str):
        raise TypeError(f"{where}: the exercise key must be a string such as '03.leaky_relu_grad', "
                        f"got {type(key).__name__}")
    try:
        return _EXERCISES[key]
    except KeyError:
        raise ValueError(f"{where}: unknown exercise key {key!r}; known keys: {', '.join(_EXERCISES)}") from None


def judge(key: str, answer: Callable) -> Verdict:
    """Run the checker of exercise ``key`` on ``answer`` and return its :class:`Verdict`.

    Parameters
    ----------
    key : str
        The exercise, e.g. ``"03.leaky_relu_grad"`` (see :func:`keys`).
    answer : callable
        The reader's function, with the signature the exercise asks for.

    Returns
    -------
    Verdict
        ``status`` is ``"passed"``, ``"failed"`` or ``"not attempted"``; a wrong
        answer (wrong values, shapes, dtype, an exception inside it) never raises.

    Raises
    ------
    ValueError
        If ``key`` is not a known exercise.
    TypeError
        If ``key`` is not a string or ``answer`` is not callable.
    """
    exercise = _exercise(key, "judge")
    if not callable(answer):
        raise TypeError(f"judge({key!r}, ...): the answer must be a function ({exercise.signature}), "
                        f"got {type(answer).__name__}; pass the function itself, without calling it")
    try:
        with np.errstate(all="ignore"):
            message = exercise.checker(answer)
    except _NotAttempted as stub:
        name = getattr(answer, "__name__", "the function")
        return Verdict(key, "not attempted",
                       f"{name} is still a stub ({stub}): write its body, end it with return, "
                       "and run this cell again.")
    except _Wrong as wrong:
        text = str(wrong)
        return Verdict(key, "failed", text if text.endswith(("?", ".")) else text + ".")
    return Verdict(key, "passed", message)


def check(key: str, answer: Callable) -> None:
    """Check the reader's ``answer`` to exercise ``key`` and print the verdict (see :func:`judge`)."""
    print(judge(key, answer))


def reference(key: str) -> Callable:
    """The reference answer of exercise ``key`` (a function with the signature the exercise asks for)."""
    return _exercise(key, "reference").reference


def show_solution(key: str) -> None:
    """Print the source of the reference answer of exercise ``key``."""
    print(inspect.getsource(_exercise(key, "show_solution").reference))


# ====================================================================== wrong answers
# The typical wrong answers, one list per checked exercise. Each checker must
# reject each of them with a message that contains ``expect``; the book's
# hidden cells and tests/test_exercises.py assert it. ``same_as`` names the
# chapter bug each one repeats, where there is one.

@dataclass(frozen=True)
class WrongAnswer:
    """A typical wrong answer to an exercise, and what its verdict must say.

    Attributes
    ----------
    name : str
        What the mistake is, in a few words.
    fn : callable
        The wrong answer, with the exercise's signature.
    expect : str
        A fragment the checker's message must contain.
    same_as : str
        The bug of a chapter that this answer repeats, or "".
    """

    name: str
    fn: Callable
    expect: str
    same_as: str = ""


def _forward_column_vectors(x, W1, b1, W2, b2):
    a_h = F.sigmoid(W1.T @ x.T + b1[:, None])      # (4, N): one example per column
    return F.sigmoid(W2.T @ a_h + b2[:, None])     # (2, N), never transposed back


def _forward_no_output_sigmoid(x, W1, b1, W2, b2):
    return F.sigmoid(x @ W1 + b1) @ W2 + b2


def _xy_max_forgotten(x, y):
    return y.copy(), x.copy()


def _xy_max_to_both(x, y):
    return y + 1.0, x + 1.0


def _leaky_always_one(z):
    return np.ones_like(z)


def _leaky_plain_relu(z):
    return (z > 0).astype(z.dtype)


def _softplus_z_formula_on_a(a):
    return F.sigmoid(a)


def _step_biases_frozen(p, x, t, lr):
    new = step_with_biases(p, x, t, lr)
    return {**new, "b1": p["b1"].copy(), "b2": p["b2"].copy()}


def _step_bias_not_summed(p, x, t, lr):
    N = len(x)
    a_h = F.sigmoid(x @ p["W1"] + p["b1"])
    y = F.sigmoid(a_h @ p["W2"] + p["b2"])
    delta_o = (y - t) / N * y * (1 - y)
    delta_h = (delta_o @ p["W2"].T) * a_h * (1 - a_h)
    return {"W1": p["W1"] - lr * x.T @ delta_h, "b1": p["b1"] - lr * delta_h,
            "W2": p["W2"] - lr * a_h.T @ delta_o, "b2": p["b2"] - lr * delta_o}


def _step_output_weights_first(p, x, t, lr):
    N = len(x)
    a_h = F.sigmoid(x @ p["W1"] + p["b1"])
    y = F.sigmoid(a_h @ p["W2"] + p["b2"])
    delta_o = (y - t) / N * y * (1 - y)
    W2 = p["W2"] - lr * a_h.T @ delta_o                 # updated before the hidden delta is formed
    delta_h = (delta_o @ W2.T) * a_h * (1 - a_h)
    return {"W1": p["W1"] - lr * x.T @ delta_h, "b1": p["b1"] - lr * delta_h.sum(axis=0),
            "W2": W2, "b2": p["b2"] - lr * delta_o.sum(axis=0)}


def _huber_no_mean_in_grad(y, t, delta=1.0):
    L, dy = huber_loss(y, t, delta)
    return L, dy * len(y)


def _huber_not_clipped(y, t, delta=1.0):
    L, _ = huber_loss(y, t, delta)
    return L, (y - t) / len(y)


def _bce_sigmoid_habit(z, t):
    y = F.sigmoid(z)
    return (y - t) * y * (1 - y) / len(z)


def _bce_no_mean(z, t):
    return F.sigmoid(z) - t


def _bce_sign(z, t):
    return (t - F.sigmoid(z)) / len(z)


def _dropout_unscaled_mask(dout, mask):
    return dout * (mask > 0)


def _dropout_forward_unscaled(a, p, rng):
    mask = bugs.dropout_mask_unscaled(rng, a.shape, p, a.dtype)
    return a * mask, mask


def _dropout_forward_keeps_p(a, p, rng):
    mask = (rng.random(a.shape) < p).astype(a.dtype) / a.dtype.type(1.0 - p)
    return a * mask, mask


def _patient_tanh_from_z(p, x, t):
    N = len(x)
    z1 = x @ p["W1"] + p["b1"]
    a1 = np.tanh(z1)
    z2 = a1 @ p["W2"] + p["b2"]
    L = -np.sum(t * F.log_softmax(z2)) / N
    delta2 = (F.softmax(z2) - t) / N
    delta1 = (delta2 @ p["W2"].T) * (1 - z1 ** 2)      # tanh' taken at z, not from a
    return float(L), {"W1": x.T @ delta1, "b1": delta1.sum(axis=0),
                      "W2": a1.T @ delta2, "b2": delta2.sum(axis=0)}


def _dense_dW_transposed(x, W, delta):
    return delta @ W.T, delta.T @ x, delta.sum(axis=0)


def _dense_mean_not_sum(x, W, delta):
    return delta @ W.T, x.T @ delta / len(x), delta.sum(axis=0)


def _linear_not_transposed(W, b):
    return W.copy(), b.copy()


def _linear_bias_as_column(W, b):
    return W.T.copy(), b[:, None].copy()


def _dense_db_not_summed(x, W, delta):
    return delta @ W.T, x.T @ delta, delta.copy()


WRONG_ANSWERS: dict[str, list[WrongAnswer]] = {
    "01.forward_3_4_2": [
        WrongAnswer("column vectors: W.T @ x.T, output (2, N)", _forward_column_vectors,
                    "has shape (2, 1), expected (1, 2)"),
        WrongAnswer("no sigmoid on the output", _forward_no_output_sigmoid, "your output is off"),
    ],
    "02.xy_plus_max": [
        WrongAnswer("the max's share forgotten", _xy_max_forgotten, "df/dx is off where x > y"),
        WrongAnswer("max sends the gradient to both inputs", _xy_max_to_both, "df/dx is off where x < y"),
    ],
    "03.leaky_relu_grad": [
        WrongAnswer("derivative always 1", _leaky_always_one, "off at z < 0 (z = -3.0): got 1.0, expected 0.01",
                    same_as="ReLU derivative always 1 (chapters 3, 7, 8)"),
        WrongAnswer("plain ReLU derivative", _leaky_plain_relu, "off at z < 0 (z = -3.0): got 0.0, expected 0.01"),
    ],
    "03.softplus_grad_from_output": [
        WrongAnswer("z-formula fed the output a", _softplus_z_formula_on_a, "the z-formula applied to the output a",
                    same_as="derivative for z fed the output a (chapters 3, 8: sigmoid_grad(a))"),
    ],
    "04.step_with_biases": [
        WrongAnswer("biases left frozen", _step_biases_frozen, "b2 did not change"),
        WrongAnswer("bias gradient not summed over the batch", _step_bias_not_summed,
                    "b2 has shape (1, 2), expected (2,) (sum over the batch"),
        WrongAnswer("output weights updated first", _step_output_weights_first, "W1 is off",
                    same_as="updating the output weights before the hidden delta (chapter 4; chapter 8, bug 7)"),
    ],
    "05.huber_loss": [
        WrongAnswer("1/N forgotten in the gradient", _huber_no_mean_in_grad,
                    "dL/dy is N = 5 times too large"),
        WrongAnswer("gradient not clipped at delta", _huber_not_clipped, "off where |y - t| > delta"),
    ],
    "06.bce_output_delta": [
        WrongAnswer("sigmoid habit: times y (1 - y)", _bce_sigmoid_habit, "your delta is off at z = -3.0",
                    same_as="the sigmoid habit (chapter 6)"),
        WrongAnswer("1/N forgotten", _bce_no_mean, "N = 5 times too large", same_as="the missing 1/N (chapters 2, 6)"),
        WrongAnswer("sign flipped", _bce_sign, "wrong sign"),
    ],
    "07.dropout_backward": [
        WrongAnswer("mask added, not multiplied", bugs.dropout_backward_adds_mask,
                    "where the unit was dropped (mask = 0)",
                    same_as="dropout that adds its mask (chapters 7, 8)"),
        WrongAnswer("mask without its 1/(1 - p)", _dropout_unscaled_mask, "where the unit was kept (mask = 2.0)"),
    ],
    "07.dropout_forward": [
        WrongAnswer("kept units not rescaled", _dropout_forward_unscaled, "1/(1 - p) = 1.25",
                    same_as="dropout without the scaling (chapter 8, bug 3)"),
        WrongAnswer("keeps a unit with probability p", _dropout_forward_keeps_p, "probability of dropping"),
    ],
    "08.cured_loss_and_grads": [
        WrongAnswer("the patient itself: 1/N applied twice in dW1", patient_loss_and_grads,
                    "grads['W1'] is N = 6 times too small"),
        WrongAnswer("tanh derivative taken at z", _patient_tanh_from_z, "grads['W1'] is off",
                    same_as="derivative for a fed z (chapter 3, bug B; chapter 8, bug 1)"),
    ],
    "09.dense_backward": [
        WrongAnswer("dW transposed: delta.T @ x", _dense_dW_transposed, "dW has shape (3, 4), expected (4, 3)"),
        WrongAnswer("mean instead of sum", _dense_mean_not_sum, "dW is N = 5 times too small"),
        WrongAnswer("db not summed over the batch", _dense_db_not_summed, "db has shape (5, 3), expected (3,)"),
    ],
    "10.torch_linear_params": [
        WrongAnswer("W copied without its transpose", _linear_not_transposed,
                    "weight has shape (4, 3), expected (3, 4) (transposed?)",
                    same_as="formulas for column vectors in row-vector code (chapter 8, bug 8)"),
        WrongAnswer("bias as a column", _linear_bias_as_column, "bias has shape (3, 1), expected (3,)"),
    ],
}


def wrong_answers(key: str) -> list[WrongAnswer]:
    """The typical wrong answers to exercise ``key``, each with the message fragment its verdict must contain."""
    return list(WRONG_ANSWERS[_exercise(key, "wrong_answers").key])
