"""history.csv counts epochs from 1, as the console and state.json do; a folder
written when it counted from 0 is read (and resumed) as if it counted from 1."""

from __future__ import annotations

import csv
import types

import keras

from imgclf._run_folder.artifacts import history_rows, open_run
from imgclf._training.callbacks import HistoryWriter, ResumeSeed

HEADER = "epoch,loss,val_loss"
VAL_LOSS = [0.9, 0.5, 0.7]


def write_history(path, first):
    rows = [f"{first + i},{1.0 - i / 10},{v}" for i, v in enumerate(VAL_LOSS)]
    path.write_text("\n".join([HEADER, *rows]) + "\n")


def epochs(path):
    with open(path, newline="") as fh:
        return [int(r["epoch"]) for r in csv.DictReader(fh)]


def test_history_writer_counts_from_one(tmp_path):
    writer = HistoryWriter(tmp_path / "history.csv")
    for epoch in range(3):  # Keras' own index
        writer.on_epoch_end(epoch, {"loss": 1.0, "val_loss": VAL_LOSS[epoch]})
    writer.on_epoch_end(1, {"loss": 0.5, "val_loss": 0.1})  # an epoch run again
    assert epochs(tmp_path / "history.csv") == [1, 2]


def test_an_old_history_from_zero_reads_as_from_one(tmp_path):
    write_history(tmp_path / "history.csv", first=0)
    assert [r["epoch"] for r in history_rows(tmp_path / "history.csv")] == ["1", "2", "3"]
    write_history(tmp_path / "history.csv", first=1)
    assert [r["epoch"] for r in history_rows(tmp_path / "history.csv")] == ["1", "2", "3"]
    (tmp_path / "config.json").write_text("{}")
    assert open_run(tmp_path).history()["val_loss"] == VAL_LOSS


def resumed_after(tmp_path, first, done):
    """ResumeSeed as a run resumed after ``done`` epochs sees it: (writer, early stop)."""
    write_history(tmp_path / "history.csv", first)
    writer = HistoryWriter(tmp_path / "history.csv")
    early = keras.callbacks.EarlyStopping(patience=5)
    seed = ResumeSeed(writer, [early])
    seed.set_model(types.SimpleNamespace(_initial_epoch=done, optimizer=None))
    seed.on_train_begin()
    return writer, early


def test_resume_trims_to_the_epochs_done_and_keeps_keras_index_for_early_stopping(tmp_path):
    for first in (1, 0):  # a new folder, and one written when history.csv counted from 0
        writer, early = resumed_after(tmp_path, first, done=2)
        assert epochs(tmp_path / "history.csv") == [1, 2]  # epoch 3 was not backed up
        assert [float(r["val_loss"]) for r in writer.rows] == VAL_LOSS[:2]
        assert early.best == 0.5 and early.wait == 0
        assert early.best_epoch == 1  # Keras counts from 0: the second epoch
        writer.on_epoch_end(2, {"loss": 0.1, "val_loss": 0.2})  # the resumed run goes on
        assert epochs(tmp_path / "history.csv") == [1, 2, 3]
