"""Settings for the test suite: real PostgreSQL and Redis when they answer on 127.0.0.1.

The app itself never probes (unset DATABASE_URL/REDIS_URL means SQLite and in-memory layers);
the suite does, so that CI and developers test against the real services this machine runs.
"""

from __future__ import annotations

import os
import socket
import sys
import tempfile


def _answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


_missing = []
if "DATABASE_URL" not in os.environ:
    if _answers("127.0.0.1", 5432):
        os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/nellm"
    else:
        _missing.append("PostgreSQL")
if "REDIS_URL" not in os.environ:
    if _answers("127.0.0.1", 6379):
        os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/15"
    else:
        _missing.append("Redis")
if _missing and not os.environ.get("_NELLM_SERVICES_SAID"):
    os.environ["_NELLM_SERVICES_SAID"] = "1"
    print(
        f"tests: {' and '.join(_missing)} not answering on 127.0.0.1: using SQLite / in-memory layers",
        file=sys.stderr,
    )

os.environ.setdefault("DEBUG", "1")

from .settings import *  # noqa: E402,F403

# Fast hashing: the suite creates many users; production keeps the default hasher.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(os.environ.get("NELLM_TEST_MEDIA", Path(tempfile.gettempdir()) / "nellm-test-media"))  # noqa: F405
NELLM_USING_REAL_SERVICES = not _missing
# The chat sockets' pool threads outlive each test: kept connections would hold the test
# database open, and it could not be dropped at the end.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
