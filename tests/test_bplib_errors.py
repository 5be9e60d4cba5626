"""Bad input gets a clear TypeError or ValueError before any arithmetic.

Each message must name the layer or function and the shape it got (and,
where there is one, the shape it expected).
"""

import numpy as np
import pytest

import bplib as bp

RNG = np.random.default_rng(0)


def dense():
    return bp.Dense(3, 2, rng=np.random.default_rng(1))


def net():
    rng = np.random.default_rng(2)
    return bp.Network([bp.Dense(3, 4, rng=rng), bp.Sigmoid(), bp.Dense(4, 2, rng=rng)])


def fitted_call(**overrides):
    args = dict(network=net(), loss=bp.MSE(), optimizer=bp.SGD(0.1), x=np.ones((4, 3)), t=np.ones((4, 2)),
                epochs=1, rng=np.random.default_rng(0))
    args.update(overrides)
    return bp.fit(**args)


CASES = [
    # (id, callable, exception, fragments the message must contain)
    ("dense wrong width", lambda: dense().forward(np.ones((5, 4))), ValueError, ["Dense(3->2)", "(5, 4)", "(N, 3)"]),
    ("network wrong width", lambda: net().forward(np.ones((5, 7))), ValueError, ["Network", "(5, 7)", "(N, 3)"]),
    ("dense 1-D input", lambda: dense().forward(np.ones(3)), ValueError, ["Dense(3->2)", "(3,)", "2-D"]),
    ("dense 3-D input", lambda: dense().forward(np.ones((2, 2, 3))), ValueError, ["Dense(3->2)", "(2, 2, 3)"]),
    ("empty batch", lambda: dense().forward(np.ones((0, 3))), ValueError, ["Dense(3->2)", "empty", "(0, 3)"]),
    ("nan input", lambda: dense().forward(np.array([[1.0, np.nan, 0.0]])), ValueError, ["Dense(3->2)", "NaN", "(1, 3)"]),
    ("inf input", lambda: net().forward(np.array([[1.0, np.inf, 0.0]])), ValueError, ["Network", "infinite", "(1, 3)"]),
    ("not an array", lambda: dense().forward("x"), TypeError, ["Dense(3->2)", "numpy array", "str"]),
    ("object dtype", lambda: dense().forward(np.array([[None, 1, 2]], dtype=object)), TypeError, ["Dense(3->2)", "object"]),
    ("mse (N,) target vs (N,1) output", lambda: bp.MSE().forward(np.ones((4, 1)), np.ones(4)), ValueError,
     ["MSE", "(4,)", "(4, 1)", "broadcast"]),
    ("mse target nan", lambda: bp.MSE().forward(np.ones((2, 1)), np.array([[1.0], [np.nan]])), ValueError, ["MSE", "target", "NaN"]),
    ("ce label too large", lambda: bp.SoftmaxCrossEntropy().forward(np.ones((3, 4)), np.array([0, 4, 1])), ValueError,
     ["SoftmaxCrossEntropy", "[0, 4)", "(3, 4)"]),
    ("ce label negative", lambda: bp.SoftmaxCrossEntropy().forward(np.ones((3, 4)), np.array([0, -1, 1])), ValueError,
     ["SoftmaxCrossEntropy", "-1"]),
    ("ce float labels", lambda: bp.SoftmaxCrossEntropy().forward(np.ones((3, 4)), np.array([0.0, 1.0, 2.0])), TypeError,
     ["SoftmaxCrossEntropy", "integers", "(3,)"]),
    ("ce one-hot wrong width", lambda: bp.SoftmaxCrossEntropy().forward(np.ones((3, 4)), np.ones((3, 5))), ValueError,
     ["SoftmaxCrossEntropy", "(3, 5)", "(3, 4)"]),
    ("ce wrong number of labels", lambda: bp.SoftmaxCrossEntropy().forward(np.ones((3, 4)), np.array([0, 1])), ValueError,
     ["SoftmaxCrossEntropy", "(2,)", "(3,)"]),
    ("bce target outside [0,1]", lambda: bp.BinaryCrossEntropy().forward(np.ones((2, 1)), np.array([[0.5], [2.0]])), ValueError,
     ["BinaryCrossEntropy", "[0, 1]"]),
    ("bce (N,) target", lambda: bp.BinaryCrossEntropy().forward(np.ones((2, 1)), np.ones(2)), ValueError,
     ["BinaryCrossEntropy", "(2,)", "(2, 1)"]),
    ("loss output 1-D", lambda: bp.MSE().forward(np.ones(4), np.ones(4)), ValueError, ["MSE", "output", "(4,)"]),
    ("backward dout wrong shape", lambda: (lambda d: (d.forward(np.ones((5, 3))), d.backward(np.ones((5, 3)))))(dense()),
     ValueError, ["Dense(3->2).backward", "(5, 3)", "(5, 2)"]),
    ("backward before forward", lambda: dense().backward(np.ones((1, 2))), RuntimeError, ["Dense(3->2)", "before forward"]),
    ("network width mismatch", lambda: bp.Network([bp.Dense(3, 4, rng=RNG), bp.Dense(5, 2, rng=RNG)]), ValueError,
     ["Network", "width 4", "expects 5"]),
    ("dense without rng", lambda: bp.Dense(3, 2), TypeError, ["Dense(3->2)", "rng"]),
    ("dense bad init", lambda: bp.Dense(3, 2, init="uniformish", rng=RNG), ValueError, ["Dense", "init"]),
    ("dropout p=1", lambda: bp.Dropout(1.0, rng=RNG), ValueError, ["Dropout", "[0, 1)"]),
    ("dropout without rng", lambda: bp.Dropout(0.5), TypeError, ["Dropout", "rng"]),
    ("sgd negative lr", lambda: bp.SGD(-0.1), ValueError, ["SGD", "lr"]),
    ("fit target count", lambda: fitted_call(t=np.ones((3, 2))), ValueError, ["fit", "3 targets for 4 inputs"]),
    ("fit batch size 0", lambda: fitted_call(batch_size=0), ValueError, ["fit", "batch_size"]),
    ("fit shuffle without rng", lambda: fitted_call(rng=None), TypeError, ["fit", "rng"]),
    ("from_weights bad bias", lambda: bp.Dense.from_weights(np.ones((3, 2)), np.ones(3)), ValueError,
     ["Dense.from_weights", "(3, 2)", "(3,)"]),
    ("freeze unknown", lambda: dense().freeze("V"), ValueError, ["freeze", "V"]),
    ("one_hot out of range", lambda: bp.data.one_hot(np.array([0, 3]), 3), ValueError, ["one_hot", "[0, 3)"]),
]


@pytest.mark.parametrize("call, exception, fragments", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_refused_with_a_clear_message(call, exception, fragments):
    with pytest.raises(exception) as info:
        call()
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from: {message}"


def test_there_are_at_least_fifteen_cases():
    assert len(CASES) >= 15


def test_a_refused_forward_leaves_the_layer_as_it_was():
    layer = dense()
    x = np.ones((2, 3))
    layer.forward(x)
    cached = layer._x
    with pytest.raises(ValueError):
        layer.forward(np.ones((2, 4)))
    assert layer._x is cached


def test_a_refused_backward_leaves_the_gradients_as_they_were():
    layer = dense()
    layer.forward(np.ones((2, 3)))
    layer.backward(np.ones((2, 2)))
    before = {k: v.copy() for k, v in layer.grads.items()}
    with pytest.raises(ValueError):
        layer.backward(np.ones((3, 2)))
    for key in before:
        np.testing.assert_array_equal(layer.grads[key], before[key])
