"""The book's toy data sets, and small helpers for targets and splits.

Every function that draws random numbers takes ``rng``, a
``numpy.random.Generator``, so a chapter run twice sees the same data.
Inputs are returned batch first: ``x`` has shape ``(N, D)``.
The data sets are the book's: the sine curve of chapter 5, the sine boundary
and the two spirals of chapter 6, and the 5,000 embedded MNIST digits of
chapter 7 (``load_digits``; full MNIST is the course's, ``bplib.course``).
"""

from pathlib import Path

import numpy as np

from ._checks import check_positive_int


def _number(value, where, name):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not np.isfinite(value):
        raise TypeError(f"{where}: {name} must be a finite number, got {value!r}")
    return float(value)


def _need_rng(rng, where):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"{where}: needs rng=numpy.random.default_rng(seed), got {rng!r}")


def sine_curve(step=0.1, noise=0.0, rng=None):
    """Points of ``t = sin(u)`` for ``u`` in ``[0, 2 pi)`` in steps of ``step``.

    Returns ``(x, t)``, both of shape ``(N, 1)``, where ``x = u / pi - 1`` is the
    input scaled to ``[-1, 1)`` (so ``u = pi * (x + 1)``). With ``noise > 0`` the
    targets get Gaussian noise of that standard deviation (needs ``rng``).
    """
    if not _number(step, "sine_curve", "step") > 0:
        raise ValueError(f"sine_curve: step must be positive, got {step!r}")
    if _number(noise, "sine_curve", "noise") < 0:
        raise ValueError(f"sine_curve: noise must be a standard deviation >= 0, got {noise!r}")
    u = np.arange(0.0, 2 * np.pi, step)
    t = np.sin(u)
    if noise:
        _need_rng(rng, "sine_curve")
        t = t + rng.normal(0.0, noise, size=t.shape)
    return (u / np.pi - 1.0)[:, None], t[:, None]


def sine_boundary(step=0.1, noise=0.0, rng=None):
    """A grid over ``[-1, 1]^2`` in steps of ``step``, labelled 1 where ``y < sin(pi x)``.

    Returns ``(x, labels)``: ``x`` of shape ``(N, 2)`` holding ``(x, y)`` points
    (441 of them for step 0.1) and integer labels of shape ``(N,)``. With
    ``noise > 0`` each label is flipped with that probability (needs ``rng``).
    """
    if not _number(step, "sine_boundary", "step") > 0:
        raise ValueError(f"sine_boundary: step must be positive, got {step!r}")
    _number(noise, "sine_boundary", "noise")
    ticks = np.round(np.arange(-1.0, 1.0 + step / 2, step), 10)
    gx, gy = np.meshgrid(ticks, ticks)
    x = np.column_stack([gx.ravel(), gy.ravel()])
    labels = (x[:, 1] < np.sin(np.pi * x[:, 0])).astype(np.int64)
    return x, flip_labels(labels, noise, rng, "sine_boundary")


def flip_labels(labels, fraction, rng, where="flip_labels"):
    """Binary labels with each one flipped with probability ``fraction``."""
    if not 0.0 <= _number(fraction, where, "noise") <= 1.0:
        raise ValueError(f"{where}: noise must be a probability in [0, 1], got {fraction!r}")
    if fraction == 0:
        return labels
    _need_rng(rng, where)
    flip = rng.random(labels.shape) < fraction
    return np.where(flip, 1 - labels, labels)


def xor_blobs(n=200, spread=0.25, rng=None):
    """Four Gaussian blobs at the corners ``(+-1, +-1)``, labelled by XOR of the signs.

    Returns ``(x (n, 2), labels (n,))``. No straight line separates the classes.
    """
    _need_rng(rng, "xor_blobs")
    n = check_positive_int(n, "xor_blobs", "n")
    if _number(spread, "xor_blobs", "spread") < 0:
        raise ValueError(f"xor_blobs: spread must be >= 0, got {spread!r}")
    corners = rng.choice(np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]], dtype=float), size=n)
    x = corners + rng.normal(0.0, spread, size=(n, 2))
    labels = (corners[:, 0] * corners[:, 1] < 0).astype(np.int64)
    return x, labels


def two_spirals(n_per_class=100, turns=1.5, noise=0.05, rng=None):
    """Two interleaved spirals, the classic hard case for a small network.

    Returns ``(x (2 n_per_class, 2), labels)`` with points inside about ``[-1, 1]^2``.
    """
    _need_rng(rng, "two_spirals")
    n_per_class = check_positive_int(n_per_class, "two_spirals", "n_per_class")
    _number(turns, "two_spirals", "turns")
    if _number(noise, "two_spirals", "noise") < 0:
        raise ValueError(f"two_spirals: noise must be >= 0, got {noise!r}")
    r = np.linspace(0.1, 1.0, n_per_class)
    angle = r * turns * 2 * np.pi
    xs, labels = [], []
    for label in (0, 1):
        theta = angle + label * np.pi
        pts = np.column_stack([r * np.cos(theta), r * np.sin(theta)])
        xs.append(pts + rng.normal(0.0, noise, size=pts.shape))
        labels.append(np.full(n_per_class, label, dtype=np.int64))
    return np.concatenate(xs), np.concatenate(labels)


