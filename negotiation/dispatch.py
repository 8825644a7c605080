"""Where a reply job runs: the Celery `generation` queue, or a thread pool in this process.

Jobs go to Celery by task name, so nothing here (or in the services that queue replies) imports
the tasks or the job itself. With REDIS_URL unset (the demo) NELLM_INPROCESS_GENERATION is on
and the job the app registered at start-up (`inprocess_job_set`, from `apps.py`) runs in a
small thread pool inside the web process, with the same retry policy as the Celery task.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from django.conf import settings
from django.db import connections

log = logging.getLogger(__name__)

REPLY_TASK = "negotiation.tasks.reply_generate"
RETRIES = 3
RETRY_DELAYS = (1, 3, 10)  # seconds before the 1st, 2nd, 3rd retry


@dataclass(frozen=True)
class Job:
    run: Callable[..., object]  # called as run(message_id=…)
    failed: Callable[..., object]  # called as failed(message_id=…) after each failed attempt


_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_futures: set[Future] = set()
_job: Job | None = None


def retry_delay(attempt: int) -> int:
    return RETRY_DELAYS[min(attempt, len(RETRY_DELAYS) - 1)]


def inprocess_job_set(job: Job) -> None:
    """What the in-process pool runs for a queued message (the reply job)."""
    global _job
    _job = job


def reply_enqueue(*, message_id: int) -> None:
    """Queue the reply to a stored buyer message; a broker that is down is logged, not raised:
    the message is stored and the sweeper queues it again later."""
    try:
        if settings.NELLM_INPROCESS_GENERATION:
            _submit(message_id)
        else:
            from nellm_site.celery import app

            app.send_task(REPLY_TASK, args=[message_id], queue=settings.NELLM_GENERATION_QUEUE)
    except Exception:
        log.exception("could not queue the reply to message %s", message_id)


def _submit(message_id: int) -> None:
    global _pool
    if _job is None:
        raise RuntimeError("no in-process reply job registered (negotiation's AppConfig.ready)")
    with _lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(settings.NELLM_INPROCESS_WORKERS, thread_name_prefix="nellm-gen")
        future = _pool.submit(_run_inprocess, _job, message_id)
        _futures.add(future)
    future.add_done_callback(_futures.discard)


def _run_inprocess(job: Job, message_id: int) -> None:
    try:
        for attempt in range(RETRIES + 1):
            try:
                job.run(message_id=message_id)
                return
            except Exception:
                log.exception("reply to message %s failed (attempt %d)", message_id, attempt + 1)
                job.failed(message_id=message_id)
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
