"""The training loop: exact resumption from a checkpoint, logging outputs, the `tensorlite train` command."""
import json
import os

import numpy as np
import pytest

import tensorlite as tl
from tensorlite import nn, optim
from tensorlite.training import Trainer
from tensorlite.utils.data import DataLoader, TensorDataset

pytest.importorskip("safetensors")


def make_run(run_dir):
    """A small conv net with batch norm and dropout, shuffled data, SGD + OneCycleLR stepped per batch."""
    rng = np.random.default_rng(0)
    x = tl.tensor(rng.standard_normal((96, 1, 8, 8)).astype(np.float32))
    y = tl.tensor(rng.integers(0, 3, 96))
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Dropout(0.2),
                          nn.Flatten(), nn.Linear(4 * 8 * 8, 3))
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4)
    loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, epochs=4, steps_per_epoch=len(loader))
    return Trainer(model, opt, nn.CrossEntropyLoss(), loader, DataLoader(TensorDataset(x, y), batch_size=32), sched,
                   scheduler_per_batch=True, run_dir=str(run_dir), tensorboard=False, progress=False)


def test_resume_continues_bit_for_bit(tmp_path):
    tl.manual_seed(123)
    straight = make_run(tmp_path / "a")
    straight.fit(4)

    tl.manual_seed(123)
    first = make_run(tmp_path / "b")
    first.fit(2)
    tl.manual_seed(999)  # a fresh process would start from some other random state
    resumed = make_run(tmp_path / "b")
    resumed.resume()
    assert resumed.epoch == 2
    resumed.fit(4)

    for (name, p), (_, q) in zip(straight.model.state_dict().items(), resumed.model.state_dict().items()):
        np.testing.assert_array_equal(p.numpy(), q.numpy(), err_msg=name)
    assert [r["train_loss"] for r in straight.logger.history] == [r["train_loss"] for r in resumed.logger.history]


def test_run_folder_holds_history_curves_checkpoint(tmp_path):
    tl.manual_seed(0)
    run = make_run(tmp_path / "r")
    run.fit(2)
    files = set(os.listdir(tmp_path / "r"))
    assert {"history.json", "checkpoint.safetensors"} <= files
    history = json.loads((tmp_path / "r" / "history.json").read_text())
    assert [h["epoch"] for h in history] == [1, 2] and "val_accuracy" in history[0]
    pytest.importorskip("matplotlib")
    assert "curves.png" in files


def test_tensorboard_event_files_written(tmp_path):
    pytest.importorskip("tensorboardX")
    tl.manual_seed(0)
    run = make_run(tmp_path / "tb")
    run.logger.__init__(str(tmp_path / "tb"), tensorboard=True)
    run.fit(1)
    run.close()
    assert any(name.startswith("events.out.tfevents") for name in os.listdir(tmp_path / "tb"))


def test_train_command_end_to_end(tmp_path, capsys):
    pytest.importorskip("sklearn")
    from tensorlite.training.cli import main

    common = ["--batch-size", "64", "--no-progress", "--no-tensorboard", "--out", str(tmp_path), "--name", "d"]
    code = main(["resnet_mini", "--dataset", "digits", "--epochs", "1", "--scheduler", "step"] + common)
    out = capsys.readouterr().out
    assert code == 0
    assert "test accuracy" in out and "checkpoint" in out
    assert (tmp_path / "d" / "checkpoint.safetensors").exists()
    code = main(["resnet_mini", "--dataset", "digits", "--epochs", "2", "--scheduler", "step", "--resume"] + common)
    out = capsys.readouterr().out
    assert code == 0 and "resumed from epoch 1" in out and "after 2 epochs" in out
    with pytest.raises(SystemExit, match="planned for 2 epochs"):
        main(["resnet_mini", "--dataset", "digits", "--epochs", "3", "--scheduler", "onecycle", "--resume"] + common)
