"""The bugs the book plants on purpose, each defined once, each saying what is wrong and what is right.

Used by chapter 7 (the dropout and ReLU bugs in the MNIST network), chapter 8
(the bug clinic: all of them) and the typical wrong answers of
:mod:`bplib.course.exercises`.

Backpropagation bugs rarely crash: they return arrays of the right shape whose
numbers are wrong, and a network trained with them still learns a little. The
chapters show them at work (the MNIST chapter, the bug clinic) and the
exercises use them as the typical wrong answers a checker must tell from the
right one. Nothing here is meant for training a real network.

Two forms of each idea:

* **functions**, the wrong derivative or formula itself, next to the right one
  in :mod:`bplib.functions`;
* **layers and losses**, written the way a reader writes one: a layer with
  its own ``forward`` and ``backward`` (it inherits only the constructor of the
  correct bplib class, so it takes the same arguments), a loss with its own
  ``forward``. They keep the layer and loss contract, so they drop into a
  ``Network`` (and into ``fit``, ``check_network`` and ``check_layer``)
  exactly where the correct class would go.

Functions
---------
``relu_grad_always_one(a)``             ReLU's derivative read from the output with ``a >= 0``
``sigmoid_grad_fed_output(a)``          the z-formula of sigma' fed the output: sigma(a)(1 - sigma(a))
``sigmoid_grad_from_output_fed_z(z)``   the a-formula of sigma' fed the pre-activation: z(1 - z)
``dropout_backward_adds_mask(dout, mask)``  ``dout + mask`` instead of ``dout * mask``
``dropout_mask_unscaled(rng, shape, p, dtype)``  a keep mask of 0 and 1, without the 1/(1 - p)
``dense_backward_column_formulas(x, W, delta)``  column-vector formulas in row-vector code
``naive_sigmoid(z)``, ``naive_binary_cross_entropy(z, t)``, ``naive_softmax_cross_entropy(z, label)``
                                        the textbook formulas, which overflow

Layers and losses
-----------------
``ReLUGradAlwaysOne``, ``SigmoidGradFedOutput``, ``SigmoidGradFromOutputFedZ``,
``DropoutAddsMask``, ``DropoutUnscaled``, ``DenseColumnFormulas``, ``NaiveBinaryCrossEntropy``.
"""

import inspect

import numpy as np

from bplib import functions as F
from bplib.layers import Dense, Dropout, ReLU, Sigmoid
from bplib.losses import BinaryCrossEntropy

# ----------------------------------------------------------------- functions


def relu_grad_always_one(a):
    """WRONG: ReLU's derivative from its output ``a`` written with ``a >= 0``; it is 1 everywhere.

    Every output of a ReLU is ``>= 0``, so the test is always true: switched-off
    units pass gradient back as if they were on, and the backward pass is that
    of a network without the nonlinearity. **Right:** ``a > 0``
    (:func:`bplib.functions.relu_grad_from_output`).
    """
    a = np.asarray(a)
    return (a >= 0).astype(a.dtype if a.dtype.kind == "f" else np.float64)


def sigmoid_grad_fed_output(a):
    """WRONG: the derivative written for the pre-activation, ``sigma(z)(1 - sigma(z))``, fed the output ``a``.

    It returns ``sigma(a)(1 - sigma(a))``, the sigmoid applied twice: between
    0.197 and 0.25 for ``a`` in [0, 1], so it never falls towards 0 when a unit
    saturates. **Right:** ``a * (1 - a)`` from the output
    (:func:`bplib.functions.sigmoid_grad_from_output`), or
    :func:`bplib.functions.sigmoid_grad` of ``z``.
    """
    return F.sigmoid_grad(a)


def sigmoid_grad_from_output_fed_z(z):
    """WRONG, the reverse mix-up: the derivative written for the output, ``a (1 - a)``, fed ``z``.

    It returns ``z (1 - z)``, negative whenever ``z < 0`` or ``z > 1``: for
    those units the update runs uphill, which feeds itself until the weights
    overflow. **Right:** :func:`bplib.functions.sigmoid_grad` of ``z``, or
    ``a (1 - a)`` of the output ``a``.
    """
    return F.sigmoid_grad_from_output(z)


