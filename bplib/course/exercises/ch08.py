"""Chapter 8, *The backprop bug clinic*: cure the patient, a loss-and-gradients function with one planted bug.

The reference answer, its checker and the typical wrong answers it must reject,
registered in ``EXERCISES`` for :mod:`bplib.course.exercises`.
"""

import numpy as np

from bplib import functions as F
from bplib.gradcheck import check_function

from .checking import GRADCHECK_TOL, Exercise, Wrong, WrongAnswer, as_result_array, call, compare, passed, tuple_of


def cured_loss_and_grads(p, x, t):
    """Reference: the bug-clinic exercise's patient, cured.

    A 3-4-2 network, tanh hidden units, softmax cross-entropy on
    one-hot t; returns (L, grads). The delta at the logits already
    carries the 1/N of the mean: no gradient divides by N again.
    """
    N = len(x)
    a1 = np.tanh(x @ p["W1"] + p["b1"])
    z2 = a1 @ p["W2"] + p["b2"]
    L = -np.sum(t * F.log_softmax(z2)) / N
    delta2 = (F.softmax(z2) - t) / N
    delta1 = (delta2 @ p["W2"].T) * (1 - a1 ** 2)
    return float(L), {"W1": x.T @ delta1, "b1": delta1.sum(axis=0),
                      "W2": a1.T @ delta2, "b2": delta2.sum(axis=0)}


def patient_loss_and_grads(p, x, t):
    """The patient: loss and gradients of a 3-4-2 network.

    tanh hidden units, softmax cross-entropy on one-hot t; returns
    (L, grads). It runs, its shapes are right, and one line is wrong.
    """
    N = len(x)
    a1 = np.tanh(x @ p["W1"] + p["b1"])
    z2 = a1 @ p["W2"] + p["b2"]
    L = -np.sum(t * F.log_softmax(z2)) / N
    delta2 = (F.softmax(z2) - t) / N
    delta1 = (delta2 @ p["W2"].T) * (1 - a1 ** 2)
    return float(L), {"W1": x.T @ delta1 / N, "b1": delta1.sum(axis=0),
                      "W2": a1.T @ delta2, "b2": delta2.sum(axis=0)}


def patient_data(seed=8, n=6):
    """Parameters and a batch for the patient: ``(params, x, t)``, float64, one-hot ``t``."""
    rng = np.random.default_rng(seed)
    params = {"W1": rng.normal(size=(3, 4)), "b1": rng.normal(scale=0.5, size=4),
              "W2": rng.normal(size=(4, 2)), "b2": rng.normal(scale=0.5, size=2)}
    x = rng.normal(size=(n, 3))
    t = np.eye(2)[rng.integers(0, 2, size=n)]
    return params, x, t


def _check_cured_loss_and_grads(answer):
    err = 0.0
    for seed, n in ((8, 6), (9, 5)):
        p, x, t = patient_data(seed, n)
        trial = {k: v.copy() for k, v in p.items()}
        out = tuple_of(call(answer, trial, x.copy(), t.copy()), ("L", "grads"))
        if not isinstance(out[1], dict):
            raise Wrong(f"grads must be a dict with keys W1, b1, W2, b2; got a {type(out[1]).__name__}")
        exp_L, exp_grads = cured_loss_and_grads(p, x, t)
        compare("the loss", as_result_array("the loss", out[0], np.asarray(exp_L)), exp_L, n=n)
        for key in ("W2", "b2", "W1", "b1"):
            if key not in out[1]:
                raise Wrong(f"grads has no {key!r}")
            got = as_result_array(f"grads[{key!r}]", out[1][key], exp_grads[key])
            compare(f"grads[{key!r}]", got, exp_grads[key], n=n)
        errors = check_function(lambda q, x_, t_: answer(q, x_, t_), {k: v.copy() for k, v in p.items()}, x, t)
        worst = max(errors, key=errors.get)
        if not errors[worst] < GRADCHECK_TOL:
            raise Wrong(f"check_function fails for {worst}: relative error {errors[worst]:.1e}")
        err = max(err, max(errors.values()))
    return passed("two random batches (N = 6 and 5)", err, how="bplib.gradcheck.check_function")


# ------------------------------ typical wrong answers
def _patient_tanh_from_z(p, x, t):
    N = len(x)
    z1 = x @ p["W1"] + p["b1"]
    a1 = np.tanh(z1)
    z2 = a1 @ p["W2"] + p["b2"]
    L = -np.sum(t * F.log_softmax(z2)) / N
    delta2 = (F.softmax(z2) - t) / N
    delta1 = (delta2 @ p["W2"].T) * (1 - z1 ** 2)      # tanh' taken at z, not from a
    return float(L), {"W1": x.T @ delta1, "b1": delta1.sum(axis=0),
                      "W2": a1.T @ delta2, "b2": delta2.sum(axis=0)}


EXERCISES = [
    Exercise("08.cured_loss_and_grads", cured_loss_and_grads, _check_cured_loss_and_grads,
             "fn(params, x, t) -> (L, grads)", wrong=(
        WrongAnswer("the patient itself: 1/N applied twice in dW1", patient_loss_and_grads,
                    "grads['W1'] is N = 6 times too small"),
        WrongAnswer("tanh derivative taken at z", _patient_tanh_from_z, "grads['W1'] is off",
                    same_as="derivative for a fed z (chapter 3, bug B; chapter 8, bug 1)"),
    )),
]
