"""Celery tasks: on the `generation` queue each loads nothing itself, calls the reply job, retries;
beat's periodic ones call a service.

The worker should run with acks_late (settings), so a task whose worker dies mid-reply is
delivered again; `replies.reply_generate` is idempotent, so a second delivery never writes twice.
"""

from __future__ import annotations

from celery import shared_task

from . import export, replies
from .dispatch import REPLY_TASK, RETRIES, retry_delay


@shared_task(bind=True, name=REPLY_TASK, max_retries=RETRIES, acks_late=True)
def reply_generate(self, message_id: int) -> int | None:
    try:
        reply = replies.reply_generate(message_id=message_id)
    except Exception as exc:
        replies.reply_failed(message_id=message_id)
        raise self.retry(exc=exc, countdown=retry_delay(self.request.retries)) from exc
    return reply.pk if reply is not None else None


@shared_task(name="negotiation.tasks.pending_sweep")
def pending_sweep() -> int:
    """Beat runs this periodically: unanswered messages whose worker vanished go back in."""
    return replies.pending_sweep()


@shared_task(name="negotiation.tasks.chats_export_daily")
def chats_export_daily() -> int:
    """Beat runs this daily (NELLM_EXPORT_AT): the incremental training export; returns how many
    chats it exported. A failure is recorded in its ExportRun row and raised for the worker's log."""
    return export.chats_export_daily().exported
