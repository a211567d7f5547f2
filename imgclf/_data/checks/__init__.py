"""Checks of a data set's images: reading them (inspect), the ``imgclf data check``
report (check) and a run's pre-flight (decode check, duplicates, leakage)."""
