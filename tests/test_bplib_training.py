"""fit: its fast inner loop computes exactly what the checked public methods compute; divergence
keeps the finite history; parameters swapped by hand are refused by name; one BLAS thread."""

import numpy as np
import pytest
import threadpoolctl

import bplib as bp
from bplib.course import bugs


def sine_data():
    return bp.data.sine_curve(step=0.1)


def manual_training(network, loss, optimizer, x, t, epochs, batch_size, rng):
    """The loop fit replaces, written with the public, checked methods (and fit's one BLAS thread:
    with two, a long sum inside a matrix product may be added up in another order)."""
    with bp.train.blas_threads(1):
        for _ in range(epochs):
            order = rng.permutation(len(x))
            for first in range(0, len(x), batch_size):
                idx = order[first : first + batch_size]
                network.train_step(x[idx], t[idx], loss)
                optimizer.step(network)


@pytest.mark.parametrize("batch_size", [1, 7, None])
@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fit_makes_exactly_the_updates_of_train_step_and_sgd_step(batch_size, momentum, dtype):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype(dtype)
    labels = rng.integers(0, 3, 40)

    def make():
        r = np.random.default_rng(5)
        return bp.Network.mlp([3, 6, 3], hidden="relu", dropout=0.3, rng=r, dtype=dtype)

    net_fit, net_manual = make(), make()
    bp.fit(net_fit, bp.SoftmaxCrossEntropy(), bp.SGD(0.1, momentum), x, labels, epochs=3,
           batch_size=batch_size, rng=np.random.default_rng(1))
    manual_training(net_manual, bp.SoftmaxCrossEntropy(), bp.SGD(0.1, momentum), x, labels, 3,
                    batch_size or len(x), np.random.default_rng(1))
    for name, value in net_fit.get_weights().items():
        np.testing.assert_array_equal(value, net_manual.get_weights()[name], err_msg=name)


def test_fit_on_a_large_set_gathers_batches_and_still_matches():
    # Above 64 MB fit gathers each batch by index instead of copying the shuffled set; same numbers.
    rng = np.random.default_rng(0)
    x = rng.random((2100, 4000))  # 67 MB of float64
    t = rng.normal(size=(2100, 1))
    nets = [bp.Network([bp.Dense(4000, 1, init="zeros")]) for _ in range(2)]
    bp.fit(nets[0], bp.MSE(), bp.SGD(0.01), x, t, epochs=1, batch_size=700, rng=np.random.default_rng(3))
    manual_training(nets[1], bp.MSE(), bp.SGD(0.01), x, t, 1, 700, np.random.default_rng(3))
    np.testing.assert_array_equal(nets[0].layers[0].params["W"], nets[1].layers[0].params["W"])


def test_fit_honours_a_layer_that_overrides_the_public_backward():
    calls = []

    class CountingReLU(bp.ReLU):
        def backward(self, dout):
            calls.append(dout.shape)
            return super().backward(dout)

    x, t = sine_data()
    rng = np.random.default_rng(0)
    net = bp.Network([bp.Dense(1, 4, rng=rng), CountingReLU(), bp.Dense(4, 1, rng=rng)])
    bp.fit(net, bp.MSE(), bp.SGD(0.1), x, t, epochs=2, batch_size=9, rng=rng)
    assert len(calls) == 2 * 7


def test_fit_uses_a_planted_bug_exactly_as_the_checked_path_does():
    x, t = sine_data()

    def make():
        r = np.random.default_rng(2)
        return bp.Network([bp.Dense(1, 8, rng=r), bugs.ReLUGradAlwaysOne(), bp.Dense(8, 1, rng=r)])

    a, b = make(), make()
    bp.fit(a, bp.MSE(), bp.SGD(0.05), x, t, epochs=2, batch_size=1, rng=np.random.default_rng(4))
    manual_training(b, bp.MSE(), bp.SGD(0.05), x, t, 2, 1, np.random.default_rng(4))
    np.testing.assert_array_equal(a.layers[0].params["W"], b.layers[0].params["W"])
    correct = bp.Network([bp.Dense(1, 8, rng=np.random.default_rng(2)), bp.ReLU(), bp.Dense(8, 1, rng=np.random.default_rng(2))])
    bp.fit(correct, bp.MSE(), bp.SGD(0.05), x, t, epochs=2, batch_size=1, rng=np.random.default_rng(4))
    assert not np.array_equal(correct.layers[0].params["W"], a.layers[0].params["W"])


