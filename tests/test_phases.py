"""Fine-tuning a pretrained backbone in two phases (imgclf/_training/phases.py): phase 1
leaves the backbone (weights and batch-norm statistics) as it was, phase 2 changes
only the unfrozen blocks, both phases show in history.csv, and --resume continues
across the phase boundary without repeating phase 1."""

from __future__ import annotations

import csv
import io

import keras
import numpy as np
import pytest
from rich.console import Console

import imgclf
from imgclf import TaskSpec, hookimpl
from imgclf.testing import make_image_folder, plugin_registered

BLOCKS = 3


class TinyBackbone:
    """A model with a nested ``backbone`` of three conv + BN blocks, as a pretrained
    builder makes it (called with training=False)."""

    default_size = 16

    def __call__(self, input_shape, head, weights=None):
        inner_in = keras.Input(input_shape)
        x = inner_in
        for b in range(BLOCKS):
            x = keras.layers.Conv2D(4, 3, padding="same", name=f"b{b}_conv")(x)
            x = keras.layers.BatchNormalization(name=f"b{b}_bn")(x)
            x = keras.layers.ReLU(name=f"b{b}_relu")(x)
        backbone = keras.Model(inner_in, x, name="backbone")
        inputs = keras.Input(input_shape)
        y = backbone(inputs, training=False)
        y = keras.layers.GlobalAveragePooling2D()(y)
        return keras.Model(inputs, imgclf.output_layer(y, head))

    def blocks(self, model):
        names = [layer.name for layer in model.get_layer("backbone").layers[1:]]
        return [[n for n in names if n.startswith(f"b{b}_")] for b in range(BLOCKS)]


class Snapshots(keras.callbacks.Callback):
    """Every variable of the backbone at each fit's start and end; optionally stops
    the run (as a kill would) when an epoch begins."""

    taken: list[tuple[str, dict[str, np.ndarray]]] = []
    stop_at: int | None = None

    def snap(self, when):
        bb = self.model.get_layer("backbone")
        Snapshots.taken.append((when, {v.path: np.array(v) for v in bb.weights}))

    def on_train_begin(self, logs=None):
        self.snap("begin")

    def on_train_end(self, logs=None):
        self.snap("end")

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == Snapshots.stop_at:
            raise KeyboardInterrupt


class Plugin:
    @hookimpl
    def register_tasks(self, register):
        register("phase-task", TaskSpec("phase-task", ("dark", "light"), input_size=16))

    @hookimpl
    def register_models(self, register):
        register("tiny-backbone", TinyBackbone())

    @hookimpl
    def extra_callbacks(self, config):
        return [Snapshots()] if config.task == "phase-task" else []


@pytest.fixture
def setup(tmp_path, monkeypatch):
    monkeypatch.setenv("IMGCLF_CACHE_DIR", str(tmp_path / "cache"))
    Snapshots.taken, Snapshots.stop_at = [], None
    data = make_image_folder(tmp_path / "data", ("dark", "light"), per_class=12, size=16)
    start = tmp_path / "start.weights.h5"
    model = TinyBackbone()((16, 16, 3), imgclf.Head("softmax", ("dark", "light")))
    model.save_weights(start)
    with plugin_registered(Plugin(), "phases"):
        yield data, start


def run(tmp_path, data, start, **options):
    options.setdefault("console", Console(file=io.StringIO(), width=120))
    settings = dict(
        epochs=4,
        frozen_epochs=2,
        unfreeze=1,
        lr=0.05,
        finetune_lr_factor=0.5,
        batch_size=8,
        patience=10,
        seed=3,
        report=[],
        weights=str(start),
    )
    settings.update(options)
    return imgclf.run("phase-task", model="tiny-backbone", data=data, output=tmp_path / "runs",
                      **settings)  # fmt: skip


def history(run_dir):
    with open(run_dir / "history.csv", newline="") as fh:
        return [(int(r["epoch"]), int(float(r["phase"]))) for r in csv.DictReader(fh)]


