"""``manage.py train_nellm``: fine-tune the seller model on the shipped corpus plus the site's chats.

Thin: the site's finished chats are exported (`negotiation.export.chats_export`, the same records
as `export_chats`) to a temporary JSONL that is deleted after training — it carries floor prices —
and `mlcore.llm.train` does the rest. Every `python -m mlcore train` option passes through.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from mlcore.llm import train as mltrain
from negotiation.export import ExportError, chats_export


class Command(BaseCommand):
    help = (
        "Fine-tune a LoRA / QLoRA adapter for the LLM generator on the shipped corpus (or --data) "
        "plus the site's finished chats. Options are those of `python -m mlcore train`."
    )

    def add_arguments(self, parser: Any) -> None:
        mltrain.add_arguments(parser)
        parser.add_argument(
            "--site-chats",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="add the site's finished, unflagged chats to the data (default: yes)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        data = list(options["data"] or [mltrain.CORPUS])
        with tempfile.TemporaryDirectory(prefix="nellm-train-") as tmp:
            if options["site_chats"]:
                path = Path(tmp) / "site_chats.jsonl"
                try:
                    exported = chats_export(out=path, progress=getattr(self.stderr, "_out", self.stderr))
                except ExportError as exc:
                    raise CommandError(str(exc)) from exc
                self.stdout.write(f"Site chats: {exported.exported} exported for training")
                if exported.exported:
                    data.append(str(path))
            try:
                config = mltrain.config_from_options(options, data=data)
                summary = mltrain.train(config)
            except (ValueError, OSError) as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(mltrain.format_summary(summary))
        self.stdout.write(self.style.SUCCESS(f"Adapter saved in {config.out}"))
