"""The machine's convolution rate, forward + backward, in GFLOP/s: float32 and bf16.

The yardstick for training throughput: a model costing F FLOPs per training
image cannot train faster than rate / F images per second. Measured on a
mid-network 3x3 convolution (where the arithmetic is dense) and on the face
models' first layers (3 input channels: the least efficient shape).

The bf16 rate is the ceiling of a mixed_bfloat16 run (``--mixed-precision auto`` on
CPUs with AMX or AVX512_BF16); ``benchmarks/step_time.py`` measures what a model's
training step reaches against the ceiling of its precision, in the same invocation.

    python benchmarks/conv_rate.py
    python benchmarks/conv_rate.py --dtypes bfloat16
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import tensorflow as tf
from common import Timer, machine, table

SHAPES = [
    # (name, batch, size, in channels, out channels, kernel)
    ("3x3 64->64 at 64x64", 32, 64, 64, 64, 3),
    ("3x3 128->128 at 32x32", 32, 32, 128, 128, 3),
    ("alexnet block1: 9x9 3->16 at 128x128", 32, 128, 3, 16, 9),
    ("alexnet block2: 7x7 16->32 at 64x64", 32, 64, 16, 32, 7),
    ("vggnet block1: 3x3 16->16 at 128x128", 32, 128, 16, 16, 3),
    ("mobilenet pointwise: 1x1 256->256 at 16x16", 32, 16, 256, 256, 1),
]


def rate(
    batch: int,
    size: int,
    cin: int,
    cout: int,
    k: int,
    seconds: float = 3.0,
    dtype: str = "float32",
) -> float:
    """GFLOP/s (nominal: 2 x multiply-adds of a direct convolution, x3 for the backward
    pass) of the fastest of repeated steps over ``seconds``. oneDNN may use Winograd
    for some shapes, doing fewer real operations: the nominal rate can then exceed
    what the FMA units could do directly."""
    x = tf.cast(tf.random.uniform((batch, size, size, cin)), dtype)
    w = tf.Variable(tf.cast(tf.random.uniform((k, k, cin, cout)), dtype))

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.nn.conv2d(x, w, 1, "SAME")
            loss = tf.reduce_sum(y)
        return tape.gradient(loss, [x, w])

    step(x)
    best, start = float("inf"), time.perf_counter()
    while time.perf_counter() - start < seconds:
        with Timer() as t:
            _ = [o.numpy() for o in step(x)]
        best = min(best, t.seconds)
    return 3 * 2.0 * batch * size * size * cin * cout * k * k / best / 1e9


def ceiling(dtype: str, seconds: float = 3.0) -> tuple[float, float, list[tuple[str, float]]]:
    """(median, best, per-shape rows) of the dense 3x3 shapes in ``dtype``: the rate a
    model made of such convolutions could reach."""
    rows = [(name, rate(*shape, seconds=seconds, dtype=dtype)) for name, *shape in SHAPES]
    rates = [r for _, r in rows]
    return statistics.median(rates), max(rates), rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dtypes", default="float32,bfloat16")
    args = ap.parse_args()
    print(machine())
    rows, summary = [], []
    for dtype in args.dtypes.split(","):
        median, best, per_shape = ceiling(dtype)
        rows += [(name, dtype, f"{r:.0f}") for name, r in per_shape]
        summary.append((dtype, f"{median:.0f}", f"{best:.0f}"))
    print(table(["convolution (fwd+bwd)", "dtype", "GFLOP/s"], rows))
    print(table(["dtype", "median GFLOP/s", "best shape GFLOP/s"], summary))


if __name__ == "__main__":
    sys.exit(main())
