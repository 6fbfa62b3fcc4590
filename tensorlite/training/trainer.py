"""A plain training loop: epochs of (forward, loss, backward, optimizer step), validation,
a checkpoint per epoch, and exact resumption.

Resuming continues bit for bit as if the run had not stopped: the checkpoint holds the
model, optimizer and scheduler state dicts, the epoch, and the global random generator's
state (which drives shuffling, augmentation and dropout).
"""
from __future__ import annotations

import os
import time
from typing import Any, Callable

from .. import random as tl_random
from ..autograd.grad_mode import no_grad
from ..serialization import load, save
from .logger import RunLogger


def _progress(iterable, desc: str, total: int | None, enabled: bool):
    if not enabled:
        return iterable
    try:
        from tqdm import tqdm  # noqa: PLC0415 - optional dependency
    except ImportError:
        return iterable
    return tqdm(iterable, desc=desc, total=total, unit="batch", leave=False, dynamic_ncols=True)


def _to(batch: tuple, device) -> tuple:
    """The batch's tensors on `device` (the DataLoader yields CPU tensors); unchanged when device is None."""
    if device is None:
        return batch
    return tuple(t.to(device, non_blocking=True) for t in batch)


def train_one_epoch(model, loader, loss_fn: Callable, optimizer, scheduler=None, step_scheduler_per_batch=False,
                    progress: bool = False, desc: str = "train", log: Callable[[str, float], None] | None = None,
                    device=None) -> dict:
    """One pass over `loader` (batches moved to `device`, the model's); returns mean loss, accuracy and throughput."""
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    start = time.perf_counter()
    bar = _progress(loader, desc, len(loader) if hasattr(loader, "__len__") else None, progress)
    for batch in bar:
        inputs, targets = _to(batch, device)
        logits = model(inputs)
        loss = loss_fn(logits, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if scheduler is not None and step_scheduler_per_batch:
            scheduler.step()
        n = targets.shape[0]
        batch_loss = loss.item()
        total_loss += batch_loss * n
        correct += int((logits.detach().argmax(dim=1) == targets).sum().item())
        seen += n
        rate = seen / max(time.perf_counter() - start, 1e-9)
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(loss=f"{batch_loss:.4f}", img_s=f"{rate:.0f}")
        if log is not None:
            log("batch/train_loss", batch_loss)
    elapsed = time.perf_counter() - start
    return {"train_loss": total_loss / max(seen, 1), "train_accuracy": correct / max(seen, 1),
            "train_images_per_s": seen / max(elapsed, 1e-9), "train_seconds": elapsed}


@no_grad()
def evaluate(model, loader, loss_fn: Callable, device=None) -> dict:
    """Mean loss and accuracy over `loader`, in eval mode and without a graph."""
    model.eval()
    total_loss, correct, seen = 0.0, 0, 0
    for batch in loader:
        inputs, targets = _to(batch, device)
        logits = model(inputs)
        n = targets.shape[0]
        total_loss += loss_fn(logits, targets).item() * n
        correct += int((logits.argmax(dim=1) == targets).sum().item())
        seen += n
    return {"val_loss": total_loss / max(seen, 1), "val_accuracy": correct / max(seen, 1)}


class Trainer:
    """Run `epochs` of training with validation, logging and a checkpoint per epoch.

    scheduler_per_batch: step the scheduler after every batch (OneCycleLR, CyclicLR) instead of
    after every epoch. device: where the batches go (the model must already be there), e.g. "cuda".
    """

    def __init__(self, model, optimizer, loss_fn: Callable, train_loader, val_loader=None, scheduler=None,
                 scheduler_per_batch: bool = False, run_dir: str = "runs/run", tensorboard: bool = True,
                 progress: bool = True, config: dict | None = None, device=None):
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss_fn
        self.train_loader, self.val_loader = train_loader, val_loader
        self.scheduler, self.scheduler_per_batch = scheduler, scheduler_per_batch
        self.run_dir, self.progress = run_dir, progress
        self.logger = RunLogger(run_dir, tensorboard)
        self.config = dict(config or {})
        self.epoch = 0
        self.global_step = 0
        self.device = device

    @property
    def checkpoint_path(self) -> str:
        return os.path.join(self.run_dir, "checkpoint.safetensors")

    def state(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
                "epoch": self.epoch, "global_step": self.global_step, "rng": tl_random.get_rng_state(),
                "history": self.logger.history, "config": self.config}

    def save_checkpoint(self, path: str | None = None) -> str:
        path = path or self.checkpoint_path
        save(self.state(), path)
        return path

    def resume(self, path: str | None = None) -> None:
        """Restore everything a checkpoint holds; training continues exactly where it stopped."""
        state = load(path or self.checkpoint_path)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and state.get("scheduler") is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        self.epoch = int(state["epoch"])
        self.global_step = int(state.get("global_step", 0))
        tl_random.set_rng_state(state["rng"])
        self.logger.history = list(state.get("history") or [])

    def _log_batch(self, tag: str, value: float) -> None:
        self.global_step += 1
        self.logger.scalar(tag, value, self.global_step)

    def fit(self, epochs: int, on_epoch_end: Callable[[dict], None] | None = None) -> list[dict]:
        while self.epoch < epochs:
            self.epoch += 1
            record = {"epoch": self.epoch, "lr": self.optimizer.param_groups[0]["lr"]}
            record.update(train_one_epoch(self.model, self.train_loader, self.loss_fn, self.optimizer,
                                          self.scheduler, self.scheduler_per_batch, self.progress,
                                          desc=f"epoch {self.epoch}/{epochs}", log=self._log_batch,
                                          device=self.device))
            if self.scheduler is not None and not self.scheduler_per_batch:
                self.scheduler.step()
            if self.val_loader is not None:
                record.update(evaluate(self.model, self.val_loader, self.loss_fn, self.device))
            self.logger.epoch(record)
            self.save_checkpoint()
            if on_epoch_end is not None:
                on_epoch_end(record)
        return self.logger.history

    def close(self) -> None:
        self.logger.close()
