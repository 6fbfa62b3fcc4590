"""`tensorlite train MODEL --dataset D --epochs N ...`: train a model from the registry on a dataset.

    tensorlite train resnet_mini --dataset mnist5k --epochs 8
    tensorlite train resnet18 --dataset shapes --epochs 3 --batch-size 32
    tensorlite train resnet_mini --dataset mnist5k --epochs 12 --resume   # continue runs/<name>

Each run writes, under runs/<name>/: TensorBoard event files, history.json, curves.png and
checkpoint.safetensors (rewritten every epoch; --resume continues from it exactly).
"""
from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass

import numpy as np


@dataclass
class DataSpec:
    train: object
    val: object
    in_channels: int
    num_classes: int


def _transforms(mean: float, std: float, augment: bool, translate: float = 0.1):
    from ..data import transforms as T

    steps = [T.ToTensor()]
    if augment:
        steps.append(T.RandomAffine(degrees=10, translate=(translate, translate), scale=(0.9, 1.1)))
    steps.append(T.Normalize((mean,), (std,)))
    return T.Compose(steps), T.Compose([T.ToTensor(), T.Normalize((mean,), (std,))])


def build_data(name: str, augment: bool, seed: int) -> DataSpec:
    """The train/validation datasets of a named dataset, with its normalisation and augmentation."""
    from ..data import datasets as D

    name = name.lower()
    if name == "mnist5k":
        train_tf, val_tf = _transforms(0.1307, 0.3081, augment)
        return DataSpec(D.MNIST5k(train=True, transform=train_tf, seed=seed),
                        D.MNIST5k(train=False, transform=val_tf, seed=seed), 1, 10)
    if name == "digits":
        train_tf, val_tf = _transforms(0.5, 0.5, augment, translate=0.125)
        return DataSpec(D.Digits(train=True, transform=train_tf, seed=seed),
                        D.Digits(train=False, transform=val_tf, seed=seed), 1, 10)
    if name in ("fashion-mnist", "fashionmnist"):
        train_tf, val_tf = _transforms(0.2860, 0.3530, augment)
        return DataSpec(D.FashionMNIST(train=True, transform=train_tf), D.FashionMNIST(train=False, transform=val_tf),
                        1, 10)
    if name == "shapes":
        from ..data import transforms as T

        tf = T.Compose([T.ToTensor()])
        return DataSpec(D.Shapes(n=2000, seed=seed, transform=tf), D.Shapes(n=500, seed=seed + 1, transform=tf), 3,
                        len(D.Shapes.classes))
    raise SystemExit(f"tensorlite train: unknown dataset '{name}' (choose mnist5k, digits, fashion-mnist, shapes)")


def _saved_config(trainer) -> dict:
    from ..serialization import load

    return dict(load(trainer.checkpoint_path).get("config") or {})


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tensorlite train", description="Train a model on a dataset.")
    p.add_argument("model", help="a model name from tensorlite.models (e.g. resnet_mini, resnet18)")
    p.add_argument("--dataset", default="mnist5k")
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--optimizer", choices=["sgd", "adam", "adamw"], default="sgd")
    p.add_argument("--lr", type=float, default=0.1, help="peak learning rate")
    p.add_argument("--momentum", type=float, default=0.9)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--scheduler", choices=["onecycle", "cosine", "step", "none"], default="onecycle")
    p.add_argument("--label-smoothing", type=float, default=0.0)
    p.add_argument("--no-augment", dest="augment", action="store_false")
    p.add_argument("--workers", type=int, default=0, help="DataLoader background workers")
    p.add_argument("--device", default="cpu", help="where to train: cpu, cuda or cuda:N (CUDA needs tensorlite[cuda])")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="runs", help="folder holding the run folders")
    p.add_argument("--name", default=None, help="run folder name (default: MODEL-DATASET)")
    p.add_argument("--resume", nargs="?", const=True, default=None,
                   help="continue from runs/<name>/checkpoint.safetensors (or a given path)")
    p.add_argument("--no-tensorboard", dest="tensorboard", action="store_false")
    p.add_argument("--no-progress", dest="progress", action="store_false")
    p.add_argument("--small-input", dest="small_input", action="store_true", default=None,
                   help="3x3 stem without max-pool (default for images smaller than 64x64)")
    return p


