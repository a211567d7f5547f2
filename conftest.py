"""Settings for the whole test suite: core tests (tests/) and the plugins' tests.

Every run in the tests is deterministic (``--deterministic``, see imgclf/determinism.py)
unless a test says otherwise, so a failure repeats; subprocesses inherit it.
"""

import os

os.environ.setdefault("IMGCLF_DETERMINISTIC", "1")
