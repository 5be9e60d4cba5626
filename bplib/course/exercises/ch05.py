"""Chapter 5, *Regression: learning a sine curve*: the Huber loss and its gradient,
as a function and as a loss class for ``bplib.fit``.

The reference answer, its checker and the typical wrong answers it must reject,
registered in ``EXERCISES`` for :mod:`bplib.course.exercises`.
"""

import numpy as np

from bplib.losses import MSE


from .checking import (
    Exercise, WrongAnswer, as_result_array, call, compare, fmt, gradient_check, passed, same_dtype, tuple_of,
    unchanged,
)


def huber_loss(y, t, kappa=1.0):
    """Reference: the Huber loss, averaged over the batch, and its
    gradient.

    L = (1/N) sum_n sum_k h(y_nk - t_nk), with h(r) = r^2 / 2 for
    |r| <= kappa and kappa (|r| - kappa / 2) beyond: quadratic near 0,
    linear in the tails, so an outlier pulls with at most kappa.

    Returns
    -------
    L : float
    dL_dy : ndarray of the shape of y
        r / N where |r| <= kappa, kappa * sign(r) / N beyond.
    """
    N = len(y)
    r = y - t
    small = np.abs(r) <= kappa
    h = np.where(small, 0.5 * r * r, kappa * (np.abs(r) - 0.5 * kappa))
    dh = np.where(small, r, kappa * np.sign(r))
    return float(np.sum(h) / N), dh / N


class HuberLoss(MSE):
    """Reference for the chapter 5 project: huber_loss as a loss class,
    for bplib.fit.

    It keeps the contract every loss keeps: forward(y, t) returns the
    loss and keeps dL/dy; backward() returns it. Its targets are those
    of MSE (real numbers, one per output), so it takes MSE's check.
    """

    def __init__(self, kappa=1.0):
        self.kappa = kappa
        self.dL_dy = None

    def __repr__(self):
        return f"HuberLoss(kappa={self.kappa:g})"

    def forward(self, y, t):
        y, t = self.check(y, t)  # (N,) against (N, 1) would broadcast to (N, N)
        L, self.dL_dy = huber_loss(y, t, self.kappa)
        return L

    def backward(self):
        if self.dL_dy is None:
            raise RuntimeError(f"{self!r}.backward called before forward")
        return self.dL_dy


def _check_huber_loss(answer):
    rng = np.random.default_rng(505)
    y_fix = np.array([[0.0], [0.5], [-0.3], [2.5], [-4.0]])
    t_fix = np.array([[0.0], [0.0], [0.2], [0.0], [0.0]])
    cases = [(y_fix, t_fix, 1.0), (rng.normal(scale=2, size=(7, 1)), rng.normal(size=(7, 1)), 1.0),
             (rng.normal(scale=2, size=(6, 3)), rng.normal(size=(6, 3)), 0.5)]
    err = 0.0
    for y, t, kappa in cases:
        yc, tc = y.copy(), t.copy()
        out = tuple_of(call(answer, yc, tc, kappa), ("L", "dL/dy"))
        unchanged("y", y, yc)
        unchanged("t", t, tc)
        exp_L, exp_dy = huber_loss(y, t, kappa)
        r = y - t
        note = f" (N = {len(y)}, kappa = {kappa:g})"

        def place(i, r=r, y=y, t=t, kappa=kappa):
            side = "|y - t| > kappa" if abs(r[i]) > kappa else "|y - t| <= kappa"
            return f"where {side} (y = {fmt(y[i])}, t = {fmt(t[i])})"

        got_L = as_result_array("the loss", out[0], np.asarray(exp_L))
        compare("the loss", got_L, exp_L, n=len(y), note=note)
        got_dy = as_result_array("dL/dy", out[1], exp_dy)
        compare("dL/dy", got_dy, exp_dy, n=len(y), place=place, note=note)
        err = max(err, gradient_check("dL/dy", got_dy, lambda y=y, t=t, d=kappa: huber_loss(y, t, d)[0], y))
    y32, t32 = cases[1][0].astype(np.float32), cases[1][1].astype(np.float32)
    same_dtype("dL/dy", tuple_of(call(answer, y32, t32, 1.0), ("L", "dL/dy"))[1], y32)
    return passed("points inside and beyond kappa, random batches, two values of kappa and float32", err)


# ------------------------------ typical wrong answers
def _huber_no_mean_in_grad(y, t, kappa=1.0):
    L, dy = huber_loss(y, t, kappa)
    return L, dy * len(y)


def _huber_not_clipped(y, t, kappa=1.0):
    L, _ = huber_loss(y, t, kappa)
    return L, (y - t) / len(y)


EXERCISES = [
    Exercise("05.huber_loss", huber_loss, _check_huber_loss, "fn(y, t, kappa) -> (L, dL_dy)", wrong=(
        WrongAnswer("1/N forgotten in the gradient", _huber_no_mean_in_grad,
                    "dL/dy is N = 5 times too large"),
        WrongAnswer("gradient not clipped at kappa", _huber_not_clipped, "off where |y - t| > kappa"),
    )),
]
