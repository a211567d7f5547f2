"""imgclf: plugin-based image classification on TensorFlow/Keras 3.

Importing imgclf does not import TensorFlow; the functions below do when needed.
"""

from ._api import (
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
from ._config import RunConfig
from ._data.cachedir import cached_folder, file_digest
from ._data.csv_loader import load_csv, read_csv_rows
from ._data.folder import load_folder
from ._data.pipeline import make_dataset
from ._data.records import DatasetLoader, LoadResult, Record
from ._data.split import split_records
from ._heads.classification import EvaluationResult
from ._heads.regression import RegressionResult
from ._hookspecs import hookimpl
from ._nn import batch_norm, conv_bn_relu, depthwise_separable, output_layer
from ._nn.augment import derive_seed, flip, flip_rotate_translate
from ._nn.backbones import Backbone
from ._prediction.files import collect_images
from ._runner import RunResult
from ._tasks import Head, Reference, TaskSpec
from .errors import ConfigError, DataError, ImgclfError, ModelError, PluginError

__all__ = [
    "Backbone",
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
