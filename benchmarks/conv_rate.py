"""The machine's float32 convolution rate, forward + backward, in GFLOP/s.

The yardstick for training throughput: a model costing F FLOPs per training
image cannot train faster than rate / F images per second. Measured on a
mid-network 3x3 convolution (where the arithmetic is dense) and on the face
models' first layers (3 input channels: the least efficient shape).

    python benchmarks/conv_rate.py
"""

from __future__ import annotations

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


def rate(batch: int, size: int, cin: int, cout: int, k: int, seconds: float = 3.0) -> float:
    """GFLOP/s (nominal: 2 x multiply-adds of a direct convolution, x3 for the backward
    pass) of the fastest of repeated steps over ``seconds``. oneDNN may use Winograd
    for some shapes, doing fewer real operations: the nominal rate can then exceed
    what the FMA units could do directly."""
    x = tf.random.uniform((batch, size, size, cin))
    w = tf.Variable(tf.random.uniform((k, k, cin, cout)))

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


def main() -> None:
    print(machine())
    rows = [(name, rate(*shape)) for name, *shape in SHAPES]
    print(table(["convolution (float32, fwd+bwd)", "GFLOP/s"], rows))
    rates = [r for _, r in rows]
    print(f"machine convolution rate: median {statistics.median(rates):.0f} GFLOP/s, "
          f"best shape {max(rates):.0f} GFLOP/s")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
