"""A sequential network: layers run forward in order and backward in reverse.

Chapter 1 derives the forward pass through a stack of layers, chapter 2 the
backward one: each layer turns :math:`\\partial \\mathcal{L} / \\partial a^{(l)}` into
:math:`\\partial \\mathcal{L} / \\partial a^{(l-1)}` and stores its parameter
gradients on the way. That reverse walk *is* backpropagation.

Any object that keeps the layer contract (``forward``, ``backward``, ``params``,
``grads``; see ``bplib.layers``) can be a layer here, a reader's own as well as
bplib's.
"""

import numpy as np

from ._checks import check_batch, check_like
from .layers import Activation, Dense, Dropout, activation


def check_widths(layers):
    """Raise ``ValueError`` where a layer's input width differs from the output width before it.

    A layer states its widths with ``n_in`` and ``n_out`` (``Dense`` does).
    Activations and dropout keep the width; after any other layer that states
    no ``n_out`` the width is unknown, and the next layer is not checked.
    """
    width, j, before = None, None, None  # the known width, and the layer (number j) that set it
    for i, layer in enumerate(layers):
        n_in = getattr(layer, "n_in", None)
        if n_in is not None and width is not None and n_in != width:
            raise ValueError(f"Network: layer {j} {before!r} gives width {width} but layer {i} {layer!r} expects {n_in}")
        if getattr(layer, "n_out", None) is not None:
            j, before, width = i, layer, layer.n_out
        elif not isinstance(layer, (Activation, Dropout)):
            width = None


class Network:
    """A stack of layers applied one after another.

    ``forward`` feeds each layer's output to the next; ``backward`` takes
    :math:`\\partial \\mathcal{L} / \\partial y` (y the last layer's output) and
    walks the layers in reverse.

    Parameters
    ----------
    layers : list of layers
        Each with ``forward(x, training)``, ``backward(dout)`` and the dicts
        ``params`` and ``grads``.
    """

    def __init__(self, layers):
        layers = list(layers)
        if not layers:
            raise TypeError("Network: expected a non-empty list of layers, got []")
        for i, layer in enumerate(layers):
            if not (callable(getattr(layer, "forward", None)) and callable(getattr(layer, "backward", None))
                    and isinstance(getattr(layer, "params", None), dict) and isinstance(getattr(layer, "grads", None), dict)):
                raise TypeError(f"Network: layer {i} ({type(layer).__name__}) needs forward(x, training), backward(dout) "
                                "and the dicts params and grads")
        check_widths(layers)
        for i, layer in enumerate(layers):
            if getattr(layer, "name", None) is None:
                layer.name = f"{type(layer).__name__.lower()}{i}"
            if not hasattr(layer, "frozen"):
                layer.frozen = set()  # what an optimiser leaves alone: nothing, for a layer that does not say
        names = [layer.name for layer in layers]
        if len(set(names)) != len(names):
            raise ValueError(f"Network: layer names must be unique, got {names}")
        self.layers = layers
        self.out_shape = None

    @classmethod
    def mlp(cls, sizes, hidden="sigmoid", output="identity", rng=None, init=None, dropout=0.0, dtype=np.float64):
        """A multilayer perceptron with the given layer ``sizes``, e.g. ``[2, 6, 2]``.

        Each hidden Dense layer is followed by the ``hidden`` activation (and by
        ``Dropout(dropout)`` when ``dropout > 0``); the last Dense layer by the
        ``output`` activation (``"identity"`` leaves logits for a fused loss).
        ``init`` defaults to He for ReLU and Xavier otherwise.
        """
        if len(sizes) < 2:
            raise ValueError(f"Network.mlp: sizes needs at least an input and an output width, got {sizes!r}")
        init = init or ("he" if hidden == "relu" else "xavier")
        layers = []
        for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            last = k == len(sizes) - 2
            layers.append(Dense(n_in, n_out, init=init, rng=rng, dtype=dtype))
            layers.append(activation(output if last else hidden))
            if dropout and not last:
                layers.append(Dropout(dropout, rng=rng))
        if output == "identity":
            layers.pop()  # an identity layer would only copy the logits
        return cls(layers)

    def __repr__(self):
        return "Network([" + ", ".join(repr(layer) for layer in self.layers) + "])"

    @property
    def n_in(self):
        """The input width, if the first layer states it (``Dense`` does), else None."""
        return getattr(self.layers[0], "n_in", None)

    def forward(self, x, training=False):
        """Run a batch ``x`` of shape ``(N, D_in)`` through every layer; returns the last output."""
        a = check_batch(x, "Network.forward", self.n_in)
        for layer in self.layers:
            a = layer.forward(a, training=training)
        self.out_shape = a.shape
        return a

    __call__ = forward

    def backward(self, dout, input_grad=True):
        """Backpropagate ``dout`` :math:`= \\partial \\mathcal{L} / \\partial y`; fills every layer's
        ``grads`` and returns :math:`\\partial \\mathcal{L} / \\partial x`.

        With ``input_grad=False`` it returns None, and a first layer that is
        bplib's own ``Dense`` skips :math:`dx = \\delta W^T` (``Dense.backward_params``):
        training needs the gradient of every weight but never that of the
        input. Every other layer, a subclass of ``Dense`` included, runs its
        own ``backward``.
        """
        if self.out_shape is None:
            raise RuntimeError("Network.backward called before forward")
        dout = check_like(dout, self.out_shape, "Network.backward", "dout", "the shape of the last output")
        for layer in reversed(self.layers[1:]):
            dout = layer.backward(dout)
        first = self.layers[0]
        if not input_grad and type(first) is Dense:
            first.backward_params(dout)
            return None
        dx = first.backward(dout)
        return dx if input_grad else None

    def train_step(self, x, t, loss):
        """Forward in training mode, the loss, and backward: returns the loss value.

        After it, every layer's ``grads`` holds the gradient of this batch's
        loss; the gradient with respect to ``x`` itself is not computed (see
        ``backward``). ``fit`` runs this and the optimiser's ``step``, nothing else.
        """
        value = loss.forward(self.forward(x, training=True), t)
        self.backward(loss.backward(), input_grad=False)
        return value

    def parameters(self):
        """List of ``(name, layer, key)`` for every parameter, e.g. ``("dense0.W", layer, "W")``."""
        return [(f"{layer.name}.{key}", layer, key) for layer in self.layers for key in layer.params]

    def n_parameters(self):
        """How many numbers the network learns."""
        return sum(layer.params[key].size for _, layer, key in self.parameters())

    def get_weights(self):
        """A copy of every parameter, as a dict from name to array."""
        return {name: layer.params[key].copy() for name, layer, key in self.parameters()}

    def set_weights(self, weights):
        """Load parameters saved by ``get_weights`` (copied into the existing arrays)."""
        for name, layer, key in self.parameters():
            if name not in weights:
                raise ValueError(f"Network.set_weights: missing {name!r}")
            if weights[name].shape != layer.params[key].shape:
                raise ValueError(
                    f"Network.set_weights: {name} has shape {weights[name].shape}, expected {layer.params[key].shape}"
                )
            layer.params[key][...] = weights[name]

    def predict(self, x):
        """Class predictions: the index of the largest output for each row."""
        return np.argmax(self.forward(x), axis=1)
