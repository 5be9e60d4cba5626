"""Elementwise activation functions, their derivatives, and a stable softmax.

Chapter 1 introduces the sigmoid, chapter 3 derives every derivative here
(:math:`f'(z)` from the pre-activation and from the output), chapter 6 the
softmax.

Two kinds of derivative appear in backprop code, and mixing them up is the most
common bug there is:

* ``*_grad(z)`` takes the **pre-activation** ``z`` and returns ``f'(z)``.
* ``*_grad_from_output(a)`` takes the **output** ``a = f(z)`` and returns the same
  number ``f'(z)``, written in terms of ``a``. Sigmoid, tanh and ReLU allow this;
  it saves keeping ``z`` for the backward pass.

Feeding ``a`` to a function that expects ``z`` (or the reverse) still returns
numbers of the right shape, and a network trained with them still learns a
little. Only a gradient check catches it: see the bug clinic chapter.

Every function here returns finite values, without numpy warnings, for inputs
as large as ``|z| = 1e4`` and beyond, in float32 and float64.
"""

import numpy as np


def _as_float(x):
    """``x`` as an ndarray of floats (integers and bools become float64)."""
    x = np.asarray(x)
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def sigmoid(z):
    """Logistic sigmoid ``sigma(z) = 1 / (1 + exp(-z))``, computed stably.

    For ``z >= 0`` it uses ``1 / (1 + exp(-z))``, for ``z < 0`` the equal form
    ``exp(z) / (1 + exp(z))``, so ``exp`` only ever sees a non-positive number
    and cannot overflow.

    Parameters
    ----------
    z : ndarray of any shape
        Pre-activations.

    Returns
    -------
    a : ndarray of the same shape and dtype, values in [0, 1].
    """
    z = _as_float(z)
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    # One division serves both forms: the numerator is 1 where z >= 0 and e elsewhere.
    return np.where(z >= 0, 1.0, e) / (1.0 + e)


def sigmoid_grad(z):
    """Derivative of the sigmoid with respect to its input, from the **pre-activation** z.

    ``sigma'(z) = sigma(z) * (1 - sigma(z)) = sigma(z) * sigma(-z)``.

    The second form is the one computed: for large positive z, ``1 - sigma(z)``
    rounds to 0 and loses every digit, while ``sigma(-z)`` keeps them.
    """
    z = _as_float(z)
    return sigmoid(z) * sigmoid(-z)


def sigmoid_grad_from_output(a):
    """Derivative of the sigmoid, from the **output** ``a = sigma(z)``: ``a * (1 - a)``.

    Passing ``z`` here instead of ``a`` is wrong and gives ``z * (1 - z)``,
    which is negative for ``z > 1``.
    """
    return a * (1.0 - a)


def relu(z):
    """Rectified linear unit ``max(0, z)``."""
    return np.maximum(z, 0)


def relu_grad(z):
    """Derivative of ReLU from the **pre-activation** z: 0 for ``z <= 0``, 1 for ``z > 0``.

    ReLU has no derivative at exactly 0; like most libraries we use 0 there.
    The result has the dtype of ``z``.
    """
    z = _as_float(z)
    return (z > 0).astype(z.dtype)


def relu_grad_from_output(a):
    """Derivative of ReLU from the **output** ``a = max(0, z)``: 1 where ``a > 0``, else 0.

    The comparison must be strict. ``a >= 0`` is true for every output of a
    ReLU, so it would make the derivative always 1 and feed gradient to units
    that are switched off.
    """
    a = _as_float(a)
    return (a > 0).astype(a.dtype)


def tanh(z):
    """Hyperbolic tangent (numpy's, which is stable for large ``|z|``)."""
    return np.tanh(z)


def tanh_grad(z):
    """Derivative of tanh from the **pre-activation** z: ``1 - tanh(z)**2``."""
    a = np.tanh(z)
    return 1.0 - a * a


def tanh_grad_from_output(a):
    """Derivative of tanh from the **output** ``a = tanh(z)``: ``1 - a**2``."""
    return 1.0 - a * a


def identity(z):
    """The identity ``f(z) = z`` (a linear output unit)."""
    return z


def identity_grad(z):
    """Derivative of the identity: 1 everywhere (from z or from a alike)."""
    return np.ones_like(z)


identity_grad_from_output = identity_grad


def softmax(z, axis=-1):
    """Softmax along ``axis``, stable for large inputs.

    ``softmax(z)_k = exp(z_k - m) / sum_j exp(z_j - m)`` with ``m = max_j z_j``:
    subtracting the row maximum changes nothing mathematically and keeps every
    exponent at or below 0, so nothing overflows.

    Parameters
    ----------
    z : ndarray of shape (N, K)
        Logits, one row per example.

    Returns
    -------
    p : ndarray of shape (N, K), rows summing to 1.
    """
    shifted = z - np.max(z, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(z, axis=-1):
    """``log(softmax(z))`` computed without taking the log of a rounded-to-0 number."""
    z = _as_float(z)
    shifted = z - z.max(axis=axis, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=axis, keepdims=True))  # in place: no second array
    return shifted


def softplus(z):
    """``log(1 + exp(z))``, stable for large ``|z|`` (used by the binary cross-entropy)."""
    return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_grad, sigmoid_grad_from_output),
    "relu": (relu, relu_grad, relu_grad_from_output),
    "tanh": (tanh, tanh_grad, tanh_grad_from_output),
    "identity": (identity, identity_grad, identity_grad_from_output),
}
"""Name -> (f, f' from z, f' from a), for code that picks an activation by name."""
