"""NELLM settings: everything that varies between machines comes from the environment.

The embedded default (no variable set) is the demo: SQLite, the in-memory channel layer and
in-process generation. Production sets DEBUG=0 and must then provide SECRET_KEY.
"""

from __future__ import annotations

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from .proxy import trusted_networks

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A .env file is a convenience for developers; real deployments pass the environment.
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "django-insecure-nellm-demo-only-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DEBUG=0 needs SECRET_KEY: refusing to start without it.")
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "marketplace",
    "negotiation",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "nellm_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = None
ASGI_APPLICATION = "nellm_site.asgi.application"

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Connections are kept (per thread: the sockets' pool, the worker's threads) instead of opened per
# request: on PostgreSQL every new connection is a server process, which cost ~19 ms of server CPU
# per chat handshake and ~5 ms per reply (benchmarks/RESULTS.md). Health checks drop one the
# server closed before it is used.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default serves many buyers at once from threads of one process. SQLite's
    # defaults (rollback journal, deferred transactions, 5 s timeout) make a reader block the
    # writers and let two transactions that read first deadlock on upgrading their lock, which
    # fails at once with "database is locked" whatever the timeout. WAL lets reads run beside the
    # one writer; IMMEDIATE takes the write lock when a transaction begins, so writers queue for
    # it (up to the timeout) instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("NELLM_SQLITE_TIMEOUT", default=30),
        }
    )
# Separate test databases let several checkouts run the suite on one server at once.
DATABASES["default"]["TEST"] = {"NAME": env.str("NELLM_TEST_DB", default=None)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, cache, Celery ---------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Events queued for one web process before the layer starts dropping them. channels_redis keeps
# every socket of a process in one Redis queue, and a streamed reply is one event per word, so
# the default of 100 drops a reply's events when many buyers are answered at once.
CHANNEL_CAPACITY = env.int("NELLM_CHANNEL_CAPACITY", default=5000)
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # channels_redis blocks 5 s per receive (BZPOPMIN); redis-py's default 5 s socket
                # timeout would cut that read and drop every idle WebSocket after 5 s.
                # redis-py's pool holds 100 connections and then refuses (it never waits): a storm
                # of handshakes, two group joins each, failed beyond ~50 at once.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": 30,
                        "socket_connect_timeout": 5,
                        "max_connections": env.int("NELLM_CHANNEL_MAX_CONNECTIONS", default=2000),
                    }
                ],
                "prefix": env.str("CHANNELS_PREFIX", default="nellm"),
                "capacity": CHANNEL_CAPACITY,
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "nellm_site.cache.RedisCache",  # Django's, one client per pool
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_PREFIX", default="nellm"),
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels.layers.InMemoryChannelLayer",
            "CONFIG": {"capacity": CHANNEL_CAPACITY},
        }
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Without a broker, generation runs in a thread pool inside the web process (the demo).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ROUTES = {"negotiation.tasks.reply_generate": {"queue": "generation"}}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup closes every database connection before and after each task unless this
# is set (celery/fixups/django.py): a new PostgreSQL server process per reply, ~50 a second at 40
# replies/s and most of PostgreSQL's CPU. With connections kept, Django's own rule decides around
# each task instead (DB_CONN_MAX_AGE, health checks: nellm_site/celery.py).
CELERY_DB_REUSE_MAX = 10**9 if DATABASES["default"]["CONN_MAX_AGE"] else None
NELLM_INPROCESS_GENERATION = env.bool("NELLM_INPROCESS_GENERATION", default=not REDIS_URL)

# --- MongoDB export -------------------------------------------------------------------------------
MONGODB_URI = env.str("MONGODB_URI", default="")
MONGODB_DB = env.str("MONGODB_DB", default="nellm")

# --- Generation -----------------------------------------------------------------------------------
# "rules": the fast Korean realizer; "llm": a fine-tuned GPT-NeoX (base + LoRA adapter) on this
# worker's GPU, every pending reply decoded in one batch; "openai": the merged model (or any
# other) behind an OpenAI-compatible server such as vLLM (docs/MODEL.md).
NELLM_BACKEND = env.str("NELLM_BACKEND", default="rules")
# Or "package.module:factory", a generator of one's own (negotiation/generators.py).
if NELLM_BACKEND not in {"rules", "llm", "openai"} and ":" not in NELLM_BACKEND:
    raise ImproperlyConfigured(
        f"NELLM_BACKEND must be 'rules', 'llm', 'openai' or 'module:factory', not {NELLM_BACKEND!r}."
    )
