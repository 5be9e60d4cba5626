"""Chapter 10, *Hand it to autograd*: the weight and bias a ``torch.nn.Linear`` needs to compute bplib's ``Dense``.

The reference answer, its checker and the typical wrong answers it must reject,
registered in ``EXERCISES`` for :mod:`bplib.course.exercises`.
"""

import numpy as np


from .checking import Exercise, WrongAnswer, as_result_array, call, compare, passed, same_dtype, tuple_of, unchanged


def torch_linear_params(W, b):
    """Reference: the weight and bias a torch.nn.Linear must hold to compute bplib's Dense.

    bplib's Dense computes z = x W + b with W of shape (D_in, D_out);
    torch.nn.Linear computes x weight^T + bias with weight of shape
    (D_out, D_in). So weight = W^T, of shape (D_out, D_in), and bias = b.
    """
    return W.T.copy(), b.copy()


def _check_torch_linear_params(answer):
    rng = np.random.default_rng(1010)
    # A 4 -> 3 layer shows a missing transpose as a shape; a square one only in the values.
    for D_in, D_out in ((4, 3), (3, 3)):
        W, b = rng.normal(size=(D_in, D_out)), rng.normal(size=D_out)
        Wc, bc = W.copy(), b.copy()
        out = tuple_of(call(answer, Wc, bc), ("weight", "bias"))
        unchanged("W", W, Wc)
        unchanged("b", b, bc)
        exp_weight, exp_bias = torch_linear_params(W, b)
        weight = as_result_array("weight", out[0], exp_weight)
        bias = as_result_array("bias", out[1], exp_bias)
        x = rng.normal(size=(5, D_in))
        note = f" (a {D_in} -> {D_out} layer)"
        compare("x @ weight.T + bias, what torch.nn.Linear computes,", x @ weight.T + bias, x @ W + b, note=note)
        compare("weight", weight, exp_weight, note=note)
    W32, b32 = rng.normal(size=(4, 3)).astype(np.float32), rng.normal(size=3).astype(np.float32)
    out = tuple_of(call(answer, W32, b32), ("weight", "bias"))
    same_dtype("weight", out[0], W32)
    same_dtype("bias", out[1], b32)
    return passed("a 4 -> 3 and a square 3 -> 3 layer, against x @ W + b, and float32")


# ------------------------------ typical wrong answers
def _linear_not_transposed(W, b):
    return W.copy(), b.copy()


def _linear_bias_as_column(W, b):
    return W.T.copy(), b[:, None].copy()


EXERCISES = [
    Exercise("10.torch_linear_params", torch_linear_params, _check_torch_linear_params,
             "fn(W, b) -> (weight, bias)", wrong=(
        WrongAnswer("W copied without its transpose", _linear_not_transposed,
                    "weight has shape (4, 3), expected (3, 4) (transposed?)",
                    same_as="formulas for column vectors in row-vector code (chapter 8, bug 8)"),
        WrongAnswer("bias as a column", _linear_bias_as_column, "bias has shape (3, 1), expected (3,)"),
    )),
]
