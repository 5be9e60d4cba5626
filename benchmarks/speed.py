"""How fast does bplib train, against a per-sample loop and against PyTorch, and where does the time go?

The network is the one MNIST chapters use: 784-128-10, ReLU hidden layer,
softmax cross-entropy on the logits, plain SGD. The data are MNIST-shaped
random numbers (pixels in [0, 1), labels 0-9): speed does not depend on what the
pixels show, and no download is needed.

Three measurements, each at one and at two BLAS threads (``--threads``):

1. Training throughput (samples per second) at batch size 128 and 1, in
   float32 and float64, for
   * bplib, through ``bplib.fit``, exactly as the chapters train;
   * the per-sample loop of ``naive_loop.py`` (one example at a time, column
     vectors), the way classic first examples train;
   * PyTorch on the CPU (``nn.Sequential`` of ``Linear``/``ReLU``/``Linear``,
     ``CrossEntropyLoss``, ``optim.SGD``), when it is installed.
   Every contender starts from the same weights, sees the same shuffled
   mini-batches, and makes the same update.
2. bplib's forward-plus-backward time against the time of its matrix products
   alone, done with ``np.dot`` into preallocated arrays: that is the BLAS bound,
   what no numpy code on this machine can beat.
3. The cost of the backward pass over the cost of the forward pass, for bplib,
   the matrix products alone, and PyTorch.

Before timing anything, the script checks that the three contenders compute
the same gradients from the same weights and batch (float64, relative error
below 1e-10), so the comparison is between three ways of doing one computation.

Each timing is taken on two clocks: wall-clock time, and the CPU time of the
process, which other programs on the machine disturb far less. Contenders are
timed in turn within every repeat (the order rotating from one repeat to the
next), so a burst of load from other processes hits all of them alike, and the
tables report medians.
The thread count is set for every BLAS numpy may use (``OPENBLAS_NUM_THREADS``,
``MKL_NUM_THREADS``, ``OMP_NUM_THREADS``) before numpy is imported, and with
``torch.set_num_threads`` for PyTorch, so both sides get the same number.

Usage::

    python benchmarks/speed.py            # full run: prints the tables, saves them
    python benchmarks/speed.py --quick    # fewer repeats, for a first look
    python benchmarks/speed.py --no-save  # print only

Saving writes ``benchmarks/results.json`` and rewrites the results section of
``benchmarks/README.md``.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SIZES = [784, 128, 10]
EPOCH = 60_000  # samples in an MNIST epoch, to turn throughput into seconds per epoch
LR = 0.01
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


# --------------------------------------------------------------------- timing
class Clock:
    """Wall-clock and CPU time together: ``with Clock() as c: ...`` then ``c.wall``, ``c.cpu``.

    Wall-clock time is what a reader waits. CPU time (of the whole process, all
    its threads) is what the work cost, and is far less disturbed by other
    processes competing for the same cores.
    """

    def __enter__(self):
        self.wall, self.cpu = -time.perf_counter(), -time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall += time.perf_counter()
        self.cpu += time.process_time()


def median(values):
    values = sorted(values)
    mid = len(values) // 2
    return float(values[mid]) if len(values) % 2 else float(values[mid - 1] + values[mid]) / 2


def interleaved(contenders, repeats):
    """Run every contender once per repeat, in an order that rotates; return median seconds per sample.

    ``contenders`` maps a key to a function that does a fixed amount of work
    and returns ``(wall_seconds, cpu_seconds, samples)``. The result maps each
    key to ``{"wall": ..., "cpu": ...}``, medians over the repeats.
    """
    keys = list(contenders)
    per_sample = {key: {"wall": [], "cpu": []} for key in keys}
    for r in range(repeats):
        for key in keys[r % len(keys) :] + keys[: r % len(keys)]:
            wall, cpu, samples = contenders[key]()
            per_sample[key]["wall"].append(wall / samples)
            per_sample[key]["cpu"].append(cpu / samples)
    return {key: {clock: median(v) for clock, v in times.items()} for key, times in per_sample.items()}


# ---------------------------------------------------------------- contenders
def make_data(n, dtype, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    return rng.random((n, SIZES[0])).astype(dtype), rng.integers(0, SIZES[-1], n)


def initial_weights(dtype, seed=1):
    import numpy as np

    import bplib

    net = bplib.Network.mlp(SIZES, hidden="relu", rng=np.random.default_rng(seed), dtype=dtype)
    return [(layer.params["W"].copy(), layer.params["b"].copy()) for layer in net.layers if isinstance(layer, bplib.Dense)]


def bplib_network(dtype):
    import numpy as np

    import bplib

    net = bplib.Network.mlp(SIZES, hidden="relu", rng=np.random.default_rng(1), dtype=dtype)
    return net, bplib.SoftmaxCrossEntropy(), bplib.SGD(LR)


def bplib_trainer(x, labels, batch, dtype):
    import numpy as np

    import bplib

    net, loss, opt = bplib_network(dtype)
    rng = np.random.default_rng(2)

    def run():
        with Clock() as clock:
            # blas_threads=None: this worker has set the thread count for every contender alike
            # (fit would otherwise train with one BLAS thread, the book's policy).
            history = bplib.fit(net, loss, opt, x, labels, epochs=1, batch_size=batch, rng=rng, blas_threads=None)
        # fit's own timer covers the training and leaves out its end-of-epoch
        # evaluation; take the CPU time in the same proportion.
        wall = history["seconds"][-1]
        return wall, clock.cpu * wall / clock.wall, len(x)

    return run


def loop_trainer(x, labels, batch, dtype):
    import numpy as np

    from naive_loop import PerSampleMLP

    weights = initial_weights(dtype)
    model = PerSampleMLP([W for W, _ in weights], [b for _, b in weights])
    rng = np.random.default_rng(2)

    def run():
        with Clock() as clock:
            model.train_epoch(x, labels, batch, LR, rng)
        return clock.wall, clock.cpu, len(x)

    return run


def torch_model(dtype):
    import torch

    tdtype = {"float32": torch.float32, "float64": torch.float64}[dtype.__name__]
    model = torch.nn.Sequential(torch.nn.Linear(SIZES[0], SIZES[1]), torch.nn.ReLU(), torch.nn.Linear(SIZES[1], SIZES[2]))
    model = model.to(tdtype)
    with torch.no_grad():
        for linear, (W, b) in zip([model[0], model[2]], initial_weights(dtype)):
            linear.weight.copy_(torch.from_numpy(W.T.copy()))  # torch stores (n_out, n_in)
            linear.bias.copy_(torch.from_numpy(b))
    return model, torch.nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=LR)


def torch_trainer(x, labels, batch, dtype):
    import numpy as np
    import torch

    model, loss_fn, opt = torch_model(dtype)
    tx, tt = torch.from_numpy(x), torch.from_numpy(labels)
    rng = np.random.default_rng(2)

    def run():
        with Clock() as clock:
            order = torch.from_numpy(rng.permutation(len(x)))
            for first in range(0, len(x), batch):
                idx = order[first : first + batch]
                opt.zero_grad()
                loss_fn(model(tx[idx]), tt[idx]).backward()
                opt.step()
        return clock.wall, clock.cpu, len(x)

    return run


def gradient_agreement(have_torch):
    """Largest relative error between bplib's float64 gradients and the other contenders'."""
    import numpy as np

    import bplib
    from naive_loop import PerSampleMLP

    x, labels = make_data(32, np.float64, seed=4)
    net, loss, _ = bplib_network(np.float64)
    net.train_step(x, labels, loss)
    dense = [layer for layer in net.layers if isinstance(layer, bplib.Dense)]
    mine = [g for d in dense for g in (d.grads["W"], d.grads["b"])]
    weights = initial_weights(np.float64)
    loop = PerSampleMLP([W for W, _ in weights], [b for _, b in weights])
    grad_W, grad_b = loop.gradients(x, labels)
    theirs = {"per-sample loop": [g for k in range(2) for g in (grad_W[k].T, grad_b[k].ravel())]}
    if have_torch:
        import torch

        model, loss_fn, _ = torch_model(np.float64)
        loss_fn(model(torch.from_numpy(x)), torch.from_numpy(labels)).backward()
        theirs["PyTorch"] = [g for lin in (model[0], model[2]) for g in (lin.weight.grad.numpy().T, lin.bias.grad.numpy())]
    return {name: max(bplib.relative_error(a, b) for a, b in zip(mine, grads)) for name, grads in theirs.items()}


# ------------------------------------------------------------ forward/backward
def parts(dtype, batch, steps, repeats, have_torch):
    """Median milliseconds of the forward and backward pass of one batch, for each contender."""
    import numpy as np

    x, labels = make_data(batch, dtype, seed=3)
    net, loss, _ = bplib_network(dtype)
    (W1, b1), (W2, b2) = initial_weights(dtype)
    h = np.maximum(x @ W1 + b1, 0)
    d2 = np.ones((batch, SIZES[2]), dtype) / batch
    d1 = np.ones((batch, SIZES[1]), dtype) / batch
    buf = {name: np.empty(shape, dtype) for name, shape in
           {"z1": (batch, 128), "z2": (batch, 10), "dW2": W2.shape, "dh": h.shape, "dW1": W1.shape, "dx": x.shape}.items()}

    def matmul_forward():
        np.dot(x, W1, out=buf["z1"])
        np.dot(h, W2, out=buf["z2"])

    def matmul_backward(with_dx):
        np.dot(h.T, d2, out=buf["dW2"])
        np.dot(d2, W2.T, out=buf["dh"])
        np.dot(x.T, d1, out=buf["dW1"])
        if with_dx:
            np.dot(d1, W1.T, out=buf["dx"])

    def bplib_forward():
        loss.forward(net.forward(x, training=True), labels)

    def bplib_backward(with_dx):
        net.backward(loss.backward(), input_grad=with_dx)

    pairs = {
        "bplib": (bplib_forward, bplib_backward),
        "matrix products only": (matmul_forward, matmul_backward),
    }
    if have_torch:
        import torch

        model, loss_fn, _ = torch_model(dtype)
        tx, tt = torch.from_numpy(x), torch.from_numpy(labels)
        state = {}

        def torch_forward():
            state["loss"] = loss_fn(model(tx), tt)

        def torch_backward(with_dx):  # the input never requires a gradient in PyTorch training
            state["loss"].backward()

        pairs["PyTorch"] = (torch_forward, torch_backward)

    def timed(forward, backward, which):
        def run():
            wall = cpu = 0.0
            for _ in range(steps):
                with Clock() as fwd:
                    forward()
                with Clock() as bwd:
                    backward(which == "backward_dx")
                part = fwd if which == "forward" else bwd
                wall, cpu = wall + part.wall, cpu + part.cpu
            return wall, cpu, steps

        return run

    contenders = {}
    for name, (forward, backward) in pairs.items():
        for which in ("forward", "backward", "backward_dx"):
            if which == "backward_dx" and name == "PyTorch":
                continue
            contenders[(name, which)] = timed(forward, backward, which)
    medians = interleaved(contenders, repeats)
    rows = []
    for name in pairs:
        row = {"contender": name, "dtype": dtype.__name__}
        for which in ("forward", "backward", "backward_dx"):
            if (name, which) in medians:
                for clock, seconds in medians[(name, which)].items():
                    row[f"{which}_ms_{clock}"] = seconds * 1e3
        rows.append(row)
    return rows


# --------------------------------------------------------------------- worker
def worker(threads, repeats, quick):
    """Everything measured at one thread count; returns a JSON-able dict."""
    import numpy as np

    try:
        import torch

        torch.set_num_threads(threads)
        torch_version = torch.__version__
    except ImportError:
        torch, torch_version = None, None

    agreement = gradient_agreement(torch is not None)
    if max(agreement.values()) > 1e-10:
        raise AssertionError(f"the contenders compute different gradients: {agreement}")
    # Samples per repeat: enough for tens of milliseconds of work for each contender.
    chunk = {
        ("bplib", 128): 1280 if quick else 2560,
        ("PyTorch", 128): 1280 if quick else 2560,
        ("per-sample loop", 128): 128 if quick else 256,
        ("bplib", 1): 100 if quick else 300,
        ("PyTorch", 1): 100 if quick else 300,
        ("per-sample loop", 1): 100 if quick else 300,
    }
    makers = {"bplib": bplib_trainer, "per-sample loop": loop_trainer}
    if torch is not None:
        makers["PyTorch"] = torch_trainer
    throughput = []
    for batch in (128, 1):
        for dtype in (np.float32, np.float64):
            contenders = {}
            for name, make in makers.items():
                x, labels = make_data(chunk[(name, batch)], dtype)
                contenders[name] = make(x, labels, batch, dtype)
            medians = interleaved(contenders, repeats)
            for name, seconds in medians.items():
                throughput.append({"contender": name, "dtype": dtype.__name__, "batch": batch,
                                   "samples_per_s": 1.0 / seconds["wall"], "samples_per_cpu_s": 1.0 / seconds["cpu"]})
    timing = []
    for dtype in (np.float32, np.float64):
        timing += parts(dtype, 128, steps=10 if quick else 20, repeats=repeats, have_torch=torch is not None)
    return {"threads": threads, "torch": torch_version, "agreement": agreement, "throughput": throughput,
            "parts": timing}


# --------------------------------------------------------------------- report
def lookup(rows, **match):
    for row in rows:
        if all(row.get(k) == v for k, v in match.items()):
            return row
    return None


def primary_clock(threads):
    """The clock the breakdown tables use: CPU time with one thread (it is the
    work, whatever else runs on the machine), wall-clock time with more (CPU
    time would add the threads up)."""
    return "cpu" if threads == 1 else "wall"


def split(row, clock):
    """Forward, backward and (if measured) backward-with-dL/dx milliseconds of a parts row."""
    return (row[f"forward_ms_{clock}"], row[f"backward_ms_{clock}"], row.get(f"backward_dx_ms_{clock}"))


def tables(results):
    """The results as Markdown tables (a list of lines)."""
    agreement = results["runs"][0].get("agreement", {})
    lines = ["Gradients of one float64 batch, relative error against bplib's: "
             + ", ".join(f"{name} {err:.0e}" for name, err in agreement.items()) + ".", ""]
    for run in results["runs"]:
        T, rows = run["threads"], run["throughput"]
        clock = primary_clock(T)
        lines += [f"#### {T} thread{'s' if T > 1 else ''}", "",
                  "Training throughput, 784-128-10 ReLU network, softmax cross-entropy, SGD "
                  "(an epoch is 60,000 samples):", "",
                  "| contender | dtype | batch | samples/s | s per epoch | bplib is faster by "
                  "| samples per CPU-second | bplib is faster by (CPU) |",
                  "|---|---|---:|---:|---:|---:|---:|---:|"]
        for batch in (128, 1):
            for row in rows:
                if row["batch"] != batch:
                    continue
                mine = lookup(rows, contender="bplib", dtype=row["dtype"], batch=batch)
                ratios = ["", ""] if row["contender"] == "bplib" else [
                    f"{mine[key] / row[key]:.2f}x" for key in ("samples_per_s", "samples_per_cpu_s")]
                lines.append(f"| {row['contender']} | {row['dtype']} | {batch} | {row['samples_per_s']:,.0f} | "
                             f"{EPOCH / row['samples_per_s']:,.1f} | {ratios[0]} | {row['samples_per_cpu_s']:,.0f} | "
                             f"{ratios[1]} |")
        lines += ["", f"Where the time of one batch of 128 goes ({'CPU' if clock == 'cpu' else 'wall-clock'} "
                  "milliseconds; backward without dL/dx unless said):", "",
                  "| contender | dtype | forward | backward | backward / forward | backward with dL/dx "
                  "| forward + backward over the matrix products alone |",
                  "|---|---|---:|---:|---:|---:|---:|"]
        for row in run["parts"]:
            f, b, dx = split(row, clock)
            bf, bb, _ = split(lookup(run["parts"], contender="matrix products only", dtype=row["dtype"]), clock)
            dx = "n/a" if dx is None else f"{dx:.2f} ({dx / f:.2f} x forward)"
            lines.append(f"| {row['contender']} | {row['dtype']} | {f:.2f} | {b:.2f} | {b / f:.2f} | {dx} | "
                         f"{(f + b) / (bf + bb):.2f} |")
        lines.append("")
    return lines


def goals(results):
    """Each goal with its measured value, as lines of text."""
    lines = []
    for run in results["runs"]:
        T, rows = run["threads"], run["throughput"]
        clock = primary_clock(T)
        for dtype in ("float32", "float64"):
            mine = lookup(rows, contender="bplib", dtype=dtype, batch=128)
            loop = lookup(rows, contender="per-sample loop", dtype=dtype, batch=128)
            torch = lookup(rows, contender="PyTorch", dtype=dtype, batch=128)
            f, b, _ = split(lookup(run["parts"], contender="bplib", dtype=dtype), clock)
            bf, bb, _ = split(lookup(run["parts"], contender="matrix products only", dtype=dtype), clock)
            text = [f"{T} thread(s), {dtype}:"]
            if torch:
                text.append("bplib / PyTorch {:.2f} wall, {:.2f} CPU (goal >= 1.0);".format(
                    *(mine[k] / torch[k] for k in ("samples_per_s", "samples_per_cpu_s"))))
            text.append("bplib / per-sample loop {:.0f}x wall, {:.0f}x CPU (goal >= 50);".format(
                *(mine[k] / loop[k] for k in ("samples_per_s", "samples_per_cpu_s"))))
            text.append(f"forward + backward / matrix products {(f + b) / (bf + bb):.2f} (goal <= 1.5)")
            lines.append(" ".join(text))
    return lines


def machine():
    import numpy as np

    info = {"python": platform.python_version(), "numpy": np.__version__, "cores": os.cpu_count()}
    try:
        with open("/proc/cpuinfo") as f:
            info["cpu"] = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        info["cpu"] = platform.processor() or "unknown"
    try:
        config = np.show_config(mode="dicts")
        blas = config["Build Dependencies"]["blas"]
        info["blas"] = f"{blas['name']} {blas.get('version', '')}".strip()
    except Exception:  # older numpy: no dict mode
        info["blas"] = "unknown"
    if hasattr(os, "getloadavg"):
        info["load_average_at_start"] = round(os.getloadavg()[0], 2)
    return info


README_START = "<!-- results:start -->"
README_END = "<!-- results:end -->"


def save(results):
    (HERE / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    readme = HERE / "README.md"
    text = readme.read_text() if readme.exists() else f"{README_START}\n{README_END}\n"
    head, _, rest = text.partition(README_START)
    _, _, tail = rest.partition(README_END)
    m = results["machine"]
    block = [README_START, "",
             f"Measured {results['date']} with `python benchmarks/speed.py` "
             f"({results['repeats']} interleaved repeats, medians) on {m['cores']} cores of an {m['cpu']}, "
             f"numpy {m['numpy']} with {m['blas']}, PyTorch {results['torch'] or 'not installed'}, "
             f"Python {m['python']}; load average {m.get('load_average_at_start', '?')} when the run began.", ""]
    block += tables(results) + ["Goals:", ""] + [f"- {line}" for line in goals(results)] + ["", README_END]
    readme.write_text(head + "\n".join(block) + tail)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="BLAS/torch thread counts to measure")
    parser.add_argument("--repeats", type=int, default=None, help="interleaved repeats (default 9, 5 with --quick)")
    parser.add_argument("--quick", action="store_true", help="fewer repeats and smaller chunks")
    parser.add_argument("--no-save", action="store_true", help="print the tables but write nothing")
    parser.add_argument("--worker", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    repeats = args.repeats or (5 if args.quick else 9)

    if args.worker is not None:  # a child process: the thread variables are already set
        print(json.dumps(worker(args.worker, repeats, args.quick)))
        return

    runs = []
    for threads in args.threads:
        env = dict(os.environ, **{name: str(threads) for name in THREAD_VARIABLES})
        command = [sys.executable, __file__, "--worker", str(threads), "--repeats", str(repeats)]
        command += ["--quick"] if args.quick else []
        print(f"measuring with {threads} thread(s)...", file=sys.stderr, flush=True)
        out = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    results = {
        "date": time.strftime("%Y-%m-%d"),
        "repeats": repeats,
        "machine": machine(),
        "torch": runs[0]["torch"],
        "runs": runs,
    }
    if results["torch"] is None:
        print("PyTorch is not installed: its rows are skipped (pip install torch==2.13.0, the CPU build).\n")
    print("\n".join(tables(results)))
    print("\n".join(goals(results)))
    if not args.no_save:
        save(results)
        print(f"\nsaved {HERE / 'results.json'} and the results section of {HERE / 'README.md'}")


if __name__ == "__main__":
    main()
