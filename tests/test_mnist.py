"""Tests of bplib.course.mnist: the embedded subset (read by bplib.data.load_digits), the tensorflow-datasets path, and the choice between them.

The tensorflow-datasets path runs for real (``tfds.data_source`` and the
decoding of its examples into arrays), offline, under
``tfds.testing.mock_data``, which replaces the examples on disk with random
ones of the right features. A "prepared" data set is simulated by writing
the directory layout that preparing creates (``mnist/3.0.1/dataset_info.json``
and empty array_record files): bplib decides from that layout alone, and
mock_data supplies the examples.
"""

import time
from pathlib import Path

import numpy as np
import pytest

from bplib import data
from bplib.course import mnist

N_MOCK = 24


@pytest.fixture
def tfds():
    """tensorflow_datasets, or a skip for the tests that need it (the embedded subset needs nothing)."""
    return pytest.importorskip("tensorflow_datasets", reason="tensorflow_datasets is not installed (pip install -e '.[mnist]')")


def fake_prepared(data_dir, version="3.0.1", formats=("array_record",)):
    """Write the files preparing MNIST leaves behind, with no data in them."""
    version_dir = data_dir / "mnist" / version
    version_dir.mkdir(parents=True)
    (version_dir / "dataset_info.json").write_text('{"name": "mnist", "version": "%s"}' % version)
    for fmt in formats:
        for split in ("train", "test"):
            (version_dir / f"mnist-{split}.{fmt}-00000-of-00001").touch()
    return version_dir


@pytest.fixture
def empty_dir(tmp_path, monkeypatch):
    """An empty TFDS data dir, also set as TFDS_DATA_DIR."""
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path))
    return tmp_path


@pytest.fixture
def mocked_dir(empty_dir, tfds):
    """A data dir laid out as if MNIST were prepared, with mock_data supplying the examples."""
    fake_prepared(empty_dir)
    with tfds.testing.mock_data(num_examples=N_MOCK):
        yield empty_dir


# --- the embedded subset, on the real file -------------------------------------------------


def test_embedded_file_holds_5000_real_digits():
    with np.load(data.mnist_embedded_path()) as archive:
        images, labels = archive["images"], archive["labels"]
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (5000,) and labels.dtype == np.uint8
    assert np.bincount(labels, minlength=10).tolist() == [500] * 10
    # Real digits: black background, a stroke of bright pixels, no blank images.
    assert images.max() == 255 and images.min() == 0
    ink = (images > 127).sum(axis=(1, 2))
    assert ink.min() > 10 and np.median(ink) < 250
    assert (images[:, 0, :] == 0).mean() > 0.99  # the top row is background


def test_embedded_split(capsys):
    data = mnist.load_mnist("embedded")
    x_train, y_train, x_test, y_test = data
    assert data.source == "embedded"
    assert "embedded" in capsys.readouterr().out
    assert x_train.shape == (4000, 784) and x_test.shape == (1000, 784)
    assert x_train.dtype == np.float64 and y_train.dtype == np.int64
    assert 0.0 <= x_train.min() and x_train.max() == 1.0
    assert np.bincount(y_train).tolist() == [400] * 10
    assert np.bincount(y_test).tolist() == [100] * 10
    # Interleaved by digit, so a prefix of 1,000 holds 100 of each.
    assert y_train[:20].tolist() == list(range(10)) * 2
    assert np.bincount(y_train[:1000]).tolist() == [100] * 10
    # Train and test share no image.
    train_rows = {row.tobytes() for row in x_train}
    assert not any(row.tobytes() in train_rows for row in x_test)


def test_embedded_is_deterministic_and_matches_the_file():
    a = mnist.load_mnist("embedded", verbose=False)
    b = mnist.load_mnist("embedded", verbose=False)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    with np.load(data.mnist_embedded_path()) as archive:
        images, labels = archive["images"], archive["labels"]
    first_three = images[labels == 3][0]
    index = np.flatnonzero(a.y_train == 3)[0]
    np.testing.assert_array_equal(a.x_train[index], first_three.reshape(-1) / 255.0)


