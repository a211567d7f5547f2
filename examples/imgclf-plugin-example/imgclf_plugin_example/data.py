"""The shapes data set: drawing it, and the ``shapes-manifest`` loader that reads it.

A data set is a folder of PNG files plus ``shapes.jsonl``, one JSON object per
image: ``{"image": "circle/0001.png", "shape": "circle", "split": "test"}``
(``split`` is optional). The loader returns records with the data set's own label
spellings; imgclf maps them onto the task's classes and splits what is unsplit.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from imgclf import DataError, LoadResult, Record

SHAPES = ("circle", "square", "triangle")
MANIFEST = "shapes.jsonl"
DESCRIPTION = f"a {MANIFEST} manifest (image, shape, optional split) beside its images"


def draw(shape: str, size: int, rng: np.random.Generator) -> np.ndarray:
    """One ``size`` x ``size`` RGB image of ``shape`` at a random place, size and colour."""
    yy, xx = np.mgrid[0:size, 0:size].astype("float32")
    r = rng.uniform(0.22, 0.38) * size
    cy, cx = rng.uniform(r, size - r, 2)
    if shape == "circle":
        mask = (yy - cy) ** 2 + (xx - cx) ** 2 <= r**2
    elif shape == "square":
        mask = (np.abs(yy - cy) <= r * 0.8) & (np.abs(xx - cx) <= r * 0.8)
    elif shape == "triangle":  # apex up: inside when below the apex and between the sides
        top, bottom = cy - r, cy + r
        half = (yy - top) / (2 * r) * r
        mask = (yy >= top) & (yy <= bottom) & (np.abs(xx - cx) <= half)
    else:
        raise ValueError(f"shape must be one of {', '.join(SHAPES)}; received {shape!r}.")
    background = rng.integers(0, 90, 3)
    colour = rng.integers(150, 256, 3)
    img = np.where(mask[..., None], colour, background).astype("uint8")
    noise = rng.integers(-12, 13, img.shape)
    return np.clip(img.astype(int) + noise, 0, 255).astype("uint8")


def make_shapes(
    root: str | Path, per_class: int = 30, size: int = 32, seed: int = 0, test_fraction: float = 0.0
) -> Path:
    """Draw ``per_class`` images of every shape into ``root/<shape>/`` and write the
    manifest ``root/shapes.jsonl`` (a ``test_fraction`` of each shape marked as test)."""
    from PIL import Image

    root = Path(root)
    rng = np.random.default_rng(seed)
    lines = []
    for shape in SHAPES:
        (root / shape).mkdir(parents=True, exist_ok=True)
        n_test = round(per_class * test_fraction)
        for i in range(per_class):
            rel = f"{shape}/{i:04d}.png"
            Image.fromarray(draw(shape, size, rng)).save(root / rel)
            row = {"image": rel, "shape": shape}
            if i < n_test:
                row["split"] = "test"
            lines.append(json.dumps(row))
    (root / MANIFEST).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def _manifest(source: Path) -> Path:
    return source / MANIFEST if source.is_dir() else source


def detect_manifest(source: Path) -> bool:
    """Pick this loader for a folder holding shapes.jsonl, or for a .jsonl file."""
    return _manifest(Path(source)).name.endswith(".jsonl") and _manifest(Path(source)).is_file()


def load_manifest(source: Path, label_key: str = "shape") -> LoadResult:
    """Records of the images the manifest lists; missing files are skipped and counted."""
    path = _manifest(Path(source))
    if not path.is_file():
        raise DataError(f"No {MANIFEST} in {str(source)!r}: make one with make_shapes().")
    result = LoadResult([])
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            image, label = row["image"], row[label_key]
        except (ValueError, KeyError, TypeError):
            raise DataError(
                f"{path}:{n} is not a JSON object with 'image' and {label_key!r}: {line[:80]!r}"
            ) from None
        file = path.parent / image
        if not file.is_file():
            result.skipped["listed image missing"] += 1
            continue
        result.records.append(Record(str(file), str(label), split=row.get("split")))
    return result
