"""Backing services: database, cache and sessions, channel layer, Celery.

Each is embedded when its variable is unset, real when it is set.
"""

from typing import Any

from hospital.settings.base import IS_PRODUCTION, VAR_DIR, env
from hospital.settings.environment import (
    ConfigurationError,
    parse_database_url,
    parse_service_url,
)

# --- Database -----------------------------------------------------------------
if env.is_set("DATABASE_URL"):
    _database: dict[str, Any] = parse_database_url("DATABASE_URL", env.get_str("DATABASE_URL"))
elif IS_PRODUCTION:
    raise ConfigurationError("DATABASE_URL", "must point at PostgreSQL when DJANGO_ENV=production")
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _database = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(VAR_DIR / "db.sqlite3")}

_url_options: dict[str, Any] = _database.pop("OPTIONS", {})
if _database["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend with psycopg's C loader for timestamptz (core/db/postgresql/base.py).
    _database["ENGINE"] = "core.db.postgresql"
    # Django's psycopg pool: persistent connections under threaded or async servers
    # exhausted PostgreSQL's slots in our measurements, the pool did not. CONN_MAX_AGE
    # must stay 0 with a pool. (Not yet tried behind PgBouncer.)
    _database["CONN_MAX_AGE"] = 0
    # With a pool this is psycopg_pool's `check` (ConnectionPool.check_connection: an empty
    # query before a pooled connection is handed out), so connections PostgreSQL ended
    # (restart, pg_terminate_backend, failover) are replaced instead of failing the next
    # request. Django 5.2 passes `check` itself, so it cannot go in the pool dict below.
    _database["CONN_HEALTH_CHECKS"] = True
    # Querysets iterated with .iterator() (form choice fields, exports) otherwise open a named
    # server-side cursor: a DECLARE plus a FETCH round trip per 2,000 rows, for lists that are
    # small. Named cursors also only live inside one transaction on one server connection, so
    # behind PgBouncer in transaction pooling they fail ("cursor does not exist"); with this
    # the rows are read client-side, as every other queryset does.
    _database["DISABLE_SERVER_SIDE_CURSORS"] = True
    _database["OPTIONS"] = {
        # A host that does not answer fails a connection attempt after this long instead of
        # the kernel's minutes; a peer that vanishes is noticed by TCP keepalives while we wait
        # for a reply, and by the user timeout (ms) when what we sent is never acknowledged
        # (otherwise retransmissions last about 15 minutes, with a request hanging on them).
        # The URL's own query options (sslmode, connect_timeout, options ...) win over these.
        "connect_timeout": env.get_int("DATABASE_CONNECT_TIMEOUT", 5, minimum=1),
        "keepalives": 1,
        "keepalives_idle": 30,
        "keepalives_interval": 10,
        "keepalives_count": 3,
        "tcp_user_timeout": 10_000,
        **_url_options,
        "pool": {
            "min_size": env.get_int("DATABASE_POOL_MIN_SIZE", 1),
            "max_size": env.get_int("DATABASE_POOL_MAX_SIZE", 10, minimum=1),
            # How long a request waits for a connection before it answers 503 with Retry-After
            # (core.unavailable). The server runs as many threads per worker as the pool has
            # connections (hospital.serve), so under load a request finds one free at once and
            # excess requests wait in the listening socket instead; this wait only runs out
            # while connections are being replaced (PostgreSQL restarted, backends ended) or
            # when something else (a management command, more threads) shares the pool. Short,
            # so that a client learns in 2 s, not 10, to come back.
            "timeout": env.get_int("DATABASE_POOL_TIMEOUT", 2, minimum=1),
            # psycopg_pool retries a failed connection with exponential backoff until this
            # many seconds have passed (5 minutes by default, so after a long outage the next
            # attempt could be minutes away); a short window keeps the gaps short, and a
            # waiting request starts a new attempt as soon as one gives up.
            "reconnect_timeout": env.get_int("DATABASE_POOL_RECONNECT_TIMEOUT", 10, minimum=1),
        },
    }
else:
    # IMMEDIATE transactions take SQLite's write lock at BEGIN, so a
    # check-then-write inside one transaction is atomic; WAL lets readers proceed.
    _database["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        **_url_options,
    }
_database["ATOMIC_REQUESTS"] = False
DATABASES = {"default": _database}

# Two roles (core/db/roles.py): DATABASE_URL names the application's, which may read and
# write rows but not change the schema, and only insert and read the audit trail;
# DATABASE_MIGRATE_URL names the owner of the tables, which `manage.py migrate` connects as
# (and then grants the application's role). The servers and workers never need the owner's.
DATABASE_OWNER: dict[str, str] | None = None
DATABASE_APP_ROLE = ""
if env.is_set("DATABASE_MIGRATE_URL"):
    _owner = parse_database_url("DATABASE_MIGRATE_URL", env.get_str("DATABASE_MIGRATE_URL"))
    if _database["ENGINE"] != "core.db.postgresql" or _owner["ENGINE"] != (
        "django.db.backends.postgresql"
    ):
        raise ConfigurationError(
            "DATABASE_MIGRATE_URL", "needs DATABASE_URL and itself to point at PostgreSQL"
        )
    if _owner["NAME"] != _database["NAME"]:
        raise ConfigurationError(
            "DATABASE_MIGRATE_URL",
            f"must name the same database as DATABASE_URL ({_database['NAME']!r})",
        )
    if not _owner["USER"] or not _database["USER"] or _owner["USER"] == _database["USER"]:
        raise ConfigurationError(
            "DATABASE_MIGRATE_URL",
            "must name the owner role, another user than DATABASE_URL's (the application's)",
        )
    DATABASE_OWNER = {key: str(_owner[key]) for key in ("USER", "PASSWORD", "HOST", "PORT")}
    DATABASE_APP_ROLE = str(_database["USER"])

# --- Redis: cache, sessions, channel layer ---------------------------------------
REDIS_URL = (
    parse_service_url("REDIS_URL", env.get_str("REDIS_URL"), ("redis", "rediss", "unix"))
    if env.is_set("REDIS_URL")
    else ""
)
# One Redis, separated by key prefix: cache, sessions, channel layer (and later
# rate limits and Celery results) never collide and can be flushed apart.
REDIS_KEY_PREFIX = env.get_str("REDIS_KEY_PREFIX", "hospital")

if REDIS_URL:
    CACHES = {
        "default": {
            # Django's backend, keeping one Redis client per pool (core/cache.py).
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": f"{REDIS_KEY_PREFIX}:cache",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        },
    }
    # Sessions survive a Redis restart through the database copy.
    # Django's cached_db, reading the signed-in user's cached row in the same round trip.
    SESSION_ENGINE = "accounts.session_store"
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        # redis-py 8 reads with a 5 s timeout by default: exactly the 5 s the
                        # layer's blocking receive (BZPOPMIN) waits for a message, so an idle
                        # socket's receive failed and its consumer died. Longer than that wait.
                        "socket_timeout": 15,
                        "socket_connect_timeout": 2,
                        # redis-py 8 allows 100 connections per pool by default; a process
                        # with a thousand sockets joining and leaving groups needs more.
                        "max_connections": 2000,
                    }
                ],
                "prefix": f"{REDIS_KEY_PREFIX}:channels",
            },
        },
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Celery ---------------------------------------------------------------------
CELERY_BROKER_URL = (
    parse_service_url(
        "CELERY_BROKER_URL",
        env.get_str("CELERY_BROKER_URL"),
        ("amqp", "amqps", "pyamqp", "redis", "rediss"),
    )
    if env.is_set("CELERY_BROKER_URL")
    else ""
)
# Without a broker, tasks run in-process at .delay() time (the embedded default).
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