def main(argv: list[str] | None = None) -> int:
    import tensorlite as tl
    from .. import nn, optim
    from ..models import get_model
    from ..utils.data import DataLoader
    from .trainer import Trainer

    args = build_parser().parse_args(argv)
    try:
        device = tl.device(args.device)
        tl.empty(0, device=device)  # fails here, with the reason, if the device cannot be used
    except RuntimeError as exc:
        raise SystemExit(f"tensorlite train: --device {args.device}: {exc}") from None
    tl.manual_seed(args.seed)
    data = build_data(args.dataset, args.augment, args.seed)
    kwargs = {"num_classes": data.num_classes, "in_channels": data.in_channels}
    if args.model.startswith("resnet"):
        kwargs["small_input"] = True if args.small_input is None else args.small_input
    model = get_model(args.model, **kwargs).to(device)
    train_loader = DataLoader(data.train, batch_size=args.batch_size, shuffle=True, num_workers=args.workers,
                              drop_last=True)
    val_loader = DataLoader(data.val, batch_size=256, num_workers=args.workers)
    params = model.parameters()
    if args.optimizer == "sgd":
        opt = optim.SGD(params, lr=args.lr, momentum=args.momentum, weight_decay=args.weight_decay, nesterov=True)
    elif args.optimizer == "adam":
        opt = optim.Adam(params, lr=args.lr, weight_decay=args.weight_decay)
    else:
        opt = optim.AdamW(params, lr=args.lr, weight_decay=args.weight_decay)
    per_batch = False
    if args.scheduler == "onecycle":
        sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, epochs=args.epochs,
                                              steps_per_epoch=len(train_loader))
        per_batch = True
    elif args.scheduler == "cosine":
        sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    elif args.scheduler == "step":
        sched = optim.lr_scheduler.StepLR(opt, step_size=max(1, args.epochs // 3), gamma=0.1)
    else:
        sched = None
    loss_fn = nn.CrossEntropyLoss(label_smoothing=args.label_smoothing)
    run_dir = os.path.join(args.out, args.name or f"{args.model}-{args.dataset}")
    trainer = Trainer(model, opt, loss_fn, train_loader, val_loader, sched, per_batch, run_dir,
                      tensorboard=args.tensorboard, progress=args.progress, config=vars(args) | {"resume": None},
                      device=device)
    if args.resume:
        trainer.resume(None if args.resume is True else args.resume)
        saved = _saved_config(trainer) if args.resume is True else {}
        if args.scheduler in ("onecycle", "cosine") and saved.get("epochs") not in (None, args.epochs):
            raise SystemExit(f"tensorlite train: the checkpoint's {args.scheduler} schedule was planned for "
                             f"{saved['epochs']} epochs; resume with --epochs {saved['epochs']} (a one-cycle or "
                             f"cosine schedule cannot be stretched after it started), or use --scheduler step/none")
        print(f"resumed from epoch {trainer.epoch} of {run_dir}")
    n_params = sum(p.numel() for p in model.parameters())
    print(f"training {args.model} ({n_params:,} parameters) on {args.dataset} ({device}): {len(data.train)} train / "
          f"{len(data.val)} validation images, {args.epochs} epochs, batch {args.batch_size}")
    start = time.perf_counter()

    def report(r: dict) -> None:
        print(f"epoch {r['epoch']:3d}  train loss {r['train_loss']:.4f}  train acc {r['train_accuracy']:.2%}  "
              f"val loss {r.get('val_loss', float('nan')):.4f}  val acc {r.get('val_accuracy', float('nan')):.2%}  "
              f"{r['train_images_per_s']:.0f} img/s  ({time.perf_counter() - start:.0f} s)", flush=True)

    history = trainer.fit(args.epochs, on_epoch_end=report)
    trainer.close()
    final = history[-1] if history else {}
    print(f"\ntest accuracy: {final.get('val_accuracy', float('nan')):.2%} "
          f"({len(data.val)} held-out images, after {trainer.epoch} epochs)")
    print(f"checkpoint:   {trainer.checkpoint_path}")
    print(f"history:      {os.path.join(run_dir, 'history.json')}")
    print(f"curves:       {os.path.join(run_dir, 'curves.png')}")
    for note in trainer.logger.notes:
        print(f"note:         {note}")
    if args.tensorboard and not any("TensorBoard" in n for n in trainer.logger.notes):
        print(f"TensorBoard:  tensorboard --logdir {args.out}   (pip install tensorboard; event files in {run_dir})")
    return 0 if np.isfinite(final.get("val_loss", 0.0)) else 1
