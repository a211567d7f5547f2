"""Where a training step's time goes: one model, built several ways, same arithmetic.

Each variant trains the model with ``model.fit`` on 1,024 in-memory images (random
pixels: only the timing matters here) and reports the median step of epochs 2-4,
which the ~5 s page-out stalls of this machine do not move. Variants:

- ``stock``: the architecture as a notebook writes it (Keras' own batch norm, a bias
  on every conv); ``fused-bn``: imgclf's fused batch norm, conv biases kept;
  ``imgclf``: imgclf's model as built, in float32 (``--mixed-precision off``);
  ``imgclf-bf16``: the same under mixed_bfloat16 (``--set mixed_precision=bfloat16``);
  ``imgclf-auto``: under the policy ``--mixed-precision auto`` (the default) picks for
  the model on this machine (bf16 on CPUs with AMX-BF16 or AVX512_BF16, float32 for
  mobilenet; imgclf/_training/precision.py), named in the variant column.

The first line names the CPU and its bf16 flags. The last column sets each row's
GFLOP/s against the ceiling of its precision, measured first in the same invocation
(``benchmarks/conv_rate.py``: the median of its dense convolution shapes, float32
or bf16).

``--profile`` also prints the TensorFlow ops that take the time under the default
``auto`` policy (TensorFlow's profiler, one op at a time: inter-op parallelism 1,
which also applies to the timing rows of that invocation), with the share of op
time the convolutions get: what the rest takes is what keeps a step from the
convolution ceiling.

    python benchmarks/step_time.py
    python benchmarks/step_time.py --models vggnet --profile
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
from common import machine, stock_keras_layers, table, train_flops
from conv_rate import ceiling

import imgclf
from imgclf._config import RunConfig
from imgclf._training import precision
from imgclf._training.strategy import dtype_policy

SIZES = {"alexnet": 128, "vggnet": 128, "mobilenet": 128, "reshi2021": 150, "fervgg": 48}
TASKS = {"reshi2021": "covid-xray"}
VARIANTS = {
    "stock": stock_keras_layers,
    "fused-bn": lambda: stock_keras_layers(batch_norm=False, conv_bias=True),
    "imgclf": contextlib.nullcontext,
    "imgclf-bf16": lambda: dtype_policy("mixed_bfloat16"),
    "imgclf-auto": None,  # the policy of --mixed-precision auto for the model: auto_policy
}


def auto_policy(name: str) -> tuple[str | None, str]:
    """(policy, why) that ``--mixed-precision auto`` picks for ``name`` here."""
    import tensorflow as tf

    config = RunConfig(TASKS.get(name, "face-emotion"), model=name, mixed_precision="auto")
    return precision.resolve(config, tf.distribute.get_strategy())


def cpu_line() -> str:
    """The CPU's bf16 flags, as ``auto`` reads them."""
    found = sorted(precision.cpu_flags() & {*precision.BF16_CPU_FLAGS, "avx512f"})
    return f"CPU flags: {', '.join(found) or 'none of avx512f, amx_bf16, avx512_bf16'}"


def _model(name: str):
    size = SIZES[name]
    net = imgclf.build_model(name, TASKS.get(name, "face-emotion"), (size, size, 3))
    binary = net.output_shape[-1] == 1
    loss = "binary_crossentropy" if binary else "sparse_categorical_crossentropy"
    net.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return net


def _data(net, batch: int, n: int = 1024):
    import tensorflow as tf

    rng = np.random.default_rng(0)
    size = net.input_shape[1]
    x = rng.random((n, size, size, 3), dtype=np.float32)
    y = rng.integers(0, max(2, net.output_shape[-1]), n).astype("float32")
    if net.output_shape[-1] == 1:
        y = y.reshape(-1, 1)
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch).cache().prefetch(2)


