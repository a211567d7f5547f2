"""The pretrained backbones on this CPU: training img/s, latency, int8 TFLite size.

For each backbone (``imgclf list models``), built with random weights (speed and size
do not depend on them; nothing is downloaded) for the covid-xray task's sigmoid head:

- training img/s: every layer trainable (fine-tuning), batch ``--batch``, the median
  of ``--steps`` timed steps after one warm-up step (which traces the graph);
- latency: one image through the traced model in inference mode, median of ``--runs``;
- int8 TFLite: imgclf's exporter (``_exporting/formats.py``), calibrated on random
  images written as PNG files, as ``imgclf export --quantize int8`` does with a run's.

    python benchmarks/backbones.py                      # every backbone, 160x160
    python benchmarks/backbones.py --models mobilenetv3-small,efficientnetv2-b0 --size 96
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from common import machine, table

TASK = "covid-xray"  # any task works; its head is one sigmoid unit
SIMD = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile")


def cpu_flags() -> str:
    """The CPU's vector-instruction flags that TensorFlow's kernels use (Linux)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown"
    line = next((x for x in text.splitlines() if x.startswith("flags")), "")
    have = set(line.partition(":")[2].split())
    return " ".join(f for f in SIMD if f in have) or "none of " + " ".join(SIMD)


def train_images_per_s(model, size: int, batch: int, steps: int) -> float:
    """Images per second of ``train_on_batch`` (after a warm-up step that traces it)."""
    rng = np.random.default_rng(0)
    x = rng.random((batch, size, size, 3), dtype="float32")
    y = (np.arange(batch) % 2).astype("float32").reshape(-1, 1)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.train_on_batch(x, y)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        model.train_on_batch(x, y)
        times.append(time.perf_counter() - start)
    return batch / statistics.median(times)


def latency_ms(model, size: int, runs: int) -> float:
    """Median ms for one image through the traced inference graph."""
    import tensorflow as tf

    fast = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
    x = np.random.default_rng(1).random((1, size, size, 3), dtype="float32")
    fast(x).numpy()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fast(x).numpy()
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def random_pngs(folder: Path, size: int, n: int) -> list[str]:
    from PIL import Image

    rng = np.random.default_rng(2)
    paths = []
    for i in range(n):
        path = folder / f"calib_{i}.png"
        Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype="uint8")).save(path)
        paths.append(str(path))
    return paths


def int8_mb(model, size: int, calibration: int) -> float:
    """Size of the int8 TFLite file imgclf's exporter writes for ``model``."""
    from imgclf._exporting.formats import export_keras
    from imgclf._run_folder.model import ModelInfo

    info = ModelInfo(("NORMAL", "COVID"), "sigmoid", size)
    with tempfile.TemporaryDirectory() as tmp:
        paths = random_pngs(Path(tmp), size, calibration)
        exported = export_keras(model, info, Path(tmp) / "model.tflite", "tflite", "int8", paths)
        return exported.size_bytes / 1e6


def main() -> None:
    from imgclf._nn.backbones import BACKBONES

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(b.name for b in BACKBONES))
    ap.add_argument("--size", type=int, default=160, help="square input side (default 160)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--steps", type=int, default=3, help="timed training steps")
    ap.add_argument("--runs", type=int, default=20, help="timed single-image calls")
    ap.add_argument("--calibration", type=int, default=16, help="int8 calibration images")
    ap.add_argument("--no-tflite", action="store_true", help="skip the int8 export")
    args = ap.parse_args()
    import imgclf

    print(machine())
    print(f"CPU flags: {cpu_flags()}")
    print(f"input {args.size}x{args.size}, batch {args.batch}, {args.steps} timed steps, "
          f"latency median of {args.runs}")  # fmt: skip
    rows = []
    for name in args.models.split(","):
        shape = (args.size, args.size, 3)
        model = imgclf.build_model(name, TASK, shape, weights="none")  # never downloads
        start = time.perf_counter()
        train = train_images_per_s(model, args.size, args.batch, args.steps)
        latency = latency_ms(model, args.size, args.runs)
        lite = "-" if args.no_tflite else f"{int8_mb(model, args.size, args.calibration):.2f}"
        seconds = time.perf_counter() - start
        mb = model.count_params() * 4 / 1e6
        rows.append([name, f"{mb:.1f}", f"{train:.1f}", f"{latency:.1f}", lite, f"{seconds:.0f}"])
        print(table(HEADER, rows[-1:]), flush=True)
    print()
    print(table(HEADER, rows))


HEADER = ["model", "float32 MB", "train img/s", "latency ms", "int8 TFLite MB", "bench s"]

if __name__ == "__main__":
    main()
