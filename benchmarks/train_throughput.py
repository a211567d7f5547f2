"""Training throughput of ``imgclf run`` against the notebook way, side by side.

The notebook way: every image decoded (Pillow) into one float32 numpy array, then
``model.fit`` on the arrays with Keras' default batch size 32, twice: with the
architecture written as a notebook writes it ("stock": Keras' own batch norm, a
bias on every conv) and with imgclf's model itself (fused batch norm, no conv
bias before a batch norm). imgclf: the same training and validation images (read
back from the run's splits.csv), its streaming tf.data pipeline. Throughput is training images per
second of an epoch's training phase (validation excluded), the fastest of the
epochs after the first (the median in brackets); the first traces the graph and
fills the cache, so the one-off costs (decoding / first epoch) are printed apart.

    python benchmarks/train_throughput.py                # all models, 2,000 images
    python benchmarks/train_throughput.py --models alexnet --images 1000 --epochs 3
    python benchmarks/train_throughput.py --mixed-precision bfloat16   # imgclf side only
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from common import LFW, XRAY, Timer, machine, need, stock_keras_layers, table, train_flops

import imgclf
from imgclf import hookimpl
from imgclf.testing import plugin_registered

# LFW faces (up to 128 px); fear (21) and contempt (9) are too rare for a 2,000-image slice.
FACE = {"task": "face-emotion", "data": LFW, "size": 128, "label_map": {"fear": "", "contempt": ""}}
COVID = {"task": "covid-xray", "data": XRAY, "size": 150, "label_map": {}}
MODELS = {"alexnet": FACE, "vggnet": FACE, "mobilenet": FACE, "reshi2021": COVID}


class EpochTimer:
    """A Keras callback: seconds of each epoch's training phase."""

    def __init__(self) -> None:
        import keras

        self.train_seconds: list[float] = []
        outer = self

        class _CB(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                outer.start = time.perf_counter()
                outer.ended = False

            def on_test_begin(self, logs=None):
                if not outer.ended:  # validation starts: the training phase is over
                    outer.train_seconds.append(time.perf_counter() - outer.start)
                    outer.ended = True

        self.callback = _CB()


class TimingPlugin:
    def __init__(self, timer: EpochTimer) -> None:
        self.timer = timer

    @hookimpl
    def extra_callbacks(self, config):
        return [self.timer.callback]


def steady(timer: EpochTimer, n: int) -> tuple[float, float, float]:
    """(images/s of the fastest epoch after the first, of the median one, seconds of epoch 1).

    The fastest epoch is the headline: this machine's kernel pages out memory left
    idle for a few seconds (DAMON), which stalls some epochs by ~5 s at random, on
    both sides; the median shows how often.
    """
    later = timer.train_seconds[1:] or timer.train_seconds
    return n / min(later), n / statistics.median(later), timer.train_seconds[0]


def run_imgclf(
    model: str, spec: dict, images: int, epochs: int, augmenter: str, precision: str, out: Path
):
    from rich.console import Console

    timer = EpochTimer()
    with plugin_registered(TimingPlugin(timer), "benchmark-timer"):
        result = imgclf.run(
            spec["task"], model, spec["data"], image_size=spec["size"], epochs=epochs,
            patience=epochs, limit=images, augmenter=augmenter, report=[], output=out,
            console=Console(file=io.StringIO()), drop_leaked=True, label_map=spec["label_map"],
            mixed_precision=precision,
        )  # fmt: skip
    splits = {"train": [], "val": []}
    with open(result.run_dir / "splits.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["split"] in splits:
                splits[row["split"]].append((row["path"], row["label"]))
    classes = tuple(result.result.classes)
    return timer, splits, classes


def run_notebook(model: str, spec: dict, splits: dict, classes: tuple, epochs: int):
    """The student-notebook way on the same files: arrays in memory, fit on arrays."""
    import keras
    from PIL import Image

    size = spec["size"]

    def load(part):
        x = np.stack([
            np.asarray(Image.open(p).convert("RGB").resize((size, size)), dtype="float32") / 255
            for p, _ in part
        ])  # fmt: skip
        y = np.array([classes.index(label) for _, label in part])
        return x, y.astype("float32") if spec["task"] == "covid-xray" else y

    with Timer() as decode:
        (xt, yt), (xv, yv) = load(splits["train"]), load(splits["val"])
    keras.backend.clear_session()
    net = imgclf.build_model(model, spec["task"], (size, size, 3), classes)
    loss = (
        "binary_crossentropy" if spec["task"] == "covid-xray" else "sparse_categorical_crossentropy"
    )
    net.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    timer = EpochTimer()
    net.fit(xt, yt, validation_data=(xv, yv), epochs=epochs, callbacks=[timer.callback], verbose=0)
    return timer, decode.seconds, xt.nbytes + xv.nbytes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--images", type=int, default=2000, help="face images (covid: all 148+40)")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument(
        "--mixed-precision", default="off", choices=["off", "bfloat16"],
        help="imgclf's precision (the notebook way stays float32, as notebooks run)",
    )  # fmt: skip
    ap.add_argument("--augmenter", default="none", help="imgclf's augmenter ('none': same work)")
    args = ap.parse_args()
    print(machine())
    rows = []
    for model in args.models.split(","):
        spec = MODELS[model]
        need(spec["data"])
        with tempfile.TemporaryDirectory() as out:
            t_i, splits, classes = run_imgclf(
                model,
                spec,
                args.images,
                args.epochs,
                args.augmenter,
                args.mixed_precision,
                Path(out),
            )
        n = len(splits["train"])
        with stock_keras_layers():
            t_s, decode_s, array_bytes = run_notebook(model, spec, splits, classes, args.epochs)
        t_n, _, _ = run_notebook(model, spec, splits, classes, args.epochs)
        ips_i, med_i, first_i = steady(t_i, n)
        ips_s, med_s, first_s = steady(t_s, n)
        ips_n, med_n, _ = steady(t_n, n)
        net = imgclf.build_model(model, spec["task"], (spec["size"],) * 2 + (3,), classes)
        gflop = train_flops(net) * ips_i / 1e9
        rows.append((
            model, spec["size"], n, f"{ips_s:.1f} ({med_s:.0f})", f"{ips_n:.1f} ({med_n:.0f})",
            f"{decode_s + first_s:.1f}", f"{ips_i:.1f} ({med_i:.0f})", f"{first_i:.1f}",
            f"{ips_i / ips_s:.2f}x", f"{ips_i / ips_n:.2f}x", f"{gflop:.0f}",
            f"{array_bytes / 1e6:.0f}",
        ))  # fmt: skip
        print(table(HEADER, rows[-1:]), flush=True)
    print()
    print(
        f"imgclf augmenter: {args.augmenter}; imgclf precision: {args.mixed_precision}; "
        f"epochs {args.epochs}"
    )
    print(table(HEADER, rows))


HEADER = [
    "model", "px", "train images", "notebook stock img/s (median)",
    "notebook imgclf model img/s (median)", "notebook one-off s (decode + epoch 1)",
    "imgclf img/s (median)", "imgclf epoch 1 s", "ratio to stock", "ratio to same model",
    "imgclf GFLOP/s", "notebook arrays MB",
]  # fmt: skip

if __name__ == "__main__":
    main()
