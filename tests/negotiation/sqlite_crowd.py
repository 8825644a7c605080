"""Many buyers at once through the real services on a file SQLite database: the embedded default
(`make demo`), with in-process generation. Run in a fresh process, because the suite's own
database is PostgreSQL:

    python -m tests.negotiation.sqlite_crowd DB_PATH BUYERS MESSAGES

Prints one JSON line: the errors raised to buyers or logged by the reply pool, and the counts of
buyer messages and replies stored.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import time
import uuid


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        cause = f": {record.exc_info[1]!r}" if record.exc_info else ""
        self.seen.append(f"{record.name}: {record.getMessage()}{cause}")


def main(path: str, buyers: int, messages: int) -> dict:
    for key in [k for k in os.environ if k.startswith(("REDIS_URL", "CELERY_", "NELLM_", "DATABASE_URL"))]:
        del os.environ[key]
    os.environ.update(
        DJANGO_SETTINGS_MODULE="nellm_site.settings",
        DATABASE_URL=f"sqlite:///{path}",
        DEBUG="1",
        LOG_LEVEL="ERROR",
        NELLM_STREAM_DELAY_MS="0",
        NELLM_CHAT_RATE_LIMIT="1000",
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections
    from django.test import override_settings

    from marketplace.services import user_signup
    from negotiation import dispatch, services
    from negotiation.models import Message
    from tests.negotiation import live

    errors = _Errors()
    logging.getLogger().addHandler(errors)
    call_command("migrate", verbosity=0)
    # Throwaway accounts: a fast hasher spares CPU seconds that test nothing here.
    override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]).enable()
    listing = live.crowd_listing(seller_name="seller")
    start = threading.Barrier(buyers)
    raised: list[str] = []
    lines = [
        "안녕하세요, 네고 가능할까요?",
        "4만원에 주시면 바로 살게요",
        "상태는 어떤가요?",
        "43,000원 어떠세요?",
    ]

    def buyer(index: int) -> None:
        try:
            start.wait()
            # Every step a write: sign-up, opening the chat, each message, each reply.
            user = user_signup(username=f"buyer{index}", password=uuid.uuid4().hex, nickname=f"구매자{index}")
            session = services.session_open(listing=listing, buyer=user)
            for n in range(messages):
                message = services.message_submit(
                    session_id=session.pk, user=user, text=lines[n % len(lines)]
                )
                deadline = time.monotonic() + 60
                while not Message.objects.filter(reply_to=message).exists():
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"no reply to message {message.pk}")
                    time.sleep(0.05)
        except Exception as error:
            raised.append(f"buyer {index}: {error!r}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=buyer, args=(i,)) for i in range(buyers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    dispatch.drain(timeout=60)
    return {
        "errors": raised + errors.seen,
        "buyer_messages": Message.objects.filter(role="buyer").count(),
        "replies": Message.objects.filter(reply_to__isnull=False).count(),
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])), ensure_ascii=False))
