"""Process tuning applied once a server process has loaded the application.

The one definition of it: the entry points of the two server process types (hospital/wsgi.py
for HTTP, hospital/asgi.py for WebSockets) call ``tune_garbage_collector()`` after loading
Django; a second call in the same process does nothing.
"""

from __future__ import annotations

import gc

# Collections of the youngest generation every 2,000 net allocations (Python's default: 700):
# a request allocates tens of thousands of short-lived objects; a third of the young
# collections, for about the same time in the collector overall (slot search p95 35-53 ms
# against 38-60 ms with the default, three runs on a shared machine). The older generations
# keep Python's defaults (10, 10): they are what reclaims reference cycles that outlive a
# young collection (objects of requests still in progress on other threads when it ran).
#
# Not the 50,000/50/100 used before: with those a full collection came every 250 million
# allocations, so cyclic garbage piled up in the older generations between them. Measured
# with granian, 2 workers, wrk -c64 on the API mix for 2 minutes: RSS per worker grew
# 153 -> 288 MB (linearly, 1.5 MB/s, until the rare full collection) with 50,000/50/100;
# stayed at 137 MB with Python's defaults and 133 -> 142 MB with these (flat after 40 s).
GEN0_THRESHOLD = 2_000
GEN1_THRESHOLD = 10
GEN2_THRESHOLD = 10

_tuned = False


def tune_garbage_collector() -> None:
    """Freeze what start-up made (it lives as long as the process, ~135,000 objects: no full
    collection walks them again) and set the thresholds above. Once per process."""
    global _tuned
    if _tuned:
        return
    gc.collect()
    gc.freeze()
    gc.set_threshold(GEN0_THRESHOLD, GEN1_THRESHOLD, GEN2_THRESHOLD)
    _tuned = True
