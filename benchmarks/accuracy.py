"""Accuracy table: each face model on FER2013 (48x48) and the covid model on the
Kaggle folder, with the task defaults (fervgg: its recipe), then each exported to
TFLite and compared.

Full-size training: expect 15-40 minutes per paper face model on 2 CPU cores, and
for fervgg's recipe (100 epochs) 2-3 hours on a CPU with bf16, about 16 in float32.
``--mixed-precision`` takes a list: each model runs once per precision, with the same
seed (``auto``, the run default, is bf16 on CPUs with AVX512_BF16 or AMX).

    python benchmarks/accuracy.py --models alexnet,vggnet,mobilenet,reshi2021
    python benchmarks/accuracy.py --models reshi2021        # the covid model only (~3 min)
    python benchmarks/accuracy.py --models alexnet --epochs 5 --quantize none,int8
    python benchmarks/accuracy.py --models alexnet --mixed-precision off,auto  # parity
"""

from __future__ import annotations

import argparse
import io
import json
import tempfile
from pathlib import Path

from common import FER, XRAY, Timer, machine, need, table

import imgclf

FACE = {"image_size": 48, "drop_leaked": True}
RUNS = {
    "alexnet": ("face-emotion", FER, FACE),
    "vggnet": ("face-emotion", FER, FACE),
    "mobilenet": ("face-emotion", FER, FACE),
    "fervgg": ("face-emotion", FER, {"drop_leaked": True, "config_file": "fer2013-fervgg"}),
    "reshi2021": ("covid-xray", XRAY, {}),
}
PRECISIONS = ("off", "auto", "bfloat16")


def runs(models: str, precisions: str) -> list[tuple[str, str]]:
    """(model, precision) pairs, each model under each precision in turn."""
    chosen = precisions.split(",")
    for name in [*models.split(","), *chosen]:
        if name not in {*RUNS, *PRECISIONS}:
            raise SystemExit(
                f"unknown model or precision {name!r}: {', '.join([*RUNS, *PRECISIONS])}"
            )
    return [(model, p) for model in models.split(",") for p in chosen]


def ci(metrics: dict) -> str:
    """The 95% interval metrics.json gives for the accuracy, as 'low-high'."""
    low_high = metrics.get("accuracy_ci95") or {}
    return f"{low_high.get('low', float('nan')):.3f}-{low_high.get('high', float('nan')):.3f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(RUNS))
    ap.add_argument("--epochs", type=int, help="default: the task's (early stopping on)")
    ap.add_argument("--quantize", default="none,dynamic,int8", help="TFLite variants to compare")
    ap.add_argument("--mixed-precision", default="auto", help="list of: " + ", ".join(PRECISIONS))
    ap.add_argument("--seed", type=int, help="default: the run default (a second draw: --seed 2)")
    ap.add_argument("--output", help="keep the run folders here (default: a temporary folder)")
    args = ap.parse_args()
    from rich.console import Console

    print(machine())
    rows, lite_rows = [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.output or tmp)
        for model, precision in runs(args.models, args.mixed_precision):
            task, data, options = RUNS[model]
            if args.epochs:
                options = {**options, "epochs": args.epochs}
            options = {**options, "mixed_precision": precision}
            if args.seed is not None:
                options["seed"] = args.seed
            with Timer() as t:
                run = imgclf.run(task, model, need(data), output=out, report=["json"],
                                 console=Console(file=io.StringIO()), **options)  # fmt: skip
            m, epochs = run.metrics, len(run.result.history.get("loss", []))
            policy = json.loads((run.run_dir / "config.json").read_text()).get("dtype_policy")
            rows.append([model, f"{precision} ({policy or 'float32'})", data.name, m["n"],
                         f"{m['accuracy']:.4f} ({ci(m)})",
                         f"{m['macro_f1']:.4f}", f"{m['balanced_accuracy']:.4f}", epochs,
                         f"{t.seconds / 60:.1f}", str(run.run_dir)])  # fmt: skip
            print(table(HEADER, rows[-1:]), flush=True)
            for q in filter(None, args.quantize.split(",")):
                exported, cmp = imgclf.export(run.run_dir, "tflite", q)
                k, e = cmp["keras"], cmp["exported"]
                lite_rows.append([model, precision, q, f"{exported.size_bytes / 1e6:.2f}",
                                  f"{k['accuracy']:.4f}", f"{e['accuracy']:.4f}",
                                  f"{e['accuracy'] - k['accuracy']:+.4f}",
                                  f"{e['macro_f1'] - k['macro_f1']:+.4f}",
                                  f"{cmp['agreement']:.4f}"])  # fmt: skip
                print(table(LITE, lite_rows[-1:]), flush=True)
    print()
    print(table(HEADER, rows))
    print()
    print(table(LITE, lite_rows))


HEADER = ["model", "precision (policy)", "data", "test images", "accuracy (95% CI)", "macro-F1",
          "balanced acc", "epochs", "minutes", "run folder"]  # fmt: skip
LITE = ["model", "precision", "tflite quantize", "size MB", "keras acc", "tflite acc", "acc delta",
        "macro-F1 delta", "label agreement"]  # fmt: skip

if __name__ == "__main__":
    main()
