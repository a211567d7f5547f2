"""Predictors: one interface over a Keras model and an exported SavedModel, TFLite or ONNX file.

``imgclf predict`` and ``imgclf export`` run images through whichever format the
user has; each predictor takes float32 batches in [0, 1] (what the pipeline
makes) and returns scores, so everything downstream is format-blind. What the
outputs mean (classes, head, threshold, image size) comes from the run's
``config.json`` or, for an exported file, the ``.json`` written beside it.
"""

from __future__ import annotations

import importlib
import json
import warnings
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from .._evaluation import check_outputs, resolve_model
from .._nn.saving import load_model
from .._run_folder.artifacts import open_run
from .._run_folder.model import ModelInfo
from ..errors import ConfigError, ModelError

ONNX_EXTRA = 'pip install "imgclf[onnx]"'


def sidecar_of(path: Path) -> Path:
    """Where an exported model's ModelInfo is kept: ``model.tflite`` -> ``model.json``;
    a SavedModel folder keeps ``imgclf.json`` inside."""
    return path / "imgclf.json" if path.is_dir() else path.with_suffix(".json")


def read_sidecar(path: Path) -> ModelInfo:
    side = sidecar_of(path)
    if not side.is_file():
        raise ModelError(
            f"{path} has no {side.name} beside it saying what its outputs mean; export it "
            "with 'imgclf export', which writes one."
        )
    data = json.loads(side.read_text(encoding="utf-8"))
    run_dir = Path(data["run_dir"]) if data.get("run_dir") else None
    known = {"task", "classes", "head", "image_size", "threshold", "run_dir"}
    return ModelInfo(
        tuple(data["classes"]), data["head"], int(data["image_size"]),
        float(data.get("threshold", 0.5)), data.get("task"), run_dir,
        {k: v for k, v in data.items() if k not in known},
    )  # fmt: skip


class KerasPredictor:
    """A ``.keras`` model (or a run folder's), run in inference mode."""

    format = "keras"

    def __init__(self, model: Any) -> None:
        self.model = model
        self.runtime = f"keras {metadata.version('keras')}"

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        out = self.model(batch, training=False)
        return out.numpy() if hasattr(out, "numpy") else np.asarray(out)


class SavedModelPredictor:
    """A SavedModel folder written by ``imgclf export --format savedmodel``."""

    format = "savedmodel"

    def __init__(self, path: Path) -> None:
        import tensorflow as tf

        self.loaded = tf.saved_model.load(str(path))
        self.fn = self.loaded.signatures["serving_default"]
        self.runtime = f"tensorflow {tf.__version__}"

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        out = self.fn(image=batch.astype("float32"))
        return next(iter(out.values())).numpy()


