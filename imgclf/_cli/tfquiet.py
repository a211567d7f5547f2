"""The CLI's commands import TensorFlow quietly as the API does (``imgclf/_tfquiet.py``:
the mechanism, ``IMGCLF_TF_LOGS=1`` to see the lines)."""

from __future__ import annotations

from .._tfquiet import import_tensorflow_quietly as import_tensorflow_quietly
