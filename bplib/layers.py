"""Layers: the pieces a network is made of, each with a forward and a backward pass.

The contract every layer keeps (see DESIGN.md):

* Arrays are batch first: an input batch has shape ``(N, D_in)``.
* ``params`` and ``grads`` are two dicts with the same keys (``"W"``, ``"b"``);
  layers without parameters have two empty dicts.
* ``forward(x, training=False)`` returns the output and caches only what
  ``backward`` needs.
* ``backward(dout)`` takes dL/d(output), returns dL/d(input) (``dx``) and writes
  the parameter gradients into ``grads``. It never changes ``dout`` in place.
* ``frozen`` is the set of parameter names an optimiser must leave alone.
"""

import numpy as np

from . import functions as F
from . import _checks
from ._checks import as_float_array, check_batch, check_finite, check_positive_int


class Layer:
    """Base class: no parameters, and the bookkeeping every layer shares."""

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

    def _check_params(self):
        """Refuse parameters that no longer match their gradients (a parameter swapped by hand).

        ``layer.params["W"] = W.astype(np.float32)`` on a float64 layer would
        otherwise fail deep inside numpy ("output array is not acceptable") or,
        with a new shape, compute with the wrong array. Run by ``forward`` and
        ``backward``, and once per call of ``bplib.fit``.
        """
        for key, p in self.params.items():
            g = self.grads.get(key)
            if not isinstance(p, np.ndarray):
                raise TypeError(f"{self!r}: parameter {key!r} must be a numpy array, got {type(p).__name__}")
            if p.dtype.type not in (np.float32, np.float64):
                raise ValueError(f"{self!r}: parameter {key!r} has dtype {p.dtype}; expected float32 or float64")
            if not isinstance(g, np.ndarray) or g.shape != p.shape or g.dtype != p.dtype:
                got = "none" if not isinstance(g, np.ndarray) else f"shape {g.shape}, dtype {g.dtype}"
                raise ValueError(
                    f"{self!r}: parameter {key!r} has shape {p.shape}, dtype {p.dtype}, but its gradient has {got}; "
                    "a parameter replaced by hand must keep the shape and dtype of grads[key] "
                    "(assign into it with params[key][...] = new, or replace grads[key] too)"
                )

    def _fast(self, method):
        """The bound method ``fit``'s inner loop calls for ``method`` ("forward" or "backward").

        bplib's own layers split each pass into a public method, which checks
        its input, and ``_forward`` / ``_backward``, which only compute.
        ``fit`` checks the data once per call and then calls the computing half
        directly. A subclass that overrides the public method itself (a
        reader's own layer, say) keeps its override: then the public method is
        returned.
        """
        owner = next(cls for cls in type(self).__mro__ if method in vars(cls))
        if owner.__module__ == __name__ and hasattr(self, "_" + method):
            return getattr(self, "_" + method)
        return getattr(self, method)

    def _where(self, method):
        """A function naming ``self.method`` for error messages, called only when one is raised."""
        return lambda: f"{self!r}.{method}"

    def _check_dout(self, dout, expected_shape):
        dout = as_float_array(dout, self._where("backward"), "dout")
        if dout.shape != expected_shape:
            raise ValueError(
                f"{self!r}.backward: dout has shape {dout.shape}, expected {expected_shape} "
                "(the shape of this layer's last output)"
            )
        if not getattr(_checks._state, "depth", 0):  # inside a network, the gradient comes from bplib's own loss
            check_finite(dout, self._where("backward"), "dout")
        return dout

    def _cached(self, value):
        if value is None:
            raise RuntimeError(f"{self!r}.backward called before forward")
        return value


INITIALISERS = ("normal", "xavier", "glorot", "he", "zeros")


