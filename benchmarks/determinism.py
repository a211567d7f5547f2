"""The speed cost of ``--deterministic``: the same run with and without it, side by side.

Both sides train the same model on the same FER2013 images with the same seed
and augmenter (face-emotion's default); they alternate (off, on, off, on, ...) so a
busy neighbour on a shared machine slows both. Throughput is training images per
second of an epoch's training phase (validation excluded), the fastest epoch after
the first over all repeats (median in brackets); the first epoch traces and fills
the cache. The last column says whether the repeats of a side logged the same
losses (deterministic ones must).

    python benchmarks/determinism.py                       # alexnet, 48 px, 3,000 images
    python benchmarks/determinism.py --images 1000 --epochs 3 --repeats 1
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
from pathlib import Path
from typing import Any

from common import FER, machine, need, table
from train_throughput import EpochTimer, TimingPlugin

import imgclf
from imgclf.testing import plugin_registered


def one_run(args: argparse.Namespace, deterministic: bool, out: Path) -> tuple[EpochTimer, Any]:
    """(epoch timer, run result) of one run of ``args`` with ``deterministic``."""
    from rich.console import Console

    timer = EpochTimer()
    with plugin_registered(TimingPlugin(timer), "benchmark-timer"):
        result = imgclf.run(
            "face-emotion", args.model, [str(need(FER / "train"))], image_size=args.size,
            epochs=args.epochs, patience=args.epochs, limit=args.images, report=[],
            output=out, seed=args.seed, deterministic=deterministic,
            console=Console(file=io.StringIO()),
        )  # fmt: skip
    return timer, result


def cpu_flags() -> str:
    """The vector-instruction flags of this CPU that TensorFlow's kernels use."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return "unknown"
    flags = set(
        next((ln for ln in text.splitlines() if ln.startswith("flags")), ":").split(":")[1].split()
    )
    wanted = ("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_bf16")
    return " ".join(f for f in wanted if f in flags) or "none of " + " ".join(wanted)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="alexnet")
    ap.add_argument("--size", type=int, default=48)
    ap.add_argument("--images", type=int, default=3000, help="a stratified sample of FER2013")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=2, help="runs per side, alternating")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    print(machine())
    print(f"CPU flags: {cpu_flags()}")
    seconds: dict[bool, list[float]] = {False: [], True: []}
    losses: dict[bool, list[list[float]]] = {False: [], True: []}
    n = 0
    with tempfile.TemporaryDirectory() as out:
        for _ in range(args.repeats):
            for deterministic in (False, True):
                timer, result = one_run(args, deterministic, Path(out))
                n = sum(result.result.config["data_summary"]["counts"]["train"].values())
                seconds[deterministic] += timer.train_seconds[1:]
                losses[deterministic].append(result.result.history["val_loss"])
    ips = {d: n / min(s) for d, s in seconds.items()}
    med = {d: n / statistics.median(s) for d, s in seconds.items()}
    rows = [
        (
            "on" if d else "off", n, f"{ips[d]:.1f} ({med[d]:.0f})", f"{ips[d] / ips[False]:.3f}",
            "yes" if all(v == losses[d][0] for v in losses[d]) else "no",
        )
        for d in (False, True)
    ]  # fmt: skip
    print(f"{args.model} at {args.size} px, {args.epochs} epochs x {args.repeats} runs per side")
    print(table(HEADER, rows))


HEADER = ["--deterministic", "train images", "img/s (median)", "ratio to off", "same losses"]

if __name__ == "__main__":
    main()
