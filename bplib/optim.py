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
        if not (isinstance(lr, (int, float)) and np.isfinite(lr) and lr > 0):
            raise ValueError(f"SGD: learning rate lr must be a positive number, got {lr!r}")
        if not (isinstance(momentum, (int, float)) and 0.0 <= momentum < 1.0):
            raise ValueError(f"SGD: momentum must lie in [0, 1), got {momentum!r}")
        self.lr = float(lr)
        self.momentum = float(momentum)
        self.velocity = {}

    def __repr__(self):
        return f"SGD(lr={self.lr}, momentum={self.momentum})"

    def step(self, network):
        """Update every trainable parameter of ``network`` from the gradients its last backward stored."""
        for layer in network.layers:
            for key, p in layer.params.items():
                if key in layer.frozen:
                    continue
                dp = layer.grads[key]
                if self.momentum:
                    name = f"{layer.name}.{key}"  # as in network.parameters()
                    v = self.velocity.get(name)
                    if v is None:
                        v = self.velocity[name] = np.zeros_like(p)
                    v *= self.momentum
                    v -= self.lr * dp
                    p += v
                else:
                    p -= self.lr * dp