def tflite_runtime() -> tuple[Any, str]:
    """(Interpreter class, "name version") that runs ``.tflite`` files: LiteRT's when
    ``ai-edge-litert`` is installed (the supported runtime), else TensorFlow's
    ``tf.lite`` (deprecated there, still shipped in 2.21) so a plain install works."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import tensorflow as tf

        return tf.lite.Interpreter, f"tensorflow {tf.__version__} (tf.lite)"
    return Interpreter, f"ai-edge-litert {metadata.version('ai-edge-litert')}"


def tflite_interpreter(
    model: str | Path | bytes, threads: int | None = None, interpreter: Any = None
) -> Any:
    """An interpreter for a ``.tflite`` file or its bytes (``interpreter``: the class
    to use, default ``tflite_runtime()``'s)."""
    Interpreter = interpreter or tflite_runtime()[0]
    kw = {"model_content": model} if isinstance(model, bytes) else {"model_path": str(model)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Interpreter(**kw, num_threads=threads)


class TFLitePredictor:
    """A ``.tflite`` file; batches of any size (the input is resized when it changes)."""

    format = "tflite"

    def __init__(self, path: str | Path | bytes, threads: int | None = None) -> None:
        interpreter, self.runtime = tflite_runtime()
        self.interpreter = tflite_interpreter(path, threads, interpreter)
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]
        self.batch = -1

    def _resize(self, n: int) -> None:
        if n != self.batch:
            shape = [n, *self.input["shape"][1:]]
            self.interpreter.resize_tensor_input(self.input["index"], shape)
            self.interpreter.allocate_tensors()
            self.batch = n

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        self._resize(len(batch))
        x = np.asarray(batch, dtype="float32")
        scale, zero = self.input["quantization"]
        if scale:  # an integer input: quantize as the converter calibrated it
            x = np.round(x / scale + zero)
        self.interpreter.set_tensor(self.input["index"], x.astype(self.input["dtype"]))
        self.interpreter.invoke()
        y = self.interpreter.get_tensor(self.output["index"])
        scale, zero = self.output["quantization"]
        return (y.astype("float32") - zero) * scale if scale else y.astype("float32")


def import_onnx(module: str, purpose: str) -> Any:
    """``module`` (tf2onnx, onnxruntime), or a ConfigError naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ConfigError(
            f"{purpose} needs {module}, which cannot be imported ({e}). Install the "
            f"ONNX extra: {ONNX_EXTRA} (tf2onnx, onnx, onnxruntime)."
        ) from None


class ONNXPredictor:
    """A ``.onnx`` file written by ``imgclf export --format onnx``, run by ONNX Runtime."""

    format = "onnx"

    def __init__(self, path: str | Path, threads: int | None = None) -> None:
        ort = import_onnx("onnxruntime", f"Running {Path(path).name}")
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(
            str(path), options, providers=ort.get_available_providers()
        )
        self.input = self.session.get_inputs()[0].name
        self.runtime = f"onnxruntime {ort.__version__}"

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        x = np.asarray(batch, dtype="float32")
        return np.asarray(self.session.run(None, {self.input: x})[0], dtype="float32")


def info_from_run(saved: ModelInfo, model: Any) -> ModelInfo:
    """A run folder's or ``.keras`` file's ModelInfo (evaluation.resolve_model) with its
    image size, from the model's input when its run does not record one."""
    saved.image_size = saved.image_size or int(model.input_shape[1])
    return saved


def load_predictor(
    path: str | Path, task: str | None = None, unsafe: bool = False, threads: int | None = None
) -> tuple[Any, ModelInfo]:
    """(predictor, ModelInfo) for a run folder, ``.keras``, ``.tflite``, ``.onnx`` or
    SavedModel folder."""
    p = Path(path)
    if not p.exists():
        raise ModelError(
            f"No model at {str(path)!r}: give a run folder, a .keras file, or a .tflite or "
            ".onnx file or SavedModel folder written by 'imgclf export'."
        )
    if p.suffix == ".tflite":
        return TFLitePredictor(p, threads), read_sidecar(p)
    if p.suffix == ".onnx":
        info = read_sidecar(p)  # first: a lone file is named before the runtime is loaded
        return ONNXPredictor(p, threads), info
    if p.is_dir() and (p / "saved_model.pb").is_file():
        return SavedModelPredictor(p), read_sidecar(p)
    if p.is_file() and p.suffix != ".keras":
        raise ConfigError(
            f"{str(path)!r} is not a model imgclf reads: give a run folder, a .keras, "
            ".tflite or .onnx file, or a SavedModel folder."
        )

    regression = regression_info(p)
    if regression is not None:
        model = load_model(p, unsafe=unsafe)
        regression.image_size = regression.image_size or int(model.input_shape[1])
        return KerasPredictor(model), regression
    saved = resolve_model(p, task)
    model = load_model(saved.file, unsafe=unsafe)
    check_outputs(model, saved)
    return KerasPredictor(model), info_from_run(saved, model)


def regression_info(path: Path) -> ModelInfo | None:
    """ModelInfo of a regression run's model (its outputs are the targets), else None."""
    run_dir = path if path.is_dir() else path.parent
    if not (run_dir / "config.json").is_file():
        return None
    config = open_run(run_dir).config
    if config.get("head") != "regression":
        return None
    return ModelInfo.from_config(
        config, run_dir, run_dir / "model.keras", extra={"head_name": config.get("head_name")}
    )
