"""Gradient checking: compare backprop's gradients with central differences.

The central difference ``(f(x + eps) - f(x - eps)) / (2 eps)`` has an error
of order ``eps**2``, against ``eps`` for the one-sided difference. In float64,
with ``eps = 1e-6``, a correct backward pass agrees with it to a relative error
of about 1e-8 or better, while a wrong one is off by 1e-3 or more; that gap is
what makes the check a test.

Rounding sets the floor: the loss is known only to about 1e-16 of its size, so
the difference quotient carries an error near ``1e-16 * |L| / eps``. A deep
sigmoid network whose first-layer gradient is 1e-4 of the loss is then checked
to no better than about 1e-6. ``order=4`` uses the five-point stencil
``(8 (f(x+h) - f(x-h)) - (f(x+2h) - f(x-2h))) / (12 h)``, whose error is of
order ``h**4``, so a step of ``1e-4`` keeps truncation negligible while
cutting rounding a hundredfold, at twice the cost. Near a ReLU kink a larger
step is riskier: both probes must stay on one side of every ``z = 0``.

``check_network`` checks a network with a loss, ``check_layer`` any object with
``forward`` and ``backward``, ``check_function`` a hand-written
``loss_and_grads(params, ...)``, and ``check_step`` the update a training step
actually makes (a flipped sign, weights updated too early). Each returns a dict
from name to relative error; ``error_table`` prints such dicts side by side and
``assert_gradients_ok`` turns one into a test.
``diagnose`` says what kind of wrong a gradient is: a scale error (a missing
:math:`1/N`) points the right way, a sign error the opposite way.

Chapter 2 derives the central difference and the relative error, chapter 8
(the bug clinic) uses every check here.
"""

from typing import NamedTuple

import numpy as np

from ._checks import as_float_array, check_batch, check_finite
from .layers import Dropout


def numerical_gradient(f, x, eps=1e-6, order=2):
    """Central-difference gradient of a scalar function ``f`` at the array ``x``.

    ``x`` is perturbed in place one element at a time and restored, so ``f``
    may read ``x`` directly (for example a weight array inside a network).
    ``order=2`` is the three-point difference ``(f(x+eps) - f(x-eps)) / (2 eps)``;
    ``order=4`` the five-point one (see the module docstring).

    Returns
    -------
    ndarray of the shape of ``x``.
    """
    if not callable(f):
        raise TypeError(f"numerical_gradient: f must be a function of no arguments, got {type(f).__name__}")
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError(f"numerical_gradient: x must be a float ndarray, got {type(x).__name__} "
                        f"{getattr(x, 'dtype', '')}".rstrip())
    _check_eps(eps, "numerical_gradient")
    if x.size == 0 or not np.isfinite(x).all():
        raise ValueError(f"numerical_gradient: x of shape {x.shape} is empty or holds NaN or infinity")
    grad = np.zeros_like(x, dtype=np.float64)
    flat, gflat = x.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, x):
        raise ValueError("numerical_gradient: x must be contiguous so it can be perturbed in place")
    if order not in (2, 4):
        raise ValueError(f"numerical_gradient: order must be 2 or 4, got {order!r}")

    def f_at(i, value):
        flat[i] = value
        return f()

    for i in range(flat.size):
        old = flat[i]
        near = f_at(i, old + eps) - f_at(i, old - eps)
        if order == 2:
            gflat[i] = near / (2 * eps)
        else:
            far = f_at(i, old + 2 * eps) - f_at(i, old - 2 * eps)
            gflat[i] = (8 * near - far) / (12 * eps)
        flat[i] = old
    return grad


def _check_eps(eps, where):
    if isinstance(eps, bool) or not isinstance(eps, (int, float, np.floating)) or not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"{where}: eps must be a positive number, got {eps!r}")


def relative_error(a, b):
    """``||a - b|| / (||a|| + ||b||)``: 0 when equal, 1 when opposite; 0 when both are 0.

    Measured on whole arrays, so a tiny gradient element does not blow the
    ratio up the way an elementwise ratio would.
    """
    a, b = (np.asarray(v) if isinstance(v, (int, float, np.number)) and not isinstance(v, bool) else v for v in (a, b))
    a = as_float_array(a, "relative_error", "a").astype(np.float64)  # numbers and arrays; not strings or None
    b = as_float_array(b, "relative_error", "b").astype(np.float64)
    if a.shape != b.shape:
        raise ValueError(f"relative_error: shapes differ, {a.shape} and {b.shape}")
    check_finite(a, "relative_error", "a")
    check_finite(b, "relative_error", "b")
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


