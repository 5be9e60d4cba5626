"""Chapter 2, *The chain rule*: the backward pass of f = x * y + max(x, y) by the gate rules.

The reference answer, its checker and the typical wrong answers it must reject,
registered in ``EXERCISES`` for :mod:`bplib.course.exercises`.
"""

import numpy as np


from .checking import (
    Exercise, WrongAnswer, as_result_array, call, compare, fmt, gradient_check, passed, same_dtype, tuple_of,
    unchanged,
)


def xy_plus_max_backward(x, y):
    """Reference: (df/dx, df/dy) of f = x * y + max(x, y), elementwise.

    Multiply swaps (d(xy)/dx = y); max routes the upstream gradient
    1 to the larger input only; the two paths into x add up.
    """
    x_wins = (x > y).astype(x.dtype)
    return y + x_wins, x + (1 - x_wins)


def _where_xy(x, y):
    return lambda i: f"where x {'>' if x[i] > y[i] else '<'} y (x = {fmt(x[i])}, y = {fmt(y[i])})"


def _check_xy_plus_max(answer):
    rng = np.random.default_rng(202)
    fixed = (np.array([3.0, -1.0, 2.0, -4.0]), np.array([2.0, 4.0, -5.0, 1.0]))
    x_r = rng.normal(size=(4, 3))
    y_r = x_r + rng.choice([-1, 1], size=(4, 3)) * rng.uniform(0.1, 2.0, size=(4, 3))  # no ties
    worst = 0.0
    for x, y in (fixed, (x_r, y_r)):
        xc, yc = x.copy(), y.copy()
        out = tuple_of(call(answer, xc, yc), ("df/dx", "df/dy"))
        unchanged("x", x, xc)
        unchanged("y", y, yc)
        exp_dx, exp_dy = xy_plus_max_backward(x, y)
        got_dx = as_result_array("df/dx", out[0], exp_dx)
        got_dy = as_result_array("df/dy", out[1], exp_dy)
        compare("df/dx", got_dx, exp_dx, place=_where_xy(x, y))
        compare("df/dy", got_dy, exp_dy, place=_where_xy(x, y))
        for name, got, arr in (("df/dx", got_dx, x), ("df/dy", got_dy, y)):
            worst = max(worst, gradient_check(name, got, lambda: float(np.sum(x * y + np.maximum(x, y))), arr))
    x32, y32 = x_r.astype(np.float32), y_r.astype(np.float32)
    out = tuple_of(call(answer, x32, y32), ("df/dx", "df/dy"))
    same_dtype("df/dx", out[0], x32)
    return passed("fixed and random inputs, with x > y and x < y", worst)


# ------------------------------ typical wrong answers
def _xy_max_forgotten(x, y):
    return y.copy(), x.copy()


def _xy_max_to_both(x, y):
    return y + 1.0, x + 1.0


EXERCISES = [
    Exercise("02.xy_plus_max", xy_plus_max_backward, _check_xy_plus_max, "fn(x, y) -> (df_dx, df_dy)", wrong=(
        WrongAnswer("the max's share forgotten", _xy_max_forgotten, "df/dx is off where x > y"),
        WrongAnswer("max sends the gradient to both inputs", _xy_max_to_both, "df/dx is off where x < y"),
    )),
]
