"""Train a small MLP with tensorlite's core alone and watch the loss fall (python examples/mlp_from_scratch.py).

The data is three interleaved spirals (made here with NumPy: no download); the model is
two hidden layers written as plain tensors; the update is hand-written SGD with momentum.
Everything a framework does for you later (nn.Linear, optim.SGD, cross_entropy) is spelled
out here in a dozen lines, so you can see what those layers are made of.
"""
from __future__ import annotations

import math
import time

import numpy as np

import tensorlite as tl


def spirals(n_per_class: int = 200, classes: int = 3, noise: float = 0.2, seed: int = 0):
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for c in range(classes):
        r = np.linspace(0.05, 1.0, n_per_class)
        theta = np.linspace(c * 2 * math.pi / classes, c * 2 * math.pi / classes + 4.0, n_per_class)
        theta = theta + rng.normal(0, noise, n_per_class)
        xs.append(np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1))
        ys.append(np.full(n_per_class, c))
    return tl.tensor(np.concatenate(xs), dtype=tl.float32), tl.tensor(np.concatenate(ys))


def init_layer(fan_in: int, fan_out: int):
    """PyTorch's nn.Linear default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias."""
    bound = 1 / math.sqrt(fan_in)
    w = (tl.rand(fan_in, fan_out) * 2 - 1) * bound
    b = (tl.rand(fan_out) * 2 - 1) * bound
    return w.requires_grad_(), b.requires_grad_()


def main(epochs: int = 300, hidden: int = 64, lr: float = 0.2, momentum: float = 0.9) -> float:
    tl.manual_seed(0)
    x, y = spirals()
    params = [*init_layer(2, hidden), *init_layer(hidden, hidden), *init_layer(hidden, 3)]
    velocity = [tl.zeros_like(p) for p in params]

    def forward(inputs):
        w1, b1, w2, b2, w3, b3 = params
        h = (inputs @ w1 + b1).relu()
        h = (h @ w2 + b2).relu()
        return h @ w3 + b3

    print(f"tensorlite {tl.__version__}: MLP 2-{hidden}-{hidden}-3 on {len(y)} spiral points")
    start = time.perf_counter()
    for epoch in range(epochs + 1):
        logits = forward(x)
        # cross-entropy: mean of -log softmax at the true class (log_softmax is the stable form)
        loss = -logits.log_softmax(dim=1).gather(1, y.unsqueeze(1)).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with tl.no_grad():
            for p, v in zip(params, velocity):
                v.mul_(momentum).add_(p.grad)
                p.sub_(v * lr)
        if epoch % 50 == 0:
            acc = (logits.argmax(dim=1) == y).float().mean().item()
            print(f"epoch {epoch:4d}  loss {loss.item():.4f}  train accuracy {acc:.1%}")
    print(f"done in {time.perf_counter() - start:.1f} s")
    return loss.item()


if __name__ == "__main__":
    main()