class Diagnosis(NamedTuple):
    """What :func:`diagnose` found when it compared an analytic gradient with a numerical one."""

    relative_error: float
    cosine: float
    norm_ratio: float
    verdict: str

    def __str__(self):
        line = (f"relative error {self.relative_error:.2e}, cosine {self.cosine:+.6f}, "
                f"norm ratio {self.norm_ratio:.4g}: {self.verdict}")
        if self.verdict == "scale error":
            line += f" (points the right way, {self.norm_ratio:.4g}x as long)"
        return line


def diagnose(analytic, numerical, tol=1e-6):
    """Tell a correct gradient from a scale error, a sign error and a wrong direction.

    The relative error alone cannot: a gradient ``c`` times too long has
    relative error ``|1 - c| / (1 + c)``, which is 0.9955 for ``c = 441``,
    almost the 1.0 of a flipped sign. Two more numbers separate them:

    * ``cosine = <a, n> / (||a|| ||n||)``, the cosine of the angle between the
      gradients: +1 when they point the same way, -1 when opposite;
    * ``norm_ratio = ||a|| / ||n||``: how many times too long ``a`` is.

    Returns a :class:`Diagnosis` ``(relative_error, cosine, norm_ratio, verdict)``
    whose verdict is ``"match"`` (relative error below ``tol``), ``"scale error"``
    (cosine above 0.9999 but the lengths differ: a missing or extra factor such
    as 1/N), ``"sign error"`` (cosine below -0.9999) or ``"wrong direction"``.
    """
    err = relative_error(analytic, numerical)
    a = np.asarray(analytic, dtype=np.float64).ravel()
    n = np.asarray(numerical, dtype=np.float64).ravel()
    norm_a, norm_n = np.linalg.norm(a), np.linalg.norm(n)
    if norm_a == 0 or norm_n == 0:
        cosine = 1.0 if norm_a == norm_n else 0.0
        ratio = 1.0 if norm_a == norm_n else (np.inf if norm_n == 0 else 0.0)
    else:
        cosine, ratio = float(a @ n / (norm_a * norm_n)), float(norm_a / norm_n)
    if err < tol:
        verdict = "match"
    elif cosine > 0.9999:
        verdict = "scale error"
    elif cosine < -0.9999:
        verdict = "sign error"
    else:
        verdict = "wrong direction"
    return Diagnosis(err, cosine, ratio, verdict)


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


def check_network(network, loss, x, t, eps=1e-6, include_input=True, order=2):
    """Largest relative error between backprop and central differences, per parameter.

    Runs in training mode with every dropout mask drawn once and then held
    fixed. Returns a dict from parameter name (``"dense0.W"``…) to its relative
    error, plus ``"input"`` for dL/dx when ``include_input``. ``eps`` and
    ``order`` choose the difference (see ``numerical_gradient``).

    Afterwards every layer's ``grads`` holds the gradient of this batch, as
    after ``Network.train_step``; the parameters themselves are unchanged.
    """
    from .losses import Loss
    from .network import Network

    if not isinstance(network, Network):
        raise TypeError(f"check_network: network must be a bplib Network, got {type(network).__name__}")
    if not isinstance(loss, Loss):
        raise TypeError(f"check_network: loss must be a bplib Loss, got {type(loss).__name__}")
    x = np.array(check_batch(x, "check_network", network.n_in, name="x"))  # a copy: the check perturbs it
    _check_eps(eps, "check_network")
    try:  # the targets, checked before anything is drawn or perturbed
        loss.forward(network.forward(x), t)
    except (TypeError, ValueError) as err:
        raise type(err)(f"check_network: {err}") from None
    dropouts, saved = _fix_dropout_masks(network, x)
    try:

        def f():
            return loss.forward(network.forward(x, training=True), t)

        f()
        dx = network.backward(loss.backward())
        analytic = {name: layer.grads[key].copy() for name, layer, key in network.parameters()}
        errors = {}
        for name, layer, key in network.parameters():
            errors[name] = relative_error(analytic[name], numerical_gradient(f, layer.params[key], eps, order))
        if include_input:
            errors["input"] = relative_error(dx, numerical_gradient(f, x, eps, order))
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
    if not (callable(getattr(layer, "forward", None)) and callable(getattr(layer, "backward", None))):
        raise TypeError(f"check_layer: layer needs forward(x, training=...) and backward(dout), got {type(layer).__name__}")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"check_layer: needs rng=numpy.random.default_rng(seed), got {rng!r}")
    _check_eps(eps, "check_layer")
    x = check_batch(x, "check_layer").astype(np.float64)  # a float64 copy: the check perturbs it
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


