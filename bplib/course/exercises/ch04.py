"""Chapter 4, *The 2-2-2 network, worked by hand*: one gradient-descent step of
the worked example, with the biases trained too.

The reference answer, its checker and the typical wrong answers it must reject,
registered in ``EXERCISES`` for :mod:`bplib.course.exercises`.
"""

import numpy as np

from bplib import functions as F
from bplib.gradcheck import check_step

from .checking import (
    GRADCHECK_TOL, Exercise, NotAttempted, Wrong, WrongAnswer, as_result_array, call, compare, passed,
)


def two_layer_sigmoid_loss(p, x, t):
    """L = (1/N) sum_n 0.5 ||y_n - t_n||^2 of the 2-2-2 sigmoid network (for the gradient check)."""
    y = F.sigmoid(F.sigmoid(x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"])
    return float(0.5 * np.sum((y - t) ** 2) / len(x))


def step_with_biases(p, x, t, lr):
    """Reference: one gradient-descent step of the 2-2-2 sigmoid
    network, with the biases trained too.

    p holds W1 (2, 2), b1 (2,), W2 (2, 2), b2 (2,); the loss is
    L = (1/N) sum_n 0.5 ||y_n - t_n||^2. Every gradient is taken at
    the old weights, then all four arrays move. Returns a new dict.
    """
    N = len(x)
    a_h = F.sigmoid(x @ p["W1"] + p["b1"])
    y = F.sigmoid(a_h @ p["W2"] + p["b2"])
    delta_o = (y - t) / N * y * (1 - y)                # dL/dz_o
    delta_h = (delta_o @ p["W2"].T) * a_h * (1 - a_h)  # old W2
    grads = {"W1": x.T @ delta_h, "b1": delta_h.sum(axis=0),
             "W2": a_h.T @ delta_o, "b2": delta_o.sum(axis=0)}
    return {key: p[key] - lr * grads[key] for key in p}


WORKED_PARAMS = {"W1": np.array([[0.15, 0.25], [0.20, 0.30]]), "b1": np.array([0.35, 0.35]),
                 "W2": np.array([[0.40, 0.50], [0.45, 0.55]]), "b2": np.array([0.60, 0.60])}
WORKED_X, WORKED_T = np.array([[0.05, 0.10]]), np.array([[0.01, 0.99]])


def _check_step_with_biases(answer):
    rng = np.random.default_rng(404)
    rand_p = {"W1": rng.normal(size=(2, 2)), "b1": rng.normal(size=2),
              "W2": rng.normal(size=(2, 2)), "b2": rng.normal(size=2)}
    cases = [(WORKED_PARAMS, WORKED_X, WORKED_T, 0.5, "the chapter's example"),
             (rand_p, rng.uniform(-1, 1, size=(3, 2)), rng.uniform(size=(3, 2)), 0.3, "a random batch of 3")]
    err = 0.0
    for p, x, t, lr, label in cases:
        trial = {k: v.copy() for k, v in p.items()}
        out = call(answer, trial, x.copy(), t.copy(), lr, allow_none=True)
        if out is None:
            if any(not np.array_equal(trial[k], p[k]) for k in p):
                raise Wrong("your function returned None but changed params in place; "
                             "return the dict of new parameters")
            raise NotAttempted("it returns None")
        if not isinstance(out, dict):
            raise Wrong(f"return a dict with keys W1, b1, W2, b2; got a {type(out).__name__}")
        missing = [k for k in p if k not in out]
        if missing:
            raise Wrong(f"the returned dict has no {', '.join(missing)}")
        expected = step_with_biases(p, x, t, lr)
        for key in ("W2", "b2", "W1", "b1"):
            got = as_result_array(key, out[key], expected[key])
            if key.startswith("b") and np.array_equal(got, p[key]):
                raise Wrong(f"{key} did not change ({label}); with the biases trained it moves by "
                             f"-lr times the sum of its layer's deltas over the batch")
            compare(key, got, expected[key], rtol=1e-9, atol=1e-14, note=f" after one step ({label})",
                     place=lambda i: f"at {list(i)}" if len(i) > 1 else f"at [{i[0]}]")
        errors = check_step(lambda q, x_, t_, lr: answer(q, x_, t_, lr), two_layer_sigmoid_loss,
                            {k: v.copy() for k, v in p.items()}, x, t, lr=lr)
        worst_key = max(errors, key=errors.get)
        if not errors[worst_key] < GRADCHECK_TOL:
            raise Wrong(f"the step check fails for {worst_key}: relative error {errors[worst_key]:.1e}")
        err = max(err, max(errors.values()))
    return passed("the chapter's example and a random batch of 3", err,
                   how="bplib.gradcheck.check_step (your step divided by the learning rate)")


# ------------------------------ typical wrong answers
def _step_biases_frozen(p, x, t, lr):
    new = step_with_biases(p, x, t, lr)
    return {**new, "b1": p["b1"].copy(), "b2": p["b2"].copy()}


def _step_bias_not_summed(p, x, t, lr):
    N = len(x)
    a_h = F.sigmoid(x @ p["W1"] + p["b1"])
    y = F.sigmoid(a_h @ p["W2"] + p["b2"])
    delta_o = (y - t) / N * y * (1 - y)
    delta_h = (delta_o @ p["W2"].T) * a_h * (1 - a_h)
    return {"W1": p["W1"] - lr * x.T @ delta_h, "b1": p["b1"] - lr * delta_h,
            "W2": p["W2"] - lr * a_h.T @ delta_o, "b2": p["b2"] - lr * delta_o}


def _step_output_weights_first(p, x, t, lr):
    N = len(x)
    a_h = F.sigmoid(x @ p["W1"] + p["b1"])
    y = F.sigmoid(a_h @ p["W2"] + p["b2"])
    delta_o = (y - t) / N * y * (1 - y)
    W2 = p["W2"] - lr * a_h.T @ delta_o                 # updated before the hidden delta is formed
    delta_h = (delta_o @ W2.T) * a_h * (1 - a_h)
    return {"W1": p["W1"] - lr * x.T @ delta_h, "b1": p["b1"] - lr * delta_h.sum(axis=0),
            "W2": W2, "b2": p["b2"] - lr * delta_o.sum(axis=0)}


EXERCISES = [
    Exercise("04.step_with_biases", step_with_biases, _check_step_with_biases,
             "fn(params, x, t, lr) -> new params", wrong=(
        WrongAnswer("biases left frozen", _step_biases_frozen, "b2 did not change"),
        WrongAnswer("bias gradient not summed over the batch", _step_bias_not_summed,
                    "b2 has shape (1, 2), expected (2,) (sum over the batch"),
        WrongAnswer("output weights updated first", _step_output_weights_first, "W1 is off",
                    same_as="updating the output weights before the hidden delta (chapter 4; chapter 8, bug 7)"),
    )),
]
