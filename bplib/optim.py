"""Parameter updates: plain gradient descent and gradient descent with momentum."""

import numpy as np


class SGD:
    """Stochastic gradient descent, with optional (heavy-ball) momentum.

    Without momentum each parameter moves against its gradient:
    ``p <- p - lr * dp``. With momentum ``mu`` a velocity accumulates the
    steps: ``v <- mu * v - lr * dp``, ``p <- p + v``.

    Parameters named in a layer's ``frozen`` set are left alone. Updates are
    made in place, so arrays handed out by ``layer.params`` stay current.
    """

    def __init__(self, lr, momentum=0.0):
        if isinstance(lr, bool) or not (isinstance(lr, (int, float)) and np.isfinite(lr) and lr > 0):
            raise ValueError(f"SGD: learning rate lr must be a positive number, got {lr!r}")
        if isinstance(momentum, bool) or not (isinstance(momentum, (int, float)) and 0.0 <= momentum < 1.0):
            raise ValueError(f"SGD: momentum must lie in [0, 1), got {momentum!r}")
        self.lr = float(lr)
        self.momentum = float(momentum)
        self.velocity = {}

    def __repr__(self):
        return f"SGD(lr={self.lr}, momentum={self.momentum})"

    def step(self, network):
        """Update every trainable parameter of ``network`` from the gradients its last backward stored."""
        self._plan(network)()

    def _plan(self, network):
        """A function that makes one update of ``network``'s current parameter arrays.

        ``step`` builds it and calls it once; ``fit`` builds it once and calls it
        after every batch, so the list of parameters, the frozen sets and the
        velocities are looked up once rather than at every step. (``fit``
        builds it again after each callback, which may change ``lr`` or swap
        an array.)
        """
        lr, mu = self.lr, self.momentum
        pairs = []
        for layer in network.layers:
            layer._check_params()  # a parameter swapped by hand gets a message naming it, not numpy's
            for key, p in layer.params.items():
                if key not in layer.frozen:
                    pairs.append((f"{layer.name}.{key}", p, layer.grads[key]))  # names as in network.parameters()
        if not mu:
            pairs = [(p, dp) for _, p, dp in pairs]

            def update():
                for p, dp in pairs:
                    p -= lr * dp

            return update
        triples = []
        for name, p, dp in pairs:
            v = self.velocity.get(name)
            if v is None or v.shape != p.shape or v.dtype != p.dtype:
                v = self.velocity[name] = np.zeros_like(p)
            triples.append((p, dp, v))

        def update_with_momentum():
            for p, dp, v in triples:
                v *= mu
                v -= lr * dp
                p += v

        return update_with_momentum
