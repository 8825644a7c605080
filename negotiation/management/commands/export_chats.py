"""``manage.py export_chats``: finished chats as training dialogues, to JSONL and/or MongoDB."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from negotiation.export import ExportError, ExportSummary, chats_export


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date as YYYY-MM-DD") from None


class Command(BaseCommand):
    help = (
        "Export finished negotiation chats as dialogues in the dataset schema (JSONL and/or MongoDB). "
        "Flagged chats are never exported. CONFIDENTIAL: every record carries the seller's floor "
        "price (training data for the seller model); never publish the file or share it with buyers."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--out", metavar="PATH.jsonl", help="write the dialogues to this JSONL file")
        parser.add_argument(
            "--mongo",
            action="store_true",
            help="upsert the dialogues into MongoDB (MONGODB_URI / MONGODB_DB), keyed by chat session id",
        )
        parser.add_argument("--mongo-uri", metavar="URI", help="MongoDB URI instead of MONGODB_URI")
        parser.add_argument(
            "--since", type=_day, metavar="YYYY-MM-DD", help="only chats active on or after this day"
        )
        parser.add_argument(
            "--finished-only",
            action=argparse.BooleanOptionalAction,
            default=True,
            help="only agreed or failed chats (default); with --no-finished-only, chats in any other "
            "state are exported too when their last turns are a final offer and the seller's answer",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["mongo_uri"] is not None and not options["mongo"]:
            raise CommandError("--mongo-uri needs --mongo.")
        try:
            summary = chats_export(
                out=options["out"],
                mongo=options["mongo"],
                mongo_uri=options["mongo_uri"],
                since=options["since"],
                finished_only=options["finished_only"],
                progress=getattr(self.stderr, "_out", self.stderr),
            )
        except ExportError as exc:
            raise CommandError(str(exc)) from exc
        self._report(summary)

    def _report(self, summary: ExportSummary) -> None:
        write = self.stdout.write
        write(self.style.SUCCESS(f"Exported {summary.exported} dialogue(s)."))
        skipped = sum(summary.skipped.values())
        write(f"Skipped: {skipped}")
        for reason, count in summary.skipped.most_common():
            write(f"  {count:>6}  {reason}")
        write(f"Flagged chats withheld: {summary.flagged}")
        if summary.path is not None:
            write(f"File: {summary.path} (confidential: contains floor prices)")
        if summary.mongo_target:
            write(
                f"MongoDB {summary.mongo_target}: {summary.inserted} inserted, {summary.updated} updated, "
                f"{summary.removed} flagged removed"
            )
