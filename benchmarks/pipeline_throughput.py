"""Input pipeline throughput alone: read, decode, resize, cache, augment, batch.

Iterates imgclf's tf.data pipeline over real images without training, first from
the files (decode + resize) and then from its cache (augment only), and puts the
figures next to the training throughput of the same images, so the ratio shows
whether the pipeline can keep the model busy.

    python benchmarks/pipeline_throughput.py --images 2000
"""

from __future__ import annotations

import argparse
import csv
import time

from common import LFW, Timer, machine, need, table

import imgclf
from imgclf import Record, make_dataset
from imgclf import _plugins as plugins


def face_records(n: int) -> list[Record]:
    with open(need(LFW), newline="") as fh:
        rows = list(csv.DictReader(fh))[:n]
    images = LFW.parent.parent / "images"
    return [
        Record(str(images / r["image"]), "happy") for r in rows if (images / r["image"]).is_file()
    ]


def images_per_second(ds, n: int) -> float:
    with Timer() as t:
        for _ in ds:
            pass
    return n / t.seconds


def train_rate(records, size: int, batch: int, model: str = "alexnet") -> float:
    """Training images/s of ``model`` on the cached pipeline (best of epochs 2-4)."""
    import keras

    ds = make_dataset(records, ("happy",), "softmax", size, batch, training=True, cache="memory")
    net = imgclf.build_model(model, "face-emotion", (size, size, 3))
    net.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    seconds = []

    class Epochs(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds.append(time.perf_counter() - self.t)

    net.fit(ds, epochs=4, verbose=0, callbacks=[Epochs()])
    return len(records) / min(seconds[1:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=2000)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--batch-size", type=int, default=64)
    args = ap.parse_args()
    print(machine())
    records = face_records(args.images)
    n, size, bs = len(records), args.size, args.batch_size
    augmenters = plugins.registries()["augmenters"]
    rows = []
    for name in ("none", "face-emotion/paper", "face-emotion/paper-keras"):
        aug = None if name == "none" else augmenters.get(name)(seed=0)
        ds = make_dataset(records, ("happy",), "softmax", size, bs, training=True,
                          augment=aug, cache="memory")  # fmt: skip
        first = images_per_second(ds, n)  # decode + resize (+ augment), fills the cache
        cached = max(images_per_second(ds, n) for _ in range(3))  # cache (+ augment), best of 3
        rows.append([name, n, f"{first:.0f}", f"{cached:.0f}"])
    train = train_rate(records, size, bs)
    for r in rows:
        r.append(f"{float(r[3]) / train:.1f}x")
    print(
        table(
            [
                "augmenter",
                "images",
                "first pass img/s (decode)",
                "cached img/s",
                "cached / training",
            ],
            rows,
        )
    )
    print(f"training alexnet {size}x{size} on the same images: {train:.1f} img/s")


if __name__ == "__main__":
    main()
