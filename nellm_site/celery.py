"""The Celery app: the generation worker runs `celery -A nellm_site worker -Q generation`."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nellm_site.settings")

app = Celery("nellm_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
