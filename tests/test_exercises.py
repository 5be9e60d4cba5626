"""The checkers of bplib.course.exercises, and the Exercises section that ends every chapter.

A checker must accept its reference answer, reject every typical wrong answer
with the message its entry in WRONG_ANSWERS promises, call an unfilled stub
"not attempted", and never raise for a wrong answer; bad input to the checker
itself raises ValueError or TypeError.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from bplib.course import exercises as E
from bplib.course.exercises import checking
from conftest import ROOT

KEYS = E.keys()
WRONG = [(key, w) for key in KEYS for w in E.wrong_answers(key)]


def returns_none(*args):
    return None


def not_implemented(*args):
    raise NotImplementedError


def crashes(*args):
    raise IndexError("index 7 is out of bounds")


# ----------------------------------------------------------------------- verdicts
@pytest.mark.parametrize("key", KEYS)
def test_reference_passes(key):
    verdict = E.judge(key, E.reference(key))
    assert verdict.passed, str(verdict)
    assert verdict.status == "passed" and str(verdict).startswith(f"{key}: passed. ")


@pytest.mark.parametrize("key, wrong", WRONG, ids=[f"{k}-{w.name}" for k, w in WRONG])
def test_wrong_answer_fails_with_its_message(key, wrong):
    verdict = E.judge(key, wrong.fn)
    assert verdict.status == "failed", str(verdict)
    assert wrong.expect in verdict.message, f"expected {wrong.expect!r} in: {verdict.message}"
    assert str(verdict).startswith(f"{key}: not yet right: ")


@pytest.mark.parametrize("key", KEYS)
def test_every_exercise_has_a_wrong_answer(key):
    assert E.wrong_answers(key), f"{key}: no typical wrong answer to test the checker with"


def test_wrong_answers_are_listed_for_known_keys_only():
    assert set(E.WRONG_ANSWERS) == set(KEYS)


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("stub", [returns_none, not_implemented], ids=["returns None", "NotImplementedError"])
def test_a_stub_is_not_attempted(key, stub):
    verdict = E.judge(key, stub)
    assert verdict.status == "not attempted", str(verdict)
    assert stub.__name__ in verdict.message


@pytest.mark.parametrize("key", KEYS)
def test_an_exception_in_the_answer_is_reported_not_raised(key):
    verdict = E.judge(key, crashes)
    assert verdict.status == "failed"
    assert "raised IndexError (index 7 is out of bounds)" in verdict.message


def test_check_prints_the_verdict(capsys):
    assert E.check("03.leaky_relu_grad", not_implemented) is None
    out = capsys.readouterr().out
    assert out.startswith("03.leaky_relu_grad: not attempted. not_implemented is still a stub")


def test_derivative_named_at_the_place_it_is_wrong():
    verdict = E.judge("03.leaky_relu_grad", lambda z: np.ones_like(z))
    assert verdict.message == "your derivative is off at z < 0 (z = -3.0): got 1.0, expected 0.01."


def test_wrong_convention_at_the_kink_is_named():
    def grad(z):
        g = np.full_like(z, 0.01)
        g[z >= 0] = 1.0
        return g

    assert "off at z = 0 (z = 0.0): got 1.0, expected 0.01" in E.judge("03.leaky_relu_grad", grad).message


def test_float64_for_a_float32_input_is_named():
    verdict = E.judge("03.leaky_relu_grad", lambda z: np.where(z > 0, 1.0, 0.01))
    assert verdict.status == "failed"
    assert "for a float32 input the derivative has dtype float64" in verdict.message


def test_changing_an_input_in_place_is_named():
    def in_place(z):
        z[z < 0] = 0.01
        z[z > 0] = 1.0
        return z

    assert "changed its input z in place" in E.judge("03.leaky_relu_grad", in_place).message


def test_shape_of_dx_is_named():
    def dx_wrong(x, W, delta):
        return delta @ W.T[:, :3], x.T @ delta, delta.sum(axis=0)

    message = E.judge("09.dense_backward", dx_wrong).message
    assert message.startswith("dx has shape (5, 3), expected (5, 4)")


def test_one_array_where_a_pair_is_expected():
    message = E.judge("02.xy_plus_max", lambda x, y: y).message
    assert message.startswith("return 2 values, (df/dx, df/dy); got one ndarray of shape (4,)")


def test_the_gradient_check_inside_a_checker_can_fail():
    # Each checker compares with its reference first; this is the second, independent judge.
    with pytest.raises(checking.Wrong, match=r"the gradient check fails for f: relative error 1\.0e\+00"):
        checking.gradient_check("f", np.ones(3), lambda: 0.0, np.zeros(3))


GARBAGE = {"a string": "hello", "a number": 3.0, "three arrays": (np.zeros(2), np.zeros(2), np.zeros(2)),
           "a wrong-sized array": np.zeros(7), "a dict": {"W1": 1}, "NaNs": np.full((5, 4), np.nan)}


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("what", list(GARBAGE))
def test_garbage_answers_fail_without_raising(key, what):
    verdict = E.judge(key, lambda *args: GARBAGE[what])
    assert verdict.status == "failed", str(verdict)
    assert verdict.message and "Traceback" not in verdict.message


def test_step_that_changes_params_in_place_and_returns_none():
    def in_place(p, x, t, lr):
        new = E.step_with_biases(p, x, t, lr)
        for key in p:
            p[key][...] = new[key]

    verdict = E.judge("04.step_with_biases", in_place)
    assert verdict.status == "failed" and "returned None but changed params in place" in verdict.message


def test_dropout_forward_drawing_from_global_state_is_named():
    def global_rng(a, p, rng):
        mask = (np.random.default_rng().random(a.shape) >= p).astype(a.dtype) / (1 - p)
        return a * mask, mask

    assert "draw from the rng you are given" in E.judge("07.dropout_forward", global_rng).message


def test_verdicts_are_deterministic():
    wrong = E.wrong_answers("05.huber_loss")[1].fn
    assert E.judge("05.huber_loss", wrong) == E.judge("05.huber_loss", wrong)


def _leaky_where(z):
    return np.where(z > 0, 1.0, 0.01).astype(z.dtype)


def _huber_clip(y, t, kappa=1.0):
    r = y - t
    quadratic = np.minimum(np.abs(r), kappa)
    L = np.sum(0.5 * quadratic**2 + kappa * (np.abs(r) - quadratic)) / len(y)
    return L, np.clip(r, -kappa, kappa) / len(y)


def _bce_via_bplib(z, t):
    from bplib import BinaryCrossEntropy

    loss = BinaryCrossEntropy()
    loss.forward(z, t)
    return loss.backward()


def _dropout_forward_uniform(a, p, rng):
    mask = (rng.uniform(0.0, 1.0, size=a.shape) >= p).astype(a.dtype) * a.dtype.type(1 / (1 - p))
    return a * mask, mask


def _dense_backward_einsum(x, W, delta):
    return np.einsum("nj,ij->ni", delta, W), np.einsum("ni,nj->ij", x, delta), np.einsum("nj->j", delta)


def _step_in_place_and_returned(p, x, t, lr):
    new = E.step_with_biases(p, x, t, lr)
    for key in p:
        p[key] -= p[key] - new[key]
    return p


@pytest.mark.parametrize("key, answer", [
    ("03.leaky_relu_grad", _leaky_where), ("05.huber_loss", _huber_clip), ("06.bce_output_delta", _bce_via_bplib),
    ("07.dropout_forward", _dropout_forward_uniform), ("09.dense_backward", _dense_backward_einsum),
    ("04.step_with_biases", _step_in_place_and_returned),
], ids=lambda v: v if isinstance(v, str) else v.__name__)
def test_other_correct_answers_pass_too(key, answer):
    """The checkers judge results, not the way they were computed."""
    verdict = E.judge(key, answer)
    assert verdict.passed, str(verdict)


# ------------------------------------------------------------ bad input to the checker
def test_unknown_key_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"judge: unknown exercise key '03\.leaky'; known keys: 01\.forward_3_4_2, "):
        E.judge("03.leaky", returns_none)
    for fn in (E.reference, E.show_solution, E.wrong_answers, lambda k: E.check(k, returns_none)):
        with pytest.raises(ValueError, match="unknown exercise key"):
            fn("nope")


def test_key_must_be_a_string():
    with pytest.raises(TypeError, match="the exercise key must be a string"):
        E.judge(3, returns_none)


def test_answer_must_be_callable():
    with pytest.raises(TypeError, match=r"the answer must be a function \(fn\(z\) -> derivative\), got ndarray"):
        E.check("03.leaky_relu_grad", np.zeros(3))


def test_show_solution_prints_the_reference_source(capsys):
    E.show_solution("07.dropout_backward")
    out = capsys.readouterr().out
    assert out.startswith("def dropout_backward(dout, mask):") and "return dout * mask" in out


def test_huber_loss_class_refuses_mismatched_shapes_and_matches_the_function():
    y, t = np.array([[0.5], [3.0]]), np.array([[0.0], [0.0]])
    loss = E.HuberLoss(1.0)
    assert loss.forward(y, t) == E.huber_loss(y, t)[0]
    np.testing.assert_array_equal(loss.backward(), E.huber_loss(y, t)[1])
    with pytest.raises(ValueError, match=r"HuberLoss\(kappa=1\)\.forward: target t has shape \(2,\), expected \(2, 1\)"):
        loss.forward(y, t[:, 0])


def test_huber_loss_class_trains_under_fit_exactly_as_by_hand():
    # The reference class keeps the loss contract, so bplib.fit treats it as it treats bplib's own losses.
    import bplib

    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, size=(12, 1))
    t = np.sin(3 * x) + 3.0 * (rng.random((12, 1)) < 0.25)  # a few outliers

    def network():
        init = np.random.default_rng(6)
        return bplib.Network([bplib.Dense(1, 6, rng=init), bplib.Tanh(), bplib.Dense(6, 1, rng=init)])

    by_fit, by_hand = network(), network()
    bplib.fit(by_fit, E.HuberLoss(0.5), bplib.SGD(0.2), x, t, epochs=25, batch_size=12, shuffle=False)
    loss, sgd = E.HuberLoss(0.5), bplib.SGD(0.2)
    for _ in range(25):
        loss.forward(by_hand.forward(x, training=True), t)
        by_hand.backward(loss.backward())
        sgd.step(by_hand)
    start, trained, by_loop = network().get_weights(), by_fit.get_weights(), by_hand.get_weights()
    assert trained.keys() == by_loop.keys() == start.keys()
    for key in trained:
        assert not np.array_equal(trained[key], start[key]), key  # it trained
        np.testing.assert_allclose(trained[key], by_loop[key], rtol=1e-12, atol=1e-15, err_msg=key)


def test_the_given_loop_and_the_reference_agree():
    rng = np.random.default_rng(0)
    x, W, delta = rng.normal(size=(4, 3)), rng.normal(size=(3, 5)), rng.normal(size=(4, 5))
    for loop, vec in zip(E.dense_backward_loop(x, W, delta), E.dense_backward(x, W, delta)):
        np.testing.assert_allclose(loop, vec, rtol=1e-12, atol=1e-14)


def test_the_patient_has_one_planted_bug():
    p, x, t = E.patient_data()
    L_bug, bug = E.patient_loss_and_grads(p, x, t)
    L_ok, ok = E.cured_loss_and_grads(p, x, t)
    assert L_bug == L_ok
    differs = [key for key in ok if not np.allclose(bug[key], ok[key])]
    assert differs == ["W1"]


# ------------------------------------------------------- the chapters' Exercises sections
CHAPTERS = sorted(p for p in (ROOT / "chapters").glob("[0-9][0-9]_*.ipynb") if p.name[:2] != "00")


def _cells(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [(c["cell_type"], "".join(c["source"]), c.get("metadata", {}).get("tags", [])) for c in nb["cells"]]


def _exercise_section(path):
    cells = _cells(path)
    starts = [i for i, (kind, src, _) in enumerate(cells) if kind == "markdown" and re.match(r"## Exercises\s*$", src.splitlines()[0] if src else "")]
    assert starts, f"{path.name} has no '## Exercises' section"
    section = cells[starts[-1]:]
    later = [src for kind, src, _ in section[1:] if kind == "markdown" and re.search(r"^## ", src, re.MULTILINE)]
    assert not later, f"{path.name}: the Exercises section must be the last section"
    return section


def test_every_chapter_from_01_on_is_here():
    assert len(CHAPTERS) >= 10 and [p.name[:2] for p in CHAPTERS] == [f"{i:02d}" for i in range(1, len(CHAPTERS) + 1)]


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.name for p in CHAPTERS])
def test_chapter_ends_with_three_exercises_with_folded_solutions(path):
    section = _exercise_section(path)
    text = "\n".join(src for kind, src, _ in section if kind == "markdown")
    exercises = re.findall(r"^\*\*(\d+)\. ", text, re.MULTILINE)
    assert len(exercises) >= 3, f"{path.name}: {len(exercises)} exercises, expected at least 3"
    assert exercises == [str(i) for i in range(1, len(exercises) + 1)], f"{path.name}: numbering {exercises}"
    solutions = re.findall(r"^:::\{admonition\} Solution\n:class: dropdown$", text, re.MULTILINE)
    assert len(solutions) >= len(exercises), f"{path.name}: {len(solutions)} folded solutions for {len(exercises)} exercises"


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.name for p in CHAPTERS])
def test_chapter_has_a_checked_exercise_and_a_hidden_check_of_its_checker(path):
    section = _exercise_section(path)
    number = path.name[:2]
    code = [(src, tags) for kind, src, tags in section if kind == "code"]
    checked = set(re.findall(r'exercises\.check\("(\d\d\.\w+)"', "\n".join(src for src, _ in code)))
    assert checked, f"{path.name}: no exercises.check(...) call in the Exercises section"
    assert all(key.startswith(number + ".") for key in checked), checked
    hidden = "\n".join(src for src, tags in code if "remove-cell" in tags)
    for key in checked:
        assert f'"{key}"' in hidden and "wrong_answers(" in hidden, (
            f"{path.name}: no hidden cell asserting that the checker of {key} accepts the reference "
            "and rejects the wrong answers"
        )


def test_every_checked_exercise_is_in_a_chapter():
    used = set()
    for path in CHAPTERS:
        section = _exercise_section(path)
        used |= set(re.findall(r'exercises\.check\("(\d\d\.\w+)"', "\n".join(src for _, src, _ in section)))
    assert used == set(KEYS), f"checked in no chapter: {sorted(set(KEYS) - used)}; unknown: {sorted(used - set(KEYS))}"
