"""Import TensorFlow with its C++ start-up chatter (absl, oneDNN, CUDA probes) hidden.

Those lines go straight to file descriptor 2, before any Python logging setting
applies and whatever ``TF_CPP_MIN_LOG_LEVEL`` says for some of them ("All log
messages before absl::InitializeLog() ...", the cuInit error of a machine without
a GPU). The CLI and the Python API both call ``import_tensorflow_quietly()`` before
TensorFlow's first import: it sets ``TF_CPP_MIN_LOG_LEVEL=2`` unless the user set it
(later INFO and WARNING lines), and holds fd 2 on /dev/null while TensorFlow loads
and looks for GPUs. ``IMGCLF_TF_LOGS=1``, or the user's own
``TF_CPP_MIN_LOG_LEVEL=0``, shows everything.
"""

from __future__ import annotations

import os
import sys

LOG_LEVEL = "TF_CPP_MIN_LOG_LEVEL"


def shows_tf_logs() -> bool:
    """The user asked to see TensorFlow's C++ lines."""
    return os.environ.get("IMGCLF_TF_LOGS") == "1" or os.environ.get(LOG_LEVEL) == "0"


def import_tensorflow_quietly() -> None:
    """Import TensorFlow (once; a no-op after) without its start-up lines on stderr."""
    if "tensorflow" in sys.modules:
        return
    if shows_tf_logs():
        return
    os.environ.setdefault(LOG_LEVEL, "2")
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow as tf

        tf.config.list_physical_devices("GPU")
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
