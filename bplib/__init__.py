"""bplib: a small numpy library for learning how neural networks learn.

Every chapter of the backprop book imports it. Each module can be read beside
the chapter that derives it:

* ``functions``  activations, their derivatives (from z and from a), softmax   (chapters 1 and 3)
* ``layers``     ``Dense``, activation layers, ``Dropout``                      (chapters 1, 2 and 7)
* ``losses``     ``MSE``, ``SoftmaxCrossEntropy``, ``BinaryCrossEntropy``       (chapters 2, 5 and 6)
* ``network``    ``Network``, a sequential stack of layers                      (chapters 1 and 2)
* ``optim``      ``SGD`` (momentum, weight decay), ``Adam``, gradient clipping  (chapters 4 and 5)
* ``train``      ``fit``, ``evaluate``, ``accuracy``                            (chapter 5)
* ``gradcheck``  central differences, relative errors, ``diagnose``             (chapters 2 and 8)
* ``engine``     a scalar reverse-mode autodiff engine                          (chapter 2)
* ``data``       the toy data sets and the 5,000 embedded MNIST digits           (chapters 5, 6 and 7)

What exists for the book rather than for the maths (exercises, planted bugs,
slider panels, figures, full MNIST) lives in ``bplib.course``, which uses only
what this package exports; this package never imports it.
"""

from . import data, functions
from .gradcheck import (
    Diagnosis, assert_gradients_ok, check_function, check_layer, check_network, check_step, diagnose, error_table,
    numerical_gradient, relative_error,
)
from .layers import Activation, Dense, Dropout, Identity, Layer, ReLU, Sigmoid, Tanh, activation
from .losses import MSE, BinaryCrossEntropy, Loss, SoftmaxCrossEntropy
from .network import Network
from .optim import SGD, Adam, clip_grad_norm
from .train import History, accuracy, evaluate, fit

__all__ = [
    "Activation", "Adam", "BinaryCrossEntropy", "Dense", "Diagnosis", "Dropout", "History", "Identity", "Layer",
    "Loss", "MSE", "Network", "ReLU", "SGD", "Sigmoid", "SoftmaxCrossEntropy", "Tanh", "accuracy", "activation",
    "assert_gradients_ok", "check_function", "check_layer", "check_network", "check_step", "clip_grad_norm", "data",
    "diagnose", "error_table", "evaluate", "fit", "functions", "numerical_gradient", "relative_error",
]