# --- divergence -------------------------------------------------------------

def blowing_up(batch_size):
    """A linear unit on inputs of spread 3 with lr = 10: every step multiplies the error by about -29."""
    x = np.linspace(-3.0, 3.0, 31)[:, None]
    t = 0.5 * x
    net = bp.Network([bp.Dense(1, 1, init="zeros")])
    history = bp.fit(net, bp.MSE(), bp.SGD(10.0), x, t, epochs=400, batch_size=batch_size,
                     rng=np.random.default_rng(0), validation=(x[::2], t[::2]))
    return net, history


@pytest.mark.parametrize("batch_size", [None, 1])
def test_a_blowing_up_learning_rate_keeps_its_finite_epochs(batch_size):
    net, history = blowing_up(batch_size)  # no exception, and no warning (warnings are errors here)
    assert history.diverged and history.diverged_at is not None
    kept = history["epoch"]
    assert len(kept) >= 3 and kept == list(range(1, len(kept) + 1))  # every epoch before it, in order
    assert history.diverged_at == kept[-1] + 1
    for key in ("loss", "val_loss", "seconds"):
        assert len(history[key]) == len(kept) and np.all(np.isfinite(history[key])), key
    assert history["loss"][-1] > 1e100 * history["loss"][0]  # it did blow up before it stopped
    assert "NaN or infinite" in history.divergence and f"epoch {history.diverged_at}" in history.divergence
    assert "DIVERGED" in repr(history)
    w = float(net.layers[0].params["W"][0, 0])  # huge or no longer a number: the run had gone
    assert not np.isfinite(w) or abs(w) > 1e150


def test_a_stable_run_is_not_flagged():
    x, t = sine_data()
    history = bp.fit(bp.Network.mlp([1, 5, 1], rng=np.random.default_rng(0)), bp.MSE(), bp.SGD(0.5), x, t,
                     epochs=5, rng=np.random.default_rng(1))
    assert not history.diverged and history.diverged_at is None and history.divergence is None
    assert history["epoch"] == [1, 2, 3, 4, 5]


def test_a_loss_that_turns_nan_with_finite_weights_stops_the_run_too():
    # The naive binary cross-entropy: right gradient, a value that becomes nan for confident outputs.
    x, labels = bp.data.sine_boundary()
    t = labels[:, None].astype(float)
    runs = {}
    for name, loss in (("stable", bp.BinaryCrossEntropy()), ("naive", bugs.NaiveBinaryCrossEntropy())):
        runs[name] = bp.fit(bp.Network.mlp([2, 32, 32, 1], hidden="relu", rng=np.random.default_rng(0)), loss,
                            bp.SGD(0.5, 0.9), x, t, 300, shuffle=False, eval_every=10)
    assert not runs["stable"].diverged and runs["naive"].diverged
    assert "loss on the training data" in runs["naive"].divergence
    n = len(runs["naive"]["loss"])
    np.testing.assert_allclose(runs["naive"]["loss"], runs["stable"]["loss"][:n], rtol=1e-9)


# --- parameters swapped by hand ----------------------------------------------

def swapped(change):
    rng = np.random.default_rng(0)
    net = bp.Network([bp.Dense(3, 2, rng=rng, name="hidden"), bp.Sigmoid(), bp.Dense(2, 1, rng=rng)])
    change(net.layers[0])
    return net


