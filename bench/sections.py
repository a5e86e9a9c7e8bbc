"""docs/benchmarks.md is written by several commands: `make bench` writes the page, and the
others (`make bench-notifications`, `make bench-front-desk`) each own a section between two
marks, which the others keep."""

from __future__ import annotations

from pathlib import Path


def write_section(page: Path, start: str, end: str, section: str) -> None:
    """``section`` (which begins with ``start`` and ends with ``end``) in place of the page's
    section between those marks, or at its end when it has none yet."""
    text = page.read_text() if page.exists() else "# Benchmarks\n"
    if start in text and end in text:
        before, _, rest = text.partition(start)
        _, _, after = rest.partition(end)
        text = before + section + after
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    page.write_text(text)
