"""The gradient-check helpers catch real bugs and pass correct code.

``check_function`` checks any hand-written ``loss_and_grads(params, ...)``;
``check_step`` checks the update a training step actually makes. Each test
plants one bug of the kind the bug clinic chapter describes and asserts that
the check reports it (relative error above 1e-3) on the parameters it touches,
and only there, while the correct code stays below 1e-7.
"""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import bplib as bp
from bplib import functions as F
from bplib.gradcheck import check_function, check_layer, check_step, error_table

PASS, FAIL = 1e-7, 1e-3


# --- a small hand-written network: tanh hidden layer, linear output, MSE -------

def make_params(n_in=3, n_hidden=4, n_out=2, seed=0):
    rng = np.random.default_rng(seed)
    return {
        "W1": rng.normal(0, 0.8, (n_in, n_hidden)),
        "b1": rng.normal(0, 0.3, n_hidden),
        "W2": rng.normal(0, 0.8, (n_hidden, n_out)),
        "b2": rng.normal(0, 0.3, n_out),
    }


def make_batch(n=6, n_in=3, n_out=2, seed=1):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n_in)), rng.normal(size=(n, n_out))


def loss_and_grads(p, x, t, bug=None):
    """L = (1/N) sum 0.5 ||y - t||^2 with y = tanh(x W1 + b1) W2 + b2, and its gradients."""
    z1 = x @ p["W1"] + p["b1"]
    a1 = np.tanh(z1)
    y = a1 @ p["W2"] + p["b2"]
    n = len(x)
    loss = 0.5 * np.sum((y - t) ** 2) / n
    delta2 = (y - t) / n
    W2_back = p["W2"]
    if bug == "wrong weight":  # the hidden delta reads the weights of another unit
        W2_back = p["W2"][::-1]
    delta1 = (delta2 @ W2_back.T) * (1 - a1**2)
    if bug == "derivative of z applied to a":
        delta1 = (delta2 @ p["W2"].T) * F.tanh_grad(a1)
    grads = {"W1": x.T @ delta1, "b1": delta1.sum(axis=0), "W2": a1.T @ delta2, "b2": delta2.sum(axis=0)}
    if bug == "factor 2":
        grads["W2"] = 2 * grads["W2"]
    if bug == "sign":
        grads["b1"] = -grads["b1"]
    return loss, grads


def sgd_step(p, x, t, lr):
    _, grads = loss_and_grads(p, x, t)
    for key in p:
        p[key] -= lr * grads[key]


def sgd_step_mixed_signs(p, x, t, lr):
    _, grads = loss_and_grads(p, x, t)
    for key in p:
        p[key] += lr * grads[key]  # climbs


def sgd_step_early_update(p, x, t, lr):
    """W2 is updated before the hidden delta is computed from it."""
    a1 = np.tanh(x @ p["W1"] + p["b1"])
    y = a1 @ p["W2"] + p["b2"]
    delta2 = (y - t) / len(x)
    p["W2"] -= lr * a1.T @ delta2
    p["b2"] -= lr * delta2.sum(axis=0)
    delta1 = (delta2 @ p["W2"].T) * (1 - a1**2)
    p["W1"] -= lr * x.T @ delta1
    p["b1"] -= lr * delta1.sum(axis=0)


def loss_only(p, x, t):
    return loss_and_grads(p, x, t)[0]


# --- check_function -----------------------------------------------------------

def test_check_function_passes_correct_code():
    errors = check_function(loss_and_grads, make_params(), *make_batch())
    assert set(errors) == {"W1", "b1", "W2", "b2"}
    assert max(errors.values()) < PASS, errors


@pytest.mark.parametrize(
    "bug, bad",
    [
        ("wrong weight", {"W1", "b1"}),
        ("derivative of z applied to a", {"W1", "b1"}),
        ("factor 2", {"W2"}),
        ("sign", {"b1"}),
    ],
)
def test_check_function_catches_a_planted_bug_where_it_is(bug, bad):
    errors = check_function(loss_and_grads, make_params(), *make_batch(), bug=bug)
    for name, err in errors.items():
        if name in bad:
            assert err > FAIL, (bug, name, err)
        else:
            assert err < PASS, (bug, name, err)


def test_relative_error_of_simple_planted_bugs_is_exact():
    x, t = make_batch()
    # ||g - 2g|| / (||g|| + ||2g||) = 1/3 and ||g + g|| / (2 ||g||) = 1
    assert check_function(loss_and_grads, make_params(), x, t, bug="factor 2")["W2"] == pytest.approx(1 / 3, rel=1e-6)
    assert check_function(loss_and_grads, make_params(), x, t, bug="sign")["b1"] == pytest.approx(1.0, rel=1e-6)