NELLM_BASE_MODEL = env.str("NELLM_BASE_MODEL", default="")
NELLM_ADAPTER = env.str("NELLM_ADAPTER", default="")
NELLM_LOAD_IN_4BIT = env.bool("NELLM_LOAD_IN_4BIT", default=True)
NELLM_BATCH_SLOTS = env.int("NELLM_BATCH_SLOTS", default=32)  # replies decoded together on the GPU
NELLM_OPENAI_BASE_URL = env.str("NELLM_OPENAI_BASE_URL", default="").rstrip("/")
NELLM_OPENAI_MODEL = env.str("NELLM_OPENAI_MODEL", default="")
NELLM_OPENAI_API_KEY = env.str("NELLM_OPENAI_API_KEY", default="")
NELLM_OPENAI_API = env.str("NELLM_OPENAI_API", default="completions")  # or "chat"
NELLM_OPENAI_TIMEOUT = env.float("NELLM_OPENAI_TIMEOUT", default=10.0)  # connect / between chunks, s
if NELLM_BACKEND == "openai" and not (NELLM_OPENAI_BASE_URL and NELLM_OPENAI_MODEL):
    raise ImproperlyConfigured(
        "NELLM_BACKEND=openai needs NELLM_OPENAI_BASE_URL (e.g. http://vllm:8000/v1) and NELLM_OPENAI_MODEL."
    )

# --- Chat (negotiation app) ----------------------------------------------------------------------
NELLM_GENERATION_QUEUE = env.str("NELLM_GENERATION_QUEUE", default="generation")
NELLM_INPROCESS_WORKERS = env.int("NELLM_INPROCESS_WORKERS", default=4)
NELLM_CHAT_MAX_LENGTH = env.int("NELLM_CHAT_MAX_LENGTH", default=500)
NELLM_CHAT_RATE_LIMIT = env.int("NELLM_CHAT_RATE_LIMIT", default=8)  # messages per window per user
NELLM_CHAT_RATE_WINDOW = env.int("NELLM_CHAT_RATE_WINDOW", default=30)  # seconds
# Every received frame counts, error frames included: per socket and per user (all their sockets
# in this web process) in each window; over either, the socket is closed (4429).
NELLM_CHAT_FRAME_LIMIT = env.int("NELLM_CHAT_FRAME_LIMIT", default=20)
NELLM_CHAT_FRAME_USER_LIMIT = env.int("NELLM_CHAT_FRAME_USER_LIMIT", default=40)
NELLM_CHAT_FRAME_WINDOW = env.int("NELLM_CHAT_FRAME_WINDOW", default=10)  # seconds
# Connects per user and per client address (the real one behind the proxy) in each window,
# counted in the cache across web processes; chat sockets open at once per user per web process.
NELLM_CHAT_CONNECT_LIMIT = env.int("NELLM_CHAT_CONNECT_LIMIT", default=30)
NELLM_CHAT_CONNECT_IP_LIMIT = env.int("NELLM_CHAT_CONNECT_IP_LIMIT", default=300)
NELLM_CHAT_CONNECT_WINDOW = env.int("NELLM_CHAT_CONNECT_WINDOW", default=60)  # seconds
NELLM_CHAT_SOCKETS_PER_USER = env.int("NELLM_CHAT_SOCKETS_PER_USER", default=8)
# A socket re-checks its user's account and session on every write it takes, and before a push
# once this many seconds have passed since its last check.
NELLM_CHAT_AUTH_RECHECK_SECONDS = env.int("NELLM_CHAT_AUTH_RECHECK_SECONDS", default=30)
# Threads for the chat sockets' database calls (one slow chat must not hold the others).
NELLM_CHAT_DB_THREADS = env.int("NELLM_CHAT_DB_THREADS", default=16)
# Another buyer's final offer counts as a standing offer this long (seconds) while their chat is open.
NELLM_STANDING_OFFER_TTL = env.int("NELLM_STANDING_OFFER_TTL", default=24 * 3600)
# Accounts this young whose final offers on a listing were turned down count as probes of its
# price: each raises the listing's secret acceptance line a little (`mlcore.negotiator.reserve`).
NELLM_PROBE_ACCOUNT_AGE_DAYS = env.int("NELLM_PROBE_ACCOUNT_AGE_DAYS", default=7)
# The chat page's typing pace: it reveals a reply word by word, this many ms a word (0: at once).
# Presentation only: the server sends each piece as soon as it is written and holds no worker for it.
NELLM_STREAM_DELAY_MS = env.int("NELLM_STREAM_DELAY_MS", default=40)
# A reply is streamed (typing, chunks, its text so far kept for clients that reconnect) once it has
# taken this long; a quicker one goes out whole as its stored message (the page still paces it).
NELLM_STREAM_PARTIAL_AFTER_MS = env.int("NELLM_STREAM_PARTIAL_AFTER_MS", default=100)
# A generation refreshes its lock while it streams; a lock left by a dead worker expires after this.
NELLM_REPLY_LOCK_TTL = env.int("NELLM_REPLY_LOCK_TTL", default=20)
# A buyer message unanswered this long with no live generation is re-queued by the sweeper.
NELLM_REPLY_STALE_SECONDS = env.int("NELLM_REPLY_STALE_SECONDS", default=30)
# --- Training export (manage.py export_chats, and daily from Celery beat) ---------------------------
# The file the daily export merges into (confidential: it carries floor prices).
NELLM_EXPORT_PATH = env.str("NELLM_EXPORT_PATH", default=str(BASE_DIR / "exports" / "dialogues.jsonl"))
# Local time (TIME_ZONE) of the daily export, HH:MM.
NELLM_EXPORT_AT = env.str("NELLM_EXPORT_AT", default="04:00")
# Chats with fewer buyer turns than this are too short to learn haggling from.
NELLM_EXPORT_MIN_BUYER_TURNS = env.int("NELLM_EXPORT_MIN_BUYER_TURNS", default=2)
# A run covers chats ended until this long ago, so a reply whose commit lags its timestamp is
# not skipped by one run and before the next one's start.
NELLM_EXPORT_SETTLE_SECONDS = env.int("NELLM_EXPORT_SETTLE_SECONDS", default=10)
try:
    _export_hour, _export_minute = (int(part) for part in NELLM_EXPORT_AT.split(":"))
    if not (0 <= _export_hour < 24 and 0 <= _export_minute < 60):
        raise ValueError
