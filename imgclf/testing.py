"""Helpers for testing imgclf plugins (used by the built-in plugins' own tests).

from imgclf.testing import plugin_registered, make_image_folder

``registered_plugin`` is a pytest fixture: import it into a ``conftest.py``
(``from imgclf.testing import registered_plugin``) to use it. pytest is needed
only for the fixture and ``shared_data``; the other helpers work without it.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from click.testing import CliRunner, Result

from . import _plugins as plugins
from . import _runner as runner
from ._api import build_augmenter, build_model, get_task, run
from ._cli import cli
from ._config import RunConfig
from ._data import sources
from ._data.records import Record
from ._heads.classification import EvaluationResult
from ._nn import batch_norm, output_layer
from ._nn.draws import assert_independent_draws, assert_reproducible_draws, augmenter_draws
from ._runner import PreparedData, RunResult
from ._training.fit import compile_model

if TYPE_CHECKING:
    import keras
    import numpy as np

__all__ = [
    "assert_independent_draws",
    "assert_reproducible_draws",
    "augmenter_draws",
    "check_augmenter",
    "check_model_trains",
    "compile_model",
    "invoke_cli",
    "load_records",
    "make_image",
    "make_image_folder",
    "make_result",
    "pick_loader",
    "plugin_registered",
    "prepare_data",
    "registered",
    "registered_plugin",
    "run_tiny",
    "shared_data",
    "tiny_model",
    "tiny_model_with_training_layers",
]


def tiny_model(input_shape: Sequence[int], head: Any) -> keras.Model:
    """A model builder small enough for unit tests: one conv, pooling, the task's head."""
    import keras

    inputs = keras.Input(tuple(input_shape), name="image")
    x = keras.layers.Conv2D(4, 3, name="conv")(inputs)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    return keras.Model(inputs, output_layer(x, head), name="tiny")


def tiny_model_with_training_layers(
    input_shape: Sequence[int], head: Any, rotation: bool = True
) -> keras.Model:
    """A tiny model with training-only layers inside (flip, rotation, dropout, batch
    norm): an exporter's test checks that none of them reaches the exported file."""
    import keras

    inputs = keras.Input(tuple(input_shape), name="image")
    x = keras.layers.RandomFlip("horizontal", name="flip")(inputs)
    if rotation:
        x = keras.layers.RandomRotation(0.1, name="rotate")(x)
    x = keras.layers.Conv2D(8, 3, name="conv")(x)
    x = batch_norm(x, "bn")
    x = keras.layers.Dropout(0.5, name="drop")(x)
    x = keras.layers.GlobalAveragePooling2D(name="pool")(x)
    return keras.Model(inputs, output_layer(x, head), name="with_training_layers")


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
    """Register a plugin object (module or class) for the duration of a ``with``.

    A plugin that is registered already (say, pip-installed, so loaded through its
    entry point) is left as it is: registering it twice would clash with itself.
    """
    plugins.load()
    if plugins.pm.is_registered(plugin):
        yield plugin
        return
    plugins.register_plugin(plugin, name)
    try:
        yield plugin
    finally:
        plugins.unregister_plugin(name)


def _registered_plugin() -> Iterator[Callable[..., Any]]:
    """``registered_plugin(plugin, name="test-plugin")`` registers ``plugin`` until the
    test ends; call it as often as needed."""
    with contextlib.ExitStack() as stack:
        yield lambda plugin, name="test-plugin": stack.enter_context(
            plugin_registered(plugin, name)
        )


try:
    import pytest as _pytest
except ImportError:  # pragma: no cover - only the fixture needs pytest
    registered_plugin = _registered_plugin
else:
    registered_plugin = _pytest.fixture(_registered_plugin, name="registered_plugin")


