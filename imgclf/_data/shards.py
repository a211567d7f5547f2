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
- the validation share is every ``count``-th record, in order, padded with its
  first image, at sample weight 0, to whole per-worker batches of the longest
  share: every worker and replica takes the same validation steps, none on an
  empty batch (tf.distribute's empty batch for a replica that ran out fails in
  some models), and the padding counts in no metric. The loss is divided by the
  padded count: scaled by ``n / (n + pads)``, the same factor every epoch, which
  leaves the ranking of epochs unchanged.

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
    training epoch (its steps times its part of the global batch); ``padded``: the
    length of every worker's validation share with its padding.
    """

    count: int
    index: int
    batch: int
    per_epoch: int
    padded: int = 0

    def batch_key(self, k: Any) -> Any:
        """A batch number unique across workers (the augmenter draws from it): worker
        ``index``'s batch ``k`` is ``k * count + index``; one worker keeps ``k``."""
        return k * self.count + self.index


def shard_for(input_context: Any, n: int, global_batch: int) -> Shard:
    """The Shard of a ``tf.distribute.InputContext`` for a split of ``n`` records."""
    count, index = int(input_context.num_input_pipelines), int(input_context.input_pipeline_id)
    per_replica = int(input_context.get_per_replica_batch_size(global_batch))
    per_worker, longest = global_batch // count, -(-n // count)
    steps = -(-n // global_batch)
    padded = -(-longest // per_worker) * per_worker
    return Shard(count, index, per_replica, steps * per_worker, padded)


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


def padded_share(records: Sequence[T], shard: Shard) -> tuple[list[T], list[float]]:
    """(this worker's share padded to ``shard.padded`` records, their sample weights):
    1 for its own records, 0 for the repeats that pad it."""
    mine = share(records, shard)
    pads = [(mine or list(records))[0]] * (shard.padded - len(mine))
    return mine + pads, [1.0] * len(mine) + [0.0] * len(pads)
