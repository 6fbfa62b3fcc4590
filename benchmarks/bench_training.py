"""Training-step benchmarks: forward + backward + optimizer step, tensorlite vs PyTorch CPU.

Models (as in the nn issue): an MLP 64-256-256-10 at batch 128, a small CNN on 32x32x3 at
batch 64, ResNet-18 (small-input variant) on 32x32x3 at batch 32; and (the kernels issue) a
GPT-style model: token + position embeddings, 2 pre-norm blocks (causal self-attention through
scaled_dot_product_attention, 4 heads, GELU MLP), d=256, context 256, vocabulary 512, batch 8.
Each (library, model) runs in a fresh subprocess so its peak resident memory can be read (VmHWM)
without the other's arrays in the way; the time is the median step time after warm-up.

`--kernels` runs tensorlite once per kernel implementation (`reference`: NumPy only; `native`:
the C++ kernels of csrc/; `auto`: what the registry picks, native where built), each against the
same PyTorch run.

    python benchmarks/bench_training.py [--json out.json] [--models mlp,cnn,resnet18,gpt] [--steps N]
                                        [--kernels auto | reference,native]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

MODELS = ("mlp", "cnn", "resnet18", "gpt")

CHILD = r'''
import json, os, statistics, sys, time
import numpy as np
lib, model_name, steps = sys.argv[1], sys.argv[2], int(sys.argv[3])

def rss_peak_mb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM"):
                return int(line.split()[1]) / 1024
    return float("nan")

if lib == "torch":
    import torch as L
    import torch.nn as nn
    L.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count())))
else:
    import tensorlite as L
    import tensorlite.nn as nn
    impl = os.environ.get("TL_KERNELS", "auto")
    L.kernels.set_default(None if impl == "auto" else impl)
F = nn.functional
L.manual_seed(0)

class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
        q, k, v = (z.reshape(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, c)
        x = x + self.proj(y)
        return x + self.fc2(F.gelu(self.fc(self.ln2(x))))

class GPT(nn.Module):
    def __init__(self, vocab=512, d=256, ctx=256, heads=4, layers=2):
        super().__init__()
        self.tok, self.pos = nn.Embedding(vocab, d), nn.Embedding(ctx, d)
        self.blocks = nn.Sequential(*[Block(d, heads) for _ in range(layers)])
        self.ln, self.head = nn.LayerNorm(d), nn.Linear(d, vocab)

    def forward(self, idx):
        t = idx.shape[1]
        x = self.tok(idx) + self.pos(L.arange(t))
        return self.head(self.ln(self.blocks(x))).reshape(-1, 512)

def small_cnn():
    return nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(64, 128, 3, padding=1), nn.BatchNorm2d(128), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(128, 10))

def resnet18():
    if lib == "torch":
        sys.path.insert(0, os.environ["TL_BENCH_DIR"])
        from _torch_resnet import resnet18_small
        return resnet18_small()
    from tensorlite.models import resnet18 as r18
    return r18(num_classes=10, small_input=True)

rng = np.random.default_rng(0)
if model_name == "mlp":
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    x = rng.standard_normal((128, 64), dtype=np.float32)
    y = rng.integers(0, 10, 128)
elif model_name == "cnn":
    model = small_cnn()
    x = rng.standard_normal((64, 3, 32, 32), dtype=np.float32)
    y = rng.integers(0, 10, 64)
elif model_name == "gpt":
    model = GPT()
    x = rng.integers(0, 512, (8, 256))
    y = rng.integers(0, 512, 8 * 256)
else:
    model = resnet18()
    x = rng.standard_normal((32, 3, 32, 32), dtype=np.float32)
    y = rng.integers(0, 10, 32)
x, y = L.tensor(x), L.tensor(y)
opt = L.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
loss_fn = nn.CrossEntropyLoss()
base = rss_peak_mb()

def step():
    opt.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()
    return loss

for _ in range(3):
    step()
times = []
for _ in range(steps):
    t = time.perf_counter()
    step()
    times.append(time.perf_counter() - t)
print(json.dumps({"ms": statistics.median(times) * 1e3, "peak_mb": rss_peak_mb(), "base_mb": base}))
'''


def run_one(lib: str, model: str, steps: int, kernels: str = "auto") -> dict:
    env = dict(os.environ, TL_BENCH_DIR=os.path.dirname(os.path.abspath(__file__)), TL_KERNELS=kernels)
    out = subprocess.run([sys.executable, "-c", CHILD, lib, model, str(steps)], capture_output=True, text=True,
                         env=env, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{lib} {model} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(models=MODELS, steps: int | None = None, kernels: tuple[str, ...] = ("auto",)) -> list[dict]:
    rows = []
    default_steps = {"mlp": 200, "cnn": 10, "resnet18": 5, "gpt": 5}
    for m in models:
        n = steps or default_steps[m]
        ref = run_one("torch", m, n)
        for impl in kernels:
            ours = run_one("tensorlite", m, n, impl)
            # Peak memory of training itself: the process's peak RSS minus its RSS once model and data were
            # built (so the libraries' import footprints, ~40 MB vs ~290 MB, do not count).
            ours_mb, ref_mb = ours["peak_mb"] - ours["base_mb"], ref["peak_mb"] - ref["base_mb"]
            label = f"train step {m}" + ("" if impl == "auto" else f" [{impl}]")
            rows.append({"bench": label, "kernels": impl, "unit": "ms", "tensorlite": ours["ms"], "torch": ref["ms"],
                         "ratio_vs_torch": ours["ms"] / ref["ms"], "tensorlite_train_MB": ours_mb,
                         "torch_train_MB": ref_mb, "peak_memory_ratio": ours_mb / max(ref_mb, 1e-9)})
    return rows


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json")
    p.add_argument("--models", default=",".join(MODELS))
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--kernels", default="auto", help="comma-separated: auto, reference, native")
    args = p.parse_args()
    rows = run(args.models.split(","), args.steps, tuple(args.kernels.split(",")))
    print(f"{'benchmark':34s} {'tensorlite ms':>14s} {'torch ms':>10s} {'ratio':>7s} {'tl train MB':>12s} "
          f"{'torch train MB':>15s} {'mem ratio':>9s}")
    for r in rows:
        print(f"{r['bench']:34s} {r['tensorlite']:14.2f} {r['torch']:10.2f} {r['ratio_vs_torch']:7.2f} "
              f"{r['tensorlite_train_MB']:12.0f} {r['torch_train_MB']:15.0f} {r['peak_memory_ratio']:9.2f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
