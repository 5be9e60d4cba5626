"""Layers: the pieces a network is made of, each with a forward and a backward pass.

Chapter 1 derives the forward pass of ``Dense`` and the activations, chapter 2
their backward pass (BP1 to BP4), chapter 3 the activations' derivatives, and
chapter 7 ``Dropout``. The contract every layer keeps, bplib's and a reader's
alike (DESIGN.md):

* Arrays are batch first: an input batch has shape ``(N, D_in)``.
* ``params`` and ``grads`` are two dicts with the same keys (``"W"``, ``"b"``);
  layers without parameters have two empty dicts.
* ``forward(x, training=False)`` returns the output and caches only what
  ``backward`` needs.
* ``backward(dout)`` takes dL/d(output), returns dL/d(input) (``dx``) and puts
  the parameter gradients in ``grads``, writing into the arrays or assigning
  new ones (an optimiser reads ``grads[key]`` when it steps). It never changes
  ``dout`` in place.
* ``frozen`` is the set of parameter names an optimiser must leave alone.

Each public method checks its input in one line before any arithmetic (a layer
is often called on its own, in a chapter or a test); the lines after it are
the equations. The notation is the book's: for layer :math:`l`,
:math:`z^{(l)} = a^{(l-1)} W^{(l)} + b^{(l)}` and :math:`a^{(l)} = f(z^{(l)})`,
with :math:`\\delta^{(l)} = \\partial \\mathcal{L} / \\partial z^{(l)}`.
"""

import numpy as np

from . import functions as F
from ._checks import as_float_array, check_batch, check_gradient, check_like, check_positive_int


class Layer:
    """Base class: no parameters, and the bookkeeping every layer shares."""

    out_shape = None  # the shape of the last output, which backward's dout must have (None before forward)

    def __init__(self, name=None):
        self.name = name
        self.params = {}
        self.grads = {}
        self.frozen = set()

    def __repr__(self):
        return f"{type(self).__name__}()"

    def forward(self, x, training=False):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError

    def freeze(self, *names):
        """Keep the named parameters (default: all) fixed during training.

        The gradients are still computed, so they can be printed and checked;
        the optimiser skips the update.
        """
        names = names or tuple(self.params)
        unknown = set(names) - set(self.params)
        if unknown:
            raise ValueError(f"{self!r}.freeze: no parameter named {sorted(unknown)}; it has {sorted(self.params)}")
        self.frozen.update(names)
        return self

    def unfreeze(self, *names):
        """Let the named parameters (default: all) be trained again."""
        self.frozen.difference_update(names or tuple(self.params))
        return self

    def check_params(self):
        """Refuse parameters that no longer match their gradients (a parameter swapped by hand).

        ``layer.params["W"] = W.astype(np.float32)`` on a float64 layer would
        otherwise fail deep inside numpy or, with a new shape, compute with
        the wrong array.
        """
        for key, p in self.params.items():
            g = self.grads.get(key)
            if type(g) is not np.ndarray or g.shape != p.shape or g.dtype != p.dtype:
                check_gradient(self, key)  # raises, naming the layer and the parameter

    def check_dout(self, dout):
        """``dout`` checked: a finite float array of exactly ``out_shape``; ``RuntimeError`` before forward."""
        if self.out_shape is None:
            raise RuntimeError(f"{self!r}.backward called before forward")
        return check_like(dout, self.out_shape, (self, "backward"), "dout", "the shape of this layer's last output")


INITIALISERS = ("normal", "xavier", "glorot", "he", "zeros")


