"""Per-sample SGD: bplib.fit against a bare numpy loop and PyTorch, in one run; and the batch-128 check.

Classic walkthroughs of backpropagation train one example at a time. At that
size the arithmetic is tiny and what a step costs is the bookkeeping around it,
so this is where a library's overhead shows. The network is the regression
chapter's 1-10-1 (sigmoid hidden layer, linear output, squared error) on its 63
points of one period of the sine, plain SGD with learning rate 0.5:

* **bplib**: ``bplib.fit(..., batch_size=1)``, every check included, history
  recorded once at the end (``eval_every`` = the number of epochs);
* **bare numpy loop**: the same network written as the shortest numpy loop,
  one example per step (``z = x W + b``, ``1 / (1 + exp(-z))``, the gradients
  and four in-place updates), with no checks at all;
* **PyTorch** (when installed): ``nn.Sequential(Linear, Sigmoid, Linear)``,
  ``MSELoss``, ``optim.SGD``, one example per step.

All three start from the same weights, visit the examples in the same shuffled
order and make the same updates; the script checks that their weights agree
after the run before it reports any time. Each contender runs a fixed number of
epochs per repeat; repeats are interleaved (the order rotating), and the table
gives the median CPU time per step (the process's CPU time is far less disturbed
than wall-clock time by other programs on a shared machine) and the median
wall-clock time.

The same run also repeats the batch-128 comparison of ``speed.py`` (784-128-10
ReLU, softmax cross-entropy, float32 and float64), bplib against PyTorch, so that
both ratios come from one run.

Everything runs with one BLAS thread, the book's thread policy (``bplib.fit``
limits itself to one; the variables below are set before numpy is imported so
that the loop and PyTorch get the same).

Usage::

    python benchmarks/per_sample.py             # prints the table, writes per_sample.json
    python benchmarks/per_sample.py --no-save   # print only
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

for _name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
    os.environ[_name] = "1"

import numpy as np  # noqa: E402

import bplib  # noqa: E402

HERE = Path(__file__).resolve().parent
LR = 0.5
HIDDEN = 10


def cpu_and_wall(run):
    wall, cpu = time.perf_counter(), time.process_time()
    steps = run()
    return (time.process_time() - cpu) / steps, (time.perf_counter() - wall) / steps


def start_weights():
    net = bplib.Network.mlp([1, HIDDEN, 1], hidden="sigmoid", rng=np.random.default_rng(0))
    dense = [layer for layer in net.layers if isinstance(layer, bplib.Dense)]
    return [(d.params["W"].copy(), d.params["b"].copy()) for d in dense]


def bplib_contender(x, t, epochs):
    (W1, b1), (W2, b2) = start_weights()
    net = bplib.Network([bplib.Dense.from_weights(W1, b1), bplib.Sigmoid(), bplib.Dense.from_weights(W2, b2)])
    rng = np.random.default_rng(1)
    loss, sgd = bplib.MSE(), bplib.SGD(LR)

    def run():
        bplib.fit(net, loss, sgd, x, t, epochs=epochs, batch_size=1, rng=rng, eval_every=epochs)
        return epochs * len(x)

    def weights():
        return [net.layers[i].params[k] for i in (0, 2) for k in ("W", "b")]

    return run, weights


def bare_loop_contender(x, t, epochs):
    (W1, b1), (W2, b2) = start_weights()
    params = [W1, b1, W2, b2]
    rng = np.random.default_rng(1)
    n = len(x)

    def run():
        W1, b1, W2, b2 = params  # local names for the same arrays, updated in place
        for _ in range(epochs):
            order = rng.permutation(n)
            xs, ts = x[order], t[order]
            for i in range(n):
                xi, ti = xs[i : i + 1], ts[i : i + 1]
                z1 = xi @ W1
                z1 += b1
                a1 = 1.0 / (1.0 + np.exp(-z1))
                y = a1 @ W2
                y += b2
                d2 = y - ti  # dL/dy for L = 0.5 (y - t)^2 and one example
                dW2 = a1.T @ d2
                db2 = d2.sum(axis=0)
                d1 = (d2 @ W2.T) * (a1 * (1.0 - a1))
                dW1 = xi.T @ d1
                db1 = d1.sum(axis=0)
                W1 -= LR * dW1
                b1 -= LR * db1
                W2 -= LR * dW2
                b2 -= LR * db2
        return epochs * n

    return run, lambda: params


def torch_contender(x, t, epochs):
    import torch

    (W1, b1), (W2, b2) = start_weights()
    model = torch.nn.Sequential(torch.nn.Linear(1, HIDDEN), torch.nn.Sigmoid(), torch.nn.Linear(HIDDEN, 1)).double()
    with torch.no_grad():
        for linear, (W, b) in zip((model[0], model[2]), ((W1, b1), (W2, b2))):
            linear.weight.copy_(torch.from_numpy(W.T.copy()))
            linear.bias.copy_(torch.from_numpy(b))
    # MSELoss averages over the elements: 0.5 * that is bplib's L for one example.
    mse, sgd = torch.nn.MSELoss(), torch.optim.SGD(model.parameters(), lr=LR)
    tx, tt = torch.from_numpy(x), torch.from_numpy(t)
    rng = np.random.default_rng(1)
    n = len(x)

    def run():
        for _ in range(epochs):
            order = torch.from_numpy(rng.permutation(n))
            xs, ts = tx[order], tt[order]
            for i in range(n):
                sgd.zero_grad()
                (0.5 * mse(model(xs[i : i + 1]), ts[i : i + 1])).backward()
                sgd.step()
        return epochs * n

    def weights():
        return [p.detach().numpy().T if p.ndim == 2 else p.detach().numpy() for p in
                (model[0].weight, model[0].bias, model[2].weight, model[2].bias)]

    return run, weights


def per_sample(repeats, epochs, have_torch):
    x, t = bplib.data.sine_curve(step=0.1)
    makers = {"bplib.fit": bplib_contender, "bare numpy loop": bare_loop_contender}
    if have_torch:
        makers["PyTorch"] = torch_contender
    contenders = {name: make(x, t, epochs) for name, make in makers.items()}
    times = {name: {"cpu": [], "wall": []} for name in contenders}
    keys = list(contenders)
    for r in range(repeats):
        for name in keys[r % len(keys):] + keys[: r % len(keys)]:
            cpu, wall = cpu_and_wall(contenders[name][0])
            times[name]["cpu"].append(cpu)
            times[name]["wall"].append(wall)
    # Same data, same order, same updates: the weights must agree to rounding.
    reference = contenders["bare numpy loop"][1]()
    agreement = {name: max(bplib.relative_error(np.reshape(a, np.shape(b)), b)
                           for a, b in zip(get(), reference)) for name, (_, get) in contenders.items()}
    if max(agreement.values()) > 1e-9:
        raise AssertionError(f"the contenders did not make the same updates: {agreement}")
    return {name: {"cpu_us": 1e6 * float(np.median(v["cpu"])), "wall_us": 1e6 * float(np.median(v["wall"])),
                   "cpu_us_all": [1e6 * s for s in v["cpu"]], "agreement": agreement[name]}
            for name, v in times.items()}


def batch_128(repeats, have_torch):
    """bplib against PyTorch at batch 128, 784-128-10, with speed.py's own contenders."""
    if not have_torch:
        return {}
    import speed  # beside this script (a script's own folder is on the import path)

    rows = {}
    for dtype in (np.float32, np.float64):
        x, labels = speed.make_data(2560, dtype)
        contenders = {"bplib": speed.bplib_trainer(x, labels, 128, dtype),
                      "PyTorch": speed.torch_trainer(x, labels, 128, dtype)}
        medians = speed.interleaved(contenders, repeats)
        rows[dtype.__name__] = {name: {"samples_per_cpu_s": 1 / m["cpu"], "samples_per_s": 1 / m["wall"]}
                                for name, m in medians.items()}
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--epochs", type=int, default=20, help="epochs of 63 steps per repeat and contender")
    parser.add_argument("--no-save", action="store_true")
    args = parser.parse_args()
    try:
        import torch

        torch.set_num_threads(1)
        torch_version = torch.__version__
    except ImportError:
        torch_version = None
    load = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
    rows = per_sample(args.repeats, args.epochs, torch_version is not None)
    big = batch_128(max(5, args.repeats // 2), torch_version is not None)
    bare = rows["bare numpy loop"]
    print(f"Per-sample SGD, 1-{HIDDEN}-1 sigmoid network, 63 points, {args.epochs} epochs per repeat, "
          f"{args.repeats} repeats (medians), one BLAS thread; load average {load} at the start")
    print(f"{'contender':18s} {'CPU us/step':>12s} {'wall us/step':>13s} {'CPU time / bare loop':>21s}")
    for name, row in rows.items():
        print(f"{name:18s} {row['cpu_us']:12.1f} {row['wall_us']:13.1f} {row['cpu_us'] / bare['cpu_us']:20.2f}x")
    ratio = rows["bplib.fit"]["cpu_us"] / bare["cpu_us"]
    print(f"goal: bplib.fit / bare loop <= 2.0, aim 1.5 (CPU time): {ratio:.2f}")
    for dtype, r in big.items():
        print(f"batch 128, 784-128-10, {dtype}: bplib / PyTorch throughput {r['bplib']['samples_per_cpu_s'] / r['PyTorch']['samples_per_cpu_s']:.2f} "
              f"(CPU), {r['bplib']['samples_per_s'] / r['PyTorch']['samples_per_s']:.2f} (wall); goal >= 1.0")
    if not args.no_save:
        result = {"date": time.strftime("%Y-%m-%d %H:%M"), "python": sys.version.split()[0], "numpy": np.__version__,
                  "torch": torch_version, "load_average_at_start": load, "repeats": args.repeats,
                  "epochs_per_repeat": args.epochs, "per_sample": rows, "batch_128": big,
                  "ratio_bplib_over_bare_loop_cpu": ratio}
        (HERE / "per_sample.json").write_text(json.dumps(result, indent=1) + "\n")
        print(f"saved {HERE / 'per_sample.json'}")


if __name__ == "__main__":
    main()
