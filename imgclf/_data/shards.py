"""One worker's share of a split in multi-worker training, chosen before any decoding.

Under MultiWorkerMirroredStrategy every worker builds its own tf.data pipeline
(``tf.distribute.InputContext``: how many input pipelines, which one is this). The
share is taken from the list of records, so a worker reads, decodes, caches and
augments only its own images:

- every worker draws the same seeded permutation of the training records
  (``pipeline.permuted``) and keeps every ``count``-th one from its ``index`` on:
  the shares are disjoint, cover the split, and differ in size by one at most;
- each epoch reshuffles a worker's share from (seed, epoch), and repeats its first
  images to fill ``steps x per-worker batch`` images: every worker takes the same
  number of steps, the same as a single-process run (``ceil(n / global batch)``),
  and every image of the share is seen at least once per epoch;
- the validation share is every ``count``-th record, in order; a worker one image
  short may end a step earlier, and tf.distribute then gives it an empty batch.

The test split is not shared out: the chief alone predicts it (runner.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ..errors import DataError

T = TypeVar("T")


@dataclass(frozen=True)
class Shard:
    """This worker's part of a split: ``count`` workers, this one ``index``.

    ``batch``: images per replica batch; ``per_epoch``: images this worker yields per
    training epoch (its steps times its part of the global batch).
    """

    count: int
    index: int
    batch: int
    per_epoch: int

    def batch_key(self, k: Any) -> Any:
        """A batch number unique across workers (the augmenter draws from it): worker
        ``index``'s batch ``k`` is ``k * count + index``; one worker keeps ``k``."""
        return k * self.count + self.index


def shard_for(input_context: Any, n: int, global_batch: int) -> Shard:
    """The Shard of a ``tf.distribute.InputContext`` for a split of ``n`` records."""
    count, index = int(input_context.num_input_pipelines), int(input_context.input_pipeline_id)
    per_replica = int(input_context.get_per_replica_batch_size(global_batch))
    steps = -(-n // global_batch)
    return Shard(count, index, per_replica, steps * (global_batch // count))


def share(records: Sequence[T], shard: Shard, training: bool = False) -> list[T]:
    """Every ``shard.count``-th record from ``shard.index`` on. An empty training share
    is a DataError: the split has fewer images than there are workers."""
    mine = list(records[shard.index :: shard.count])
    if training and not mine:
        raise DataError(
            f"The train split has {len(records)} image(s), fewer than the {shard.count} "
            "workers of this multi-worker run; add data or use fewer workers."
        )
    return mine
