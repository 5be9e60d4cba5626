"""Full MNIST through tensorflow-datasets, or the 5,000 embedded digits, as plain numpy arrays.

Used by chapter 7 (MNIST with dropout) and chapter 10 (the same network in
PyTorch). Two sources:

* ``"tfds"``: the full MNIST data set (60,000 training and 10,000 test
  images) read with ``tensorflow_datasets.data_source``. Reading needs the
  ``tensorflow-datasets`` package but not TensorFlow. The data must have been
  downloaded and prepared once, which does need TensorFlow: ``make mnist``
  installs it and calls :func:`prepare_full_mnist`.
* ``"embedded"``: 5,000 real MNIST digits (500 of each) that ship with the
  book inside the package, read by the core's :func:`bplib.data.load_digits`
  (its docstring gives the fixed split: the first 400 of each digit train, the
  last 100 test, interleaved by digit).

``load_mnist(source="auto")`` takes the full data set when it is already
prepared on this machine and the embedded subset otherwise, and prints one
line saying which. It never downloads anything: tensorflow-datasets would
retry a missing download for minutes, and the book must build offline.

Pixels come scaled to ``[0, 1]``; images are flat rows ``(N, 784)`` (or
``(N, 28, 28)``); labels are integers ``(N,)`` (or one-hot rows ``(N, 10)``).
"""

import importlib.util
import os
from collections import namedtuple
from pathlib import Path

import numpy as np

from bplib import data
from bplib.data import one_hot as _one_hot

N_CLASSES = 10
IMAGE_SHAPE = (28, 28)
TFDS_NAME = "mnist"
SOURCES = ("auto", "tfds", "embedded")
FIX_COMMAND = "make mnist"
CACHE_FILE = "bplib-arrays.npz"  # decoded full MNIST, kept beside the prepared tfds files

_Fields = namedtuple("_Fields", ["x_train", "y_train", "x_test", "y_test"])


class MNISTData(_Fields):
    """``(x_train, y_train, x_test, y_test)``, which also knows where it came from.

    It unpacks like a plain tuple of four arrays. ``source`` is ``"tfds"`` or
    ``"embedded"``; ``description`` is the line ``load_mnist`` prints.
    """

    source = None
    description = ""


def tfds_data_dir(data_dir=None):
    """The tensorflow-datasets data directory: ``data_dir`` if given, else
    ``$TFDS_DATA_DIR``, else ``~/tensorflow_datasets`` (the rule tfds itself uses).

    It is read when called, not when bplib is imported, so a changed
    environment variable takes effect.
    """
    if data_dir is not None:
        return Path(data_dir).expanduser()
    env = os.environ.get("TFDS_DATA_DIR")
    return Path(env).expanduser() if env else Path.home() / "tensorflow_datasets"


def _version_key(name):
    try:
        return tuple(int(part) for part in name.split("."))
    except ValueError:
        return (-1,)


def find_prepared(data_dir=None):
    """Look on disk, without any network, for full MNIST prepared for random access.

    Returns the version string (e.g. ``"3.0.1"``) of the newest version found
    under ``<data_dir>/mnist/<version>/`` that has a ``dataset_info.json`` and
    array_record files for both the train and the test split, or None.
    (Data prepared only as tfrecord files, tfds's default for ``tfds.load``,
    cannot be read by ``data_source`` and does not count.)
    """
    root = tfds_data_dir(data_dir) / TFDS_NAME
    if not root.is_dir():
        return None
    found = []
    for version_dir in root.iterdir():
        if not (version_dir / "dataset_info.json").is_file():
            continue
        if all(any(version_dir.glob(f"{TFDS_NAME}-{split}.array_record*")) for split in ("train", "test")):
            found.append(version_dir.name)
    return max(found, key=_version_key) if found else None


def _prepared_without_array_record(data_dir):
    root = tfds_data_dir(data_dir) / TFDS_NAME
    return root.is_dir() and any(root.glob("*/dataset_info.json"))


def _installed(module):
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # ValueError: a module entry without a spec
        return False


def _tfds_installed():
    return _installed("tensorflow_datasets")


