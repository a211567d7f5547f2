"""Peak memory (RSS) of ``imgclf run`` on N and 10N images, and of the notebook way.

Each run is a separate process; its peak RSS (with any child processes) is
sampled every 0.1 s. imgclf keeps decoded images as uint8 in memory only while
they fit a 3 GiB budget (``--cache auto``) and streams them from a disk cache
(``--cache disk``) otherwise; the notebook way holds every image as float32.

    python benchmarks/memory.py --images 500
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time

import psutil
from common import LFW, machine, need, table

NOTEBOOK = """
import csv, sys, numpy as np
from PIL import Image
rows = list(csv.DictReader(open(sys.argv[1])))[: int(sys.argv[2])]
root = sys.argv[1].rsplit('/data/', 1)[0] + '/images/'
x = np.stack([np.asarray(Image.open(root + r['image']).convert('RGB').resize((128, 128)),
              dtype='float32') / 255 for r in rows])
import imgclf
net = imgclf.build_model('alexnet', 'face-emotion', (128, 128, 3))
net.compile(optimizer='adam', loss='sparse_categorical_crossentropy')
net.fit(x, np.zeros(len(x), 'int32'), batch_size=32, epochs=1, verbose=0)
"""


def peak_rss(cmd: list[str]) -> tuple[float, float, int]:
    """(peak RSS MB of the process tree, seconds, exit code)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    ps, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        try:
            procs = [ps, *ps.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in procs))
        except psutil.Error:
            pass
        time.sleep(0.1)
    if proc.returncode:
        print(proc.stderr.read().decode()[-2000:], file=sys.stderr)
    return peak / 1e6, time.perf_counter() - start, proc.returncode


def imgclf_cmd(n: int, cache: str, out: str) -> list[str]:
    return [
        sys.executable, "-m", "imgclf", "run", "face-emotion", "--model", "alexnet",
        "--data", str(LFW), "--image-size", "128", "--epochs", "1", "--limit", str(n),
        "--report", "none", "--output", out, "--set", f"cache={cache}", "--drop-leaked",
        "--set", "label_map.fear=", "--set", "label_map.contempt=",
    ]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=500, help="N (the second run takes 10N)")
    args = ap.parse_args()
    need(LFW)
    print(machine())
    rows = []
    with tempfile.TemporaryDirectory() as out:
        for n in (args.images, 10 * args.images):
            for cache in ("auto", "disk"):
                mb, s, rc = peak_rss(imgclf_cmd(n, cache, out))
                rows.append([f"imgclf run --cache {cache}", n, f"{mb:.0f}", f"{s:.0f}", rc])
            mb, s, rc = peak_rss([sys.executable, "-c", NOTEBOOK, str(LFW), str(n)])
            rows.append(["notebook (float32 arrays)", n, f"{mb:.0f}", f"{s:.0f}", rc])
    print(
        table(
            ["what (alexnet, 128x128, 1 epoch)", "images", "peak RSS MB", "seconds", "exit"], rows
        )
    )


if __name__ == "__main__":
    main()
