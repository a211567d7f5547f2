"""Grad-CAM (Selvaraju et al. 2017): where a model looked for the class it predicted.

The target layer is found automatically: the last layer whose output is a 4-D
feature map (batch, height, width, channels) with a spatial size of at least 2x2
(else the last 4-D one), i.e. the deepest convolutional feature map; padding and
cropping layers are passed over. When that layer is a nested model (the "backbone" of
an ``imgclf.Backbone``, whose outer graph is one chain of layers) the map is the one
found the same way inside it. The model is
loaded from the run folder's ``model.keras`` with Keras safe mode on.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._data.pipeline import decode_image
from .._heads.classification import EvaluationResult
from .._nn.saving import load_model
from ..errors import ModelError
from .samples import confidence, image_grid, label_title

PER_GROUP = 4


def find_target_layer(model: Any) -> Any:
    """The deepest layer with a 4-D output, preferring one at least 2x2 in space; a
    nested model (a backbone) before any other."""
    import keras

    skip = (keras.layers.InputLayer, keras.layers.ZeroPadding2D, keras.layers.Cropping2D)
    maps = []
    for layer in model.layers:
        if isinstance(layer, skip):  # no features of their own, and padding shifts the map
            continue
        try:
            shape = tuple(layer.output.shape)
        except (AttributeError, ValueError):  # a layer used twice or never called
            continue
        if len(shape) == 4:
            maps.append((layer, shape))
    if not maps:
        raise ModelError(
            f"Grad-CAM needs a convolutional feature map, but model {model.name!r} has no "
            "layer with a 4-D output (batch, height, width, channels)."
        )
    nested = [layer for layer, _ in maps if isinstance(layer, keras.Model)]
    if nested:  # a backbone: its own maps are chosen inside it (through_nested)
        return nested[-1]
    spatial = [layer for layer, shape in maps if (shape[1] or 0) >= 2 and (shape[2] or 0) >= 2]
    return (spatial or [layer for layer, _ in maps])[-1]


def gradcam_heatmaps(
    model: Any, images: np.ndarray, class_indices: Sequence[int], layer: Any = None
) -> np.ndarray:
    """Grad-CAM maps (N x H x W, each scaled to [0, 1]) of ``class_indices`` for
    ``images`` (N x H x W x 3 floats in [0, 1], the model's input)."""
    import keras
    import tensorflow as tf

    layer = layer or find_target_layer(model)
    if isinstance(layer, keras.Model):
        forward = through_nested(model, layer)
    else:
        forward = keras.Model(model.inputs, [layer.output, model.outputs[0]])
    x = tf.convert_to_tensor(np.asarray(images, dtype="float32"))
    cls = tf.constant(np.asarray(class_indices, dtype="int32"))
    with tf.GradientTape() as tape:
        fmap, preds = forward(x, training=False)
        if preds.shape[-1] == 1:  # sigmoid: the score of class 1, or 1 - it for class 0
            p = preds[:, 0]
            score = tf.where(cls == 1, p, 1.0 - p)
        else:
            score = tf.gather(preds, cls, axis=1, batch_dims=1)
    grads = tape.gradient(score, fmap)
    weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
    cam = tf.nn.relu(tf.reduce_sum(weights * fmap, axis=-1))
    cam = cam / (tf.reduce_max(cam, axis=(1, 2), keepdims=True) + 1e-8)
    cam = tf.image.resize(cam[..., tf.newaxis], x.shape[1:3], method="bilinear")
    return cam.numpy()[..., 0]


def through_nested(model: Any, nested: Any) -> Any:
    """``x -> (feature map inside nested, model output)`` for a model whose layers form
    one chain around a nested model: a nested Functional's ``.output`` is its own graph's
    tensor, so the outer graph cannot be cut there; the chain is called layer by layer."""
    import keras

    inner_layer = find_target_layer(nested)
    inner = keras.Model(nested.inputs, [inner_layer.output, nested.outputs[0]])
    at = model.layers.index(nested)
    before = [la for la in model.layers[:at] if not isinstance(la, keras.layers.InputLayer)]

    def forward(x: Any, training: bool = False) -> Any:
        for layer in before:
            x = layer(x, training=training)
        fmap, x = inner(x, training=training)
        for layer in model.layers[at + 1 :]:
            x = layer(x, training=training)
        return fmap, x

    return forward


def overlay(image: np.ndarray, heatmap: np.ndarray, alpha: float = 0.45) -> np.ndarray:
    """``image`` (H x W x 3 in [0, 1]) blended with the heatmap in the 'jet' colours."""
    import matplotlib

    colours = matplotlib.colormaps["jet"](np.clip(heatmap, 0, 1))[..., :3]
    return np.clip((1 - alpha) * image + alpha * colours, 0, 1)


def model_file(result: EvaluationResult, run_dir: Path) -> Path:
    """The model a result came from: ``config["model_path"]`` or ``run_dir/model.keras``."""
    given = (result.config or {}).get("model_path")
    return Path(given) if given else Path(run_dir) / "model.keras"


def pick_for_gradcam(result: EvaluationResult, per_group: int = PER_GROUP) -> list[list[int]]:
    """Rows of test images: the most confident correct, then the most confident wrong."""
    conf = confidence(result)
    order = np.argsort(-conf, kind="stable")
    right = result.y_pred[order] == np.asarray(result.y_true)[order]
    rows = [order[right][:per_group], order[~right][:per_group]]
    return [[int(i) for i in row] for row in rows if len(row)]


def load_images(paths: Sequence[str], size: int) -> np.ndarray:
    """Images as the model saw them: decoded, resized to ``size``, scaled to [0, 1]."""
    return np.stack([decode_image(str(p), size).numpy() for p in paths]).astype("float32") / 255


def draw_gradcam(result: EvaluationResult, run_dir: Path) -> Any:
    """Overlays for a few correct and wrong test images, or None without test images."""
    rows = pick_for_gradcam(result)
    if not rows:
        return None
    model = load_model(model_file(result, run_dir))
    size = int(result.config.get("image_size") or model.input_shape[1])
    picked = [i for row in rows for i in row]
    images = load_images([result.paths[i] for i in picked], size)
    layer = find_target_layer(model)
    maps = gradcam_heatmaps(model, images, [int(result.y_pred[i]) for i in picked], layer)
    conf = confidence(result)
    fig, axes = image_grid(len(rows) * PER_GROUP, cols=PER_GROUP)
    cells = [axes[r * PER_GROUP + c] for r, row in enumerate(rows) for c in range(len(row))]
    for ax, i, img, cam in zip(cells, picked, images, maps):
        ax.imshow(overlay(img, cam))
        title, colour = label_title(result, i, float(conf[i]))
        ax.set_title(title, color=colour, fontsize=9)
    fig.suptitle(
        f"Grad-CAM on layer '{layer.name}' for the predicted class: "
        "correct (green) and wrong (red) predictions, most confident first",
        fontsize=10,
    )
    fig.tight_layout()
    return fig
