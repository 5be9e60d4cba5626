"""A sequential network: layers run forward in order and backward in reverse."""

import numpy as np

from ._checks import as_float_array, check_batch, check_finite, scanned_upstream
from .layers import Dense, Dropout, Layer, activation


class Network:
    """A stack of layers applied one after another.

    ``forward`` feeds each layer's output to the next; ``backward`` takes
    dL/d(output of the last layer) and walks the layers in reverse, each one
    turning the gradient of its output into the gradient of its input and
    storing its parameter gradients on the way. That reverse walk *is*
    backpropagation.

    Parameters
    ----------
    layers : list of Layer
    """

    def __init__(self, layers):
        layers = list(layers)
        if not layers or not all(isinstance(layer, Layer) for layer in layers):
            raise TypeError(f"Network: expected a non-empty list of layers, got {layers!r}")
        widths = [(i, layer) for i, layer in enumerate(layers) if isinstance(layer, Dense)]
        for (i, a), (j, b) in zip(widths, widths[1:]):
            if a.n_out != b.n_in:
                raise ValueError(f"Network: layer {i} {a!r} gives width {a.n_out} but layer {j} {b!r} expects {b.n_in}")
        for i, layer in enumerate(layers):
            if layer.name is None:
                layer.name = f"{type(layer).__name__.lower()}{i}"
        names = [layer.name for layer in layers]
        if len(set(names)) != len(names):
            raise ValueError(f"Network: layer names must be unique, got {names}")
        self.layers = layers

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
        first = next((layer for layer in self.layers if isinstance(layer, Dense)), None)
        return first.n_in if first is not None else None

    def forward(self, x, training=False):
        """Run a batch ``x`` of shape ``(N, D_in)`` through every layer; returns the last output.

        The input is checked in full once, here. Inside the network each layer
        still checks the shape and dtype it receives, but skips the scan for
        NaN and infinity (see ``bplib._checks.scanned_upstream``); the output is
        scanned once instead, so weights that have blown up still raise a
        ``ValueError`` rather than return NaN.
        """
        a = check_batch(x, f"{type(self).__name__}.forward", self.n_in)
        with scanned_upstream():
            for layer in self.layers:
                a = layer.forward(a, training=training)
        check_finite(a, f"{type(self).__name__}.forward", "output")
        self._out_shape = a.shape
        return a

    __call__ = forward

    def backward(self, dout, input_grad=True):
        """Backpropagate ``dout = dL/d(output)``; fills every layer's ``grads`` and returns dL/dx.

        With ``input_grad=False`` it returns None and, when the first layer is a
        plain :class:`Dense`, skips that layer's ``dx = delta @ W.T``: training
        needs the gradient of every weight but never that of the input, and in
        a 784-128-10 network that one product is half the backward pass's arithmetic.
        """
        dout = as_float_array(dout, f"{type(self).__name__}.backward", "dout")
        expected = getattr(self, "_out_shape", None)
        if expected is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        if dout.shape != expected:
            raise ValueError(f"{type(self).__name__}.backward: dout has shape {dout.shape}, expected {expected} "
                             "(the shape of the last output)")
        check_finite(dout, f"{type(self).__name__}.backward", "dout")  # once: the layers skip this scan
        first, rest = self.layers[0], self.layers[1:]
        with scanned_upstream():
            for layer in reversed(rest):
                dout = layer.backward(dout)
            if not input_grad and type(first) is Dense:  # a subclass may have its own backward
                first.backward_params(dout)
                return None
            dx = first.backward(dout)
        return dx if input_grad else None

    def train_step(self, x, t, loss):
        """Forward in training mode, the loss, and backward: returns the loss value.

        After it, every layer's ``grads`` holds the gradient of this batch's loss.
        (The gradient with respect to ``x`` itself is not computed: see ``backward``.)
        """
        x = check_batch(x, f"{type(self).__name__}.train_step", self.n_in)
        value = loss.forward(self.forward(x, training=True), t)
        self.backward(loss.backward(), input_grad=False)
        return value

    def _check_params(self):
        """Every layer's parameters still match their gradients (see ``Layer._check_params``)."""
        for layer in self.layers:
            layer._check_params()

    def _training_plan(self):
        """The bound methods one training step calls, in order, for ``fit``'s inner loop.

        Returns ``(forwards, backwards)``: ``forwards`` run the layers in
        order, ``backwards`` in reverse, the first layer's entry computing only
        its parameter gradients when it is a plain :class:`Dense` (as in
        ``train_step``). For bplib's own layers these are the computing halves
        (``_forward``, ``_backward``) without the input checks: ``fit`` has
        checked the data once, and inside the network every array is one that
        bplib made from it. It is rebuilt whenever ``fit`` hands control to
        the caller (a callback may swap a layer's parameters).
        """
        forwards = [layer._fast("forward") for layer in self.layers]
        backwards = [layer._fast("backward") for layer in reversed(self.layers)]
        first = self.layers[0]
        if type(first) is Dense:
            backwards[-1] = first._backward_params
        return forwards, backwards

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
