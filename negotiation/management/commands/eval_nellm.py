"""``manage.py eval_nellm``: `python -m mlcore evaluate` against the site's configured backend.

Thin: the options are those of `python -m mlcore evaluate`; with no `--backend` the site's own
NELLM_BACKEND is evaluated (the model or server the worker would use, from the same settings).
"""

from __future__ import annotations

import argparse
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mlcore import evaluate


class Command(BaseCommand):
    help = "Simulated buyers against the site's generator backend (options of `python -m mlcore evaluate`)."

    def add_arguments(self, parser: Any) -> None:
        evaluate.add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        namespace = argparse.Namespace(**options)  # Django's own options are ignored by `run`
        if not namespace.backend and not namespace.llm:
            namespace.backend = [settings.NELLM_BACKEND]
        status = evaluate.run(namespace)
        if status:
            raise CommandError(f"evaluation failed (exit status {status}): see the messages above")
