"""Inference latency per image and model size: Keras and TFLite (float, dynamic, int8).

Runs on ONE core (TensorFlow's thread pools and the TFLite interpreter limited
to one thread), batch 1 and batch 64, for each face model at 128x128 and the
covid model at 150x150. The models are freshly built (latency does not depend on
the weights); TFLite files come from imgclf's exporter, int8 calibrated on real
face images. Accuracy deltas of the exported models come from 'imgclf export'
on a trained run (see docs/benchmarks.md).

    python benchmarks/latency.py                 # all models
    python benchmarks/latency.py --models alexnet --threads 2
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from common import LFW, machine, need, table

MODELS = {"alexnet": "face-emotion", "vggnet": "face-emotion", "mobilenet": "face-emotion",
          "reshi2021": "covid-xray"}  # fmt: skip
SIZES = {"face-emotion": 128, "covid-xray": 150}


def per_image_ms(fn, batch: np.ndarray, budget_s: float = 3.0) -> float:
    """Median ms per image over repeated calls (after a warm-up call)."""
    fn(batch)
    times, start = [], time.perf_counter()
    while time.perf_counter() - start < budget_s or len(times) < 5:
        t = time.perf_counter()
        fn(batch)
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times) / len(batch)


def keras_latency(model, x1: np.ndarray, x64: np.ndarray) -> tuple[float, float]:
    """ms/image of the Keras model in inference mode: batch 1 through a traced function
    (what a serving loop does), batch 64 as imgclf predict calls it."""
    import tensorflow as tf

    from imgclf._prediction.predictors import KerasPredictor

    fast = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
    return per_image_ms(lambda b: fast(b).numpy(), x1), per_image_ms(KerasPredictor(model), x64)


def calibration_paths(n: int = 100) -> list[str]:
    images = need(LFW).parent.parent / "images"
    return [str(p) for p in sorted(images.glob("*.jpg"))[:n]]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    import imgclf
    from imgclf._exporting.formats import export_keras
    from imgclf._prediction.predictors import TFLitePredictor
    from imgclf._run_folder.model import ModelInfo

    print(machine(), f"- {args.threads} thread(s)")
    rows, calib = [], calibration_paths()
    for name in args.models.split(","):
        task = MODELS[name]
        size = SIZES[task]
        model = imgclf.build_model(name, task, (size, size, 3))
        info = ModelInfo(("a",) * int(model.output_shape[-1]), "softmax", size)
        rng = np.random.default_rng(0)
        x1, x64 = (rng.random((n, size, size, 3), dtype="float32") for n in (1, 64))
        mb = sum(int(np.prod(w.shape)) * 4 for w in model.weights) / 1e6
        one, many = keras_latency(model, x1, x64)
        rows.append([name, "keras (float32)", f"{mb:.2f}", f"{one:.2f}", f"{many:.2f}"])
        with tempfile.TemporaryDirectory() as tmp:
            for q in ("none", "dynamic", "float16", "int8"):
                path = Path(tmp) / f"{name}-{q}.tflite"
                exported = export_keras(model, info, path, "tflite", q, calib)
                lite = TFLitePredictor(path, threads=args.threads)
                one, many = per_image_ms(lite, x1), per_image_ms(lite, x64)
                size_mb = exported.size_bytes / 1e6
                rows.append([name, f"tflite {q}", f"{size_mb:.2f}", f"{one:.2f}", f"{many:.2f}"])
        print(table(HEADER, rows[-5:]), flush=True)
    print()
    print(table(HEADER, rows))


HEADER = ["model", "format", "size MB", "batch 1 ms/img", "batch 64 ms/img"]

if __name__ == "__main__":
    main()
