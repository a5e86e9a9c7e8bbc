"""Run manage.py in a child process with a controlled environment (for start-up behaviour)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Variables that configure the app; the child starts from none of them unless given.
_APP_VARIABLES = (
    "DJANGO_",
    "DATABASE_",
    "REDIS_",
    "CELERY_",
    "LOG_",
    "HOSPITAL_",
)

PRODUCTION_ENV = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": "x7$kq2!vP9zLr4@wN8cT1mB6yH3jF0sD5gA+eU-iO_Z(Ql)RtYb",
    "AUDIT_CHAIN_KEYS": "2026a:4f1c9e0b7d2a6e3f8c5b1a9d0e7f2c4b6a8d3e1f",
    "DJANGO_ALLOWED_HOSTS": "hospital.example",
    "HOSPITAL_SITE_DOMAIN": "hospital.example",
    "DATABASE_URL": "postgres://hospital@127.0.0.1:5432/hospital",
}


def run_manage(
    *args: str, env: dict[str, str] | None = None, tmp_var: Path | None = None
) -> subprocess.CompletedProcess[str]:
    child_env = {k: v for k, v in os.environ.items() if not k.startswith(_APP_VARIABLES)}
    child_env.pop("PYTEST_CURRENT_TEST", None)
    if tmp_var is not None:
        child_env["HOSPITAL_VAR_DIR"] = str(tmp_var)
    child_env.update(env or {})
    return subprocess.run(  # noqa: S603 - fixed interpreter and script
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
