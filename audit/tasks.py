"""Celery beat keeps the chain (audit/chain.py): links new rows every few seconds, and
verifies from the newest good checkpoint every hour, logging a broken chain as an error."""

from __future__ import annotations

import logging

from celery import shared_task

from audit.chain import seal_pending, verify

logger = logging.getLogger(__name__)


@shared_task(name="audit.tasks.seal_audit_chain", soft_time_limit=120, time_limit=150)
def seal_audit_chain() -> int:
    """Link every unsealed row (one sealer at a time: a second one waits for the first)."""
    return seal_pending().linked


@shared_task(name="audit.tasks.verify_audit_chain", soft_time_limit=3000, time_limit=3300)
def verify_audit_chain() -> bool:
    """Verify from the newest good checkpoint; a broken chain is an error to alert on."""
    result = verify(resume=True)
    if result.broken is not None:
        logger.error(
            "audit chain broken",
            extra={
                "event": "audit.chain_broken",
                "position": result.broken.position,
                "audit_event_id": result.broken.event_id,
                "reason": result.broken.reason,
            },
        )
        return False
    logger.info(
        "audit chain verified",
        extra={
            "event": "audit.chain_verified",
            "links": result.checked,
            "unsealed": result.unsealed,
        },
    )
    return True
