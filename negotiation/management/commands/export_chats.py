"""``manage.py export_chats``: finished chats as training dialogues, to JSONL and/or MongoDB.

Incremental by default (the chats ended since the last complete successful run); each run is an
ExportRun row. The work is `negotiation.export.chats_export`.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from negotiation.export import ExportError, ExportSummary, chats_export


def _moment(value: str) -> tuple[datetime, bool]:
    """An ISO date or date-time (local time unless it says otherwise); True when only a date."""
    try:
        if len(value) == 10:
            return timezone.make_aware(datetime.combine(date.fromisoformat(value), time.min)), True
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date as YYYY-MM-DD (or YYYY-MM-DDTHH:MM)"
        ) from None
    return (moment if timezone.is_aware(moment) else timezone.make_aware(moment)), False


def _since(value: str) -> datetime:
    return _moment(value)[0]


def _until(value: str) -> datetime:
    """A date means up to the end of that day."""
    moment, day = _moment(value)
    return moment + timedelta(days=1) if day else moment


class Command(BaseCommand):
    help = (
        "Export finished negotiation chats as dialogues in the original's schema (JSONL and/or "
        "MongoDB): incremental by default, curated (flagged, taken-over, too short and abusive "
        "chats are left out) and with personal data masked. CONFIDENTIAL: every record carries the "
        "seller's floor price (training data for the seller model); never publish the file or share "
        "it with buyers."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--out",
            metavar="PATH.jsonl",
            help="merge the dialogues into this JSONL file (by session id; replaced atomically)",
        )
        parser.add_argument(
            "--mongo",
            action="store_true",
            help="upsert the dialogues into MongoDB (MONGODB_URI / MONGODB_DB), keyed by chat session id",
        )
        parser.add_argument("--mongo-uri", metavar="URI", help="MongoDB URI instead of MONGODB_URI")
        span = parser.add_mutually_exclusive_group()
        span.add_argument(
            "--since",
            type=_since,
            metavar="YYYY-MM-DD",
            help="chats ended on or after this day (or date-time) instead of since the last run",
        )
        span.add_argument(
            "--all", action="store_true", help="every chat ended so far, whatever earlier runs exported"
        )
        parser.add_argument(
            "--until",
            type=_until,
            metavar="YYYY-MM-DD",
            help="chats ended up to the end of this day (or before this date-time); default: now",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="count what would be exported and left out; write nothing and record no run",
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
                until=options["until"],
                everything=options["all"],
                dry_run=options["dry_run"],
                finished_only=options["finished_only"],
                progress=getattr(self.stderr, "_out", self.stderr),
            )
        except ExportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(format_summary(summary))


def _when(moment: datetime | None) -> str:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else "the beginning"


def format_summary(summary: ExportSummary) -> str:
    lines = []
    verb = "Would export" if summary.dry_run else "Exported"
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(summary.outcomes.items())) or "none"
    lines.append(f"{verb} {summary.exported} dialogue(s) ({outcomes}).")
    until = _when(summary.until) if summary.until else "now"
    lines.append(f"Range: chats ended from {_when(summary.since)} until {until}")
    lines.append(f"Left out: {sum(summary.excluded.values())}")
    lines.extend(f"  {count:>6}  {reason}" for reason, count in summary.excluded.most_common())
    masked = ", ".join(f"{k} {v}" for k, v in sorted(summary.masked.items())) or "none"
    lines.append(f"Personal data masked: {masked}")
    if summary.path is not None:
        where = "File (not written):" if summary.dry_run else "File:"
        lines.append(
            f"{where} {summary.path}: {summary.added} added, {summary.replaced} changed, "
            f"{summary.file_removed} flagged removed (confidential: contains floor prices)"
        )
    if summary.mongo_target and not summary.dry_run:
        lines.append(
            f"MongoDB {summary.mongo_target}: {summary.inserted} inserted, {summary.updated} updated, "
            f"{summary.removed} flagged removed"
        )
    if summary.run_id is not None:
        lines.append(f"Recorded as export run #{summary.run_id}.")
    elif summary.dry_run:
        lines.append("Dry run: nothing written, no run recorded.")
    return "\n".join(lines)
