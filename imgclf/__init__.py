"""imgclf: plugin-based image classification on TensorFlow/Keras 3.

Importing imgclf does not import TensorFlow; the functions below do when needed.
"""

from .api import (
    build_augmenter,
    build_model,
    evaluate,
    export,
    get_task,
    list_models,
    list_tasks,
    load_model,
    make_config,
    predict,
    report,
    run,
)
from .config import RunConfig
from .data.cachedir import cached_folder, file_digest
from .data.csv_loader import load_csv, read_csv_rows
from .data.folder import load_folder
from .data.pipeline import make_dataset
from .data.records import DatasetLoader, LoadResult, Record
from .data.split import split_records
from .errors import ConfigError, DataError, ImgclfError, ModelError, PluginError
from .heads.classification import EvaluationResult
from .heads.regression import RegressionResult
from .hookspecs import hookimpl
from .nn import batch_norm, conv_bn_relu, depthwise_separable, output_layer
from .nn.augment import derive_seed, flip, flip_rotate_translate
from .prediction.files import collect_images
from .runner import RunResult
from .tasks import Head, Reference, TaskSpec

__all__ = [
    "ConfigError",
    "DataError",
    "DatasetLoader",
    "EvaluationResult",
    "Head",
    "ImgclfError",
    "LoadResult",
    "ModelError",
    "PluginError",
    "Record",
    "Reference",
    "RegressionResult",
    "RunConfig",
    "RunResult",
    "TaskSpec",
    "batch_norm",
    "build_augmenter",
    "build_model",
    "cached_folder",
    "collect_images",
    "conv_bn_relu",
    "depthwise_separable",
    "derive_seed",
    "evaluate",
    "export",
    "file_digest",
    "flip",
    "flip_rotate_translate",
    "get_task",
    "hookimpl",
    "list_models",
    "list_tasks",
    "load_csv",
    "load_folder",
    "load_model",
    "make_config",
    "make_dataset",
    "output_layer",
    "predict",
    "read_csv_rows",
    "report",
    "run",
    "split_records",
]
