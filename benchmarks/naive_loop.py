"""The per-sample loop: the baseline bplib is measured against.

Classic first examples of backpropagation train a network one example at a
time: each example is a column vector, the forward pass is ``z = W a + b`` with
``W`` of shape ``(n_out, n_in)``, the backward pass builds every weight
gradient as an outer product ``delta a^T``, and a mini-batch is a Python loop
that adds the examples' gradients up before one update. The arithmetic is
exactly that of a batched implementation; only the loop differs, and the loop
is what this module is here to measure.

``PerSampleMLP`` is that loop for the benchmark's 784-128-10 ReLU network
under softmax cross-entropy. It is written to be fair to the loop: the
gradient sums are accumulated in place rather than rebuilt for every example,
and the outer products use ``np.outer``. (The same product written
``np.dot(delta, a.T)``, as classic examples write it, or ``delta @ a.T``, runs
two to six times slower with OpenBLAS, which handles a matrix product with an
inner dimension of 1 poorly; giving the loop the fastest form keeps the
comparison from flattering bplib.)

Run on its own, this file checks that one update of the loop and one update of
``bplib`` on the same weights and batch agree to rounding error, so the speed
comparison in ``speed.py`` compares the same computation.
"""

import numpy as np


class PerSampleMLP:
    """A ReLU network with a softmax output, trained one example at a time.

    Parameters
    ----------
    weights : list of ndarray
        Batch-first weights as bplib stores them, ``W`` of shape ``(n_in, n_out)``;
        they are transposed here into the column-vector convention ``(n_out, n_in)``.
    biases : list of ndarray of shape (n_out,)
    """

    def __init__(self, weights, biases):
        self.W = [np.array(W.T) for W in weights]  # (n_out, n_in): z = W a + b
        self.b = [np.array(b).reshape(-1, 1) for b in biases]  # columns (n_out, 1)

    def backprop(self, x, label):
        """Gradients of ``-log softmax(z_L)[label]`` for one example ``x`` of shape ``(n_in,)``."""
        a = x.reshape(-1, 1)
        activations, zs = [a], []
        for k, (W, b) in enumerate(zip(self.W, self.b)):
            z = W @ a + b
            zs.append(z)
            a = np.maximum(z, 0) if k < len(self.W) - 1 else z  # the last layer gives logits
            activations.append(a)
        e = np.exp(zs[-1] - zs[-1].max())
        delta = e / e.sum()  # softmax(z_L) - onehot(label), built in place below
        delta[label] -= 1
        dW, db = [None] * len(self.W), [None] * len(self.W)
        for k in reversed(range(len(self.W))):
            dW[k] = np.outer(delta, activations[k])  # delta a^T: (n_out, 1) times (1, n_in)
            db[k] = delta
            if k > 0:
                delta = (self.W[k].T @ delta) * (zs[k - 1] > 0)
        return dW, db

    def gradients(self, xs, labels):
        """Mean gradients over a mini-batch, summed one example at a time."""
        sum_W = [np.zeros_like(W) for W in self.W]
        sum_b = [np.zeros_like(b) for b in self.b]
        for x, label in zip(xs, labels):
            dW, db = self.backprop(x, label)
            for k in range(len(self.W)):
                sum_W[k] += dW[k]
                sum_b[k] += db[k]
        n = len(xs)
        return [s / n for s in sum_W], [s / n for s in sum_b]

    def update_mini_batch(self, xs, labels, lr):
        """One step of gradient descent on the mean loss of the mini-batch."""
        grad_W, grad_b = self.gradients(xs, labels)
        for k in range(len(self.W)):
            self.W[k] -= lr * grad_W[k]
            self.b[k] -= lr * grad_b[k]

    def train_epoch(self, x, labels, batch_size, lr, rng):
        """One pass over ``(x, labels)`` in shuffled mini-batches."""
        order = rng.permutation(len(x))
        for first in range(0, len(x), batch_size):
            idx = order[first : first + batch_size]
            self.update_mini_batch(x[idx], labels[idx], lr)


def _agrees_with_bplib():
    import bplib

    rng = np.random.default_rng(0)
    x, labels = rng.random((16, 784)), rng.integers(0, 10, 16)
    net = bplib.Network.mlp([784, 128, 10], hidden="relu", rng=rng)
    dense = [layer for layer in net.layers if isinstance(layer, bplib.Dense)]
    loop = PerSampleMLP([d.params["W"] for d in dense], [d.params["b"] for d in dense])
    net.train_step(x, labels, bplib.SoftmaxCrossEntropy())
    grad_W, grad_b = loop.gradients(x, labels)
    errors = {}
    for k, d in enumerate(dense):
        errors[f"dW{k + 1}"] = bplib.relative_error(d.grads["W"], grad_W[k].T)
        errors[f"db{k + 1}"] = bplib.relative_error(d.grads["b"], grad_b[k].ravel())
    return errors


if __name__ == "__main__":
    errors = _agrees_with_bplib()
    for name, err in errors.items():
        print(f"per-sample loop vs bplib, {name}: relative error {err:.1e}")
    assert max(errors.values()) < 1e-12, errors
    print("The per-sample loop computes the same gradients as bplib.")
