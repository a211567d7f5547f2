"""Which ``tf.distribute`` strategy and Keras dtype policy a run trains with.

``strategy = "auto"`` picks, in this order: TPUStrategy when a TPU address is given
(``--set tpu=ADDRESS`` or ``TPU_NAME``), MultiWorkerMirroredStrategy when
``TF_CONFIG`` names a cluster of two or more workers, MirroredStrategy with two or
more GPUs, else TensorFlow's default strategy. ``batch_size`` is global: the
tf.data pipeline batches globally and Keras splits every batch across the replicas;
with several workers, each worker's pipeline reads only its share of the images and
batches it per replica (``fit_input``, data/shards.py).

MultiWorkerMirroredStrategy must exist before TensorFlow runs its first op, so the
runner calls ``prepare`` before it reads any image; training gets the same (cached)
object from ``strategy_for``. Nothing here imports TensorFlow at module import.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .precision import policy_for

_CLASS_NAMES = {  # the names users know, for TensorFlow's implementation classes
    "CollectiveAllReduceStrategy": "MultiWorkerMirroredStrategy",
    "_DefaultDistributionStrategy": "default",
}
_cache: dict[tuple[str, str | None], Any] = {}


def tf_config() -> dict[str, Any]:
    """``TF_CONFIG`` as a dict ({} when unset); invalid JSON is a ConfigError."""
    raw = os.environ.get("TF_CONFIG", "").strip()
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ConfigError(f"TF_CONFIG is not valid JSON ({exc}); received {raw!r}.") from None
    if not isinstance(value, dict):
        raise ConfigError(f"TF_CONFIG must be a JSON object; received {raw!r}.")
    return value


def cluster_size() -> int:
    """How many training processes (chief + workers) ``TF_CONFIG`` names."""
    cluster = tf_config().get("cluster") or {}
    return sum(len(cluster.get(kind) or []) for kind in ("chief", "worker"))


def task_name() -> str:
    """This process in the cluster: ``worker-1``, ``chief-0`` (``worker-0`` alone)."""
    task = tf_config().get("task") or {}
    return f"{task.get('type', 'worker')}-{int(task.get('index', 0))}"


def is_chief() -> bool:
    """The chief writes the run folder; without a ``chief`` entry it is worker 0."""
    cluster = tf_config().get("cluster") or {}
    if "chief" in cluster:
        return task_name() == "chief-0"
    return task_name() == "worker-0"


def tpu_address(config: Any) -> str | None:
    return getattr(config, "tpu", None) or os.environ.get("TPU_NAME") or None


def gpu_count() -> int:
    """Physical GPUs; listing them does not start TensorFlow's runtime."""
    import tensorflow as tf

    return len(tf.config.list_physical_devices("GPU"))


def resolve_kind(config: Any) -> str:
    """The concrete strategy name for ``config.strategy`` (``auto`` resolved)."""
    kind = getattr(config, "strategy", "auto")
    if kind == "auto":
        if tpu_address(config):
            return "tpu"
        if cluster_size() >= 2:
            return "multi-worker"
        return "mirrored" if gpu_count() >= 2 else "default"
    if kind == "multi-worker" and cluster_size() < 1:
        raise ConfigError(
            "strategy=multi-worker needs TF_CONFIG naming the cluster and this worker, "
            'e.g. {"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
            '"task": {"type": "worker", "index": 0}} (see docs/distributed.md).'
        )
    if kind == "tpu" and not tpu_address(config):
        raise ConfigError(
            "strategy=tpu needs a TPU address: --set tpu=ADDRESS (a name, grpc://host:port, "
            "or 'local' on a TPU VM) or the TPU_NAME environment variable."
        )
    return kind


def strategy_for(config: Any) -> Any:
    """The strategy of ``config``, created once per process (collectives and TPUs
    can be set up only once) and before any TensorFlow op runs."""
    kind = resolve_kind(config)
    if kind == "default":  # TensorFlow's current one (the caller may be inside a scope)
        return _create(kind, config)
    key = (kind, tpu_address(config) if kind == "tpu" else None)
    if key not in _cache:
        _cache[key] = _create(kind, config)
    return _cache[key]


def prepare(config: Any) -> Any:
    """Create the run's strategy and check its dtype policy, before any data is read."""
    strategy = strategy_for(config)
    policy_for(config, strategy)
    check_multi_worker(config, strategy)
    return strategy


def _create(kind: str, config: Any) -> Any:
    import tensorflow as tf

    if kind == "mirrored":
        return tf.distribute.MirroredStrategy()
    if kind == "multi-worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if kind == "tpu":
        address = tpu_address(config)
        try:
            resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=address)
            tf.config.experimental_connect_to_cluster(resolver)
            tf.tpu.experimental.initialize_tpu_system(resolver)
            return tf.distribute.TPUStrategy(resolver)
        except (ValueError, RuntimeError, tf.errors.OpError) as exc:
            raise ConfigError(f"Cannot connect to the TPU {address!r}: {exc}") from None
    return tf.distribute.get_strategy()


def is_multi_worker(strategy: Any) -> bool:
    import tensorflow as tf

    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and (
        strategy.extended._in_multi_worker_mode()
    )


@contextlib.contextmanager
def dtype_policy(name: str | None) -> Iterator[None]:
    """Build layers under Keras' global dtype policy ``name``, then restore the old one
    (the policy is global: it must not leak into the next run in this process)."""
    import keras

    if name is None:
        yield
        return
    old = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(old)


