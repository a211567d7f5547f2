"""Using imgclf from another project: train, read the run folder, reload, predict.

    python examples/python_api.py [WORKDIR]

Needs the core and the face-emotion plugin installed. It draws a tiny synthetic
data set (flat images, so the scores mean nothing) and trains two epochs at
32x32, about half a minute on a laptop CPU. For real data, pass a folder of class
folders or a CSV as ``data`` (e.g. ``../shared/data/fer2013``).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import imgclf
from imgclf.testing import make_image_folder


def main(workdir: Path) -> None:
    """Train, then use every artifact the run wrote."""
    print("tasks:", imgclf.list_tasks(), "models:", imgclf.list_models())
    data = make_image_folder(workdir / "data", ("happy", "sad", "surprise"), per_class=20, size=48)
    config = imgclf.make_config("face-emotion", data=data, image_size=32, epochs=2)
    print("resolved settings:", {k: getattr(config, k) for k in ("model", "epochs", "batch_size")})

    result = imgclf.run(
        "face-emotion", data=data, image_size=32, epochs=2, output=workdir / "runs",
        report=["json", "html"],
    )  # fmt: skip
    run_dir = result.run_dir
    print(f"accuracy {result.metrics['accuracy']:.3f}, run folder {run_dir}")

    saved = json.loads((run_dir / "config.json").read_text())
    print("classes:", saved["classes"], "counts:", saved["data_summary"]["counts"])
    with open(run_dir / "history.csv", newline="") as fh:
        print("epochs:", [row["val_loss"] for row in csv.DictReader(fh)])

    model = imgclf.load_model(run_dir)  # Keras safe mode
    images = sorted(str(p) for p in (data / "sad").glob("*.png"))[:4]
    for path, scores in zip(images, imgclf.predict(model, images)):
        best = saved["classes"][int(scores.argmax())]
        print(f"{Path(path).name}: {best} ({scores.max():.2f})")

    imgclf.report(run_dir, ["json"])  # re-render reports from the saved files


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("python-api-demo"))
