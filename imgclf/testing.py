"""Helpers for testing imgclf plugins (used by the built-in plugins' own tests).

from imgclf.testing import plugin_registered, make_image_folder
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from . import plugins

__all__ = [
    "check_model_trains",
    "make_image",
    "make_image_folder",
    "plugin_registered",
    "shared_data",
    "tiny_model",
]


def tiny_model(input_shape: Sequence[int], head: Any) -> Any:
    """A model builder small enough for unit tests: one conv, pooling, the task's head."""
    import keras

    from .models import output_layer

    inputs = keras.Input(tuple(input_shape), name="image")
    x = keras.layers.Conv2D(4, 3, name="conv")(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    return keras.Model(inputs, output_layer(x, head), name="tiny")


def shared_data(*parts: str) -> Path:
    """A path in the real data sets (``$IMGCLF_TEST_DATA`` or ``../shared/data`` beside
    the checkout), or skip the calling test with the reason: a user's checkout has none."""
    import os

    import pytest

    roots = [
        os.environ.get("IMGCLF_TEST_DATA"),
        Path.cwd().parent / "shared" / "data",
        Path(__file__).resolve().parents[2] / "shared" / "data",
    ]
    for root in roots:
        if root and Path(root).joinpath(*parts).exists():
            return Path(root).joinpath(*parts)
    pytest.skip(f"real data {'/'.join(parts)} is absent (expected in ../shared/data)")


@contextlib.contextmanager
def plugin_registered(plugin: Any, name: str = "test-plugin") -> Iterator[Any]:
    """Register a plugin object (module or class) for the duration of a ``with``."""
    plugins.load()
    plugins.register_plugin(plugin, name)
    try:
        yield plugin
    finally:
        plugins.unregister_plugin(name)


def make_image(
    path: Path, size: int = 16, value: int | None = None, channels: int = 3, seed: int = 0
) -> Path:
    """Write a small synthetic image (format from the suffix) and return its path."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(seed)
    shape = (size, size) if channels == 1 else (size, size, channels)
    img = (
        np.full(shape, value, "uint8")
        if value is not None
        else rng.integers(0, 256, shape, dtype="uint8")
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not cv2.imwrite(str(path), img):
        raise OSError(f"could not write {path}")
    return path


def make_image_folder(
    root: Path,
    classes: Sequence[str] = ("a", "b"),
    per_class: int = 6,
    size: int = 16,
    splits: Sequence[str] | None = None,
    suffix: str = ".png",
) -> Path:
    """``root/[split/]class/img_N.png`` with class-dependent brightness (learnable)."""
    root = Path(root)
    for s_i, split in enumerate(splits or [None]):
        for c_i, cls in enumerate(classes):
            base = root / split / cls if split else root / cls
            for i in range(per_class):
                value = int(40 + 180 * c_i / max(1, len(classes) - 1))
                make_image(base / f"img_{s_i}_{i}{suffix}", size, value + (i % 5), seed=i)
    return root


def check_model_trains(
    name: str, task: str, input_shape: Sequence[int] = (32, 32, 3), batch: int = 4
) -> dict[str, float]:
    """Build model ``name`` for ``task`` and take one training step; return its logs."""
    import numpy as np

    from .api import build_model, get_task
    from .training import compile_model

    spec = get_task(task)
    head = spec.head_for()
    model = compile_model(build_model(name, task, input_shape), head, 1e-3)
    x = np.random.default_rng(0).random((batch, *input_shape), dtype="float32")
    y = (np.arange(batch) % 2).astype("float32" if head.kind == "sigmoid" else "int32")
    return model.train_on_batch(x, y, return_dict=True)
