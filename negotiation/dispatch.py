"""Where a reply gets written: the Celery `generation` queue, or a thread pool in this process.

With REDIS_URL unset (the demo) NELLM_INPROCESS_GENERATION is on and the same service runs in
a small thread pool inside the web process, with the same retry policy as the Celery task.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait

from django.conf import settings
from django.db import connections

log = logging.getLogger(__name__)

RETRIES = 3
RETRY_DELAYS = (1, 3, 10)  # seconds before the 1st, 2nd, 3rd retry

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_futures: set[Future] = set()


def retry_delay(attempt: int) -> int:
    return RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]


def enqueue_reply(message_id: int) -> None:
    if settings.NELLM_INPROCESS_GENERATION:
        global _pool
        with _lock:
            if _pool is None:
                _pool = ThreadPoolExecutor(settings.NELLM_INPROCESS_WORKERS, thread_name_prefix="nellm-gen")
            future = _pool.submit(_run_inprocess, message_id)
            _futures.add(future)
        future.add_done_callback(_futures.discard)
        return
    from .tasks import reply_generate

    reply_generate.apply_async(args=[message_id], queue=settings.NELLM_GENERATION_QUEUE)


def _run_inprocess(message_id: int) -> None:
    from . import services

    try:
        for attempt in range(RETRIES + 1):
            try:
                services.reply_generate(message_id=message_id)
                return
            except Exception:
                log.exception("reply to message %s failed (attempt %d)", message_id, attempt + 1)
                services.reply_failed(message_id=message_id)
                if attempt < RETRIES:
                    time.sleep(retry_delay(attempt))
    finally:
        # Pool threads outlive requests: hand their database connections back.
        connections.close_all()


def drain(timeout: float = 30.0) -> bool:
    """Wait for in-process replies to finish (shutdown, tests); True when none is left."""
    with _lock:
        pending = set(_futures)
    _, not_done = wait(pending, timeout=timeout)
    return not not_done
