"""Settings for the whole test suite: core tests (tests/) and the plugins' tests.

Every run in the tests is deterministic (``--deterministic``, see imgclf/determinism.py)
unless a test says otherwise, so a failure repeats; subprocesses inherit it. Mixed
precision ``auto`` trains in float32 under the tests, on any CPU.
"""

import os

os.environ.setdefault("IMGCLF_DETERMINISTIC", "1")
# --mixed-precision auto (the default) is float32 here, not bf16 on CPUs with AVX512_BF16
# or AMX: a test computes the same on every machine (imgclf/_training/precision.py).
os.environ.setdefault("IMGCLF_AUTO_PRECISION", "off")
# imgclf-mlflow, when installed, would log every test run to ./mlruns: off here; its
# own tests (plugins/mlflow/tests) switch it on against a temporary store.
os.environ.setdefault("IMGCLF_MLFLOW", "0")
