"""One seeded random generator for the whole library (`tl.manual_seed`), as in PyTorch.

Numbers differ from PyTorch's (the bit generator is NumPy's PCG64), but a given seed gives
the same sequence on every run and every machine. Random tensors for device "cuda" are drawn
on the host from this same generator and copied to the device: one seed then gives the same
numbers on the CPU and on the GPU (at the cost of a host-to-device copy per draw).
"""
from __future__ import annotations

import numpy as np

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state", "default_generator"]


class Generator:
    """A random-number generator; pass one as `generator=` to make a draw independent of the global one."""

    def __init__(self, device="cpu"):
        from .backend.device import device as Device

        self.device = Device(device)
        self._seed = 67280421310721  # PyTorch's default initial seed
        self.np = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed: int) -> "Generator":
        seed = int(seed)
        if seed < 0:
            seed &= 0xFFFF_FFFF_FFFF_FFFF
        self._seed = seed
        self.np = np.random.Generator(np.random.PCG64(seed))
        return self

    def seed(self) -> int:
        s = int(np.random.SeedSequence().entropy) & 0xFFFF_FFFF_FFFF_FFFF
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        from .creation import tensor

        state = self.np.bit_generator.state
        words = [state["state"]["state"], state["state"]["inc"], state["has_uint32"], state["uinteger"]]
        as_bytes = b"".join(int(w).to_bytes(16, "little") for w in words)
        return tensor(np.frombuffer(as_bytes, dtype=np.uint8).copy())

    def set_state(self, new_state) -> "Generator":
        raw = bytes(np.asarray(new_state, dtype=np.uint8))
        if len(raw) != 64:
            raise RuntimeError(f"set_state: expected a uint8 state tensor of 64 bytes, got {len(raw)}")
        words = [int.from_bytes(raw[i:i + 16], "little") for i in range(0, 64, 16)]
        self.np.bit_generator.state = {"bit_generator": "PCG64", "state": {"state": words[0], "inc": words[1]},
                                       "has_uint32": words[2], "uinteger": words[3]}
        return self


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the global generator: every later random op (rand, randn, dropout, init, shuffling) repeats."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    default_generator.set_state(new_state)


def numpy_generator(generator: Generator | None = None) -> np.random.Generator:
    return (generator or default_generator).np