def _check_params(params, where):
    """Refuse anything but a non-empty dict of float64 arrays, before any arithmetic."""
    if not isinstance(params, dict) or not params:
        raise TypeError(f"{where}: params must be a non-empty dict of numpy arrays, got {type(params).__name__}")
    for key, value in params.items():
        if isinstance(value, np.ndarray) and value.dtype == np.float64 and (value.size == 0 or not np.isfinite(value).all()):
            raise ValueError(f"{where}: parameter {key!r} of shape {value.shape} is empty or holds NaN or infinity")
        if not isinstance(value, np.ndarray):
            raise TypeError(f"{where}: parameter {key!r} must be a numpy array, got {type(value).__name__}")
        if value.dtype != np.float64:
            raise TypeError(
                f"{where}: parameter {key!r} has dtype {value.dtype}; a gradient check needs float64 "
                "(float32 rounding alone gives relative errors near 1e-3, the size of a real bug)"
            )


def _loss_value(out):
    """The loss from what a function returned: a number, or the first item of ``(loss, grads)``."""
    return float(out[0] if isinstance(out, tuple) else out)


def check_function(loss_and_grads, params, *args, eps=1e-6, order=2, **kwargs):
    """Check a hand-written ``loss_and_grads`` against central differences, parameter by parameter.

    Parameters
    ----------
    loss_and_grads : callable
        ``loss_and_grads(params, *args, **kwargs)`` returns ``(loss, grads)``:
        the loss as a number and a dict with one gradient array per key of
        ``params``, of the same shape. It must read the parameters from the
        ``params`` arrays it is given (the check perturbs them in place) and
        draw no fresh random numbers between calls (fix any dropout mask).
    params : dict of str -> float64 ndarray
        The point at which to check. The arrays are restored exactly afterwards.
    *args, **kwargs
        Passed on to ``loss_and_grads``, e.g. a batch ``x, t``.
    eps : float
        Step of the central difference.
    order : 2 or 4
        The three-point or the five-point difference (see ``numerical_gradient``).
        A parameter whose gradient is a thousandth of the loss or less is
        checked at ``eps=1e-6, order=2`` only to about 1e-7, the rounding floor
        of the module docstring; ``eps=1e-4, order=4`` checks it a hundred
        times more finely.

    Returns
    -------
    dict from each parameter name to the relative error between the gradient
    ``loss_and_grads`` returned and the numerical one.

    Examples
    --------
    >>> def loss_and_grads(p, x):
    ...     return float(np.sum((x @ p["w"]) ** 2)), {"w": 2 * x.T @ (x @ p["w"])}
    >>> errors = check_function(loss_and_grads, {"w": np.ones(2)}, np.eye(2))
    >>> errors["w"] < 1e-7
    True
    """
    _check_params(params, "check_function")
    if not callable(loss_and_grads):
        raise TypeError(f"check_function: loss_and_grads must be a function, got {type(loss_and_grads).__name__}")
    _check_eps(eps, "check_function")
    out = loss_and_grads(params, *args, **kwargs)
    if not (isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], dict)):
        raise TypeError(
            f"check_function: loss_and_grads must return (loss, grads) with grads a dict, got {type(out).__name__}"
        )
    grads = out[1]
    missing, extra = set(params) - set(grads), set(grads) - set(params)
    if missing or extra:
        raise ValueError(
            f"check_function: grads must have the keys of params {sorted(params)}; "
            f"missing {sorted(missing)}, unexpected {sorted(extra)}"
        )
    analytic = {}
    for key in params:
        grad = np.array(grads[key], dtype=np.float64)  # a copy: later calls may overwrite a shared buffer
        if grad.shape != params[key].shape:
            raise ValueError(
                f"check_function: gradient {key!r} has shape {grad.shape}, expected {params[key].shape} "
                "(the shape of the parameter)"
            )
        analytic[key] = grad

    def f():
        return _loss_value(loss_and_grads(params, *args, **kwargs))

    return {key: relative_error(analytic[key], numerical_gradient(f, params[key], eps, order)) for key in params}


