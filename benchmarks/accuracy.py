"""Accuracy table: each face model on FER2013 (48x48) and the covid model on the
Kaggle folder, with the task defaults, then each exported to TFLite and compared.

Full-size training: expect 15-40 minutes per face model on 2 CPU cores.

    python benchmarks/accuracy.py                           # all four models
    python benchmarks/accuracy.py --models reshi2021        # the covid model only (~3 min)
    python benchmarks/accuracy.py --models alexnet --epochs 5 --quantize none,int8
    python benchmarks/accuracy.py --models alexnet --mixed-precision bfloat16
"""

from __future__ import annotations

import argparse
import io
import tempfile
from pathlib import Path

from common import FER, XRAY, Timer, machine, need, table

import imgclf

RUNS = {
    "alexnet": ("face-emotion", FER, {"image_size": 48, "drop_leaked": True}),
    "vggnet": ("face-emotion", FER, {"image_size": 48, "drop_leaked": True}),
    "mobilenet": ("face-emotion", FER, {"image_size": 48, "drop_leaked": True}),
    "reshi2021": ("covid-xray", XRAY, {}),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(RUNS))
    ap.add_argument("--epochs", type=int, help="default: the task's (early stopping on)")
    ap.add_argument("--quantize", default="none,dynamic,int8", help="TFLite variants to compare")
    ap.add_argument("--mixed-precision", default="off", choices=["off", "bfloat16"])
    ap.add_argument("--seed", type=int, help="default: the run default (a second draw: --seed 2)")
    ap.add_argument("--output", help="keep the run folders here (default: a temporary folder)")
    args = ap.parse_args()
    from rich.console import Console

    print(machine())
    rows, lite_rows = [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.output or tmp)
        for model in args.models.split(","):
            task, data, options = RUNS[model]
            if args.epochs:
                options = {**options, "epochs": args.epochs}
            options = {**options, "mixed_precision": args.mixed_precision}
            if args.seed is not None:
                options["seed"] = args.seed
            with Timer() as t:
                run = imgclf.run(task, model, need(data), output=out, report=["json"],
                                 console=Console(file=io.StringIO()), **options)  # fmt: skip
            m, epochs = run.metrics, len(run.result.history.get("loss", []))
            rows.append([model, args.mixed_precision, data.name, m["n"], f"{m['accuracy']:.4f}",
                         f"{m['macro_f1']:.4f}", f"{m['balanced_accuracy']:.4f}", epochs,
                         f"{t.seconds / 60:.1f}", str(run.run_dir)])  # fmt: skip
            print(table(HEADER, rows[-1:]), flush=True)
            for q in args.quantize.split(","):
                exported, cmp = imgclf.export(run.run_dir, "tflite", q)
                k, e = cmp["keras"], cmp["exported"]
                lite_rows.append([model, q, f"{exported.size_bytes / 1e6:.2f}",
                                  f"{k['accuracy']:.4f}", f"{e['accuracy']:.4f}",
                                  f"{e['accuracy'] - k['accuracy']:+.4f}",
                                  f"{e['macro_f1'] - k['macro_f1']:+.4f}",
                                  f"{cmp['agreement']:.4f}"])  # fmt: skip
                print(table(LITE, lite_rows[-1:]), flush=True)
    print()
    print(table(HEADER, rows))
    print()
    print(table(LITE, lite_rows))


HEADER = ["model", "precision", "data", "test images", "accuracy", "macro-F1", "balanced acc",
          "epochs", "minutes", "run folder"]  # fmt: skip
LITE = ["model", "tflite quantize", "size MB", "keras acc", "tflite acc", "acc delta",
        "macro-F1 delta", "label agreement"]  # fmt: skip

if __name__ == "__main__":
    main()