SWAPS = {
    "float32 W": lambda layer: layer.params.__setitem__("W", layer.params["W"].astype(np.float32)),
    "W of another shape": lambda layer: layer.params.__setitem__("W", np.zeros((3, 5))),
    "integer b": lambda layer: layer.params.__setitem__("b", np.zeros(2, dtype=np.int64)),
}


@pytest.mark.parametrize("change", SWAPS.values(), ids=SWAPS.keys())
@pytest.mark.parametrize("call", ["forward", "backward", "fit", "sgd"])
def test_a_parameter_swapped_by_hand_is_refused_naming_the_layer_and_the_parameter(change, call):
    x, t = np.ones((4, 3)), np.ones((4, 1))
    net = swapped(change)
    with pytest.raises(ValueError) as info:
        if call == "forward":
            net.forward(x)
        elif call == "backward":
            net.layers[0]._x = x  # as if forward had run before the swap
            net.layers[0].backward(np.ones((4, 2)))
        elif call == "fit":
            bp.fit(net, bp.MSE(), bp.SGD(0.1), x, t, epochs=1, rng=np.random.default_rng(0))
        else:
            bp.SGD(0.1).step(net)
    message = str(info.value)
    assert "Dense(3->" in message and ("'W'" in message or "'b'" in message), message


def test_a_callback_that_swaps_a_parameter_stops_fit_with_the_same_message():
    x, t = np.ones((4, 3)), np.ones((4, 1))
    net = swapped(lambda layer: None)

    def swap(epoch, network, history):
        network.layers[0].params["W"] = network.layers[0].params["W"].astype(np.float32)

    with pytest.raises(ValueError, match=r"Dense\(3->2\): parameter 'W'"):
        bp.fit(net, bp.MSE(), bp.SGD(0.1), x, t, epochs=3, rng=np.random.default_rng(0), callbacks=[swap])


# --- threads -------------------------------------------------------------------

def blas_threads_now():
    return [info["num_threads"] for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"]


def test_fit_trains_with_one_blas_thread_unless_told_otherwise():
    x, t = sine_data()
    seen = {}

    def look(key):
        def callback(epoch, network, history):
            seen[key] = blas_threads_now()
        return callback

    with threadpoolctl.threadpool_limits(2, user_api="blas"):
        bp.fit(bp.Network.mlp([1, 3, 1], rng=np.random.default_rng(0)), bp.MSE(), bp.SGD(0.1), x, t, 1,
               rng=np.random.default_rng(0), callbacks=[look("default")])
        bp.fit(bp.Network.mlp([1, 3, 1], rng=np.random.default_rng(0)), bp.MSE(), bp.SGD(0.1), x, t, 1,
               rng=np.random.default_rng(0), callbacks=[look("None")], blas_threads=None)
        after = blas_threads_now()
    assert seen["default"] and set(seen["default"]) == {1}
    assert seen["None"] == after  # left as it was
    assert max(after) == min(2, max(after))


def test_fit_runs_without_threadpoolctl(monkeypatch):
    """bplib needs numpy alone: without threadpoolctl, fit trains with the threads as they are."""
    import builtins
    import sys

    real_import = builtins.__import__

    def no_threadpoolctl(name, *args, **kwargs):
        if name == "threadpoolctl":
            raise ModuleNotFoundError("No module named 'threadpoolctl'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(bp.train, "_controller", None)
    monkeypatch.delitem(sys.modules, "threadpoolctl")
    monkeypatch.setattr(builtins, "__import__", no_threadpoolctl)
    x, t = sine_data()
    network = bp.Network.mlp([1, 3, 1], rng=np.random.default_rng(0))
    before = blas_threads_now()
    history = bp.fit(network, bp.MSE(), bp.SGD(0.1), x, t, 2, rng=np.random.default_rng(0))
    assert len(history["loss"]) == 2 and np.isfinite(history["loss"]).all()
    assert bp.train._controller is None
    monkeypatch.undo()
    assert blas_threads_now() == before
