"""Input checks shared by every part of bplib.

Each check runs before any arithmetic and raises a ``TypeError`` or ``ValueError``
that names the caller, the shape it got and the shape it expected. Numpy's
broadcasting would otherwise turn many wrong shapes into silently wrong numbers:
targets of shape ``(N,)`` against outputs ``(N, 1)`` broadcast to ``(N, N)``.
"""

import threading

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)

_state = threading.local()


class scanned_upstream:
    """A context in which ``check_batch`` checks shapes and dtypes but skips the NaN/inf scan.

    A :class:`~bplib.network.Network` scans its input batch once, runs its
    layers inside this context, and scans its output once. The layers in
    between receive arrays that bplib's own arithmetic made from an input
    already scanned, so scanning each of them again would cost one more full
    pass over every activation, for nothing: a NaN made inside the network
    (diverging weights) still reaches the output scan. A layer called on its
    own scans its input as before.
    """

    def __enter__(self):
        _state.depth = getattr(_state, "depth", 0) + 1
        return self

    def __exit__(self, *exc):
        _state.depth -= 1


def _name(where):
    """The caller's name for an error message.

    ``where`` is a string, or a function that returns one: a layer passes a
    function, so that a check that passes (nearly all of them, on the hot path
    of training) never pays for formatting a name it would not print.
    """
    return where() if callable(where) else where


def as_float_array(x, where, name="input"):
    """Return ``x`` as a float ndarray, refusing what is not an array.

    Lists and tuples of numbers are accepted (they are converted); anything
    else that is not an ndarray, and arrays that are not numeric, raise
    ``TypeError``. Integer and boolean arrays become float64; float32 and
    float64 are kept as they are.
    """
    if isinstance(x, (list, tuple)):
        x = np.asarray(x)
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{_name(where)}: {name} must be a numpy array, got {type(x).__name__}")
    if x.dtype.kind in "biu":
        return x.astype(np.float64)
    if x.dtype.type not in FLOAT_DTYPES:
        raise TypeError(f"{_name(where)}: {name} must hold float32 or float64 numbers, got dtype {x.dtype}")
    return x


def check_batch(x, where, width=None, name="input"):
    """Check that ``x`` is a non-empty 2-D batch ``(N, width)`` of finite floats.

    Returns ``x`` as a float array. ``width=None`` accepts any width. Inside
    :class:`scanned_upstream` the (costly) scan for NaN and infinity is skipped.
    """
    x = as_float_array(x, where, name)
    if x.ndim != 2 or x.shape[0] == 0 or (width is not None and x.shape[1] != width):
        expected = f"(N, {width if width is not None else 'D'})"
        if x.ndim != 2:
            raise ValueError(f"{_name(where)}: {name} must be a 2-D batch of shape {expected}, got shape {x.shape}")
        if x.shape[0] == 0:
            raise ValueError(f"{_name(where)}: {name} is an empty batch, shape {x.shape}; expected {expected} with N >= 1")
        raise ValueError(
            f"{_name(where)}: {name} has shape {x.shape}, expected {expected}: width {x.shape[1]} != {width}"
        )
    if not getattr(_state, "depth", 0):  # see scanned_upstream
        check_finite(x, where, name)
    return x


def check_positive_int(value, where, name, allow_none=False):
    """``value`` as an int if it is a positive integer (not a bool), else ``ValueError``.

    With ``allow_none``, ``None`` passes through unchanged (e.g. ``batch_size=None``).
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        extra = " or None" if allow_none else ""
        raise ValueError(f"{_name(where)}: {name} must be a positive integer{extra}, got {value!r}")
    return int(value)


def check_finite(x, where, name="input"):
    """Raise ``ValueError`` if ``x`` holds a NaN or an infinity."""
    if not np.isfinite(x).all():
        bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
        raise ValueError(f"{_name(where)}: {name} of shape {np.shape(x)} holds {bad} NaN or infinite value(s)")


def check_same_shape(a, b, where, names=("output", "target")):
    """Raise ``ValueError`` unless ``b`` has exactly the shape of ``a`` (an array or a shape tuple)."""
    shape = a if isinstance(a, tuple) else a.shape
    if shape != b.shape:
        raise ValueError(
            f"{_name(where)}: {names[1]} has shape {b.shape}, expected {shape} (the shape of the {names[0]}); "
            "shapes must match exactly, numpy would broadcast them into a wrong answer"
        )
