"""Import TensorFlow with its C++ start-up chatter (absl, CUDA probes) silenced.

Those lines go straight to file descriptor 2 before any logging setting applies;
the CLI hides them so the rich output stays readable. ``IMGCLF_TF_LOGS=1`` shows them.
"""

from __future__ import annotations

import os
import sys


def import_tensorflow_quietly() -> None:
    if os.environ.get("IMGCLF_TF_LOGS") == "1" or "tensorflow" in sys.modules:
        return
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