def fit_input(strategy: Any, make: Callable[[Any], Any], class_weight: Any = None) -> Any:
    """What Keras fits or validates on, and the ``class_weight`` to pass it.

    One worker: ``make(None)``, the whole split (Keras splits every batch between
    this machine's replicas). Several workers: ``make(input_context)`` on each, its
    own share of the records, batched per replica (data/shards.py), through
    ``distribute_datasets_from_function``: no auto-sharding, and no worker decodes
    images for another. Keras cannot map class weights over that, so they become
    the batches' sample weights here; the cardinality is left unknown, so Keras reads
    until tf.distribute says every worker is done (their validation shares may differ
    by a step) instead of a step count of its own."""
    if not is_multi_worker(strategy):
        return make(None), class_weight

    def per_worker(context: Any) -> Any:
        ds = make(context)
        if class_weight:
            ds = ds.map(_class_weight_fn(class_weight))
        return ds.filter(lambda *_: True)  # unknown cardinality (see above)

    return strategy.distribute_datasets_from_function(per_worker), None


def _class_weight_fn(class_weight: dict[int, float]) -> Callable[..., Any]:
    """(x, y) -> (x, y, weight of y's class), as Keras' ``class_weight`` does: class
    indices, one-hot or soft rows (their largest entry), or 0/1 (sigmoid) labels."""
    import tensorflow as tf

    table = tf.constant([class_weight.get(i, 1.0) for i in range(max(class_weight) + 1)])

    def weigh(x: Any, y: Any) -> Any:
        if y.shape.rank == 2 and y.shape[-1] > 1:
            index = tf.argmax(y, axis=-1)
        else:
            index = tf.cast(tf.round(tf.reshape(y, [-1])), tf.int64)
        return x, y, tf.gather(table, index)

    return weigh


def check_multi_worker(config: Any, strategy: Any) -> None:
    """A multi-worker run splits the global batch evenly: every worker's replicas take
    ``batch_size / replicas`` images per step (data/shards.py). Its workers would each
    decide a time limit by their own clock, and one stopping alone hangs the others."""
    if not is_multi_worker(strategy):
        return
    if getattr(config, "time_limit", None):
        raise ConfigError(
            f"time_limit={config.time_limit} cannot pause a multi-worker run: each worker "
            "would decide by its own clock. Leave it out, and stop the run with SIGTERM to "
            "every worker (then --resume), or train on one machine."
        )
    n = int(strategy.num_replicas_in_sync)
    if config.batch_size % n:
        lower, upper = config.batch_size // n * n, -(-config.batch_size // n) * n
        raise ConfigError(
            f"batch_size={config.batch_size} cannot be split evenly between the {n} "
            f"replicas of this multi-worker run; use a multiple of {n} "
            f"(e.g. {upper}{f' or {lower}' if lower else ''})."
        )


def fit_ready(model: Any, strategy: Any) -> Any:
    """Work around Keras 3 + MultiWorkerMirroredStrategy (keras-team/keras#20585).

    Keras reduces a first batch with ``strategy.reduce`` to build the model, and the
    step logs with ``reduce(MEAN, axis=0)``; both fail across workers. The model is
    compiled and built under the strategy already, so that build is skipped, and the
    logs become shape-(1,) tensors: their reduction is the mean over all replicas, so
    every worker sees the same losses and takes the same early-stopping decisions.
    ``model.fit`` must then run inside ``strategy.scope()``. Other strategies: no-op.
    """
    if not is_multi_worker(strategy):
        return model
    with strategy.scope():
        model.optimizer.build(model.trainable_variables)
    model._distribute_strategy = None  # fit takes the strategy from the scope instead
    model.train_step = _vector_logs(model.train_step)
    model.test_step = _vector_logs(model.test_step)
    return model


def _vector_logs(step: Any) -> Any:
    def step_with_vector_logs(data: Any) -> Any:
        import tensorflow as tf

        logs = step(data)
        return {
            k: tf.reshape(v, [1]) if tf.is_tensor(v) and v.shape.rank == 0 else v
            for k, v in logs.items()
        }

    return step_with_vector_logs


def is_other_worker(config: Any) -> bool:
    """A worker of a multi-worker run that is not the chief: it trains its share, and
    leaves predicting the test split, metrics and reports to the chief."""
    return is_multi_worker_run(config) and not is_chief()


def wait_for_all_workers(config: Any) -> None:
    """A multi-worker run ends together: every worker waits here (a one-number
    all-reduce) until all have arrived, the chief after its evaluation and reports.
    A worker that exited earlier would stop sending heartbeats, and TensorFlow's
    coordination service would report it to the chief as crashed. Other runs: no-op."""
    if not is_multi_worker_run(config):
        return
    import tensorflow as tf

    strategy = strategy_for(config)
    arrived = strategy.run(lambda: tf.ones([]))
    strategy.reduce(tf.distribute.ReduceOp.SUM, arrived, axis=None)


def is_multi_worker_run(config: Any) -> bool:
    return cluster_size() >= 2 and resolve_kind(config) == "multi-worker"


def output_root(config: Any) -> Path:
    """Where the run folder goes: ``--output`` for the chief (and any single-process
    run); ``--output/<worker-N>`` for the other workers of a multi-worker run, so
    workers sharing a file system never write into the same folder."""
    root = Path(config.output)
    return root / task_name() if is_other_worker(config) else root


def describe(strategy: Any, batch_size: int, policy: str | None) -> str | None:
    """One line for the console, or None for the default single-device setup."""
    import tensorflow as tf

    n = int(strategy.num_replicas_in_sync)
    if strategy is tf.distribute.get_strategy() and n == 1 and policy is None:
        return None
    per = f"{batch_size / n:g}" if n > 1 else str(batch_size)
    extra = f", dtype policy {policy}" if policy else ""
    name = _CLASS_NAMES.get(type(strategy).__name__, type(strategy).__name__)
    return f"Strategy: {name}, {n} replica(s); global batch {batch_size} ({per} per replica){extra}"
