"""bplib: a small numpy library for learning how neural networks learn.

Every chapter of the backprop book imports it. Each module can be read beside
the chapter that explains it:

* ``functions``  activations, their derivatives (from z and from a), softmax
* ``layers``     ``Dense``, activation layers, ``Dropout``
* ``losses``     ``MSE``, ``SoftmaxCrossEntropy``, ``BinaryCrossEntropy``
* ``network``    ``Network``, a sequential stack of layers
* ``optim``      ``SGD`` (momentum, weight decay), ``Adam``, ``clip_grad_norm``
* ``train``      ``fit``, ``evaluate``, ``accuracy``
* ``gradcheck``  central differences and relative errors
* ``bugs``       the planted bugs of the chapters and exercises, each saying what is wrong
* ``data``       the toy data sets, one-hot targets, train/test splits
* ``mnist``      MNIST: full through tensorflow-datasets, or 5,000 embedded digits
* ``engine``     a scalar reverse-mode autodiff engine, for the chain rule chapter
* ``plots``      figures several chapters draw (imported on its own: needs matplotlib)
* ``widgets``    slider panels (imported on its own: needs ipywidgets)
"""

from . import bugs, data, functions
from .gradcheck import (
    Diagnosis, assert_gradients_ok, check_function, check_layer, check_network, check_step, error_table, numerical_gradient,
    diagnose, relative_error,
)
from .layers import Activation, Dense, Dropout, Identity, Layer, ReLU, Sigmoid, Tanh, activation
from .losses import MSE, BinaryCrossEntropy, Loss, SoftmaxCrossEntropy
from .network import Network
from .optim import SGD, Adam, clip_grad_norm
from .train import History, accuracy, evaluate, fit

__all__ = [
    "Adam", "Diagnosis", "clip_grad_norm", "diagnose",
    "Activation", "BinaryCrossEntropy", "Dense", "Dropout", "History", "Identity", "Layer", "Loss", "MSE",
    "Network", "ReLU", "SGD", "Sigmoid", "SoftmaxCrossEntropy", "Tanh", "accuracy", "activation",
    "assert_gradients_ok", "bugs", "check_function", "check_layer", "check_network", "check_step", "data", "error_table",
    "evaluate", "fit", "functions", "numerical_gradient", "relative_error",
]
