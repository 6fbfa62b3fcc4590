"""A long training loop keeps memory flat: the graph is freed after every backward."""
import gc
import os

import numpy as np
import pytest

import tensorlite as tl


def rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")
def test_2000_training_steps_keep_memory_flat():
    tl.manual_seed(0)
    x = tl.randn(64, 32)
    y = tl.randint(0, 10, (64,))
    w1 = (tl.randn(32, 128) * 0.1).requires_grad_()
    w2 = (tl.randn(128, 10) * 0.1).requires_grad_()
    params = [w1, w2]

    def step():
        logits = (x @ w1).relu() @ w2
        loss = -logits.log_softmax(dim=1).gather(1, y.unsqueeze(1)).mean()
        for p in params:
            p.grad = None
        loss.backward()
        with tl.no_grad():
            for p in params:
                p -= 0.01 * p.grad
        return loss.item()

    first = [step() for _ in range(100)]  # warm up allocator pools
    gc.collect()
    before = rss_mb()
    losses = [step() for _ in range(2000)]
    gc.collect()
    grown = rss_mb() - before
    assert grown < 50, f"resident memory grew by {grown:.1f} MB over 2000 steps"
    assert losses[-1] < first[0], "the loop should also be training"
    assert np.isfinite(losses).all()
