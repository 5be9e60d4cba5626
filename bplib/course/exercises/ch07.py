"""Chapter 7, *MNIST with dropout*: inverted dropout, backward and forward.

The reference answer, its checker and the typical wrong answers it must reject,
registered in ``EXERCISES`` for :mod:`bplib.course.exercises`.
"""

import numpy as np

from bplib.course import bugs

from .checking import (
    Exercise, Wrong, WrongAnswer, as_result_array, call, compare, fmt, gradient_check, passed, same_dtype,
    tuple_of, unchanged,
)


def dropout_backward(dout, mask):
    """Reference: the backward pass of inverted dropout.

    mask is the scaled mask the forward pass used (0 or 1 / (1 - p)).
    The derivative of a * mask with respect to a is mask, so
    dL/da = dL/d(a_tilde) * mask.
    """
    return dout * mask


def _dropout_masks(rng, shape, p, dtype=np.float64):
    return ((rng.random(shape) >= p) / (1.0 - p)).astype(dtype)


def _check_dropout_backward(answer):
    rng = np.random.default_rng(707)
    err = 0.0
    for shape, p in (((1, 8), 0.5), ((6, 5), 0.2)):
        dout, mask = rng.normal(size=shape), _dropout_masks(rng, shape, p)
        dc, mc = dout.copy(), mask.copy()
        expected = dropout_backward(dout, mask)
        got = as_result_array("dx", call(answer, dc, mc), expected)
        unchanged("dout", dout, dc)
        unchanged("mask", mask, mc)
        dropped = mask == 0  # the dropped units first: they must get no gradient at all
        compare("dx", got[dropped], expected[dropped], note=f" (p = {p:g})",
                 place=lambda i: "where the unit was dropped (mask = 0)")
        compare("dx", got[~dropped], expected[~dropped], note=f" (p = {p:g})",
                 place=lambda i, m=mask[~dropped]: f"where the unit was kept (mask = {fmt(m[i])})")
        a = rng.normal(size=shape)
        err = max(err, gradient_check("dx", got, lambda a=a, m=mask, d=dout: float(np.sum(d * (a * m))), a))
    d32, m32 = rng.normal(size=(3, 4)).astype(np.float32), _dropout_masks(rng, (3, 4), 0.5, np.float32)
    same_dtype("dx", call(answer, d32, m32), d32)
    return passed("masks with p = 0.5 and p = 0.2, and float32", err)


def dropout_forward(a, p, rng):
    """Reference: inverted dropout in training: (a * mask, mask).

    A unit is kept with probability 1 - p (u >= p for u uniform in
    [0, 1)) and scaled by 1 / (1 - p), so E[mask] = 1 and evaluation
    needs no rescaling. A fresh mask from rng, in the dtype of a.
    """
    keep = rng.random(a.shape) >= p
    mask = keep.astype(a.dtype) / a.dtype.type(1.0 - p)
    return a * mask, mask


def _check_dropout_forward(answer):
    a = np.random.default_rng(708).uniform(0.5, 2.0, size=(400, 500))
    for p in (0.2, 0.5):
        ac = a.copy()
        out = tuple_of(call(answer, ac, p, np.random.default_rng(1)), ("a_tilde", "mask"))
        unchanged("a", a, ac)
        a_tilde = as_result_array("a_tilde", out[0], a)
        mask = as_result_array("the mask", out[1], a)
        values = np.unique(mask)
        scale = 1.0 / (1.0 - p)
        if not np.all(np.isclose(values[:, None], [0.0, scale], rtol=1e-6, atol=0).any(axis=1)):
            shown = ", ".join(fmt(v) for v in values[:4]) + (", ..." if len(values) > 4 else "")
            raise Wrong(f"the mask holds the values {shown}; with p = {p:g} a dropped unit's mask is 0 and a "
                         f"kept unit's is 1/(1 - p) = {fmt(scale)} (inverted dropout)")
        kept = float(np.mean(mask > 0))
        if abs(kept - (1 - p)) > 0.01:
            raise Wrong(f"you kept {kept:.1%} of the units with p = {p:g}, expected about {1 - p:.0%} "
                         "(p is the probability of dropping a unit)")
        compare("a_tilde", a_tilde, a * mask, note=f" (p = {p:g})", place=lambda i: "(it should be a * mask)")
        again = tuple_of(call(answer, a.copy(), p, np.random.default_rng(1)), ("a_tilde", "mask"))
        if not np.array_equal(np.asarray(again[1]), mask):
            raise Wrong("two generators with the same seed gave different masks: draw from the rng you are given")
        gen = np.random.default_rng(2)
        first = np.asarray(call(answer, a.copy(), p, gen)[1]).copy()
        second = np.asarray(call(answer, a.copy(), p, gen)[1])
        if np.array_equal(first, second):
            raise Wrong("two calls with one generator gave the same mask: draw a fresh mask every call")
    same = tuple_of(call(answer, a.copy(), 0.0, np.random.default_rng(3)), ("a_tilde", "mask"))
    compare("a_tilde", as_result_array("a_tilde", same[0], a), a, note=" with p = 0 (nothing is dropped)")
    a32 = a[:3, :4].astype(np.float32)
    out32 = tuple_of(call(answer, a32, 0.5, np.random.default_rng(4)), ("a_tilde", "mask"))
    same_dtype("a_tilde", out32[0], a32)
    return ("The mask holds 0 and 1/(1 - p), the kept fraction is 1 - p for p = 0.2 and 0.5 on 200,000 units, "
            "a_tilde = a * mask, the masks come from the rng and are fresh at every call, p = 0 changes "
            "nothing, and float32 stays float32.")


# ------------------------------ typical wrong answers
def _dropout_unscaled_mask(dout, mask):
    return dout * (mask > 0)


def _dropout_forward_unscaled(a, p, rng):
    mask = bugs.dropout_mask_unscaled(rng, a.shape, p, a.dtype)
    return a * mask, mask


def _dropout_forward_keeps_p(a, p, rng):
    mask = (rng.random(a.shape) < p).astype(a.dtype) / a.dtype.type(1.0 - p)
    return a * mask, mask


EXERCISES = [
    Exercise("07.dropout_backward", dropout_backward, _check_dropout_backward, "fn(dout, mask) -> dx", wrong=(
        WrongAnswer("mask added, not multiplied", bugs.dropout_backward_adds_mask,
                    "where the unit was dropped (mask = 0)",
                    same_as="dropout that adds its mask (chapters 7, 8)"),
        WrongAnswer("mask without its 1/(1 - p)", _dropout_unscaled_mask, "where the unit was kept (mask = 2.0)"),
    )),
    Exercise("07.dropout_forward", dropout_forward, _check_dropout_forward, "fn(a, p, rng) -> (a_tilde, mask)", wrong=(
        WrongAnswer("kept units not rescaled", _dropout_forward_unscaled, "1/(1 - p) = 1.25",
                    same_as="dropout without the scaling (chapter 8, bug 3)"),
        WrongAnswer("keeps a unit with probability p", _dropout_forward_keeps_p, "probability of dropping"),
    )),
]