def test_embedded_options():
    data = mnist.load_mnist("embedded", flat=False, one_hot=True, dtype=np.float32, verbose=False)
    assert data.x_train.shape == (4000, 28, 28) and data.x_train.dtype == np.float32
    assert data.y_train.shape == (4000, 10) and data.y_train.dtype == np.float32
    np.testing.assert_array_equal(data.y_train.sum(axis=1), 1.0)
    plain = mnist.load_mnist("embedded", verbose=False)
    np.testing.assert_array_equal(np.argmax(data.y_test, axis=1), plain.y_test)
    np.testing.assert_allclose(data.x_test.reshape(1000, -1), plain.x_test, atol=1e-7)


def test_missing_embedded_file_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setattr(data, "mnist_embedded_path", lambda: tmp_path / "mnist_5k.npz")
    with pytest.raises(FileNotFoundError, match="make_mnist_subset"):
        mnist.load_mnist("embedded")


def test_bad_arguments():
    with pytest.raises(ValueError, match="source"):
        mnist.load_mnist("kaggle")
    with pytest.raises(TypeError, match="dtype"):
        mnist.load_mnist("embedded", dtype=np.int32)


# --- full MNIST through tensorflow-datasets (mocked examples) -----------------------------


def test_tfds_path_shapes_dtypes_and_scaling(mocked_dir):
    data = mnist.load_mnist("tfds", cache=False)
    assert data.source == "tfds"
    x_train, y_train, x_test, y_test = data
    assert x_train.shape == (N_MOCK, 784) and x_test.shape == (N_MOCK, 784)
    assert x_train.dtype == np.float64
    assert 0.0 <= x_train.min() and x_train.max() <= 1.0
    assert x_train.max() > 0.5  # random mock pixels span 0..255, so they were divided by 255 once
    assert np.allclose(x_train * 255, np.round(x_train * 255))
    assert y_train.shape == (N_MOCK,) and y_train.dtype == np.int64
    assert 0 <= y_train.min() and y_train.max() <= 9


def test_tfds_path_options(mocked_dir):
    flat = mnist.load_mnist("tfds", cache=False, verbose=False)
    square = mnist.load_mnist("tfds", flat=False, one_hot=True, dtype=np.float32, cache=False, verbose=False)
    assert square.x_train.shape == (N_MOCK, 28, 28) and square.x_train.dtype == np.float32
    assert square.y_train.shape == (N_MOCK, 10) and square.y_train.dtype == np.float32
    np.testing.assert_array_equal(square.y_train.sum(axis=1), 1.0)
    np.testing.assert_array_equal(np.argmax(square.y_train, axis=1), flat.y_train)
    np.testing.assert_allclose(square.x_train.reshape(N_MOCK, -1), flat.x_train, atol=1e-7)


def test_tfds_cache_round_trip(mocked_dir):
    first = mnist.load_mnist("tfds", verbose=False)
    cache_file = mocked_dir / "mnist" / "3.0.1" / mnist.CACHE_FILE
    assert cache_file.is_file()
    with np.load(cache_file) as saved:
        assert saved["x_train"].dtype == np.uint8 and saved["x_train"].shape == (N_MOCK, 28, 28)
    second = mnist.load_mnist("tfds", verbose=False)
    for u, v in zip(first, second):
        np.testing.assert_array_equal(u, v)
    # Touching the prepared files invalidates the cache: it is rebuilt rather than trusted.
    (mocked_dir / "mnist" / "3.0.1" / "mnist-train.array_record-00000-of-00001").write_bytes(b"x")
    with np.load(cache_file) as saved:
        old_stamp = str(saved["stamp"])
    mnist.load_mnist("tfds", verbose=False)
    with np.load(cache_file) as saved:
        assert str(saved["stamp"]) != old_stamp


def test_tfds_not_prepared_fails_fast_naming_make_mnist(empty_dir):
    start = time.perf_counter()
    with pytest.raises(FileNotFoundError, match="make mnist"):
        mnist.load_mnist("tfds")
    with pytest.raises(FileNotFoundError, match="make mnist"):
        mnist.load_mnist("tfds", data_dir=empty_dir / "elsewhere")
    assert time.perf_counter() - start < 5.0