except ValueError:
    raise ImproperlyConfigured(f"NELLM_EXPORT_AT must be HH:MM, not {NELLM_EXPORT_AT!r}.") from None

CELERY_BEAT_SCHEDULE = {
    "negotiation-pending-sweep": {"task": "negotiation.tasks.pending_sweep", "schedule": 30.0},
    "negotiation-export-chats": {
        "task": "negotiation.tasks.chats_export_daily",
        "schedule": crontab(hour=_export_hour, minute=_export_minute),
    },
}

# --- Behind the TLS proxy ------------------------------------------------------------------------
# Addresses or networks of the proxies whose X-Forwarded-For / -Proto are believed (empty: none,
# the demo serves clients directly). Every throttle keys on the address this resolves to.
NELLM_TRUSTED_PROXIES = env.list("NELLM_TRUSTED_PROXIES", default=[])
try:
    trusted_networks(tuple(NELLM_TRUSTED_PROXIES))
except ValueError as _error:
    raise ImproperlyConfigured(f"NELLM_TRUSTED_PROXIES: {_error}") from None

# --- Auth ---------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "listing_index"
LOGOUT_REDIRECT_URL = "listing_index"
# Failed logins per username and address; per username from anywhere; per address for any user.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_USER_LIMIT = env.int("LOGIN_FAILURE_USER_LIMIT", default=30)
LOGIN_FAILURE_IP_LIMIT = env.int("LOGIN_FAILURE_IP_LIMIT", default=50)
LOGIN_FAILURE_WINDOW = env.int("LOGIN_FAILURE_WINDOW", default=15 * 60)
# Sign-ups per address: fresh accounts are what probing a listing's price takes.
SIGNUP_LIMIT = env.int("SIGNUP_LIMIT", default=5)
SIGNUP_WINDOW = env.int("SIGNUP_WINDOW", default=3600)

# --- I18N ---------------------------------------------------------------------------------------
LANGUAGE_CODE = "ko-kr"
LANGUAGES = [("ko", "한국어")]
TIME_ZONE = "Asia/Seoul"
CELERY_TIMEZONE = TIME_ZONE  # beat's crontab entries (NELLM_EXPORT_AT) are local time
USE_I18N = True
USE_TZ = True

# --- Static and media ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Media is served by the app too (no CDN, no separate web server in the demo).
NELLM_SERVE_MEDIA = env.bool("NELLM_SERVE_MEDIA", default=True)
# Pixels an uploaded photo may declare: decoding costs about 4 bytes a pixel whatever the file's
# size (a 5 KB 1-bit PNG can declare 40 MP), so this caps what one upload costs the web process.
NELLM_PHOTO_MAX_PIXELS = env.int("NELLM_PHOTO_MAX_PIXELS", default=12_000_000)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024

# --- Security: production defaults follow DEBUG -------------------------------------------------
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
# X-Forwarded-Proto only ever reaches Django from a trusted proxy (nellm_site/proxy.py strips it
# from everyone else).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}
