"""Shared bits of the benchmark scripts: the machine, the data, tables, FLOPs.

The scripts are run from the project root (``python benchmarks/NAME.py``) and
read the real data sets in ``../shared/data``; they exit with a message when
those are absent. They print tables; nothing here is a test.
"""

from __future__ import annotations

import inspect
import os
import platform
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("IMGCLF_SHARED_DATA", ROOT.parent / "shared" / "data"))
LFW = DATA / "face-emotion-lfw" / "data" / "legend.csv"
FER = DATA / "fer2013"
XRAY = DATA / "xray-dataset-covid19"


def need(path: Path) -> Path:
    """``path``, or exit with a clear reason when the data set is not there."""
    if not path.exists():
        sys.exit(
            f"benchmark skipped: {path} is absent (the real data sets live in ../shared/data)."
        )
    return path


def machine() -> str:
    """One line naming the CPU, cores, Python, TensorFlow and Keras."""
    import keras
    import tensorflow as tf

    cpu = platform.processor() or "cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpus = len(tf.config.list_physical_devices("GPU"))
    return (
        f"{cpu}, {os.cpu_count()} cores, {gpus} GPU; Python {platform.python_version()}, "
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}"
    )


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A Markdown table (pasted into docs/benchmarks.md as printed)."""
    cells = [[str(c) for c in header]] + [[_fmt(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in cells]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _fmt(x: object) -> str:
    if isinstance(x, float):
        return f"{x:.3g}" if abs(x) < 100 else f"{x:,.0f}"
    return str(x)


def forward_flops(model) -> float:
    """Multiply-adds x 2 of the convolutions and dense layers for one image."""
    total = 0.0
    for layer in model.layers:
        kind = type(layer).__name__
        if kind not in ("Conv2D", "DepthwiseConv2D", "Dense"):
            continue
        out = layer.output.shape
        cin = layer.input.shape[-1]
        if kind == "Dense":
            total += 2.0 * cin * out[-1]
            continue
        kh, kw = layer.kernel_size
        per_out = kh * kw * (1 if kind == "DepthwiseConv2D" else cin)
        total += 2.0 * out[1] * out[2] * out[3] * per_out
    return total


def train_flops(model) -> float:
    """Forward + backward (gradients of activations and weights): about 3x forward."""
    return 3.0 * forward_flops(model)


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start


@contextmanager
def stock_keras_layers(batch_norm: bool = True, conv_bias: bool = True) -> Iterator[None]:
    """Build and train imgclf's models as a notebook writes them: Keras' own
    (unfused) batch norm, and a bias on every convolution. Same architecture."""
    import keras

    from imgclf._nn import blocks, layers

    call, defaults = layers.BatchNormalization.call, blocks.conv_bn_relu.__defaults__
    assert list(inspect.signature(blocks.conv_bn_relu).parameters)[-1] == "use_bias"
    if batch_norm:
        layers.BatchNormalization.call = keras.layers.BatchNormalization.call
    blocks.conv_bn_relu.__defaults__ = (*defaults[:-1], conv_bias)  # use_bias
    try:
        yield
    finally:
        layers.BatchNormalization.call = call
        blocks.conv_bn_relu.__defaults__ = defaults