def check_step(step, loss, params, *args, lr, eps=1e-6, **kwargs):
    """Check the step a training update actually takes, parameter by parameter.

    Plain gradient descent moves every parameter by ``-lr * dL/dp``, so the
    step it took, divided by ``-lr``, is the gradient it followed:

        ``g_taken = (p_before - p_after) / lr``.

    This compares ``g_taken`` with the central-difference gradient of ``loss``
    at ``p_before``. Unlike ``check_function`` it does not care what the code
    calls its variables or which sign convention it uses; it sees bugs in the
    update itself: a sign that makes the step climb (relative error 1), or a
    layer's weights updated before another layer's gradient was computed from
    them (an error that grows in proportion to ``lr``).

    Parameters
    ----------
    step : callable
        ``step(params, *args, lr=lr, **kwargs)`` makes one plain gradient-descent
        update, in place (``p -= ...`` or ``params[key] = ...``), or returns the
        new dict of parameters. Its other return values are ignored. It is run
        on a copy: the caller's ``params`` are left as they were.
    loss : callable
        ``loss(params, *args, **kwargs)`` returns the loss the step should
        descend, as a number or as the first item of ``(loss, grads)``, so a
        ``loss_and_grads`` function can be passed as it is.
    params : dict of str -> float64 ndarray
        The weights before the step.
    lr : float
        The learning rate the step is run with (keyword only).

    Returns
    -------
    dict from each parameter name to the relative error between ``g_taken``
    and the numerical gradient.

    Notes
    -----
    Only steps of plain gradient descent can be checked this way: momentum or
    Adam move the weights along something other than the current gradient by
    design.
    """
    _check_params(params, "check_step")
    if not (isinstance(lr, (int, float)) and np.isfinite(lr) and lr > 0):
        raise ValueError(f"check_step: lr must be a positive number, got {lr!r}")

    def f():
        return _loss_value(loss(params, *args, **kwargs))

    numeric = {key: numerical_gradient(f, params[key], eps) for key in params}
    trial = {key: value.copy() for key, value in params.items()}
    result = step(trial, *args, lr=lr, **kwargs)
    after = result if isinstance(result, dict) else trial
    errors = {}
    for key in params:
        if key not in after or np.shape(after[key]) != params[key].shape:
            raise ValueError(f"check_step: after the step, parameter {key!r} is missing or has changed shape")
        taken = (params[key] - np.asarray(after[key], dtype=np.float64)) / lr
        errors[key] = relative_error(taken, numeric[key])
    return errors


def error_table(results, tol=1e-7):
    """A text table of relative errors: one row per parameter, one column per check.

    Parameters
    ----------
    results : dict
        Either one check's result (name -> relative error) or several, keyed by
        a column label: ``{"buggy": errors, "fixed": errors}``.
    tol : float
        Entries below ``tol`` are marked ``ok``, the rest ``FAIL``.

    Returns
    -------
    str, ready to print.
    """
    if results and all(isinstance(v, dict) for v in results.values()):
        columns = results
    else:
        columns = {"relative error": results}
    rows = []
    for errors in columns.values():
        rows += [name for name in errors if name not in rows]
    width = max([len("parameter")] + [len(str(name)) for name in rows])
    cell = max([14] + [len(str(label)) for label in columns])

    def mark(err):
        return f"{err:.1e} {'ok' if err < tol else 'FAIL'}"

    lines = [f"{'parameter':<{width}}  " + "  ".join(f"{str(label):>{cell}}" for label in columns)]
    for name in rows:
        cells = [mark(errors[name]) if name in errors else "-" for errors in columns.values()]
        lines.append(f"{str(name):<{width}}  " + "  ".join(f"{c:>{cell}}" for c in cells))
    return "\n".join(lines)