def same(a, b, keys):
    return all(np.array_equal(a[k], b[k]) for k in keys)


def test_phase_1_keeps_the_backbone_and_phase_2_changes_only_the_top_block(setup, tmp_path):
    data, start = setup
    console = Console(file=io.StringIO(), width=200)
    result = run(tmp_path, data, start, console=console, report=["plots"])
    shown = console.file.getvalue()
    assert "Phase 1/2 (epochs 1-2, lr 0.05): the new head on the frozen backbone" in shown
    assert "Phase 2/2 (epochs 3-4, lr 0.025): the top 1 block(s) of 3 of the backbone" in shown
    assert (result.run_dir / "plots" / "loss.png").is_file()
    (_, p1_begin), (_, p1_end), (_, p2_begin), (_, p2_end) = Snapshots.taken
    every = list(p1_begin)
    stats = [k for k in every if "moving_" in k]
    assert len(stats) == 2 * BLOCKS  # moving mean and variance of each BN layer
    assert same(p1_begin, p1_end, every), "phase 1 changed the frozen backbone"
    assert same(p1_end, p2_begin, every)
    top = [k for k in every if "b2_" in k]
    lower = [k for k in every if k not in top]
    assert top and lower
    assert same(p2_begin, p2_end, lower), "phase 2 changed a block that stays frozen"
    assert same(p2_begin, p2_end, stats), "batch-norm statistics moved (training mode)"
    trained = [k for k in top if "kernel" in k]
    assert trained and not same(p2_begin, p2_end, trained), "phase 2 left the top block as is"
    assert history(result.run_dir) == [(1, 1), (2, 1), (3, 2), (4, 2)]
    assert (result.run_dir / "phase1.weights.h5").is_file()


def test_unfreeze_all_trains_every_block_and_none_weights_train_in_one_phase(setup, tmp_path):
    data, start = setup
    run(tmp_path, data, start, unfreeze="all")
    (_, p2_begin), (_, p2_end) = Snapshots.taken[2:]
    kernels = [k for k in p2_begin if "kernel" in k]
    assert all(not np.array_equal(p2_begin[k], p2_end[k]) for k in kernels)
    Snapshots.taken = []
    result = run(tmp_path, data, start, weights="none", epochs=2)
    assert [w for w, _ in Snapshots.taken] == ["begin", "end"]  # one fit
    kernels = [k for k in Snapshots.taken[0][1] if "kernel" in k]
    assert not same(Snapshots.taken[0][1], Snapshots.taken[1][1], kernels)
    assert "phase" not in (result.run_dir / "history.csv").read_text().splitlines()[0]


def test_resume_after_phase_1_does_not_repeat_it(setup, tmp_path):
    data, start = setup
    Snapshots.stop_at = 3  # killed as phase 2's second epoch begins
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path, data, start)
    (run_dir,) = (tmp_path / "runs" / "phase-task" / "tiny-backbone").iterdir()
    assert (run_dir / "phase1.weights.h5").is_file() and (run_dir / "backup").is_dir()
    marker = Snapshots.taken[1][1]  # the backbone at the end of phase 1
    Snapshots.taken, Snapshots.stop_at = [], None
    result = imgclf.run("phase-task", resume=run_dir, console=Console(file=io.StringIO()))
    assert [w for w, _ in Snapshots.taken] == ["begin", "end"]  # phase 2 only
    assert history(result.run_dir) == [(1, 1), (2, 1), (3, 2), (4, 2)]
    lower = [k for k in marker if "b2_" not in k]
    assert same(marker, Snapshots.taken[0][1], lower)  # phase 2 went on from phase 1's end


def test_phase_settings_are_checked():
    for bad in ({"unfreeze": 0}, {"unfreeze": "some"}, {"frozen_epochs": -1},
                {"finetune_lr_factor": 0}):  # fmt: skip
        with pytest.raises(imgclf.ConfigError):
            imgclf.make_config("covid-xray", **bad)
    assert imgclf.make_config("covid-xray", unfreeze="2").unfreeze == 2
