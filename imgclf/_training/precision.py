"""Which Keras dtype policy a run trains under (``--mixed-precision``).

``auto`` (the default) takes bf16 where the hardware computes it natively and
float32 elsewhere: ``mixed_bfloat16`` on a TPU and on a CPU whose flags (Linux
``/proc/cpuinfo``) include ``amx_bf16`` or ``avx512_bf16``; ``mixed_float16`` on
GPUs of compute capability 7.0 or more (tensor cores); float32 otherwise, and for
models that measure slower in bf16 (depthwise convolutions: mobilenet), named in
``FLOAT32_MODELS`` or by a builder attribute ``prefers_float32 = True``.

A ``--deterministic`` run, and any run under ``IMGCLF_AUTO_PRECISION=off`` (the
top-level conftest.py sets it, as it sets ``IMGCLF_DETERMINISTIC=1``), resolves
``auto`` to float32, so it computes the same numbers on a CPU with and without
AVX512_BF16. ``off`` is float32 always; ``on``, ``force`` and ``bfloat16`` keep
their meaning (see ``resolve``) and are honoured under ``--deterministic`` too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import ConfigError

#: ``off`` makes ``mixed_precision=auto`` float32 (the test suite sets it).
AUTO_ENV = "IMGCLF_AUTO_PRECISION"
#: CPU flags of native bf16 arithmetic (AMX tiles; AVX-512 BF16 dot products).
BF16_CPU_FLAGS = ("amx_bf16", "avx512_bf16")
#: Registered model names (bare, or a prefix of one) that stay float32 under ``auto``:
#: depthwise convolutions gain nothing from bf16 on a CPU (docs/benchmarks.md).
FLOAT32_MODELS = ("mobilenet",)


def cpu_flags(path: str | Path = "/proc/cpuinfo") -> frozenset[str]:
    """The CPU's feature flags (empty where ``/proc/cpuinfo`` is not there)."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def gpu_capability() -> tuple[int, int] | None:
    """The lowest compute capability of the GPUs (None without a GPU)."""
    import tensorflow as tf

    caps = []
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        caps.append(tuple(details.get("compute_capability") or (0, 0)))
    return min(caps) if caps else None


def prefers_float32(model: str | None, builder: Any = None) -> bool:
    """Whether the model opts out of ``auto``'s bf16 (a list here, or its builder)."""
    if getattr(builder, "prefers_float32", False):
        return True
    bare = (model or "").rpartition("/")[2].rpartition(":")[2]
    return any(bare.startswith(name) for name in FLOAT32_MODELS)


def auto_policy(config: Any, strategy: Any, builder: Any = None) -> tuple[str | None, str]:
    """(policy, why) for ``mixed_precision=auto``: None means float32."""
    import tensorflow as tf

    if os.environ.get(AUTO_ENV, "").strip().casefold() in ("off", "0", "false", "float32"):
        return None, f"{AUTO_ENV}=off (the test suite: same numbers on every CPU)"
    if getattr(config, "deterministic", False):
        return None, "--deterministic: the same numbers on every machine"
    if prefers_float32(getattr(config, "model", None), builder):
        return None, f"model {config.model!r} is faster in float32 (depthwise convolutions)"
    if isinstance(strategy, tf.distribute.TPUStrategy):
        return "mixed_bfloat16", "TPU"
    cap = gpu_capability()
    if cap is not None:
        if cap >= (7, 0):
            return "mixed_float16", f"GPU compute capability {cap[0]}.{cap[1]} (tensor cores)"
        return None, f"GPU compute capability {cap[0]}.{cap[1]} < 7.0 (no tensor cores)"
    found = sorted(cpu_flags() & set(BF16_CPU_FLAGS))
    if found:
        return "mixed_bfloat16", f"CPU with {', '.join(found)}"
    return None, "CPU without AMX-BF16 or AVX512_BF16"


def policy_for(
    config: Any, strategy: Any, builder: Any = None, started: str | None = None
) -> str | None:
    """The Keras dtype policy for ``--mixed-precision``: None for float32.

    ``auto``: see ``auto_policy``. ``on``: mixed_bfloat16 on a TPU, mixed_float16 on
    a GPU; on a CPU float16 is slower, not faster, so ``on`` is refused there unless
    forced (then mixed_float16, the GPU setting, to try a GPU configuration on a CPU).
    ``bfloat16`` picks mixed_bfloat16 on any device. ``started``: the policy a resumed
    run began in (its config.json), which ``auto`` keeps, even on another machine.
    """
    return resolve(config, strategy, builder, started)[0]


def resolve(
    config: Any, strategy: Any, builder: Any = None, started: str | None = None
) -> tuple[str | None, str]:
    """(policy, why): what ``policy_for`` returns and the reason, for the console."""
    import tensorflow as tf

    mode = getattr(config, "mixed_precision", "off")
    if mode == "off":
        return None, "--mixed-precision off"
    if mode == "auto" and started:
        why = "resumed: the run goes on in the precision it began in"
        return (None if started == "float32" else started), why
    if mode == "auto":
        return auto_policy(config, strategy, builder)
    if mode == "bfloat16":
        return "mixed_bfloat16", "--mixed-precision bfloat16"
    if isinstance(strategy, tf.distribute.TPUStrategy):
        return "mixed_bfloat16", "TPU"
    if tf.config.list_physical_devices("GPU") or mode == "force":
        return "mixed_float16", f"--mixed-precision {mode}"
    raise ConfigError(
        "--mixed-precision needs a GPU or TPU; this machine has neither, and on a CPU "
        "float16 is slower than float32. Leave it off, or force it with "
        "--set mixed_precision=force."
    )


def describe(config: Any, strategy: Any, builder: Any = None, started: str | None = None) -> str:
    """``Precision: mixed_bfloat16 (auto: CPU with avx512_bf16)``: one console line."""
    policy, why = resolve(config, strategy, builder, started)
    mode = getattr(config, "mixed_precision", "off")
    return f"Precision: {policy or 'float32'} ({mode}: {why})"
