"""``manage.py train_nellm``: fine-tune the seller model on the shipped corpus plus the site's chats.

Thin: the site's finished chats are exported (`negotiation.export.chats_export`, the same records
as `export_chats`) to a temporary JSONL that is deleted after training — it carries floor prices —
and `mlcore.llm.train` does the rest. Every `python -m mlcore train` option passes through. With
`--from-export` the site's part is instead the file of the latest successful `export_chats` run
(the loop of docs/DATA.md: export, train, evaluate, serve).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from mlcore.llm import train as mltrain
from negotiation import selectors
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
        parser.add_argument(
            "--from-export",
            action="store_true",
            help="add the file of the latest successful export_chats run instead of a fresh copy",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        data = list(options["data"] or [mltrain.CORPUS])
        if options["from_export"]:
            data.append(self._latest_export())
        with tempfile.TemporaryDirectory(prefix="nellm-train-") as tmp:
            if options["site_chats"] and not options["from_export"]:
                path = Path(tmp) / "site_chats.jsonl"
                try:
                    exported = chats_export(
                        out=path,
                        everything=True,
                        record_run=False,  # a private copy: the incremental export is not advanced
                        progress=getattr(self.stderr, "_out", self.stderr),
                    )
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

    def _latest_export(self) -> str:
        run = selectors.export_latest_file()
        if run is None:
            raise CommandError(
                "No successful export with a file yet: run `manage.py export_chats --out PATH`."
            )
        if not Path(run.path).is_file():
            raise CommandError(f"Export run #{run.pk} wrote {run.path}, which is no longer there.")
        self.stdout.write(
            f"Export run #{run.pk} ({timezone.localtime(run.finished_at):%Y-%m-%d %H:%M}): {run.path}"
        )
        return run.path