def dropout_backward_adds_mask(dout, mask):
    """WRONG: dropout's backward pass that adds the mask, ``dout + mask``.

    A dropped unit (mask 0) passes its gradient on as if it had been kept, and
    each kept unit gets an extra ``1 / (1 - p)`` that has nothing to do with the
    loss. **Right:** ``dout * mask``, the derivative of ``a * mask`` with
    respect to ``a`` (``bplib.Dropout.backward``).
    """
    return dout + mask


def dropout_mask_unscaled(rng, shape, p, dtype=np.float64):
    """WRONG (and invisible to a gradient check): a keep mask of 0 and 1, without the ``1 / (1 - p)``.

    Backward multiplies by the same mask, so the gradient is right for the
    function computed; the function is what is wrong. In training a unit's
    expected output is ``(1 - p) a``, in evaluation ``a``, so the next layer
    sees inputs ``1 / (1 - p)`` times larger at test time than it was trained
    on. **Right:** inverted dropout, mask ``1[u >= p] / (1 - p)``
    (``bplib.Dropout``), or rescale the weights by ``1 - p`` at test time.
    """
    return (rng.random(shape) >= p).astype(dtype)


def dense_backward_column_formulas(x, W, delta):
    """WRONG: the backward pass of ``z = W x + b`` (column vectors) copied into row-vector code.

    With batch-first rows, ``z = x @ W + b``, the gradients are ``dW = x.T @ delta``
    and ``dx = delta @ W.T``. Copying the column-vector ``dW = delta x^T`` and
    ``dx = W^T delta`` gives ``dW = delta.T @ x`` and ``dx = delta @ W``: numpy
    refuses these shapes for a layer that changes the width, but for a square
    layer both come out with the right shape and transposed values.

    Returns ``(dx, dW, db)``; ``db = delta.sum(axis=0)`` is the same in both conventions.
    """
    return delta @ W, delta.T @ x, delta.sum(axis=0)


def naive_sigmoid(z):
    """WRONG for large ``|z|``: the textbook ``1 / (1 + exp(-z))``.

    ``exp(-z)`` overflows for ``z < -709.78`` (float64), and for ``z > 36.7``
    the sum rounds to 1 so ``sigma(z)`` is exactly ``1.0``.
    **Right:** :func:`bplib.functions.sigmoid`, which only takes ``exp`` of ``-|z|``.
    """
    return 1 / (1 + np.exp(-z))


def naive_binary_cross_entropy(z, t):
    """WRONG for confident predictions: ``-(t log y + (1 - t) log(1 - y))`` with the naive sigmoid ``y``.

    Once ``y`` rounds to exactly 1 the second term is ``0 * log(0) = nan``.
    **Right:** ``t softplus(-z) + (1 - t) softplus(z)`` (``bplib.BinaryCrossEntropy``).
    """
    y = naive_sigmoid(z)
    return -(t * np.log(y) + (1 - t) * np.log(1 - y))


def naive_softmax_cross_entropy(z, label):
    """WRONG for large logits: ``-log(exp(z_label) / sum_j exp(z_j))``, overflowing past ``z = 709.78``.

    **Right:** subtract the largest logit first (:func:`bplib.functions.log_softmax`,
    ``bplib.SoftmaxCrossEntropy``).
    """
    p = np.exp(z) / np.sum(np.exp(z), axis=-1, keepdims=True)
    return -np.log(p[..., label])


def source(bug):
    """The source code of a bug defined here, as text to print beside the discussion of it."""
    if inspect.getmodule(bug) is not inspect.getmodule(source) or bug is source:
        raise ValueError(f"source: {bug!r} is not one of the bugs defined in bplib.course.bugs")
    return inspect.getsource(bug).rstrip()


# ------------------------------------------------------------ layers, losses


class ReLUGradAlwaysOne(ReLU):
    """WRONG: a ReLU layer whose backward uses :func:`relu_grad_always_one` (``a >= 0``).

    Forward is a correct ReLU; backward is that of a linear layer.
    **Right:** ``bplib.ReLU`` (``a > 0``).
    """

    def forward(self, z, training=False):
        self.a = F.relu(z)
        return self.a

    def backward(self, dout):
        return dout * relu_grad_always_one(self.a)


class SigmoidGradFedOutput(Sigmoid):
    """WRONG: a sigmoid layer whose backward feeds its output to the derivative written for z.

    See :func:`sigmoid_grad_fed_output`. **Right:** ``bplib.Sigmoid`` (``a (1 - a)``).
    """

    def forward(self, z, training=False):
        self.a = F.sigmoid(z)
        return self.a

    def backward(self, dout):
        return dout * sigmoid_grad_fed_output(self.a)


