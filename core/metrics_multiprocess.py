"""Start-up of multi-process metrics: empty PROMETHEUS_MULTIPROC_DIR before the workers start.

prometheus_client keeps each process's metrics in ``<kind>_<pid>.db`` files there, and a
scrape adds up every file. Files left by an earlier run would be added too (counters that
never reset, and a reused pid writing into an old file), so the directory is emptied when the
server starts, before any worker exists, never while workers run.

    python -m core.metrics_multiprocess      # empties $PROMETHEUS_MULTIPROC_DIR, then exit 0

Only the standard library: it runs in the launcher, before Django or granian start.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def reset_directory(directory: str | os.PathLike[str]) -> int:
    """Create ``directory`` if need be and delete the metrics files in it (``*.db``; nothing
    else is touched). Returns how many files were deleted."""
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    deleted = 0
    for metrics_file in path.glob("*.db"):
        if metrics_file.is_file():
            metrics_file.unlink(missing_ok=True)
            deleted += 1
    return deleted


def reset_from_environment(environ: dict[str, str] | None = None) -> int | None:
    """Empty the directory PROMETHEUS_MULTIPROC_DIR names; None when it names none."""
    directory = (os.environ if environ is None else environ).get(VARIABLE, "").strip()
    return reset_directory(directory) if directory else None


def main() -> None:
    try:
        deleted = reset_from_environment()
    except OSError as error:
        raise SystemExit(f"Configuration error: {VARIABLE}: {error.strerror}") from None
    if deleted is None:
        print(f"{VARIABLE} is not set: one process, nothing to reset.")
    else:
        print(f"{VARIABLE}: {deleted} metrics file(s) removed.")


if __name__ == "__main__":
    main()
    sys.exit(0)