def prepare_full_mnist(data_dir=None):
    """Download full MNIST once and prepare it so that :func:`load_mnist` can read it.

    This is what ``make mnist`` runs. It needs TensorFlow and
    tensorflow-datasets (``pip install -e ".[mnist-prepare]"``) and the
    network. The data is written as array_record files (the format
    ``tfds.data_source`` reads) under ``data_dir``, by default
    ``$TFDS_DATA_DIR`` or ``~/tensorflow_datasets``. Running it again when
    the data is there does nothing.

    Returns the directory that holds the prepared data set.
    """
    root = tfds_data_dir(data_dir)
    version = find_prepared(root)
    if version is not None:
        print(f"MNIST {version} is already prepared in {root / TFDS_NAME / version}")
        return root / TFDS_NAME / version
    missing = [name for name in ("tensorflow", "tensorflow_datasets") if not _installed(name)]
    if missing:
        raise RuntimeError(
            f"prepare_full_mnist: {' and '.join(missing)} not installed; preparing MNIST needs both: "
            'pip install -e ".[mnist-prepare]" (or run `make mnist`, which installs them first)'
        )
    import tensorflow_datasets as tfds

    builder = tfds.builder(TFDS_NAME, data_dir=os.fspath(root), file_format="array_record")
    config = None
    if _prepared_without_array_record(root):
        # Prepared earlier in another format (tfds.load's default, tfrecord): regenerate,
        # reusing the downloaded files, so that array_record files exist.
        config = tfds.download.DownloadConfig(download_mode=tfds.download.GenerateMode.REUSE_CACHE_IF_EXISTS)
    builder.download_and_prepare(download_config=config)
    version = find_prepared(root)
    if version is None:
        raise RuntimeError(f"prepare_full_mnist: tensorflow-datasets finished but no array_record files are in {root}")
    print(f"MNIST {version} prepared in {root / TFDS_NAME / version}")
    return root / TFDS_NAME / version


def _split_to_arrays(source, split):
    """Decode every example of a tfds data source into uint8 images (N, 28, 28) and labels (N,)."""
    n = len(source)
    images = np.empty((n,) + IMAGE_SHAPE, dtype=np.uint8)
    labels = np.empty(n, dtype=np.int64)
    for i in range(n):
        example = source[i]
        image = np.asarray(example["image"])
        if image.shape not in (IMAGE_SHAPE, IMAGE_SHAPE + (1,)):
            raise ValueError(f"load_mnist: MNIST {split} image {i} has shape {image.shape}, expected (28, 28, 1)")
        images[i] = image.reshape(IMAGE_SHAPE)
        labels[i] = example["label"]
    if n and (labels.min() < 0 or labels.max() >= N_CLASSES):
        raise ValueError(f"load_mnist: MNIST {split} labels run from {labels.min()} to {labels.max()}, expected 0..9")
    return images, labels.astype(np.uint8)


def _stamp(version_dir):
    """Names, sizes and modification times of the prepared files: the cache is valid while they match."""
    files = sorted(version_dir.glob(f"{TFDS_NAME}-*.array_record*")) + [version_dir / "dataset_info.json"]
    return ";".join(f"{f.name}:{f.stat().st_size}:{f.stat().st_mtime_ns}" for f in files)


def _load_tfds(root, version, cache=True):
    """Full MNIST from a prepared tensorflow-datasets directory, as uint8 arrays.

    Decoding 70,000 PNG-encoded examples one by one takes about half a minute,
    so the arrays are saved once, uncompressed, beside the prepared files
    (``CACHE_FILE``) and read from there while those files are unchanged.
    """
    version_dir = root / TFDS_NAME / version
    cache_file, stamp = version_dir / CACHE_FILE, _stamp(version_dir)
    if cache and cache_file.is_file():
        try:
            with np.load(cache_file) as saved:
                if str(saved["stamp"]) == stamp:
                    return tuple(saved[key] for key in _Fields._fields)
        except (OSError, ValueError, KeyError):
            pass  # unreadable or from other files: read the data set again
    import tensorflow_datasets as tfds

    train, test = tfds.data_source(
        f"{TFDS_NAME}:{version}",
        split=["train", "test"],
        data_dir=os.fspath(root),
        download=False,  # never reach for the network from here
        builder_kwargs={"file_format": "array_record"},
    )
    arrays = _split_to_arrays(train, "train") + _split_to_arrays(test, "test")
    if cache:
        partial = cache_file.with_name(cache_file.name + ".partial")
        try:
            with open(partial, "wb") as f:
                np.savez(f, stamp=np.array(stamp), **dict(zip(_Fields._fields, arrays)))
            os.replace(partial, cache_file)
        except OSError:
            partial.unlink(missing_ok=True)  # a read-only data dir: just do without the cache
    return arrays


