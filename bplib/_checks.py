"""Input checks shared by every part of bplib.

Each check runs before any arithmetic and raises a ``TypeError`` or ``ValueError``
that names the caller, the shape it got and the shape it expected. Numpy's
broadcasting would otherwise turn many wrong shapes into silently wrong numbers:
targets of shape ``(N,)`` against outputs ``(N, 1)`` broadcast to ``(N, N)``.

``where``, the caller's name in a message, is a string or a pair
``(object, method)``: a layer passes ``(self, "forward")``, so that a check that
passes (nearly all of them) never pays for formatting a name it would not print.
"""

import math

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


class NonFiniteError(ValueError):
    """A NaN or an infinity where bplib needs finite numbers.

    ``fit`` checks its data before the first step, so when one of these is
    raised while it trains, the numbers were made by the training itself
    (weights that grew without bound): ``fit`` then stops and reports a
    divergence instead of raising.
    """


def _name(where):
    """The caller's name for an error message (see the module docstring)."""
    return f"{where[0]!r}.{where[1]}" if isinstance(where, tuple) else where


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
    if x.dtype in FLOAT_DTYPES:
        return x
    if x.dtype.kind in "biu":
        return x.astype(np.float64)
    raise TypeError(f"{_name(where)}: {name} must hold float32 or float64 numbers, got dtype {x.dtype}")


def check_batch(x, where, width=None, name="input"):
    """Check that ``x`` is a non-empty 2-D batch ``(N, width)`` of finite floats; return it as a float array.

    ``width=None`` accepts any width. (The first test passes good input in one
    step; the rest converts what it can and says what is wrong.)
    """
    if type(x) is np.ndarray and x.dtype in FLOAT_DTYPES and x.ndim == 2 and x.shape[0] \
            and (width is None or x.shape[1] == width) and math.isfinite(np.add.reduce(x, axis=None)):
        return x
    x = as_float_array(x, where, name)
    if x.ndim != 2 or x.shape[0] == 0 or (width is not None and x.shape[1] != width):
        expected = f"(N, {width if width is not None else 'D'})"
        if x.ndim != 2:
            raise ValueError(f"{_name(where)}: {name} must be a 2-D batch of shape {expected}, got shape {x.shape}")
        if x.shape[0] == 0:
            raise ValueError(f"{_name(where)}: {name} is an empty batch, shape {x.shape}; expected {expected} with N >= 1")
        raise ValueError(f"{_name(where)}: {name} has shape {x.shape}, expected {expected}: width {x.shape[1]} != {width}")
    check_finite(x, where, name)
    return x


def check_like(x, shape, where, name, expected):
    """``x`` as a finite float array of exactly ``shape``, else an error saying it should be ``expected``.

    For arrays whose shape is known in full: a target beside its output, a
    ``dout`` beside the output it is the gradient of.
    """
    if type(x) is np.ndarray and x.shape == shape and x.dtype in FLOAT_DTYPES \
            and math.isfinite(np.add.reduce(x, axis=None)):
        return x
    x = as_float_array(x, where, name)
    if x.shape != shape:
        raise ValueError(f"{_name(where)}: {name} has shape {x.shape}, expected {shape} ({expected}); "
                         "shapes must match exactly, numpy would broadcast them into a wrong answer")
    check_finite(x, where, name)
    return x


def check_finite(x, where, name="input"):
    """Raise :class:`NonFiniteError` if ``x`` holds a NaN or an infinity.

    A finite sum means every element is finite, and one sum costs less than
    an elementwise test; only when the sum is not finite (a NaN, an infinity,
    or finite numbers whose sum overflows) is every element tested.
    """
    if math.isfinite(np.add.reduce(x, axis=None)) or np.isfinite(x).all():
        return
    bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
    raise NonFiniteError(f"{_name(where)}: {name} of shape {np.shape(x)} holds {bad} NaN or infinite value(s)")


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


def check_gradient(layer, key):
    """``layer.grads[key]``, refused unless it matches ``layer.params[key]`` in shape and dtype.

    A gradient of another shape would broadcast into a wrong update; a
    parameter replaced by hand (``layer.params["W"] = W.astype(np.float32)``)
    no longer matches the gradient the layer computes.
    """
    p, g = layer.params[key], layer.grads.get(key)
    if type(g) is np.ndarray and type(p) is np.ndarray and g.shape == p.shape and g.dtype == p.dtype \
            and p.dtype in FLOAT_DTYPES:
        return g
    if not isinstance(p, np.ndarray) or p.dtype not in FLOAT_DTYPES:
        got = f"dtype {p.dtype}" if isinstance(p, np.ndarray) else type(p).__name__
        raise ValueError(f"{layer!r}: parameter {key!r} must be a float32 or float64 array, got {got}")
    got = "none" if not isinstance(g, np.ndarray) else f"shape {g.shape}, dtype {g.dtype}"
    raise ValueError(
        f"{layer!r}: parameter {key!r} has shape {p.shape}, dtype {p.dtype}, but its gradient has {got}; "
        "a gradient must match its parameter (and a parameter replaced by hand must keep the shape and dtype "
        "of grads[key]: assign into it with params[key][...] = new, or replace grads[key] too)"
    )