class SigmoidGradFromOutputFedZ(Sigmoid):
    """WRONG: a sigmoid layer whose backward feeds z to the derivative written for the output.

    See :func:`sigmoid_grad_from_output_fed_z`. It keeps ``z`` for that purpose.
    **Right:** ``bplib.Sigmoid``.
    """

    def forward(self, z, training=False):
        self.z = z
        return F.sigmoid(z)

    def backward(self, dout):
        return dout * sigmoid_grad_from_output_fed_z(self.z)


def _inverted_dropout_forward(layer, x, training, draw_mask):
    """Dropout's forward pass with the mask drawn by ``draw_mask()``; the mask is kept in ``layer.mask``.

    Evaluation (and ``p = 0``) is the identity. With ``layer.fixed_mask`` set (a
    gradient check sets it) the last mask is reused, so every evaluation sees one function.
    """
    if not training or layer.p == 0.0:
        layer.mask = None
        return x
    if not (layer.fixed_mask and layer.mask is not None and layer.mask.shape == x.shape):
        layer.mask = draw_mask()
    return x * layer.mask


class DropoutAddsMask(Dropout):
    """WRONG: inverted dropout whose backward adds the mask (:func:`dropout_backward_adds_mask`).

    Forward is correct inverted dropout. **Right:** ``bplib.Dropout`` (``dout * mask``).
    """

    def forward(self, x, training=False):
        scale = x.dtype.type(1.0 - self.p)
        return _inverted_dropout_forward(self, x, training,
                                         lambda: (self.rng.random(x.shape) >= self.p).astype(x.dtype) / scale)

    def backward(self, dout):
        if self.mask is None:  # evaluation: the identity
            return dout.copy()
        return dropout_backward_adds_mask(dout, self.mask)


class DropoutUnscaled(Dropout):
    """WRONG, though it passes a gradient check: dropout whose mask is not divided by ``1 - p``.

    See :func:`dropout_mask_unscaled`. Backward is right for the function
    forward computes. **Right:** ``bplib.Dropout``.
    """

    def forward(self, x, training=False):
        return _inverted_dropout_forward(self, x, training,
                                         lambda: dropout_mask_unscaled(self.rng, x.shape, self.p, x.dtype))

    def backward(self, dout):
        if self.mask is None:
            return dout.copy()
        return dout * self.mask


class DenseColumnFormulas(Dense):
    """WRONG: a Dense layer whose backward uses column-vector formulas (:func:`dense_backward_column_formulas`).

    A layer that changes the width fails at once with numpy's shape error; a
    square one (``n_in == n_out``) trains with transposed gradients.
    **Right:** ``bplib.Dense``.
    """

    def forward(self, x, training=False):
        self.x = x
        return x @ self.params["W"] + self.params["b"]

    def backward(self, dout):
        dx, dW, db = dense_backward_column_formulas(self.x, self.params["W"], dout)
        self.grads["W"][...] = dW  # numpy refuses this for n_in != n_out
        self.grads["b"][...] = db
        return dx


class NaiveBinaryCrossEntropy(BinaryCrossEntropy):
    """WRONG value, right gradient: the binary cross-entropy computed with :func:`naive_binary_cross_entropy`.

    Backward is the correct ``(sigmoid(z) - t) / N`` of ``bplib.BinaryCrossEntropy``,
    so training is not affected; only the reported loss turns into ``nan`` once
    some logit passes 36.7. **Right:** ``bplib.BinaryCrossEntropy``.
    """

    def forward(self, z, t):
        super().forward(z, t)  # the correct loss keeps what its backward needs
        return float(np.mean(np.sum(naive_binary_cross_entropy(z, t), axis=1)))


__all__ = [
    "DenseColumnFormulas", "DropoutAddsMask", "DropoutUnscaled", "NaiveBinaryCrossEntropy", "ReLUGradAlwaysOne",
    "SigmoidGradFedOutput", "SigmoidGradFromOutputFedZ", "dense_backward_column_formulas",
    "dropout_backward_adds_mask", "dropout_mask_unscaled", "naive_binary_cross_entropy", "naive_sigmoid",
    "naive_softmax_cross_entropy", "relu_grad_always_one", "sigmoid_grad_fed_output", "source",
    "sigmoid_grad_from_output_fed_z",
]