def _not_prepared_error(root):
    hint = ""
    if _prepared_without_array_record(root):
        hint = " (MNIST is there, but not as array_record files, which tfds.data_source needs)"
    return FileNotFoundError(
        f"load_mnist(source='tfds'): full MNIST is not prepared in {root}{hint}. "
        f"Run `{FIX_COMMAND}` once to download and prepare it (it needs the network and installs TensorFlow), "
        "or set TFDS_DATA_DIR to where it was prepared, or use source='embedded' for the 5,000 digits "
        "that ship with the book."
    )


def load_mnist(source="auto", flat=True, one_hot=False, dtype=np.float64, data_dir=None, verbose=True, cache=True):
    """MNIST as numpy arrays ``(x_train, y_train, x_test, y_test)``.

    Parameters
    ----------
    source : {"auto", "tfds", "embedded"}
        ``"tfds"`` reads full MNIST prepared by ``make mnist`` and raises
        ``FileNotFoundError`` (naming that command) when it is not there;
        ``"embedded"`` takes the 5,000 digits shipped with the book (4,000
        train, 1,000 test); ``"auto"`` takes full MNIST when it is prepared
        and tensorflow-datasets is installed, the embedded subset otherwise.
        Nothing is ever downloaded.
    flat : bool
        Images as rows of 784 pixels ``(N, 784)`` (True) or as ``(N, 28, 28)``.
    one_hot : bool
        Labels as one-hot rows ``(N, 10)`` of ``dtype`` (True) or as integer
        digits ``(N,)`` of int64 (False).
    dtype : float32 or float64
        Type of the pixels (and of one-hot labels). Pixels are ``value / 255``,
        so they lie in ``[0, 1]``.
    data_dir : path, optional
        The tensorflow-datasets data directory; default ``$TFDS_DATA_DIR`` or
        ``~/tensorflow_datasets``.
    verbose : bool
        Print one line saying which data was loaded.
    cache : bool
        Full MNIST only: keep the decoded arrays in ``bplib-arrays.npz`` beside
        the prepared files (55 MB) and read them from there next time, which
        takes a fraction of a second instead of about half a minute.

    Returns
    -------
    MNISTData
        A named tuple ``(x_train, y_train, x_test, y_test)`` with attributes
        ``source`` (``"tfds"`` or ``"embedded"``) and ``description``.
    """
    if not isinstance(source, str) or source not in SOURCES:
        raise ValueError(f"load_mnist: source must be one of {SOURCES}, got {source!r}")
    dtype = data.digits_format(flat, one_hot, dtype, "load_mnist")
    for name, value in (("verbose", verbose), ("cache", cache)):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"load_mnist: {name} must be True or False, got {value!r}")
    if data_dir is not None and not isinstance(data_dir, (str, os.PathLike)):
        raise TypeError(f"load_mnist: data_dir must be a path or None, got {type(data_dir).__name__}")

    root = tfds_data_dir(data_dir)
    chosen, note = source, ""
    if source != "embedded":
        version = find_prepared(root)
        if source == "tfds":
            if version is None:
                raise _not_prepared_error(root)
            if not _tfds_installed():
                raise RuntimeError(
                    "load_mnist(source='tfds'): reading full MNIST needs tensorflow-datasets: "
                    f'pip install -e ".[mnist]" (`{FIX_COMMAND}` installs it)'
                )
        elif version is not None and _tfds_installed():
            chosen = "tfds"
        else:
            chosen = "embedded"
            if version is not None:
                note = "; full MNIST is prepared but tensorflow-datasets is not installed"
            else:
                note = f"; run `{FIX_COMMAND}` for the full 70,000"

    if chosen == "tfds":
        x_train, y_train, x_test, y_test = _load_tfds(root, version, cache)
        what = f"full MNIST {version} via tensorflow-datasets"

        def images(x):
            x = x.astype(dtype) / dtype.type(255)
            return x.reshape(len(x), -1) if flat else x

        def labels(y):
            y = y.astype(np.int64)
            return _one_hot(y, N_CLASSES).astype(dtype, copy=False) if one_hot else y

        arrays = images(x_train), labels(y_train), images(x_test), labels(y_test)
    else:
        arrays = data.load_digits(flat=flat, one_hot=one_hot, dtype=dtype)
        what = "the embedded subset of MNIST (bplib/embedded/mnist_5k.npz)"
    description = f"MNIST: {what}, {len(arrays[0]):,} training and {len(arrays[2]):,} test images{note}"
    if verbose:
        print(description)
    result = MNISTData(*arrays)
    result.source, result.description = chosen, description
    return result