class Dense(Layer):
    """A fully connected layer :math:`z = x W + b`.

    Parameters
    ----------
    n_in, n_out : int
        Input and output widths; ``W`` has shape ``(n_in, n_out)`` and ``b``
        shape ``(n_out,)``. (Texts that write :math:`z = W x + b` with column
        vectors store the transpose of this ``W``.)
    init : {"xavier", "glorot", "he", "normal", "zeros"}
        How to draw ``W``: Glorot/Xavier uniform with limit
        :math:`\\sqrt{6 / (n_{in} + n_{out})}` (good for sigmoid and tanh), He
        normal with standard deviation :math:`\\sqrt{2 / n_{in}}` (good for
        ReLU), a small normal with standard deviation ``scale``, or zeros.
        ``b`` starts at zero.
    rng : numpy.random.Generator
        Source of randomness; required for every random ``init``.
    scale : float
        Standard deviation for ``init="normal"``.
    dtype : float32 or float64
    """

    def __init__(self, n_in, n_out, init="xavier", rng=None, scale=0.01, dtype=np.float64, name=None):
        super().__init__(name)
        for label, n in (("n_in", n_in), ("n_out", n_out)):
            check_positive_int(n, "Dense", label)
        if init not in INITIALISERS:
            raise ValueError(f"Dense: init must be one of {INITIALISERS}, got {init!r}")
        if init != "zeros" and not isinstance(rng, np.random.Generator):
            raise TypeError(
                f"Dense({n_in}->{n_out}): init={init!r} needs rng=numpy.random.default_rng(seed), got {rng!r}"
            )
        dtype = np.dtype(dtype)
        if dtype.type not in (np.float32, np.float64):
            raise TypeError(f"Dense: dtype must be float32 or float64, got {dtype}")
        if init == "zeros":
            W = np.zeros((n_in, n_out))
        elif init in ("xavier", "glorot"):
            limit = np.sqrt(6.0 / (n_in + n_out))
            W = rng.uniform(-limit, limit, size=(n_in, n_out))
        elif init == "he":
            W = rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))
        else:
            W = rng.normal(0.0, scale, size=(n_in, n_out))
        self.params = {"W": W.astype(dtype), "b": np.zeros(n_out, dtype=dtype)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._x = None

    @classmethod
    def from_weights(cls, W, b, name=None):
        """A Dense layer with the given weights ``W (n_in, n_out)`` and biases ``b (n_out,)``.

        The arrays are copied, so training the layer leaves the caller's arrays alone.
        """
        W = as_float_array(W, "Dense.from_weights", "W")
        b = as_float_array(b, "Dense.from_weights", "b")
        if W.ndim != 2 or b.shape != (W.shape[1],):
            raise ValueError(
                f"Dense.from_weights: W must have shape (n_in, n_out) and b shape (n_out,); got {W.shape} and {b.shape}"
            )
        layer = cls(W.shape[0], W.shape[1], init="zeros", dtype=W.dtype, name=name)
        layer.params["W"][...] = W
        layer.params["b"][...] = b
        return layer

    @property
    def n_in(self):
        return self.params["W"].shape[0]

    @property
    def n_out(self):
        return self.params["W"].shape[1]

    @property
    def out_shape(self):
        return None if self._x is None else (self._x.shape[0], self.params["W"].shape[1])

    def __repr__(self):
        return f"Dense({self.n_in}->{self.n_out})"

    def forward(self, x, training=False):
        """:math:`z = x W + b` for a batch ``x`` of shape ``(N, n_in)``; returns ``z`` of shape ``(N, n_out)``."""
        x = check_batch(x, (self, "forward"), self.n_in)
        self.check_params()
        W, b = self.params["W"], self.params["b"]
        self._x = x.astype(W.dtype, copy=False)  # backward needs the input, for dW = x^T delta
        return self._x @ W + b

    def backward(self, dout):
        """Given :math:`\\delta = \\partial \\mathcal{L} / \\partial z` of shape ``(N, n_out)``, store
        :math:`dW = x^T \\delta` and :math:`db = \\sum_n \\delta_n` and return :math:`dx = \\delta W^T`,
        of shape ``(N, n_in)``."""
        delta = self.backward_params(dout)
        return delta @ self.params["W"].T

    def backward_params(self, dout):
        """The parameter half of ``backward``: store ``dW`` and ``db``, skip ``dx``; returns ``delta``.

        A network's first layer needs no ``dx`` (nothing below it learns), and
        in a 784-128-10 network that one product is half the backward pass's
        arithmetic, so ``Network.backward(dout, input_grad=False)`` calls this
        on a first layer that is a ``Dense``.
        """
        self.check_params()
        delta = self.check_dout(dout).astype(self._x.dtype, copy=False)
        # Written into the existing arrays. np.dot rather than @: for a batch of
        # one, x^T delta is an outer product, which @ computes several times more slowly.
        np.dot(self._x.T, delta, out=self.grads["W"])
        delta.sum(axis=0, out=self.grads["b"])
        return delta


class Activation(Layer):
    """An elementwise activation :math:`a = f(z)` with no parameters.

    It caches its output ``a`` and takes the derivative from it (:math:`f'(z)`
    written in terms of ``a``), so ``backward(dout)`` returns
    :math:`dout \\odot f'(z)`. Subclasses name the function.
    """

    kind = None

    def __init__(self, name=None):
        super().__init__(name)
        self.f, self.grad_from_z, self.grad_from_output = F.ACTIVATIONS[self.kind]
        self._a = None

    @property
    def out_shape(self):
        return None if self._a is None else self._a.shape

    def forward(self, z, training=False):
        z = check_batch(z, (self, "forward"))
        self._a = self.f(z)  # backward needs the output: f'(z) is computed from a
        return self._a

    def backward(self, dout):
        return self.check_dout(dout) * self.grad_from_output(self._a)


class Sigmoid(Activation):
    """:math:`a = \\sigma(z)`; backward multiplies by :math:`a (1 - a)`."""

    kind = "sigmoid"


class ReLU(Activation):
    """:math:`a = \\max(0, z)`; backward multiplies by 1 where :math:`a > 0` and 0 elsewhere (0 at z = 0)."""

    kind = "relu"


class Tanh(Activation):
    """:math:`a = \\tanh(z)`; backward multiplies by :math:`1 - a^2`."""

    kind = "tanh"


class Identity(Activation):
    """:math:`a = z`; backward passes the gradient through unchanged."""

    kind = "identity"


ACTIVATION_LAYERS = {cls.kind: cls for cls in (Sigmoid, ReLU, Tanh, Identity)}


def activation(name):
    """The activation layer called ``name`` ("sigmoid", "relu", "tanh" or "identity")."""
    try:
        return ACTIVATION_LAYERS[name]()
    except KeyError:
        raise ValueError(f"activation: unknown name {name!r}; expected one of {sorted(ACTIVATION_LAYERS)}") from None


class Dropout(Layer):
    """Inverted dropout: in training, zero each unit with probability ``p`` and scale the rest by :math:`1 / (1 - p)`.

    The scaling keeps the expected value of every unit the same in training
    and in evaluation, so evaluation (``training=False``) is the identity and
    needs no rescaling.

    The backward pass multiplies the gradient by the **same** scaled mask that
    forward used: a dropped unit had no effect on the loss, so it gets zero
    gradient. (Adding the mask to the gradient instead is a common bug.)

    Parameters
    ----------
    p : float in [0, 1)
        Probability of dropping a unit.
    rng : numpy.random.Generator
        Source of the masks.

    Attributes
    ----------
    fixed_mask : bool
        When True, training passes reuse the last mask instead of drawing a new
        one; a gradient check needs this so every evaluation sees one function.
    """

    def __init__(self, p, rng=None, name=None):
        super().__init__(name)
        if isinstance(p, bool) or not (isinstance(p, (int, float)) and 0.0 <= p < 1.0):
            raise ValueError(f"Dropout: p must be a probability in [0, 1), got {p!r}")
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"Dropout(p={p}): needs rng=numpy.random.default_rng(seed), got {rng!r}")
        self.p = float(p)
        self.rng = rng
        self.fixed_mask = False
        self.mask = None

    def __repr__(self):
        return f"Dropout(p={self.p})"

    def forward(self, x, training=False):
        x = check_batch(x, (self, "forward"))
        self.out_shape = x.shape
        if not training or self.p == 0.0:
            self.mask = None  # the identity: backward passes dout through
            return x
        if not self.fixed_mask:
            keep = self.rng.random(x.shape) >= self.p
            self.mask = keep.astype(x.dtype) / x.dtype.type(1.0 - self.p)
        elif self.mask is None or self.mask.shape != x.shape:
            raise ValueError(f"{self!r}.forward: fixed_mask is set but no mask of shape {x.shape} was drawn")
        return x * self.mask

    def backward(self, dout):
        dout = self.check_dout(dout)
        return dout.copy() if self.mask is None else dout * self.mask