def one_hot(labels, k):
    """Integer labels ``(N,)`` in ``[0, k)`` as one-hot rows ``(N, k)`` of float64."""
    if not isinstance(labels, (np.ndarray, list, tuple)):
        raise TypeError(f"one_hot: labels must be a 1-D integer array, got {type(labels).__name__}")
    k = check_positive_int(k, "one_hot", "k")
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise TypeError(f"one_hot: labels must be a 1-D integer array, got shape {labels.shape} dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        raise ValueError(f"one_hot: labels must lie in [0, {k}), got {labels.min()} to {labels.max()}")
    out = np.zeros((labels.size, k))
    out[np.arange(labels.size), labels] = 1.0
    return out


def train_test_split(x, t, test_fraction, rng):
    """Shuffle ``(x, t)`` with ``rng`` and split off ``test_fraction`` of the rows.

    Returns ``(x_train, t_train, x_test, t_test)``.
    """
    _need_rng(rng, "train_test_split")
    for name, value in (("x", x), ("t", t)):
        if not isinstance(value, np.ndarray) or value.ndim == 0 or value.dtype.kind not in "biuf":
            raise TypeError(f"train_test_split: {name} must be a numeric numpy array with one row per example, "
                            f"got {type(value).__name__} of shape {np.shape(value)} "
                            f"and dtype {getattr(value, 'dtype', None)}")
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            raise ValueError(f"train_test_split: {name} of shape {value.shape} holds NaN or infinite values")
    if len(x) != len(t):
        raise ValueError(f"train_test_split: {len(x)} inputs but {len(t)} targets; shapes {x.shape} and {t.shape}")
    if len(x) < 2:
        raise ValueError(f"train_test_split: needs at least 2 rows to split, got shape {x.shape}")
    if not 0.0 < _number(test_fraction, "train_test_split", "test_fraction") < 1.0:
        raise ValueError(f"train_test_split: test_fraction must lie in (0, 1), got {test_fraction!r}")
    order = rng.permutation(len(x))
    n_test = min(len(x) - 1, max(1, int(round(test_fraction * len(x)))))  # neither part empty
    test, train = order[:n_test], order[n_test:]
    return x[train], t[train], x[test], t[test]


one_hot_rows = one_hot  # load_digits's argument one_hot hides the function inside it
MNIST_EMBEDDED_FILE = "mnist_5k.npz"
MNIST_TRAIN_PER_DIGIT = 400  # of the 500 images of each digit; the other 100 are the test set


def mnist_embedded_path():
    """Where the embedded digits live: ``embedded/mnist_5k.npz`` inside the package."""
    return Path(__file__).resolve().parent / "embedded" / MNIST_EMBEDDED_FILE


def digits_format(flat, one_hot, dtype, where):
    """The ``dtype`` asked of a digit loader, as a numpy dtype, after checking ``flat``, ``one_hot`` and it."""
    for name, value in (("flat", flat), ("one_hot", one_hot)):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{where}: {name} must be True or False, got {value!r}")
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{where}: dtype must be float32 or float64, got {dtype!r}") from None
    if dtype.type not in (np.float32, np.float64):
        raise TypeError(f"{where}: dtype must be float32 or float64, got {dtype}")
    return dtype


def load_digits(flat=True, one_hot=False, dtype=np.float64):
    """The 5,000 MNIST digits shipped with the book, as ``(x_train, y_train, x_test, y_test)``.

    The first 400 images of each digit are the training set (4,000 images),
    the other 100 the test set (1,000); both interleave the digits 0, 1, ..., 9,
    0, 1, ... Pixels are scaled to [0, 1] in ``dtype``.

    Parameters
    ----------
    flat : bool
        Images as rows of 784 pixels ``(N, 784)`` (True) or as ``(N, 28, 28)``.
    one_hot : bool
        Labels as one-hot rows ``(N, 10)`` in ``dtype`` (True) or int64 ``(N,)``.
    dtype : float32 or float64
    """
    dtype = digits_format(flat, one_hot, dtype, "load_digits")
    path = mnist_embedded_path()
    if not path.is_file():
        raise FileNotFoundError(
            f"load_digits: the embedded MNIST digits {path} are missing. They are package data of bplib "
            "(bplib/embedded/mnist_5k.npz); reinstall bplib with pip, or recreate the file "
            "with tools/make_mnist_subset.py"
        )
    with np.load(path) as archive:
        images, labels = archive["images"], archive["labels"]
    if images.shape[1:] != (28, 28) or labels.shape != images.shape[:1]:
        raise ValueError(f"load_digits: {path} holds images {images.shape} and labels {labels.shape}")
    train, test = [], []
    for digit in range(10):
        where = np.flatnonzero(labels == digit)
        train.append(where[:MNIST_TRAIN_PER_DIGIT])
        test.append(where[MNIST_TRAIN_PER_DIGIT:])
    # Column-major ravel of a (digit, rank) table interleaves the digits: 0, 1, ..., 9, 0, 1, ...
    train, test = np.array(train).ravel(order="F"), np.array(test).ravel(order="F")

    def pixels(x):
        x = x.astype(dtype) / dtype.type(255)
        return x.reshape(len(x), -1) if flat else x

    def targets(y):
        y = y.astype(np.int64)
        return one_hot_rows(y, 10).astype(dtype, copy=False) if one_hot else y

    return pixels(images[train]), targets(labels[train]), pixels(images[test]), targets(labels[test])