def test_check_function_restores_the_parameters_exactly():
    params = make_params()
    before = {key: value.copy() for key, value in params.items()}
    check_function(loss_and_grads, params, *make_batch())
    for key in params:
        assert np.array_equal(params[key], before[key])


def test_check_function_copies_gradients_returned_in_a_shared_buffer():
    buffers = {key: np.zeros_like(value) for key, value in make_params().items()}

    def loss_and_grads_into_buffers(p, x, t):
        loss, grads = loss_and_grads(p, x, t)
        for key in grads:
            buffers[key][...] = grads[key]  # overwritten by every later call
        return loss, buffers

    errors = check_function(loss_and_grads_into_buffers, make_params(), *make_batch())
    assert max(errors.values()) < PASS, errors


def test_check_function_passes_args_and_kwargs_on():
    seen = {}

    def f(p, x, t, scale=1.0):
        seen["scale"] = scale
        loss, grads = loss_and_grads(p, x, t)
        return scale * loss, {key: scale * g for key, g in grads.items()}

    errors = check_function(f, make_params(), *make_batch(), scale=3.0)
    assert seen["scale"] == 3.0 and max(errors.values()) < PASS


# A random network can have a parameter whose gradient is a thousandth of the loss or less
# (here b1: |g| = 5e-4 with L = 0.99). The three-point difference at eps = 1e-6 measures such a
# gradient only to about 1e-16 * L / eps / |g| = 2e-7, above the pass mark, although the code is
# right: rounding, not a bug (see bplib.gradcheck's module docstring). Checked with the default
# difference, the property below failed for about one random seed in forty, on every Python (seen
# first on 3.10). The five-point difference at eps = 1e-4 cuts the rounding a hundredfold, and is
# what the property checks with; the network that showed it is always among the examples.
SMALL_GRADIENT = dict(n=6, n_in=5, n_hidden=1, n_out=1, seed=7)


def test_a_small_gradient_sits_at_the_rounding_floor_of_the_three_point_difference():
    params = make_params(SMALL_GRADIENT["n_in"], SMALL_GRADIENT["n_hidden"], SMALL_GRADIENT["n_out"], SMALL_GRADIENT["seed"])
    x, t = make_batch(SMALL_GRADIENT["n"], SMALL_GRADIENT["n_in"], SMALL_GRADIENT["n_out"], SMALL_GRADIENT["seed"] + 1)
    loss, grads = loss_and_grads(params, x, t)
    assert np.linalg.norm(grads["b1"]) < 1e-3 * loss
    assert check_function(loss_and_grads, params, x, t)["b1"] > PASS  # the floor, not a bug ...
    assert check_function(loss_and_grads, params, x, t, eps=1e-4, order=4)["b1"] < PASS / 10  # ... as order 4 shows


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 8),
    n_in=st.integers(1, 5),
    n_hidden=st.integers(1, 6),
    n_out=st.integers(1, 4),
    seed=st.integers(0, 10_000),
)
@example(**SMALL_GRADIENT)
def test_check_function_separates_right_from_wrong_on_random_networks(n, n_in, n_hidden, n_out, seed):
    params = make_params(n_in, n_hidden, n_out, seed)
    x, t = make_batch(n, n_in, n_out, seed + 1)
    assert max(check_function(loss_and_grads, params, x, t, eps=1e-4, order=4).values()) < PASS
    assert check_function(loss_and_grads, params, x, t, bug="factor 2")["W2"] > FAIL
    assert check_function(loss_and_grads, params, x, t, eps=1e-4, order=4, bug="factor 2")["W2"] > FAIL


def test_check_function_refuses_bad_input_before_arithmetic():
    x, t = make_batch()
    params = make_params()
    with pytest.raises(TypeError, match="float64"):
        check_function(loss_and_grads, {**params, "W1": params["W1"].astype(np.float32)}, x, t)
    with pytest.raises(TypeError, match="dict"):
        check_function(loss_and_grads, [params["W1"]], x, t)
    with pytest.raises(TypeError, match=r"\(loss, grads\)"):
        check_function(lambda p, x, t: loss_and_grads(p, x, t)[0], params, x, t)
    with pytest.raises(ValueError, match="missing.*b2"):
        check_function(lambda p, x, t: (0.0, {k: v for k, v in loss_and_grads(p, x, t)[1].items() if k != "b2"}),
                       params, x, t)
    with pytest.raises(ValueError, match=r"'W1' has shape \(4, 3\), expected \(3, 4\)"):
        check_function(lambda p, x, t: (0.0, {**loss_and_grads(p, x, t)[1], "W1": np.zeros((4, 3))}), params, x, t)


