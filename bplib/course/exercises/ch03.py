"""Chapter 3, *Derivatives of sigmoid, tanh and ReLU*: LeakyReLU's derivative from z, and softplus's from its output a.

The reference answer, its checker and the typical wrong answers it must reject,
registered in ``EXERCISES`` for :mod:`bplib.course.exercises`.
"""

import numpy as np

from bplib import functions as F

from .checking import (
    Exercise, Wrong, WrongAnswer, as_result_array, call, compare, fmt, gradient_check, passed, same_dtype,
    unchanged,
)


LEAKY_SLOPE = 0.01


def leaky_relu(z, alpha=LEAKY_SLOPE):
    """LeakyReLU: ``z`` for ``z > 0``, ``alpha * z`` otherwise."""
    return np.where(z > 0, z, alpha * z)


def leaky_relu_grad(z, alpha=LEAKY_SLOPE):
    """Reference: LeakyReLU's derivative from the pre-activation z.

    1 where z > 0, alpha elsewhere: at z = 0 the left slope, as
    bplib.functions.relu_grad takes 0 there. Keeps z's dtype.
    """
    grad = np.full_like(z, alpha)
    grad[z > 0] = 1.0
    return grad


def _where_z(z):
    def place(i):
        side = "z > 0" if z[i] > 0 else "z < 0" if z[i] < 0 else "z = 0"
        return f"at {side} (z = {fmt(z[i])})"
    return place


def _check_leaky_relu_grad(answer):
    rng = np.random.default_rng(303)
    fixed = np.array([-3.0, -1.5, -0.2, 0.0, 0.2, 1.5, 3.0])
    rand = rng.normal(scale=2.0, size=(5, 4))
    rand[np.abs(rand) < 1e-3] = 0.5  # keep the random probes off the kink
    err = 0.0
    for z in (fixed, rand):
        zc = z.copy()
        got = as_result_array("your derivative", call(answer, zc), leaky_relu_grad(z))
        unchanged("z", z, zc)
        compare("your derivative", got, leaky_relu_grad(z), place=_where_z(z))
    err = gradient_check("LeakyReLU", got, lambda: float(np.sum(leaky_relu(rand))), rand)
    z32 = rand.astype(np.float32)
    same_dtype("the derivative", call(answer, z32), z32, " (np.full_like(z, 0.01) keeps it)")
    return passed("fixed points on both sides of 0 and at 0, a random batch and float32", err)


def softplus_grad_from_output(a):
    """Reference: softplus's derivative from its output a.

    With a = log(1 + e^z), softplus'(z) = sigmoid(z), and e^a = 1 + e^z
    gives sigmoid(z) = 1 - e^(-a). -expm1(-a) computes it without
    cancellation when a is tiny.
    """
    return -np.expm1(-a)


def _check_softplus_grad_from_output(answer):
    rng = np.random.default_rng(304)
    fixed_z = np.array([-6.0, -2.0, -0.5, 0.0, 0.5, 2.0, 6.0])
    rand_z = rng.normal(scale=3.0, size=(4, 5))
    err = 0.0
    for z in (fixed_z, rand_z):
        a = F.softplus(z)
        ac = a.copy()
        expected = softplus_grad_from_output(a)
        got = as_result_array("your derivative", call(answer, ac), expected)
        unchanged("a", a, ac)
        bad = np.abs(got - expected) > 1e-12 + 1e-7 * np.abs(expected)
        if bad.any():
            i = tuple(np.argwhere(bad)[0])
            text = (f"your derivative is off at z = {fmt(z[i])} (a = {fmt(a[i])}): got {fmt(got[i])}, "
                    f"expected {fmt(expected[i])}")
            if np.allclose(got, F.sigmoid(a), rtol=1e-7, atol=1e-12):
                text += ". It equals sigmoid(a): the z-formula applied to the output a"
            elif np.allclose(got, F.sigmoid(z), rtol=1e-7, atol=1e-12):
                text += ". It equals sigmoid(z), but your function is given a, not z"
            raise Wrong(text)
        err = max(err, gradient_check("softplus", got, lambda: float(np.sum(F.softplus(z))), z))
    a32 = F.softplus(rand_z).astype(np.float32)
    same_dtype("the derivative", call(answer, a32), a32)
    return passed("outputs of fixed and random z, and float32", err)


# ------------------------------ typical wrong answers
def _leaky_always_one(z):
    return np.ones_like(z)


def _leaky_plain_relu(z):
    return (z > 0).astype(z.dtype)


def _softplus_z_formula_on_a(a):
    return F.sigmoid(a)


EXERCISES = [
    Exercise("03.leaky_relu_grad", leaky_relu_grad, _check_leaky_relu_grad, "fn(z) -> derivative", wrong=(
        WrongAnswer("derivative always 1", _leaky_always_one, "off at z < 0 (z = -3.0): got 1.0, expected 0.01",
                    same_as="ReLU derivative always 1 (chapters 3, 7, 8)"),
        WrongAnswer("plain ReLU derivative", _leaky_plain_relu, "off at z < 0 (z = -3.0): got 0.0, expected 0.01"),
    )),
    Exercise("03.softplus_grad_from_output", softplus_grad_from_output, _check_softplus_grad_from_output,
             "fn(a) -> derivative", wrong=(
        WrongAnswer("z-formula fed the output a", _softplus_z_formula_on_a, "the z-formula applied to the output a",
                    same_as="derivative for z fed the output a (chapters 3, 8: sigmoid_grad(a))"),
    )),
]
