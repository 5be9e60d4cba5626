"""Chapter 9, *Making it fast*: vectorise the per-example loop of a dense layer's backward pass.

The reference answer, its checker and the typical wrong answers it must reject,
registered in ``EXERCISES`` for :mod:`bplib.course.exercises`.
"""

import numpy as np


from .checking import (
    Exercise, WrongAnswer, as_result_array, call, compare, gradient_check, passed, same_dtype, tuple_of,
    unchanged,
)


def dense_backward_loop(x, W, delta):
    """The given per-example loop: ``(dx, dW, db)`` of a dense layer ``z = x W + b``, one row at a time.

    Written the way first examples are: for each example an outer product for
    ``dW``, a row for ``db`` and a row for ``dx``. (Not an exercise answer: it
    is the code the exercise vectorises.)
    """
    N, D_in = x.shape
    D_out = W.shape[1]
    dx = np.zeros((N, D_in), dtype=x.dtype)
    dW = np.zeros((D_in, D_out), dtype=x.dtype)
    db = np.zeros(D_out, dtype=x.dtype)
    for n in range(N):
        for i in range(D_in):
            for j in range(D_out):
                dW[i, j] += x[n, i] * delta[n, j]
                dx[n, i] += delta[n, j] * W[i, j]
        for j in range(D_out):
            db[j] += delta[n, j]
    return dx, dW, db


def dense_backward(x, W, delta):
    """Reference: dense_backward_loop's gradients as matrix products.

    dx = delta W^T (N, D_in), dW = x^T delta (D_in, D_out) and
    db = sum_n delta_n (D_out,). The 1/N of a mean loss is already
    inside delta.
    """
    return delta @ W.T, x.T @ delta, delta.sum(axis=0)


def _check_dense_backward(answer):
    rng = np.random.default_rng(909)
    err = 0.0
    for N, D_in, D_out in ((5, 4, 3), (2, 3, 6)):
        x, W, delta = rng.normal(size=(N, D_in)), rng.normal(size=(D_in, D_out)), rng.normal(size=(N, D_out))
        copies = [x.copy(), W.copy(), delta.copy()]
        out = tuple_of(call(answer, *copies), ("dx", "dW", "db"))
        for name, a, c in zip(("x", "W", "delta"), (x, W, delta), copies):
            unchanged(name, a, c)
        expected = dense_backward_loop(x, W, delta)
        got = [as_result_array(name, value, exp) for name, value, exp in zip(("dx", "dW", "db"), out, expected)]
        for name, g, e in zip(("dx", "dW", "db"), got, expected):
            compare(name, g, e, n=N, note=f" (N = {N}, D_in = {D_in}, D_out = {D_out})")
        b = rng.normal(size=D_out)
        for name, g, arr in zip(("dx", "dW", "db"), got, (x, W, b)):
            err = max(err, gradient_check(name, g, lambda: float(np.sum(delta * (x @ W + b))), arr))
    x32, W32, d32 = (rng.normal(size=s).astype(np.float32) for s in ((3, 4), (4, 2), (3, 2)))
    out = tuple_of(call(answer, x32, W32, d32), ("dx", "dW", "db"))
    for name, value in zip(("dx", "dW", "db"), out):
        same_dtype(name, value, x32)
    return passed("two layers of different widths (the loop as the reference) and float32", err)


# ------------------------------ typical wrong answers
def _dense_dW_transposed(x, W, delta):
    return delta @ W.T, delta.T @ x, delta.sum(axis=0)


def _dense_mean_not_sum(x, W, delta):
    return delta @ W.T, x.T @ delta / len(x), delta.sum(axis=0)

def _dense_db_not_summed(x, W, delta):
    return delta @ W.T, x.T @ delta, delta.copy()


EXERCISES = [
    Exercise("09.dense_backward", dense_backward, _check_dense_backward, "fn(x, W, delta) -> (dx, dW, db)", wrong=(
        WrongAnswer("dW transposed: delta.T @ x", _dense_dW_transposed, "dW has shape (3, 4), expected (4, 3)"),
        WrongAnswer("mean instead of sum", _dense_mean_not_sum, "dW is N = 5 times too small"),
        WrongAnswer("db not summed over the batch", _dense_db_not_summed, "db has shape (5, 3), expected (3,)"),
    )),
]
