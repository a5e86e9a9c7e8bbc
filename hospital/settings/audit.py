"""The audit chain's keys and rhythm (audit/chain.py)."""

import datetime
import hashlib

from hospital.settings.base import IS_PRODUCTION, SECRET_KEY, env
from hospital.settings.environment import ConfigurationError

# "id:secret" pairs separated by commas; the first signs new links and checkpoints, the
# others still verify the links they signed. Outside the database by design: whoever can
# write the audit tables cannot forge a link without it.
_DEVELOPMENT_AUDIT_KEY = "dev:" + hashlib.sha256(f"audit-chain:{SECRET_KEY}".encode()).hexdigest()
_audit_keys = env.get_str("AUDIT_CHAIN_KEYS", "" if IS_PRODUCTION else _DEVELOPMENT_AUDIT_KEY)
AUDIT_CHAIN_KEYS: dict[str, str] = {}
for _pair in filter(None, (part.strip() for part in _audit_keys.split(","))):
    _key_id, _, _secret = _pair.partition(":")
    if not _key_id or len(_key_id) > 32 or len(_secret) < 32 or _key_id in AUDIT_CHAIN_KEYS:
        raise ConfigurationError(
            "AUDIT_CHAIN_KEYS",
            "must be id:secret pairs separated by commas, ids unique and at most 32 "
            "characters, secrets at least 32 characters",
        )
    AUDIT_CHAIN_KEYS[_key_id] = _secret
if not AUDIT_CHAIN_KEYS:
    raise ConfigurationError("AUDIT_CHAIN_KEYS", "must be set when DJANGO_ENV=production")
# A signed checkpoint every this many links (and at the end of each sealing run that adds any).
AUDIT_CHECKPOINT_EVERY = env.get_int("AUDIT_CHECKPOINT_EVERY", 1000, minimum=1)
# How far behind the newest linked row the sealer looks for rows whose transaction committed
# late (in ids); a row further behind and unlinked is reported by audit_verify as inserted.
AUDIT_LATE_WINDOW = env.get_int("AUDIT_LATE_WINDOW", 100_000, minimum=1)
# Celery beat: link new rows every AUDIT_SEAL_SECONDS; verify from the newest good checkpoint
# every AUDIT_VERIFY_SECONDS (a broken chain is logged as an error: alert on it).
AUDIT_SEAL_SECONDS = env.get_int("AUDIT_SEAL_SECONDS", 5, minimum=1)
AUDIT_VERIFY_SECONDS = env.get_int("AUDIT_VERIFY_SECONDS", 3600, minimum=60)
AUDIT_BEAT_SCHEDULE = {
    "audit-seal-chain": {
        "task": "audit.tasks.seal_audit_chain",
        "schedule": datetime.timedelta(seconds=AUDIT_SEAL_SECONDS),
        "options": {"expires": AUDIT_SEAL_SECONDS},
    },
    "audit-verify-chain": {
        "task": "audit.tasks.verify_audit_chain",
        "schedule": datetime.timedelta(seconds=AUDIT_VERIFY_SECONDS),
        "options": {"expires": AUDIT_VERIFY_SECONDS},
    },
}