def test_tfrecord_only_does_not_count_as_prepared(empty_dir):
    fake_prepared(empty_dir, formats=("tfrecord",))
    assert mnist.find_prepared() is None
    with pytest.raises(FileNotFoundError, match="array_record"):
        mnist.load_mnist("tfds")


def test_data_dir_follows_the_environment(empty_dir, monkeypatch, tmp_path_factory):
    assert mnist.tfds_data_dir() == empty_dir
    other = tmp_path_factory.mktemp("other")
    assert mnist.tfds_data_dir(other) == other
    monkeypatch.delenv("TFDS_DATA_DIR")
    assert mnist.tfds_data_dir().name == "tensorflow_datasets"


def test_find_prepared_picks_the_newest_complete_version(empty_dir):
    assert mnist.find_prepared() is None
    fake_prepared(empty_dir, "3.0.1")
    fake_prepared(empty_dir, "10.0.0")
    incomplete = empty_dir / "mnist" / "11.0.0"
    incomplete.mkdir()
    (incomplete / "mnist-train.array_record-00000-of-00001").touch()
    assert mnist.find_prepared() == "10.0.0"


# --- source="auto" ----------------------------------------------------------------------------


def test_auto_picks_embedded_when_nothing_is_prepared(empty_dir, capsys):
    start = time.perf_counter()
    data = mnist.load_mnist()
    assert time.perf_counter() - start < 5.0
    assert data.source == "embedded" and data.x_train.shape == (4000, 784)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "embedded" in out[0] and "make mnist" in out[0]


def test_auto_picks_tfds_when_prepared(mocked_dir, capsys):
    data = mnist.load_mnist(cache=False)
    assert data.source == "tfds" and data.x_train.shape == (N_MOCK, 784)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "tensorflow-datasets" in out[0]


def test_auto_falls_back_when_tfds_is_not_installed(mocked_dir, monkeypatch, capsys):
    monkeypatch.setattr(mnist, "_tfds_installed", lambda: False)
    assert mnist.load_mnist().source == "embedded"
    assert "not installed" in capsys.readouterr().out
    with pytest.raises(RuntimeError, match="tensorflow-datasets"):
        mnist.load_mnist("tfds")


def test_prepare_is_a_no_op_when_prepared(mocked_dir, capsys):
    assert mnist.prepare_full_mnist() == mocked_dir / "mnist" / "3.0.1"
    assert "already prepared" in capsys.readouterr().out


def test_prepare_without_tensorflow_says_what_to_install(empty_dir, monkeypatch):
    monkeypatch.setattr(mnist, "_installed", lambda module: module != "tensorflow")
    start = time.perf_counter()
    with pytest.raises(RuntimeError, match=r"mnist-prepare.*make mnist"):
        mnist.prepare_full_mnist()
    assert time.perf_counter() - start < 5.0


def test_a_wheel_of_bplib_carries_the_embedded_digits(tmp_path):
    """`pip install .` or from a git URL (Colab) must bring the digits: they are package data."""
    import shutil
    import subprocess
    import sys
    import zipfile

    root = Path(__file__).resolve().parent.parent
    # A copy of what a build reads, so that the build leaves nothing in the source tree.
    source = tmp_path / "source"
    shutil.copytree(root / "bplib", source / "bplib", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, source / name)
    # --no-build-isolation: build with this environment's setuptools, offline.
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                           "--disable-pip-version-check", "-q", "-w", str(tmp_path), str(source)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (wheel,) = tmp_path.glob("bplib-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert "bplib/embedded/mnist_5k.npz" in names and "bplib/embedded/README.md" in names, sorted(names)
        # the course subpackage travels with the core: a chapter opened in Colab imports both
        assert {"bplib/course/mnist.py", "bplib/course/exercises/ch05.py"} <= names, sorted(names)
        with archive.open("bplib/embedded/mnist_5k.npz") as packed:
            assert packed.read() == data.mnist_embedded_path().read_bytes()