def step_seconds(name: str, variant: str, batch: int) -> tuple[float, object]:
    import keras

    times: list[float] = []

    class Steps(keras.callbacks.Callback):
        def on_train_batch_begin(self, b, logs=None):
            self.t = time.perf_counter()

        def on_train_batch_end(self, b, logs=None):
            times.append(time.perf_counter() - self.t)

    keras.backend.clear_session()  # before the variant: it also resets the dtype policy
    context = VARIANTS[variant] or (lambda: dtype_policy(auto_policy(name)[0]))
    with context():
        net = _model(name)
        data = _data(net, batch)
        net.fit(data, epochs=4, verbose=0, callbacks=[Steps()])
    return statistics.median(times[len(times) // 4 :]), net


def profile(name: str, batch: int, steps: int = 6) -> list[tuple[str, str, str]]:
    """Milliseconds per step and share of op time of each TensorFlow op type, under
    the policy ``auto`` picks (the default config)."""
    import keras
    import tensorflow as tf
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    keras.backend.clear_session()
    with dtype_policy(auto_policy(name)[0]):
        net = _model(name)
    data = _data(net, batch, n=batch * steps)
    net.fit(data, epochs=1, verbose=0)  # trace and warm up
    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        net.fit(data, epochs=1, verbose=0)
        tf.profiler.experimental.stop()
        space = xplane_pb2.XSpace()
        space.ParseFromString(next(Path(logdir).rglob("*.xplane.pb")).read_bytes())
    ms: collections.Counter = collections.Counter()
    for plane in space.planes:
        for line in plane.lines:
            for event in line.events:
                op = plane.event_metadata[event.metadata_id].name
                kind = op.rsplit(":", 1)[-1].strip()
                if ":" in op and kind not in ("Run", "Process") and not kind.startswith("__"):
                    ms[kind] += event.duration_ps / 1e9 / steps  # "graph/node:OpType"
    total = sum(ms.values())
    rows = [(k, f"{v:.1f}", f"{v / total:.0%}") for k, v in ms.most_common(15)]
    conv = sum(v for k, v in ms.items() if "Conv2D" in k)  # with oneDNN's _Mkl... names
    return [*rows, ("all convolutions", f"{conv:.1f}", f"{conv / total:.0%}")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(SIZES))
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    if args.profile:  # ops one at a time, so each op's time is its own
        import tensorflow as tf

        tf.config.threading.set_inter_op_parallelism_threads(1)
    print(machine())
    print(cpu_line())
    ceilings = {dtype: ceiling(dtype, seconds=2.0)[0] for dtype in ("float32", "bfloat16")}
    print("ceilings (conv_rate.py median, GFLOP/s): "
          + ", ".join(f"{d} {c:.0f}" for d, c in ceilings.items()))  # fmt: skip
    rows = []
    for name in args.models.split(","):
        base = None
        for variant in args.variants.split(","):
            seconds, net = step_seconds(name, variant, args.batch_size)
            base = base or seconds
            ips = args.batch_size / seconds
            gflops = train_flops(net) * ips / 1e9
            bf16 = variant == "imgclf-bf16"
            if variant == "imgclf-auto":
                policy, why = auto_policy(name)
                bf16 = policy == "mixed_bfloat16"
                variant = f"imgclf-auto: {policy or 'float32'} ({why})"
            share = gflops / ceilings["bfloat16" if bf16 else "float32"]
            rows.append((name, variant, f"{seconds * 1000:.0f}", f"{ips:.1f}",
                         f"{base / seconds:.2f}x", f"{gflops:.0f}", f"{share:.0%}"))  # fmt: skip
            print(table(HEADER, rows[-1:]), flush=True)
        if args.profile:
            policy = auto_policy(name)[0] or "float32"
            ops = profile(name, args.batch_size)
            print(table([f"op ({policy})", "ms per step", "share of op time"], ops))
    print()
    print(table(HEADER, rows))


HEADER = ["model", "variant", "median step ms", "img/s", "vs first variant", "GFLOP/s",
          "of its precision's ceiling"]  # fmt: skip

if __name__ == "__main__":
    main()
