"""Chapter 6, *Classification: learning a curved boundary*: dL/dz of sigmoid outputs under binary cross-entropy.

The reference answer, its checker and the typical wrong answers it must reject,
registered in ``EXERCISES`` for :mod:`bplib.course.exercises`.
"""

import numpy as np

from bplib import functions as F
from bplib.losses import BinaryCrossEntropy

from .checking import (
    Exercise, WrongAnswer, as_result_array, call, compare, fmt, gradient_check, passed, same_dtype, unchanged,
)


def bce_output_delta(z, t):
    """Reference: dL/dz of sigmoid outputs under binary cross-entropy.

    L = (1/N) sum -[t log sigmoid(z) + (1 - t) log(1 - sigmoid(z))].
    The sigmoid's derivative y (1 - y) cancels the 1 / (y (1 - y))
    of the cross-entropy, which leaves (sigmoid(z) - t) / N.
    """
    return (F.sigmoid(z) - t) / len(z)


def _check_bce_output_delta(answer):
    rng = np.random.default_rng(606)
    z_fix = np.array([[-3.0], [-0.5], [0.0], [1.0], [4.0]])
    t_fix = np.array([[0.0], [1.0], [1.0], [0.0], [1.0]])
    cases = [(z_fix, t_fix), (rng.normal(scale=2, size=(8, 3)), rng.integers(0, 2, size=(8, 3)).astype(float))]
    err = 0.0
    for z, t in cases:
        zc, tc = z.copy(), t.copy()
        expected = bce_output_delta(z, t)
        got = as_result_array("your delta", call(answer, zc, tc), expected)
        unchanged("z", z, zc)
        unchanged("t", t, tc)
        compare("your delta", got, expected, n=len(z), note=f" (N = {len(z)})",
                 place=lambda i, z=z, t=t: f"at z = {fmt(z[i])}, t = {fmt(t[i])}")
        bce = BinaryCrossEntropy()
        err = max(err, gradient_check("dL/dz", got, lambda z=z, t=t: bce.forward(z, t), z))
    z32 = cases[1][0].astype(np.float32)
    same_dtype("the delta", call(answer, z32, cases[1][1].astype(np.float32)), z32)
    return passed("fixed and random logits, one and three outputs, and float32", err)


# ------------------------------ typical wrong answers
def _bce_sigmoid_habit(z, t):
    y = F.sigmoid(z)
    return (y - t) * y * (1 - y) / len(z)


def _bce_no_mean(z, t):
    return F.sigmoid(z) - t


def _bce_sign(z, t):
    return (t - F.sigmoid(z)) / len(z)


EXERCISES = [
    Exercise("06.bce_output_delta", bce_output_delta, _check_bce_output_delta, "fn(z, t) -> dL_dz", wrong=(
        WrongAnswer("sigmoid habit: times y (1 - y)", _bce_sigmoid_habit, "your delta is off at z = -3.0",
                    same_as="the sigmoid habit (chapter 6)"),
        WrongAnswer("1/N forgotten", _bce_no_mean, "N = 5 times too large", same_as="the missing 1/N (chapters 2, 6)"),
        WrongAnswer("sign flipped", _bce_sign, "wrong sign"),
    )),
]
