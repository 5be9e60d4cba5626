"""Gradient checking: compare backprop's gradients with central differences.

The central difference ``(f(x + eps) - f(x - eps)) / (2 eps)`` has an error
of order ``eps**2``, against ``eps`` for the one-sided difference. In float64,
with ``eps = 1e-6``, a correct backward pass agrees with it to a relative error
of about 1e-8 or better, while a wrong one is off by 1e-3 or more; that gap is
what makes the check a test.
"""

import numpy as np

from .layers import Dropout


def numerical_gradient(f, x, eps=1e-6):
    """Central-difference gradient of a scalar function ``f`` at the array ``x``.

    ``x`` is perturbed in place one element at a time and restored, so ``f``
    may read ``x`` directly (for example a weight array inside a network).

    Returns
    -------
    ndarray of the shape of ``x``.
    """
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError(f"numerical_gradient: x must be a float ndarray, got {type(x).__name__}")
    grad = np.zeros_like(x, dtype=np.float64)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("numerical_gradient: x must be contiguous so it can be perturbed in place")
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        f_plus = f()
        flat[i] = old - eps
        f_minus = f()
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def relative_error(a, b):
    """``||a - b|| / (||a|| + ||b||)``: 0 when equal, 1 when opposite; 0 when both are 0.

    Measured on whole arrays, so a tiny gradient element does not blow the
    ratio up the way an elementwise ratio would.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error: shapes differ, {a.shape} and {b.shape}")
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def _fix_dropout_masks(network, x):
    """Draw one set of dropout masks and keep them, so the loss is one fixed function."""
    dropouts = [layer for layer in network.layers if isinstance(layer, Dropout)]
    saved = [layer.fixed_mask for layer in dropouts]
    for layer in dropouts:
        layer.fixed_mask = False
    network.forward(x, training=True)
    for layer in dropouts:
        layer.fixed_mask = True
    return dropouts, saved


def check_network(network, loss, x, t, eps=1e-6, include_input=True):
    """Largest relative error between backprop and central differences, per parameter.

    Runs in training mode with every dropout mask drawn once and then held
    fixed. Returns a dict from parameter name (``"dense0.W"``…) to its relative
    error, plus ``"input"`` for dL/dx when ``include_input``.
    """
    dropouts, saved = _fix_dropout_masks(network, x)
    try:
        x = np.array(x, dtype=np.float64 if np.asarray(x).dtype.kind != "f" else np.asarray(x).dtype)

        def f():
            return loss.forward(network.forward(x, training=True), t)

        f()
        dx = network.backward(loss.backward())
        analytic = {name: layer.grads[key].copy() for name, layer, key in network.parameters()}
        errors = {}
        for name, layer, key in network.parameters():
            errors[name] = relative_error(analytic[name], numerical_gradient(f, layer.params[key], eps))
        if include_input:
            errors["input"] = relative_error(dx, numerical_gradient(f, x, eps))
        return errors
    finally:
        for layer, fixed in zip(dropouts, saved):
            layer.fixed_mask = fixed


def check_layer(layer, x, rng, eps=1e-6):
    """Check any forward/backward pair: a bplib layer or a reader's own.

    ``layer`` needs ``forward(x, training=...)`` and ``backward(dout)``; if it
    has ``params`` and ``grads`` dicts, those are checked too. The scalar used
    is ``L = sum(forward(x) * R)`` for a fixed random ``R``, whose gradient with
    respect to the output is ``R``: every output element gets its own weight, so
    a mistake anywhere shows.

    Returns a dict from ``"input"`` and each parameter name to its relative error.
    """
    x = np.array(x, dtype=np.float64)
    R = rng.standard_normal(np.shape(layer.forward(x, training=True)))
    if isinstance(layer, Dropout):
        layer.fixed_mask, saved = True, layer.fixed_mask
    else:
        saved = None

    def f():
        return float(np.sum(layer.forward(x, training=True) * R))

    try:
        f()
        dx = layer.backward(R)
        params, grads = getattr(layer, "params", {}), getattr(layer, "grads", {})
        analytic = {key: np.array(grads[key], dtype=np.float64) for key in params}
        errors = {"input": relative_error(dx, numerical_gradient(f, x, eps))}
        for key in params:
            errors[key] = relative_error(analytic[key], numerical_gradient(f, params[key], eps))
        return errors
    finally:
        if saved is not None:
            layer.fixed_mask = saved


def assert_gradients_ok(errors, tol=1e-7):
    """Raise ``AssertionError`` listing every entry of a check's result above ``tol``."""
    bad = {name: err for name, err in errors.items() if not err < tol}
    if bad:
        lines = "\n".join(f"  {name}: relative error {err:.3e}" for name, err in bad.items())
        raise AssertionError(f"gradient check failed (tolerance {tol:g}):\n{lines}")
    return errors
