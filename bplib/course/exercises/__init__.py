"""Exercises that check themselves: the registry of every chapter's checked exercises.

Each chapter of the book, from chapter 1 on, ends with exercises. For the ones
checked by code the reader fills in a stub function, and one call judges it::

    from bplib.course import exercises

    def my_leaky_relu_grad(z):
        return None          # your code here

    exercises.check("03.leaky_relu_grad", my_leaky_relu_grad)

``check`` runs the function on fixed and random inputs, compares values,
shapes and dtype with a reference answer, runs a gradient check against
central differences where the answer is a derivative or a backward pass, and
prints one short verdict:

* ``passed``, with what was checked;
* ``not yet right``, with the first thing that is wrong, named: a shape
  ("dW has shape (3, 4), expected (4, 3)"), a value at a place
  ("your derivative is off at z < 0: got 1.0, expected 0.01"), a factor
  ("N = 5 times too large: is the 1/N of the mean missing?");
* ``not attempted``, for a stub that still returns ``None`` or raises
  ``NotImplementedError``.

A wrong answer never raises, so a chapter runs top to bottom with its stubs
unfilled. Bad input to the checker itself (an unknown key, something that is
not a function) raises ``ValueError`` or ``TypeError``.

``judge`` returns the :class:`Verdict` instead of printing it (the book's
hidden cells and the tests use it), ``reference`` returns the reference
answer, ``show_solution`` prints its source, and ``wrong_answers`` lists the
typical wrong answers every checker must reject.

Each exercise lives in the module of its chapter, ``ch01`` ... ``ch10``: its
reference answer, its checker and its wrong answers together. The reference
answers and the helpers a chapter uses beside them (``HuberLoss``,
``patient_data``, ``WORKED_PARAMS`` ...) are importable from here too.
"""

from __future__ import annotations

import inspect
from typing import Callable

import numpy as np

from . import ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08, ch09, ch10
from .ch01 import forward_3_4_2
from .ch02 import xy_plus_max_backward
from .ch03 import LEAKY_SLOPE, leaky_relu, leaky_relu_grad, softplus_grad_from_output
from .ch04 import WORKED_PARAMS, WORKED_T, WORKED_X, step_with_biases, two_layer_sigmoid_loss
from .ch05 import HuberLoss, huber_loss
from .ch06 import bce_output_delta
from .ch07 import dropout_backward, dropout_forward
from .ch08 import cured_loss_and_grads, patient_data, patient_loss_and_grads
from .ch09 import dense_backward, dense_backward_loop
from .ch10 import torch_linear_params
from .checking import Exercise, NotAttempted, Verdict, Wrong, WrongAnswer

__all__ = [
    "HuberLoss", "LEAKY_SLOPE", "Verdict", "WORKED_PARAMS", "WORKED_T", "WORKED_X", "WRONG_ANSWERS", "WrongAnswer",
    "bce_output_delta", "check", "cured_loss_and_grads", "dense_backward", "dense_backward_loop", "dropout_backward",
    "dropout_forward", "forward_3_4_2", "huber_loss", "judge", "keys", "leaky_relu", "leaky_relu_grad",
    "patient_data", "patient_loss_and_grads", "reference", "show_solution", "softplus_grad_from_output",
    "step_with_biases", "torch_linear_params", "two_layer_sigmoid_loss", "wrong_answers", "xy_plus_max_backward",
]

_CHAPTERS = (ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch08, ch09, ch10)
_EXERCISES: dict[str, Exercise] = {e.key: e for module in _CHAPTERS for e in module.EXERCISES}

#: The typical wrong answers of every checked exercise, by key.
WRONG_ANSWERS: dict[str, list[WrongAnswer]] = {key: list(e.wrong) for key, e in _EXERCISES.items()}


def keys() -> list[str]:
    """The keys of every checked exercise, in chapter order."""
    return list(_EXERCISES)


def _exercise(key, where):
    if not isinstance(key, str):
        raise TypeError(f"{where}: the exercise key must be a string such as '03.leaky_relu_grad', "
                        f"got {type(key).__name__}")
    try:
        return _EXERCISES[key]
    except KeyError:
        raise ValueError(f"{where}: unknown exercise key {key!r}; known keys: {', '.join(_EXERCISES)}") from None


def judge(key: str, answer: Callable) -> Verdict:
    """Run the checker of exercise ``key`` on ``answer`` and return its :class:`Verdict`.

    Parameters
    ----------
    key : str
        The exercise, e.g. ``"03.leaky_relu_grad"`` (see :func:`keys`).
    answer : callable
        The reader's function, with the signature the exercise asks for.

    Returns
    -------
    Verdict
        ``status`` is ``"passed"``, ``"failed"`` or ``"not attempted"``; a wrong
        answer (wrong values, shapes, dtype, an exception inside it) never raises.

    Raises
    ------
    ValueError
        If ``key`` is not a known exercise.
    TypeError
        If ``key`` is not a string or ``answer`` is not callable.
    """
    exercise = _exercise(key, "judge")
    if not callable(answer):
        raise TypeError(f"judge({key!r}, ...): the answer must be a function ({exercise.signature}), "
                        f"got {type(answer).__name__}; pass the function itself, without calling it")
    try:
        with np.errstate(all="ignore"):
            message = exercise.checker(answer)
    except NotAttempted as stub:
        name = getattr(answer, "__name__", "the function")
        return Verdict(key, "not attempted",
                       f"{name} is still a stub ({stub}): write its body, end it with return, "
                       "and run this cell again.")
    except Wrong as wrong:
        text = str(wrong)
        return Verdict(key, "failed", text if text.endswith(("?", ".")) else text + ".")
    return Verdict(key, "passed", message)


def check(key: str, answer: Callable) -> None:
    """Check the reader's ``answer`` to exercise ``key`` and print the verdict (see :func:`judge`)."""
    print(judge(key, answer))


def reference(key: str) -> Callable:
    """The reference answer of exercise ``key`` (a function with the signature the exercise asks for)."""
    return _exercise(key, "reference").reference


def show_solution(key: str) -> None:
    """Print the source of the reference answer of exercise ``key``."""
    print(inspect.getsource(_exercise(key, "show_solution").reference))


def wrong_answers(key: str) -> list[WrongAnswer]:
    """The typical wrong answers to exercise ``key``, each with the message fragment its verdict must contain."""
    return list(_exercise(key, "wrong_answers").wrong)
