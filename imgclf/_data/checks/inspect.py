"""Image files inspected once: content hash, format, mode, size, EXIF orientation, and
which decoder reads them.

A file is *unreadable* when Pillow cannot decode it (empty, truncated, not an
image). A readable file is decoded by TensorFlow in the pipeline unless TensorFlow
rejects it (a PNG without its end chunk, a TIFF named ``.png``) or it carries an
EXIF orientation, which ``tf.io`` ignores: those go through Pillow, rotated as
the camera meant. Results are cached per file by (size, mtime) in
``$IMGCLF_CACHE_DIR/check-cache.json`` (default ``~/.cache/imgclf``), so a second
run over the same data only stats the files.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any

from ..._files import atomic_write_text

CACHE_VERSION = 1
ORIENTATION_TAG = 0x0112


@dataclass
class FileInfo:
    """What the pre-flight knows about one file; ``error`` empty when readable."""

    path: str
    size: int = 0
    mtime: int = 0
    sha1: str = ""
    format: str = ""
    mode: str = ""
    width: int = 0
    height: int = 0
    orientation: int = 1
    decoder: str = ""  # "tf", "pillow", or "" when unreadable
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error

    @property
    def rotated(self) -> bool:
        return self.orientation not in (0, 1)


def _looks_like_text(data: bytes) -> bool:
    head = data[:512]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(b >= 32 or b in b"\t\r\n" for b in head)


def _pillow_check(info: FileInfo, data: bytes) -> str:
    """Fill format/mode/size/orientation and decode once; return an error or ''."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as im:
            info.format, info.mode = im.format or "", im.mode
            info.width, info.height = im.size
            try:
                info.orientation = int(im.getexif().get(ORIENTATION_TAG, 1) or 1)
            except Exception:  # a broken EXIF block does not make the pixels unreadable
                info.orientation = 1
            if im.format == "JPEG":  # decode at 1/8 scale: every byte is still checked
                im.draft("RGB", (max(1, im.width // 8), max(1, im.height // 8)))
            im.load()
    except UnidentifiedImageError:
        if _looks_like_text(data):
            return "a text file, not an image"
        return "not an image (no known image format)"
    except Image.DecompressionBombError:
        return f"too large to decode safely ({info.width}x{info.height} pixels)"
    except Exception as exc:  # Pillow raises OSError, SyntaxError, ValueError, ...
        return f"truncated or corrupt image data ({exc})"
    return ""


def _tf_decodes(data: bytes) -> bool:
    """Whether ``tf.io.decode_image`` (what the pipeline uses) accepts the bytes."""
    import tensorflow as tf

    try:
        tf.io.decode_image(data, channels=3, expand_animations=False)
    except (tf.errors.OpError, ValueError):
        return False
    return True


def inspect_file(path: str) -> FileInfo:
    """Hash, header and a trial decode of one file (no cache)."""
    info = FileInfo(str(path))
    try:
        st = os.stat(path)
        info.size, info.mtime = st.st_size, st.st_mtime_ns
        data = Path(path).read_bytes()
    except OSError as exc:
        info.error = f"cannot read the file ({exc.strerror or exc})"
        return info
    info.sha1 = hashlib.sha1(data).hexdigest()
    if not data:
        info.error = "empty file (0 bytes)"
        return info
    info.error = _pillow_check(info, data)
    if not info.error:
        info.decoder = "pillow" if info.rotated or not _tf_decodes(data) else "tf"
    return info


def cache_file() -> Path:
    """``$IMGCLF_CACHE_DIR/check-cache.json``, default ``~/.cache/imgclf/check-cache.json``."""
    root = os.environ.get("IMGCLF_CACHE_DIR") or Path.home() / ".cache" / "imgclf"
    return Path(root) / "check-cache.json"


#: cache file -> (its mtime, its entries): one parse per process while it is unchanged
_LOADED: dict[Path, tuple[int, dict[str, list[Any]]]] = {}


def _load_entries(path: Path) -> dict[str, list[Any]]:
    try:
        mtime = path.stat().st_mtime_ns
        if path in _LOADED and _LOADED[path][0] == mtime:
            return dict(_LOADED[path][1])
        raw = json.loads(path.read_text(encoding="utf-8"))
        entries = raw.get("files", {}) if raw.get("version") == CACHE_VERSION else {}
    except (OSError, ValueError, AttributeError):
        return {}  # no cache yet, or an unreadable one: start afresh
    _LOADED[path] = (mtime, entries)
    return dict(entries)


class InspectCache:
    """Absolute path -> FileInfo fields, valid while the file's size and mtime match."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or cache_file()
        self.entries = _load_entries(self.path)
        self.seen: set[str] = set()
        self.dirty = False

    def get(self, path: str, st: os.stat_result) -> FileInfo | None:
        key = os.path.abspath(path)
        self.seen.add(key)
        row = self.entries.get(key)
        if not row or row[0] != st.st_size or row[1] != st.st_mtime_ns:
            return None
        try:
            return FileInfo(str(path), *row)
        except TypeError:
            return None

    def put(self, info: FileInfo) -> None:
        if info.error.startswith("cannot read"):
            return  # permissions and vanished files may change without a new mtime
        key = os.path.abspath(info.path)
        self.seen.add(key)
        self.entries[key] = list(astuple(info))[1:]
        self.dirty = True

    def save(self) -> None:
        """Write atomically, dropping entries of files that no longer exist."""
        if not self.dirty:
            return
        files = {k: v for k, v in self.entries.items() if k in self.seen or os.path.exists(k)}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            text = json.dumps({"version": CACHE_VERSION, "files": files}, separators=(",", ":"))
            atomic_write_text(self.path, text)
            _LOADED[self.path] = (self.path.stat().st_mtime_ns, files)
        except OSError:
            pass  # a read-only home must not stop a run; the next one re-inspects


def inspect_files(paths: Iterable[str], console: Any = None) -> dict[str, FileInfo]:
    """FileInfo for every path, from the cache where the file is unchanged."""
    cache = InspectCache()
    out: dict[str, FileInfo] = {}
    todo: list[str] = []
    for p in dict.fromkeys(str(p) for p in paths):
        try:
            hit = cache.get(p, os.stat(p))
        except OSError as exc:
            out[p] = FileInfo(p, error=f"cannot read the file ({exc.strerror or exc})")
            continue
        if hit:
            out[p] = hit
        else:
            todo.append(p)
    if todo:
        _inspect_uncached(todo, cache, out, console)
        cache.save()
    return out


def _inspect_uncached(
    todo: list[str], cache: InspectCache, out: dict[str, FileInfo], console: Any
) -> None:
    workers = min(8, 2 * (os.cpu_count() or 1))
    with ThreadPoolExecutor(workers) as pool:
        results: Iterable[FileInfo] = pool.map(inspect_file, todo)
        if console is not None and len(todo) > 500:
            from rich.progress import track

            results = track(
                results, total=len(todo), console=console, transient=True,
                description=f"Checking {len(todo)} image files",
            )  # fmt: skip
        for info in results:
            cache.put(info)
            out[info.path] = info


def pillow_pixels(path: str) -> Any:
    """H x W x 3 uint8 pixels through Pillow, EXIF orientation applied; 16-bit scaled."""
    import numpy as np
    from PIL import Image, ImageOps

    with Image.open(path) as opened:
        im = ImageOps.exif_transpose(opened)
        if im.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N", "F"):
            scale = 1.0 if im.mode == "F" else 257.0
            gray = np.asarray(im, dtype="float32") / scale
            gray = np.clip(np.round(gray), 0, 255).astype("uint8")
            return np.repeat(gray[..., None], 3, axis=2)
        return np.asarray(im.convert("RGB"), dtype="uint8")
