"""Chapter 1, *The forward pass*: the forward pass of a 3-4-2 sigmoid network, batch first.

The reference answer, its checker and the typical wrong answers it must reject,
registered in ``EXERCISES`` for :mod:`bplib.course.exercises`.
"""

import numpy as np

from bplib import functions as F

from .checking import Exercise, WrongAnswer, as_result_array, call, compare, passed, same_dtype, unchanged


def forward_3_4_2(x, W1, b1, W2, b2):
    """Reference: the forward pass of a 3-4-2 sigmoid network.

    Batch first: x (N, 3), W1 (3, 4), b1 (4,), W2 (4, 2), b2 (2,).
    Returns the output, shape (N, 2).
    """
    a_h = F.sigmoid(x @ W1 + b1)      # (N, 3) @ (3, 4) -> (N, 4)
    return F.sigmoid(a_h @ W2 + b2)   # (N, 4) @ (4, 2) -> (N, 2)


def _params_3_4_2(rng, dtype=np.float64):
    return (rng.normal(size=(3, 4)).astype(dtype), rng.normal(scale=0.5, size=4).astype(dtype),
            rng.normal(size=(4, 2)).astype(dtype), rng.normal(scale=0.5, size=2).astype(dtype))


_BATCH_FIRST = " (transposed: batch first means one row per example, one column per output unit)"


def _check_forward_3_4_2(answer):
    rng = np.random.default_rng(101)
    fixed = (np.array([[0.5, -1.0, 2.0]]),
             np.array([[0.1, 0.2, -0.3, 0.4], [0.5, -0.6, 0.7, 0.8], [-0.9, 1.0, 0.1, -0.2]]),
             np.array([0.1, -0.1, 0.2, 0.0]),
             np.array([[1.0, -0.5], [0.4, 0.9], [-0.7, 0.3], [0.2, -0.8]]),
             np.array([0.0, 0.1]))
    cases = [fixed] + [(rng.normal(size=(n, 3)),) + _params_3_4_2(rng) for n in (5, 7)]
    for args in cases:
        copies = [a.copy() for a in args]
        expected = forward_3_4_2(*args)
        got = as_result_array("your output", call(answer, *copies), expected, transposed=_BATCH_FIRST)
        for name, a, c in zip(("x", "W1", "b1", "W2", "b2"), args, copies):
            unchanged(name, a, c)
        compare("your output", got, expected, note=f" for a batch of N = {len(args[0])}")
    x32 = rng.normal(size=(4, 3)).astype(np.float32)
    p32 = _params_3_4_2(rng, np.float32)
    got = as_result_array("your output", call(answer, x32, *p32), forward_3_4_2(x32, *p32))
    compare("your output", got, forward_3_4_2(x32, *p32), rtol=1e-5, atol=1e-6, note=" for float32 inputs")
    same_dtype("the output", got, x32)
    return passed("one fixed example, two random batches (N = 5 and 7) and a float32 batch")


# ------------------------------ typical wrong answers
def _forward_column_vectors(x, W1, b1, W2, b2):
    a_h = F.sigmoid(W1.T @ x.T + b1[:, None])      # (4, N): one example per column
    return F.sigmoid(W2.T @ a_h + b2[:, None])     # (2, N), never transposed back


def _forward_no_output_sigmoid(x, W1, b1, W2, b2):
    return F.sigmoid(x @ W1 + b1) @ W2 + b2


EXERCISES = [
    Exercise("01.forward_3_4_2", forward_3_4_2, _check_forward_3_4_2, "fn(x, W1, b1, W2, b2) -> output", wrong=(
        WrongAnswer("column vectors: W.T @ x.T, output (2, N)", _forward_column_vectors,
                    "has shape (2, 1), expected (1, 2)"),
        WrongAnswer("no sigmoid on the output", _forward_no_output_sigmoid, "your output is off"),
    )),
]