def run_tiny(task: str, data: Any, tmp_path: Path, **options: Any) -> RunResult:
    """A whole run of ``task`` on ``data``, as small as it gets: 1 epoch, 16 px images,
    batch 8, no reporters, quiet, in ``tmp_path/runs``. ``options`` override any of
    that (any RunConfig field, e.g. ``model="my-net"``, ``report=["mine"]``)."""
    import io

    from rich.console import Console

    settings: dict[str, Any] = {
        "epochs": 1,
        "image_size": 16,
        "batch_size": 8,
        "report": [],
        "seed": 0,
    }
    settings.update(options)
    settings.setdefault("output", Path(tmp_path) / "runs")
    console = settings.pop("console", None) or Console(file=io.StringIO(), width=120)
    return run(task, data=data, console=console, **settings)


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
    """Build model ``name`` for ``task`` and take one training step; return its logs.
    Random init (``weights="none"``): a pretrained backbone downloads nothing."""
    import numpy as np

    spec = get_task(task)
    head = spec.head_for()
    model = compile_model(build_model(name, task, input_shape, weights="none"), head, 1e-3)
    x = np.random.default_rng(0).random((batch, *input_shape), dtype="float32")
    y = (np.arange(batch) % 2).astype("float32" if head.kind == "sigmoid" else "int32")
    return model.train_on_batch(x, y, return_dict=True)


def check_augmenter(
    name: str, task: str | None = None, size: int = 16, batch: int = 4, **options: Any
) -> np.ndarray:
    """Build augmenter ``name`` (``<task>/<name>`` first, as a run resolves it) with
    ``options``, apply it to a batch of random images in [0, 1] and check the batch
    keeps its shape and range; return the augmented batch as a NumPy array."""
    import numpy as np

    layer = build_augmenter(name, task=task, seed=0, **options)
    assert layer is not None, f"augmenter {name!r} resolves to no augmentation"
    x = np.random.default_rng(0).random((batch, size, size, 3), dtype="float32")
    out = np.asarray(layer(x, training=True))
    assert out.shape == x.shape, f"augmenter {name!r} changed the shape to {out.shape}"
    assert out.min() >= -1e-6 and out.max() <= 1 + 1e-6, f"{name!r} left the [0, 1] range"
    return out


def make_result(
    classes: Sequence[str] = ("a", "b"),
    n: int = 12,
    head: str = "softmax",
    seed: int = 0,
    accuracy: float = 0.75,
) -> Any:
    """An ``EvaluationResult`` of ``n`` made-up predictions (about ``accuracy`` right),
    to test a reporter without training anything."""
    import numpy as np

    rng = np.random.default_rng(seed)
    k = len(classes)
    y = np.arange(n) % k
    right = rng.random(n) < accuracy
    pred = np.where(right, y, (y + 1 + rng.integers(0, max(1, k - 1), n)) % k)
    probs = rng.random((n, k)) * 0.5
    probs[np.arange(n), pred] += 1.0
    probs /= probs.sum(axis=1, keepdims=True)
    scores = probs[:, 1:2] if head == "sigmoid" else probs
    return EvaluationResult(
        y_true=y, scores=scores, classes=tuple(classes), head=head,
        paths=[f"image_{i}.png" for i in range(n)],
        history={"loss": [0.9, 0.6], "val_loss": [1.0, 0.8],
                 "accuracy": [0.5, 0.7], "val_accuracy": [0.45, 0.65]},
    )  # fmt: skip


def registered(kind: str, name: str) -> Any:
    """What a plugin registered as ``name`` in the registry ``kind`` (``tasks``,
    ``models``, ``datasets``, ``augmenters``, ``reporters``): e.g. a dataset loader
    to call on a file, ``registered("datasets", "fer2013-csv")(path)``."""
    return plugins.registries()[kind].get(name)


def pick_loader(config: RunConfig, source: str | Path) -> str:
    """The dataset loader a run of ``config`` reads ``source`` with: ``--loader`` if
    set, else the first (the task's own first) that detects it."""
    return sources.pick_loader(config, get_task(config.task), Path(source))


def load_records(config: RunConfig) -> tuple[list[Record], Counter[str], list[str]]:
    """(records, skipped counts, loader notes) as a run of ``config`` reads them: every
    ``--data`` source through its loader, labels mapped onto the task's classes."""
    return sources.load_records(config, get_task(config.task))


def prepare_data(config: RunConfig) -> PreparedData:
    """A run's data before anything is written or trained: records loaded, mapped,
    checked and split (``.splits``: train/val/test records, ``.classes``, ``.skipped``)."""
    return runner.prepare_data(config, get_task(config.task))


def invoke_cli(*args: str, **kwargs: Any) -> Result:
    """``imgclf ARGS...`` in-process through click's ``CliRunner``; its ``Result``
    (``exit_code``, ``output``, ``stderr``). ``kwargs`` go to ``invoke`` (``env``...)."""
    return CliRunner().invoke(cli, list(args), **kwargs)
