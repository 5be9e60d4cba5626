"""Property test: random bad input at every public entry point is refused by name, and changes nothing.

Hypothesis draws, for one argument at a time, an array of a wrong shape, an array
of a wrong dtype, a NaN or an infinity in an array of the right shape, an empty
array, or something that is not an array at all. Every entry point must raise
``ValueError`` or ``TypeError`` whose message names it, and a network handed bad
input must keep every weight it had.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bplib as bp
from bplib.course.mnist import load_mnist

N, D_IN, D_OUT = 4, 3, 2
NOT_ARRAYS = st.sampled_from([None, "x", 3.5, {"a": 1}, {1, 2}, object(), b"bytes"])
BAD_DTYPES = st.sampled_from([np.complex128, object, np.str_, "datetime64[s]"])


def arrays_of(shape, dtype=np.float64):
    return st.builds(lambda seed: np.random.default_rng(seed).normal(size=shape).astype(dtype), st.integers(0, 2**16))


def bad_value(shape, any_shape=False):
    """Something wrong in place of a float array of ``shape`` (of any shape, if ``any_shape``)."""
    wrong_shapes = st.lists(st.integers(1, 5), min_size=0, max_size=3).map(tuple).filter(lambda s: s != shape)
    return st.one_of(
        NOT_ARRAYS,
        st.nothing() if any_shape else wrong_shapes.flatmap(arrays_of),
        BAD_DTYPES.map(lambda dt: np.zeros(shape).astype(dt)),
        st.tuples(st.sampled_from([np.nan, np.inf, -np.inf]), st.integers(0, int(np.prod(shape)) - 1)).map(
            lambda v: np.put(a := np.ones(shape), v[1], v[0]) or a),
        st.just(np.zeros((0,) + tuple(shape[1:]))),
    )


def make_network():
    rng = np.random.default_rng(0)
    return bp.Network([bp.Dense(D_IN, 5, rng=rng), bp.Tanh(), bp.Dropout(0.2, rng=rng), bp.Dense(5, D_OUT, rng=rng)])


X, T, LABELS = np.ones((N, D_IN)), np.zeros((N, D_OUT)), np.array([0, 1, 0, 1])

# entry point -> (the fragment its messages must contain, shape of the good value, call(bad value))
ENTRY_POINTS = {
    "Dense.forward x": ("Dense(3->2)", (N, D_IN), lambda net, v: bp.Dense(D_IN, D_OUT, init="zeros").forward(v)),
    "Dense.backward dout": ("Dense(3->2)", (N, D_OUT), lambda net, v: (lambda d: (d.forward(X), d.backward(v)))(
        bp.Dense(D_IN, D_OUT, init="zeros"))),
    "Sigmoid.forward": ("Sigmoid()", (N, D_IN), lambda net, v: bp.Sigmoid().forward(v)),
    "ReLU.backward dout": ("ReLU()", (N, D_IN), lambda net, v: (lambda a: (a.forward(X), a.backward(v)))(bp.ReLU())),
    "Dropout.forward": ("Dropout(p=0.5)", (N, D_IN), lambda net, v: bp.Dropout(0.5, rng=np.random.default_rng(0)).forward(v, training=True)),
    "MSE output": ("MSE()", (N, D_OUT), lambda net, v: bp.MSE().forward(v, T)),
    "MSE target": ("MSE()", (N, D_OUT), lambda net, v: bp.MSE().forward(T, v)),
    "SoftmaxCrossEntropy output": ("SoftmaxCrossEntropy()", (N, D_OUT), lambda net, v: bp.SoftmaxCrossEntropy().forward(v, LABELS)),
    "SoftmaxCrossEntropy target": ("SoftmaxCrossEntropy()", (N, D_OUT), lambda net, v: bp.SoftmaxCrossEntropy().forward(T, v)),
    "BinaryCrossEntropy target": ("BinaryCrossEntropy()", (N, D_OUT), lambda net, v: bp.BinaryCrossEntropy().forward(T, v)),
    "Network.forward": ("Network", (N, D_IN), lambda net, v: net.forward(v)),
    "Network.backward": ("Network", (N, D_OUT), lambda net, v: (net.forward(X), net.backward(v))),
    "Network.train_step x": ("Network", (N, D_IN), lambda net, v: net.train_step(v, T, bp.MSE())),
    "Network.train_step t": ("MSE()", (N, D_OUT), lambda net, v: net.train_step(X, v, bp.MSE())),
    "fit x": ("fit", (N, D_IN), lambda net, v: bp.fit(net, bp.MSE(), bp.SGD(0.1), v, T, 2, rng=np.random.default_rng(0))),
    "fit t": ("fit", (N, D_OUT), lambda net, v: bp.fit(net, bp.MSE(), bp.SGD(0.1), X, v, 2, rng=np.random.default_rng(0))),
    "fit validation x": ("fit", (N, D_IN), lambda net, v: bp.fit(net, bp.MSE(), bp.SGD(0.1), X, T, 2,
                                                                 rng=np.random.default_rng(0), validation=(v, T))),
    "fit validation t": ("fit", (N, D_OUT), lambda net, v: bp.fit(net, bp.MSE(), bp.SGD(0.1), X, T, 2,
                                                                  rng=np.random.default_rng(0), validation=(X, v))),
    "evaluate x": ("evaluate", (N, D_IN), lambda net, v: bp.evaluate(net, bp.MSE(), v, T)),
    "check_network x": ("check_network", (N, D_IN), lambda net, v: bp.check_network(net, bp.MSE(), v, T)),
    "check_network t": ("check_network", (N, D_OUT), lambda net, v: bp.check_network(net, bp.MSE(), X, v)),
    "check_layer x": ("check_layer", (N, D_IN), lambda net, v: bp.check_layer(bp.Tanh(), v, np.random.default_rng(0))),
    "check_function params": ("check_function", (N, D_IN), lambda net, v: bp.check_function(
        lambda p: (float(np.sum(p["w"] ** 2)), {"w": 2 * p["w"]}), {"w": v})),
    "numerical_gradient x": ("numerical_gradient", (N, D_IN), lambda net, v: bp.numerical_gradient(lambda: 0.0, v)),
    "relative_error": ("relative_error", (N, D_IN), lambda net, v: bp.relative_error(X, v)),
    "one_hot labels": ("one_hot", (N,), lambda net, v: bp.data.one_hot(v, 3)),
    "train_test_split x": ("train_test_split", (N, D_IN), lambda net, v: bp.data.train_test_split(
        v, LABELS, 0.5, np.random.default_rng(0))),
}
ANY_SHAPE = {"check_function params", "numerical_gradient x"}  # parameters may have any shape
# Scalar arguments: anything that is not a sensible number (None is a good value for some: left out there).
NOT_NUMBERS = [None, "x", {"a": 1}, {1, 2}, object(), b"bytes", np.nan, np.inf, -1, 0, -0.5, np.ones(2), True]
NONE_IS_GOOD = {"fit batch_size", "load_mnist dtype"}
SCALAR_POINTS = {
    "fit epochs": ("fit", lambda net, v: bp.fit(net, bp.MSE(), bp.SGD(0.1), X, T, v, rng=np.random.default_rng(0))),
    "fit batch_size": ("fit", lambda net, v: bp.fit(net, bp.MSE(), bp.SGD(0.1), X, T, 1, batch_size=v,
                                                     rng=np.random.default_rng(0))),
    "fit eval_every": ("fit", lambda net, v: bp.fit(net, bp.MSE(), bp.SGD(0.1), X, T, 1, eval_every=v,
                                                     rng=np.random.default_rng(0))),
    "SGD lr": ("SGD", lambda net, v: bp.SGD(v)),
    "Dense n_out": ("Dense", lambda net, v: bp.Dense(3, v, init="zeros")),
    "Dropout p": ("Dropout", lambda net, v: bp.Dropout(v if not isinstance(v, (int, float)) or v < 0 else 1.0 + abs(v),
                                                       rng=np.random.default_rng(0))),
    "sine_curve step": ("sine_curve", lambda net, v: bp.data.sine_curve(step=v)),
    "sine_boundary step": ("sine_boundary", lambda net, v: bp.data.sine_boundary(step=v)),
    "one_hot k": ("one_hot", lambda net, v: bp.data.one_hot(LABELS, v)),
    "train_test_split fraction": ("train_test_split", lambda net, v: bp.data.train_test_split(
        X, LABELS, v, np.random.default_rng(0))),
    "check_function eps": ("check_function", lambda net, v: bp.check_function(
        lambda p: (float(np.sum(p["w"] ** 2)), {"w": 2 * p["w"]}), {"w": np.ones(2)}, eps=v)),
    "load_mnist dtype": ("load_mnist", lambda net, v: load_mnist("embedded", dtype=v, verbose=False)),
    "load_mnist flat": ("load_mnist", lambda net, v: load_mnist("embedded", flat=v, verbose=False)),
    "load_mnist source": ("load_mnist", lambda net, v: load_mnist(v, verbose=False)),
}


def refused_by_name(call, fragment):
    net = make_network()
    before = net.get_weights()
    with pytest.raises((ValueError, TypeError)) as info:
        call(net)
    assert fragment in str(info.value), f"{fragment!r} not named in: {info.value}"
    for name, value in net.get_weights().items():
        np.testing.assert_array_equal(value, before[name], err_msg=f"{name} changed by a refused call")


SETTINGS = settings(max_examples=6, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=list(ENTRY_POINTS))
@SETTINGS
@given(data=st.data())
def test_bad_arrays_are_refused_by_name_and_change_nothing(entry, data):
    fragment, shape, call = ENTRY_POINTS[entry]
    value = data.draw(bad_value(shape, any_shape=entry in ANY_SHAPE), label="bad value")
    if entry.startswith("one_hot"):  # integer labels are its good input: any float array is bad there
        value = value if not (isinstance(value, np.ndarray) and value.dtype.kind in "iu") else value.astype(float)
    refused_by_name(lambda net: call(net, value), fragment)


@pytest.mark.parametrize("entry", SCALAR_POINTS, ids=list(SCALAR_POINTS))
@SETTINGS
@given(value=st.sampled_from(NOT_NUMBERS))
def test_bad_scalars_are_refused_by_name(entry, value):
    fragment, call = SCALAR_POINTS[entry]
    if value is None and entry in NONE_IS_GOOD:
        value = "x"
    if entry == "load_mnist flat" and isinstance(value, (bool, np.bool_)):
        value = "yes"  # True is a good value there
    refused_by_name(lambda net: call(net, value), fragment)


def test_numbers_and_numpy_scalars_are_still_good_input_to_relative_error():
    # The chain-rule chapter compares a numpy scalar with a float; refusing bad input must not refuse that.
    assert bp.relative_error(np.float64(0.7), 0.3) == pytest.approx(0.4)
    assert bp.relative_error(np.float32(1.0), 1) == 0.0
    assert bp.relative_error(np.array([1.0, 2.0]), [1.0, 2.0]) == 0.0
