"""What every exercise checker shares: verdicts, messages, and the checks they are built from.

Used by the checked exercises of chapters 1 to 10 (one module each, ``ch01`` ...
``ch10``). A checker raises :class:`Wrong` with a message for the reader, or
:class:`NotAttempted` for a stub; :func:`bplib.course.exercises.judge` turns
either into a :class:`Verdict`. The helpers below name the first thing that is
wrong: a shape, a value at a place, a factor such as a missing 1/N.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Callable

import numpy as np

from bplib.gradcheck import numerical_gradient, relative_error

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


class Wrong(Exception):
    """Raised inside a checker: the answer is wrong, and the message says how."""


class NotAttempted(Exception):
    """Raised inside a checker: the answer is still a stub."""


# ====================================================================== shared helpers
def fmt(value) -> str:
    """A number for a message: short, but with enough digits to tell two close values apart."""
    value = float(value)
    if value == 0:
        return "0.0"
    if value == int(value) and abs(value) < 1e6:
        return f"{value:.1f}"
    return f"{value:.6g}"


def pair(got, expected):
    """Two numbers for a message, with as many digits as it takes to tell them apart."""
    got, expected = float(got), float(expected)
    for digits in (6, 9, 12, 15):
        a, b = f"{got:.{digits}g}", f"{expected:.{digits}g}"
        if a != b:
            break
    return (fmt(got), fmt(expected)) if digits == 6 else (a, b)


def call(fn, *args, what="your function", allow_none=False):
    """Call the reader's function; turn a stub into NotAttempted and an exception into Wrong.

    A function that returns ``None`` is a stub (or lacks its ``return``) unless ``allow_none``.
    """
    try:
        out = fn(*args)
    except NotImplementedError:
        raise NotAttempted("it raises NotImplementedError") from None
    except Exception as err:  # noqa: BLE001 - any error in the reader's code is reported, not raised
        shapes = ", ".join(str(np.shape(a)) for a in args if isinstance(a, np.ndarray))
        text = str(err).splitlines()[0] if str(err) else ""
        raise Wrong(f"{what} raised {type(err).__name__}" + (f" ({text})" if text else "")
                     + (f" for inputs of shapes {shapes}" if shapes else "")) from None
    if out is None and not allow_none:
        raise NotAttempted("it returns None")
    return out


def unchanged(name, before, after):
    """The reader's function must not change its inputs in place."""
    if not np.array_equal(before, after, equal_nan=True):
        raise Wrong(f"your function changed its input {name} in place; compute a new array and return it")


def as_result_array(name, value, expected, transposed=" (transposed?)"):
    """The reader's result as an ndarray of the expected shape, or Wrong saying why not."""
    if value is None:
        raise Wrong(f"{name} is None")
    if isinstance(value, (tuple, list)) and not isinstance(expected, (tuple, list)) and len(value) and \
            isinstance(value[0], np.ndarray):
        raise Wrong(f"{name}: return one array, got a {type(value).__name__} of {len(value)} arrays")
    if isinstance(value, (str, dict)):
        raise Wrong(f"{name} is a {type(value).__name__}, expected a numpy array of shape {expected.shape}")
    try:
        got = np.asarray(value)
    except Exception:  # noqa: BLE001
        raise Wrong(f"{name} is a {type(value).__name__}, expected a numpy array of shape {expected.shape}") from None
    if got.dtype.kind not in "fiub":
        raise Wrong(f"{name} holds {got.dtype} values, expected numbers of shape {expected.shape}")
    if got.shape != expected.shape:
        hint = ""
        if got.shape == expected.shape[::-1] and len(expected.shape) == 2:
            hint = transposed
        elif len(expected.shape) == 1 and len(got.shape) == 2 and got.shape[1:] == expected.shape:
            hint = " (sum over the batch, axis 0: a parameter is shared by all examples)"
        raise Wrong(f"{name} has shape {got.shape}, expected {expected.shape}{hint}")
    return got


