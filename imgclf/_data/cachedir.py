"""Folders derived from a data set once and kept under the imgclf cache directory.

Some data sets ship pixels inside a table (FER2013's ``fer2013.csv``) while the
pipeline streams files. ``cached_folder`` writes such files once, keyed by the
content they come from, and reuses them in later runs. The folder is built under
a temporary name and renamed into place when complete, so an interrupted build
is never taken for a finished one (its leftovers are removed by a later build).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

#: A temporary build folder older than this is an interrupted build, not a running one.
STALE_SECONDS = 3600


def cache_root() -> Path:
    """``$IMGCLF_CACHE_DIR``, default ``~/.cache/imgclf`` (as the pre-flight's cache)."""
    return Path(os.environ.get("IMGCLF_CACHE_DIR") or Path.home() / ".cache" / "imgclf")


def file_digest(path: str | Path, chunk: int = 1 << 20) -> str:
    """The SHA-256 of a file's content, hex (read in chunks: big files are fine)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def cached_folder(kind: str, key: str, build: Callable[[Path], None]) -> Path:
    """``<cache>/<kind>/<key>``, built by ``build(folder)`` the first time.

    ``build`` writes into an empty temporary folder beside the final one; only a
    build that returns is renamed into place. ``key`` should name the content the
    files come from (e.g. ``file_digest`` of the source), so a changed source gets
    a fresh folder.
    """
    final = cache_root() / kind / key
    if final.is_dir():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    for stale in final.parent.glob(f".{key}.*.tmp"):
        if time.time() - stale.stat().st_mtime > STALE_SECONDS:  # an interrupted build
            shutil.rmtree(stale, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{key}.", suffix=".tmp"))
    try:
        build(tmp)
        os.replace(tmp, final)
    except OSError:
        if final.is_dir():  # another process finished the same folder first
            shutil.rmtree(tmp, ignore_errors=True)
            return final
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final