class Dense(Layer):
    """A fully connected layer ``z = x @ W + b``.

    Parameters
    ----------
    n_in, n_out : int
        Input and output widths; ``W`` has shape ``(n_in, n_out)`` and ``b``
        shape ``(n_out,)``. (Texts that write ``z = W x + b`` with column
        vectors store the transpose of this ``W``.)
    init : {"xavier", "glorot", "he", "normal", "zeros"}
        How to draw ``W``: Glorot/Xavier uniform with limit
        ``sqrt(6 / (n_in + n_out))`` (good for sigmoid and tanh), He normal with
        standard deviation ``sqrt(2 / n_in)`` (good for ReLU), a small normal
        with standard deviation ``scale``, or zeros. ``b`` starts at zero.
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

    def __repr__(self):
        return f"Dense({self.n_in}->{self.n_out})"

    def _check_params(self):
        super()._check_params()
        W, b = self.params["W"], self.params["b"]
        if W.ndim != 2 or b.shape != (W.shape[1],) or b.dtype != W.dtype:
            raise ValueError(
                f"{self!r}: parameter 'b' has shape {b.shape}, dtype {b.dtype}; expected ({W.shape[1]},) "
                f"and the dtype of W, {W.dtype}"
            )

    def forward(self, x, training=False):
        """``z = x @ W + b`` for a batch ``x`` of shape ``(N, n_in)``; returns ``(N, n_out)``."""
        self._check_params()
        return self._forward(check_batch(x, self._where("forward"), self.n_in), training)

    def _forward(self, x, training=False):
        W = self.params["W"]
        if x.dtype != W.dtype:
            x = x.astype(W.dtype)
        self._x = x  # backward needs the input for dW = x^T delta
        z = x @ W
        z += self.params["b"]  # in place: one array for z, not two
        return z

    def backward(self, dout):
        """Given ``delta = dL/dz`` of shape ``(N, n_out)``, store ``dW = x^T delta``,
        ``db = sum_n delta_n`` and return ``dx = delta W^T`` of shape ``(N, n_in)``."""
        return self.backward_params(dout) @ self.params["W"].T

    def _backward(self, dout):
        return self._backward_params(dout) @ self.params["W"].T

    def backward_params(self, dout):
        """The parameter half of ``backward``: store ``dW`` and ``db``, skip ``dx``.

        A network's first layer needs no ``dx`` (nothing below it learns), so
        ``Network.train_step`` calls this instead of ``backward``. Returns
        ``delta`` (``dout`` checked, in the layer's dtype).
        """
        x = self._cached(self._x)
        self._check_params()
        return self._backward_params(self._check_dout(dout, (x.shape[0], self.n_out)))

    def _backward_params(self, delta):
        x = self._x
        if delta.dtype != x.dtype:
            delta = delta.astype(x.dtype)
        # Written into the existing buffers. np.dot rather than np.matmul: for a
        # batch of one, x^T delta is an outer product, which np.matmul computes
        # several times more slowly.
        np.dot(x.T, delta, out=self.grads["W"])
        delta.sum(axis=0, out=self.grads["b"])
        return delta


class Activation(Layer):
    """An elementwise activation ``a = f(z)`` with no parameters.

    It caches its output ``a`` and takes the derivative from it
    (``f'(z)`` written in terms of ``a``), so ``backward(dout)`` returns
    ``dout * f'(z)``. Subclasses name the function.
    """

    kind = None

    def __init__(self, name=None):
        super().__init__(name)
        self.f, self.grad_from_z, self.grad_from_output = F.ACTIVATIONS[self.kind]
        self._a = None

    def forward(self, x, training=False):
        return self._forward(check_batch(x, self._where("forward")), training)

    def _forward(self, z, training=False):
        a = self.f(z)
        self._a = a
        return a

    def backward(self, dout):
        a = self._cached(self._a)
        return self._backward(self._check_dout(dout, a.shape))

    def _backward(self, dout):
        return dout * self.grad_from_output(self._a)


class Sigmoid(Activation):
    """``a = sigmoid(z)``; backward multiplies by ``a * (1 - a)``."""

    kind = "sigmoid"


class ReLU(Activation):
    """``a = max(0, z)``; backward multiplies by 1 where ``a > 0`` and 0 elsewhere (0 at z = 0)."""

    kind = "relu"


class Tanh(Activation):
    """``a = tanh(z)``; backward multiplies by ``1 - a**2``."""

    kind = "tanh"


class Identity(Activation):
    """``a = z``; backward passes the gradient through unchanged."""

    kind = "identity"

    def _backward(self, dout):
        return dout.copy()


ACTIVATION_LAYERS = {cls.kind: cls for cls in (Sigmoid, ReLU, Tanh, Identity)}


def activation(name):
    """The activation layer called ``name`` ("sigmoid", "relu", "tanh" or "identity")."""
    try:
        return ACTIVATION_LAYERS[name]()
    except KeyError:
        raise ValueError(f"activation: unknown name {name!r}; expected one of {sorted(ACTIVATION_LAYERS)}") from None


class Dropout(Layer):
    """Inverted dropout: in training, zero each unit with probability ``p`` and scale the rest by ``1 / (1 - p)``.

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
        self._shape = None

    def __repr__(self):
        return f"Dropout(p={self.p})"

    def forward(self, x, training=False):
        return self._forward(check_batch(x, self._where("forward")), training)

    def _forward(self, x, training=False):
        self._shape = x.shape
        if not training or self.p == 0.0:
            self.mask = None  # identity: backward passes dout through
            return x
        if self.fixed_mask:
            if self.mask is None or self.mask.shape != x.shape:
                raise ValueError(f"{self!r}.forward: fixed_mask is set but no mask of shape {x.shape} was drawn")
        else:
            keep = self.rng.random(x.shape) >= self.p
            self.mask = keep.astype(x.dtype) / x.dtype.type(1.0 - self.p)
        return x * self.mask

    def backward(self, dout):
        shape = self._cached(self._shape)
        return self._backward(self._check_dout(dout, shape))

    def _backward(self, dout):
        if self.mask is None:
            return dout.copy()
        return dout * self.mask