def constant_ratio(got, expected):
    """got / expected when it is (nearly) one constant over all nonzero entries, else None."""
    mask = np.abs(expected) > 1e-12 * max(1.0, float(np.max(np.abs(expected))))
    if mask.sum() < 2:
        return None
    ratio = got[mask] / expected[mask]
    c = float(np.median(ratio))
    if c != 0 and np.all(np.abs(ratio - c) <= 1e-6 * abs(c)):
        return c
    return None


def compare(name, got, expected, *, place=None, n=None, rtol=1e-7, atol=1e-12, note=""):
    """Values of ``got`` against ``expected`` (same shape): Wrong naming the first place they differ.

    ``place(index)`` describes a position for the reader ("at z < 0 (z = -1.5)");
    ``n`` is the batch size, so that a result N times too large or too small is
    named as a missing or doubled 1/N.
    """
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    if not np.all(np.isfinite(got)):
        raise Wrong(f"{name} contains NaN or infinity{note}")
    bad = np.abs(got - expected) > atol + rtol * np.abs(expected)
    if not bad.any():
        return
    ratio = constant_ratio(got, expected)
    if ratio is not None and n is not None and n > 1:
        if abs(ratio - n) < 1e-6 * n:
            raise Wrong(f"{name} is N = {n} times too large: is the 1/N of the mean missing?")
        if abs(ratio - 1 / n) < 1e-6 / n:
            raise Wrong(f"{name} is N = {n} times too small: is the 1/N applied twice?")
    if ratio is not None and abs(ratio + 1) < 1e-6:
        raise Wrong(f"{name} has the wrong sign everywhere{note}")
    if got.ndim == 0:
        g, e = pair(got, expected)
        raise Wrong(f"{name} is off{note}: got {g}, expected {e}")
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    where = place(index) if place else f"at index {list(index) if len(index) > 1 else index[0]}"
    g, e = pair(got[index], expected[index])
    raise Wrong(f"{name} is off {where}{note}: got {g}, expected {e}")


def same_dtype(name, got, like, hint=""):
    """float32 in, float32 out: the book's layers accept float32 end to end."""
    got = np.asarray(got)
    if got.dtype != like.dtype:
        raise Wrong(f"the values are right, but for a {like.dtype} input {name} has dtype {got.dtype}; "
                     f"keep the input's dtype{hint}")


def gradient_check(name, analytic, f, x):
    """Relative error of ``analytic`` against central differences of the scalar ``f()`` at ``x``."""
    err = relative_error(analytic, numerical_gradient(f, x))
    if not err < GRADCHECK_TOL:
        raise Wrong(f"the gradient check fails for {name}: relative error {err:.1e} against central "
                     f"differences (correct code scores below {GRADCHECK_TOL:g})")
    return err


def tuple_of(value, names):
    """The reader's result as a tuple of ``len(names)`` items, or Wrong."""
    if isinstance(value, np.ndarray) or not isinstance(value, (tuple, list)):
        raise Wrong(f"return {len(names)} values, ({', '.join(names)}); got one {type(value).__name__}"
                     + (f" of shape {value.shape}" if isinstance(value, np.ndarray) else ""))
    if len(value) != len(names):
        raise Wrong(f"return {len(names)} values, ({', '.join(names)}); got {len(value)}")
    return tuple(value)


def passed(inputs, err=None, how="the gradient check"):
    """The message of a passed verdict: what was compared, and how well the gradient check agreed."""
    text = f"Values, shapes and dtype agree with the reference on {inputs}"
    if err is not None:
        text += f"; {how} agrees with central differences (largest relative error {err:.0e})"
    return text + "."


# ==================================================================== the exercises
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


@dataclass(frozen=True)
class Exercise:
    """One checked exercise: its key, reference answer, checker, signature and typical wrong answers.

    ``checker(answer)`` returns the message of a passed verdict, or raises
    :class:`Wrong` or :class:`NotAttempted`. Every entry of ``wrong`` must be
    rejected with a message containing its ``expect``.
    """

    key: str
    reference: Callable
    checker: Callable
    signature: str
    wrong: tuple = ()
