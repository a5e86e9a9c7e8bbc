"""Process tuning applied once a server process has loaded the application."""

from __future__ import annotations

import gc

# Requests allocate many short-lived objects; with Python's default threshold (700) the
# collector runs constantly, and each full collection walks every object Django loaded at
# start-up. Measured on slot search (docs/benchmarks.md): p95 90 ms with the defaults,
# 34 ms with start-up objects frozen and these thresholds.
GEN0_THRESHOLD = 50_000
GEN1_THRESHOLD = 50
GEN2_THRESHOLD = 100


def tune_garbage_collector() -> None:
    """Freeze what start-up made (it lives as long as the process) and collect less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GEN0_THRESHOLD, GEN1_THRESHOLD, GEN2_THRESHOLD)
