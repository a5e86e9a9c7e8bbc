"""A witness of the chain's newest checkpoint, kept outside the database.

Signed checkpoints in the database catch a chain cut short below the newest of them; someone
who can write the tables can also remove the checkpoints with the links (or empty all three
tables), and then nothing left in the database says the trail was longer. So the sealer also
hands each run's newest checkpoint to a witness outside the database (the cache, that is Redis
in production, and a log line for the log pipeline), and :func:`audit.chain.verify` requires
the chain to still reach the witnessed link with the witnessed hash.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

from django.core.cache import cache

logger = logging.getLogger(__name__)

CACHE_KEY = "audit:witnessed-checkpoint"


@dataclass(frozen=True)
class Witnessed:
    position: int
    hash: str
    key_id: str
    signature: str


def publish(checkpoint: Witnessed, *, replace: bool = False) -> None:
    """Keep ``checkpoint`` as the witnessed one unless a newer one is there (one sealer at a
    time, so the newest run wins; ``replace``: even then, after a restore). A witness that
    cannot be reached is logged, not fatal: the checkpoint is in the database and in the log
    line."""
    logger.info(
        "audit checkpoint",
        extra={"event": "audit.checkpoint", **asdict(checkpoint)},
    )
    try:
        current = newest()
        if replace or current is None or checkpoint.position >= current.position:
            cache.set(CACHE_KEY, asdict(checkpoint), timeout=None)
    except Exception:  # the cache down must not stop the sealer
        logger.warning(
            "audit checkpoint not witnessed: the cache is unavailable",
            extra={"event": "audit.witness_unavailable", "position": checkpoint.position},
            exc_info=True,
        )


def newest() -> Witnessed | None:
    value = cache.get(CACHE_KEY)
    if not isinstance(value, dict):
        return None
    try:
        return Witnessed(
            position=int(value["position"]),
            hash=str(value["hash"]),
            key_id=str(value["key_id"]),
            signature=str(value["signature"]),
        )
    except (KeyError, TypeError, ValueError):
        return Witnessed(position=0, hash="", key_id="", signature="")
