"""Export a trained model to a SavedModel, a TFLite file (optionally quantized) or ONNX.

The exported graph is traced with ``training=False``: augmentation layers, dropout
and batch-statistics updates are not in it (Keras' default export traces the
training branch of some layers, random ops included; its ``format="onnx"`` too,
whose graph ONNX Runtime then refuses, so ONNX is converted by tf2onnx from
the same inference function as the SavedModel's). int8 quantization is
calibrated on a sample of the run's own training images. The file is written
atomically with a ``.json`` beside it (classes, head, threshold, image size) so
``imgclf predict`` can read it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._data.pipeline import make_dataset
from .._data.records import Record
from .._files import write_json
from .._prediction.predictors import import_onnx, sidecar_of
from .._run_folder.model import ModelInfo
from ..errors import ConfigError, DataError

FORMATS = ("savedmodel", "tflite", "onnx")
QUANTIZE = ("none", "dynamic", "float16", "int8")
CALIBRATION_IMAGES = 200
ONNX_OPSET = 17  # tf2onnx 1.17 tests opsets 14-18; ONNX Runtime runs 17 since 1.13


@dataclass
class Exported:
    """An exported model: where, how big, and what it means."""

    path: Path
    format: str
    quantize: str
    size_bytes: int
    info: ModelInfo


def check_choice(fmt: str, quantize: str) -> None:
    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt!r} is not one of {', '.join(FORMATS)}.")
    if quantize not in QUANTIZE:
        raise ConfigError(f"--quantize {quantize!r} is not one of {', '.join(QUANTIZE)}.")
    if fmt != "tflite" and quantize != "none":
        raise ConfigError(
            f"--quantize {quantize} applies to TFLite only; use --format tflite, or "
            f"--quantize none for --format {fmt}."
        )


def require_onnx(runtime: bool = True) -> None:
    """Fail before any work when the ``onnx`` extra is missing: tf2onnx converts,
    onnxruntime (``runtime``) runs the file for the comparison."""
    import_onnx("tf2onnx", "Exporting to ONNX")
    if runtime:
        import_onnx("onnxruntime", "Evaluating the exported ONNX model")


def as_float32(model: Any) -> Any:
    """``model``, or a float32 copy of a mixed-precision one (same weights, which
    are float32 already): TFLite converts no bfloat16 or float16 kernels."""
    import keras

    if all(layer.compute_dtype == "float32" for layer in model.layers):
        return model

    def clone(layer: Any) -> Any:
        return type(layer).from_config({**layer.get_config(), "dtype": "float32"})

    copy = keras.models.clone_model(model, clone_function=clone)
    copy.set_weights(model.get_weights())
    return copy


def write_savedmodel(model: Any, path: Path, size: int) -> None:
    """The model's inference graph, in float32, as a SavedModel with one signature,
    ``image``."""
    import keras
    import tensorflow as tf

    model = as_float32(model)
    archive = keras.export.ExportArchive()
    archive.track(model)
    spec = tf.TensorSpec((None, size, size, 3), tf.float32, name="image")
    archive.add_endpoint("serve", lambda image: model(image, training=False), [spec])
    archive.write_out(str(path), verbose=False)


def onnx_bytes(model: Any, size: int) -> bytes:
    """The model's inference graph (``training=False``, float32) as ONNX (opset
    ``ONNX_OPSET``): input ``image``, a float32 batch N x size x size x 3."""
    import logging

    import tensorflow as tf

    tf2onnx = import_onnx("tf2onnx", "Exporting to ONNX")
    model = as_float32(model)
    spec = (tf.TensorSpec((None, size, size, 3), tf.float32, name="image"),)
    fn = tf.function(lambda image: model(image, training=False), input_signature=spec)
    logger = logging.getLogger("tf2onnx")
    level = logger.level
    logger.setLevel(logging.WARNING)  # its INFO lines are a conversion log, not news
    try:
        proto, _ = tf2onnx.convert.from_function(fn, input_signature=spec, opset=ONNX_OPSET)
    finally:
        logger.setLevel(level)
    return proto.SerializeToString()


def tflite_bytes(
    savedmodel: Path, quantize: str, calibration: Iterator[np.ndarray] | None = None
) -> bytes:
    """Convert a SavedModel; ``calibration`` yields single images for int8."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_saved_model(str(savedmodel))
    if quantize != "none":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantize == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if quantize == "int8":
        if calibration is None:
            raise ConfigError("int8 quantization needs calibration images.")
        batches = list(calibration)
        converter.representative_dataset = lambda: ([b] for b in batches)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    return converter.convert()


def calibration_images(
    paths: Sequence[str], size: int, n: int = CALIBRATION_IMAGES, seed: int = 0
) -> Iterator[np.ndarray]:
    """Up to ``n`` of ``paths`` (a seeded sample), one 1 x size x size x 3 batch each."""
    if not paths:
        raise DataError("int8 quantization needs training images; the run lists none.")
    rng = np.random.default_rng(seed)
    pick = sorted(rng.choice(len(paths), size=min(n, len(paths)), replace=False))
    records = [Record(paths[i], None) for i in pick]
    ds = make_dataset(records, (), "softmax", size, 1, cache="none", with_labels=False)
    yield from ds.as_numpy_iterator()


def default_target(info: ModelInfo, source: Path, fmt: str, quantize: str) -> Path:
    """``RUN_DIR/exports/model-<quantize>.tflite``, ``.../savedmodel`` or ``.../model.onnx``."""
    base = info.run_dir / "exports" if info.run_dir else source.parent / f"{source.stem}-exports"
    names = {"savedmodel": "savedmodel", "onnx": "model.onnx"}
    return base / names.get(fmt, f"model-{_tag(quantize)}.tflite")


def _tag(quantize: str) -> str:
    return "float32" if quantize == "none" else quantize


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size


def export_keras(
    model: Any,
    info: ModelInfo,
    target: Path,
    fmt: str,
    quantize: str,
    train_paths: Sequence[str] = (),
) -> Exported:
    """Write ``model`` to ``target`` (atomically) with its sidecar; see the module doc."""
    check_choice(fmt, quantize)
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    extra: dict[str, Any] = {"format": fmt, "quantize": quantize}
    try:
        staged = work / target.name
        if fmt == "onnx":
            staged.write_bytes(onnx_bytes(model, info.image_size))
            extra["opset"] = ONNX_OPSET
        else:
            saved = work / "savedmodel"
            write_savedmodel(model, saved, info.image_size)
            if fmt == "savedmodel":
                staged = saved
            else:
                calib = None
                if quantize == "int8":
                    calib = calibration_images(list(train_paths), info.image_size)
                staged.write_bytes(tflite_bytes(saved, quantize, calib))
        meta = ModelInfo(
            info.classes, info.head, info.image_size, info.threshold, info.task, info.run_dir,
            extra,
        )  # fmt: skip
        _replace(staged, target)
        write_json(sidecar_of(target), meta.to_json())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Exported(target, fmt, quantize, _size(target), meta)


def _replace(staged: Path, target: Path) -> None:
    """Move ``staged`` over ``target``; an old folder is removed only once the new is whole."""
    if target.is_dir():
        old = target.with_name(f".{target.name}.old{os.getpid()}")
        os.replace(target, old)
        os.replace(staged, target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(staged, target)
