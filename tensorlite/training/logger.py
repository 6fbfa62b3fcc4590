"""Where a run's numbers go: TensorBoard event files, a JSON history and a PNG of the curves.

TensorBoard logging uses tensorboardX and the PNG uses matplotlib, both optional: without
them the run still trains and the history is still written, and the log says what is missing.
"""
from __future__ import annotations

import json
import os


class RunLogger:
    def __init__(self, run_dir: str, tensorboard: bool = True):
        self.run_dir = run_dir
        os.makedirs(run_dir, exist_ok=True)
        self.history: list[dict] = []
        self.notes: list[str] = []
        self._writer = None
        if tensorboard:
            try:
                from tensorboardX import SummaryWriter  # noqa: PLC0415 - optional dependency
            except ImportError:
                self.notes.append("TensorBoard logging skipped: pip install 'tensorlite[train]' (tensorboardX)")
            else:
                self._writer = SummaryWriter(logdir=run_dir)

    def scalar(self, tag: str, value: float, step: int) -> None:
        if self._writer is not None:
            self._writer.add_scalar(tag, value, step)

    def epoch(self, record: dict) -> None:
        """One row per epoch: {"epoch", "train_loss", "val_loss", "val_accuracy", "lr", ...}."""
        self.history.append(record)
        for key, value in record.items():
            if key != "epoch" and isinstance(value, (int, float)):
                self.scalar(f"epoch/{key}", value, record["epoch"])
        with open(os.path.join(self.run_dir, "history.json"), "w") as f:
            json.dump(self.history, f, indent=1)
        self.plot()

    def plot(self) -> str | None:
        """Write curves.png (loss and accuracy per epoch); None if matplotlib is missing."""
        try:
            import matplotlib  # noqa: PLC0415 - optional dependency

            matplotlib.use("Agg")
            import matplotlib.pyplot as plt  # noqa: PLC0415
        except ImportError:
            if not any("matplotlib" in n for n in self.notes):
                self.notes.append("training-curve PNG skipped: pip install 'tensorlite[train]' (matplotlib)")
            return None
        epochs = [r["epoch"] for r in self.history]
        fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
        for key, label in (("train_loss", "train"), ("val_loss", "validation")):
            if any(key in r for r in self.history):
                ax_loss.plot(epochs, [r.get(key) for r in self.history], marker="o", label=label)
        ax_loss.set_xlabel("epoch")
        ax_loss.set_ylabel("loss")
        ax_loss.legend()
        for key, label in (("train_accuracy", "train"), ("val_accuracy", "validation")):
            if any(key in r for r in self.history):
                ax_acc.plot(epochs, [r.get(key) for r in self.history], marker="o", label=label)
        ax_acc.set_xlabel("epoch")
        ax_acc.set_ylabel("accuracy")
        ax_acc.legend()
        fig.tight_layout()
        path = os.path.join(self.run_dir, "curves.png")
        fig.savefig(path, dpi=100)
        plt.close(fig)
        return path

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
