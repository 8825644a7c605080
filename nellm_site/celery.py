"""The Celery app: the generation worker runs `celery -A nellm_site worker -Q generation`."""

from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nellm_site.settings")

app = Celery("nellm_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def connections_recycle(*, task: Any = None, **_: Any) -> None:
    """Around each task, what Django does around each request: drop this thread's connections
    that are past DB_CONN_MAX_AGE or broken, keep the rest (CELERY_DB_REUSE_MAX stops Celery
    from closing them all). Not for an eager task, which runs inside its caller's transaction."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