# --- check_step ---------------------------------------------------------------

@pytest.mark.parametrize("lr", [1e-3, 0.1, 2.0])
def test_check_step_passes_a_correct_update_at_any_learning_rate(lr):
    errors = check_step(sgd_step, loss_and_grads, make_params(), *make_batch(), lr=lr)
    assert max(errors.values()) < PASS, errors


def test_check_step_accepts_a_loss_returning_a_number():
    errors = check_step(sgd_step, loss_only, make_params(), *make_batch(), lr=0.1)
    assert max(errors.values()) < PASS


def test_check_step_sees_a_step_that_climbs():
    errors = check_step(sgd_step_mixed_signs, loss_and_grads, make_params(), *make_batch(), lr=0.1)
    assert all(err == pytest.approx(1.0, abs=1e-6) for err in errors.values()), errors


def test_check_step_sees_an_early_update_in_proportion_to_the_learning_rate():
    x, t = make_batch()
    small = check_step(sgd_step_early_update, loss_and_grads, make_params(), x, t, lr=0.01)
    large = check_step(sgd_step_early_update, loss_and_grads, make_params(), x, t, lr=0.1)
    assert large["W1"] > FAIL and large["b1"] > FAIL
    assert large["W2"] < PASS and large["b2"] < PASS  # the output layer's own step is right
    assert 7 < large["W1"] / small["W1"] < 13  # proportional to lr


def test_check_step_leaves_the_callers_parameters_alone():
    params = make_params()
    before = {key: value.copy() for key, value in params.items()}
    check_step(sgd_step, loss_and_grads, params, *make_batch(), lr=0.5)
    for key in params:
        assert np.array_equal(params[key], before[key])


def test_check_step_accepts_steps_that_rebind_or_return_new_parameters():
    x, t = make_batch()

    def rebinding_step(p, x, t, lr):
        _, grads = loss_and_grads(p, x, t)
        for key in list(p):
            p[key] = p[key] - lr * grads[key]

    def returning_step(p, x, t, lr):
        _, grads = loss_and_grads(p, x, t)
        return {key: p[key] - lr * grads[key] for key in p}

    for step in (rebinding_step, returning_step):
        assert max(check_step(step, loss_and_grads, make_params(), x, t, lr=0.3).values()) < PASS


def test_check_step_refuses_bad_input():
    x, t = make_batch()
    for lr in (0, -0.1, float("nan"), "0.1"):
        with pytest.raises(ValueError, match="lr"):
            check_step(sgd_step, loss_and_grads, make_params(), x, t, lr=lr)

    def shape_changing_step(p, x, t, lr):
        p["b1"] = np.zeros(7)

    with pytest.raises(ValueError, match="'b1'"):
        check_step(shape_changing_step, loss_and_grads, make_params(), x, t, lr=0.1)


# --- check_layer on a reader's own layer --------------------------------------

class ReLUAlwaysOne(bp.ReLU):
    def backward(self, dout):
        return dout * (self._a >= 0)


def test_check_layer_catches_a_relu_derivative_that_is_always_one():
    x = np.random.default_rng(0).normal(size=(6, 5))  # about half the units are off
    assert check_layer(bp.ReLU(), x, np.random.default_rng(1))["input"] < PASS
    assert check_layer(ReLUAlwaysOne(), x, np.random.default_rng(1))["input"] > FAIL


# --- error_table --------------------------------------------------------------

def test_error_table_marks_each_entry_and_lines_up_columns():
    table = error_table({"buggy": {"W1": 0.25, "b1": 3e-11}, "fixed": {"W1": 2e-10, "b1": 3e-11, "W2": 1e-9}})
    lines = table.splitlines()
    assert lines[0].split() == ["parameter", "buggy", "fixed"]
    assert lines[1].split() == ["W1", "2.5e-01", "FAIL", "2.0e-10", "ok"]
    assert lines[3].split() == ["W2", "-", "1.0e-09", "ok"]
    assert len({len(line) for line in lines}) == 1


def test_error_table_of_a_single_result_and_a_custom_tolerance():
    table = error_table({"input": 5e-6}, tol=1e-5)
    assert "relative error" in table.splitlines()[0]
    assert table.splitlines()[1].split() == ["input", "5.0e-06", "ok"]
    assert "FAIL" in error_table({"input": float("nan")})
