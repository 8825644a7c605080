"""The training export: finished chats as dialogues in the dataset schema, to JSONL and MongoDB.

A record is the dataset schema (`mlcore.schema`) plus the corpus fields `category`,
`floor_price` and `source` ("site") and the chat's metadata (session and listing ids, style,
state, agreed price, timestamps). It carries the seller's floor price, because that is what the
seller model learns to defend: the file and the collection are confidential training data and
never go anywhere a buyer can read them.

Only chats that ended with the final-offer protocol can be in the schema (its `result` and its
last two events are the buyer's `##<price>##` and the seller's `##<수락>##` / `##<거절>##`), so
open chats are counted and skipped. Flagged chats never leave: they are not read, and a chat
flagged after an earlier export is removed from MongoDB on the next one. Every record passes
`mlcore.corpus.validate.validate_record` before it is written; the rest are counted by reason.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from tqdm import tqdm

from mlcore import schema
from mlcore.corpus.validate import validate_record

from . import selectors
from .models import ChatSession, Message

State = ChatSession.State
FINISHED = (State.AGREED, State.FAILED)
COLLECTION = "dialogues"
KEY = "session_id"
MONGO_TIMEOUT_MS = 3000
SOURCE = "site"
_BATCH = 500
_ANSWER_TOKENS = (schema.ACCEPT_TOKEN, schema.DENY_TOKEN)


class ExportError(Exception):
    """The export cannot start (no MongoDB, an unwritable path); nothing was written."""


@dataclass
class ExportSummary:
    exported: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    flagged: int = 0
    path: Path | None = None
    mongo_target: str = ""
    inserted: int = 0
    updated: int = 0
    removed: int = 0


# --- records ------------------------------------------------------------------------------------


def _answer_index(events: list[dict[str, Any]]) -> int | None:
    """Index of the seller's last answer to a final offer, or None."""
    for i in range(len(events) - 1, -1, -1):
        event = events[i]
        if event["role"] == schema.SELLER and event["message"].strip().startswith(_ANSWER_TOKENS):
            return i
    return None


def session_record(*, session: ChatSession) -> dict[str, Any] | None:
    """The chat as one export record, or None when it has not ended with a final-offer answer.

    Whatever the human seller typed after the bot's answer (arranging the hand-over) is not
    part of the negotiation and is left out. A finished chat takes its result from its state;
    any other from the answer's token.
    """
    record = selectors.session_dialogue(session=session)
    turns = [m for m in session.messages.all() if m.role != Message.Role.SYSTEM]
    end = _answer_index(record["events"])
    if end is None:
        return None
    record["events"] = record["events"][: end + 1]
    if session.state not in FINISHED:
        answer = record["events"][end]["message"].strip()
        record["result"] = schema.ACCEPT if answer.startswith(schema.ACCEPT_TOKEN) else schema.DENY
    listing = session.listing
    record.update(
        {
            "category": listing.category,
            "floor_price": listing.floor_price,
            "source": SOURCE,
            KEY: session.pk,
            "listing_id": listing.pk,
            "style": listing.style,
            "state": session.state,
            "agreed_price": session.agreed_price,
            "created_at": session.created_at,
            "finished_at": turns[end].created_at,
        }
    )
    return record


def _jsonable(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in record.items()}


_INDEX_RE = re.compile(r"\[\d+\]")


def _reason(problems: Iterable[Any]) -> str:
    """A reason to count by: the first problem, without the event index."""
    first = next(iter(problems))
    return f"invalid: {_INDEX_RE.sub('[*]', first.field)}: {first.reason}"


# --- reads ----------------------------------------------------------------------------------------


def _since_filter(sessions: QuerySet[ChatSession], since: date | None) -> QuerySet[ChatSession]:
    if since is None:
        return sessions
    start = timezone.make_aware(datetime.combine(since, time.min))
    return sessions.filter(updated_at__gte=start)


def _candidates(*, since: date | None, finished_only: bool) -> QuerySet[ChatSession]:
    if finished_only:
        sessions = selectors.exportable_sessions()
    else:
        sessions = (
            ChatSession.objects.filter(flagged=False).select_related("listing").prefetch_related("messages")
        )
    return _since_filter(sessions, since).order_by("pk")


def _records(
    sessions: QuerySet[ChatSession], summary: ExportSummary, progress: IO[str] | None
) -> Iterator[dict[str, Any]]:
    bar = tqdm(
        sessions.iterator(chunk_size=_BATCH),
        total=sessions.count(),
        desc="export_chats",
        unit="chat",
        file=progress,
        disable=progress is None,
    )
    with bar:
        for session in bar:
            record = session_record(session=session)
            if record is None:
                summary.skipped["not finished (no final-offer answer yet)"] += 1
                continue
            problems = validate_record(_jsonable(record))
            if problems:
                summary.skipped[_reason(problems)] += 1
                continue
            summary.exported += 1
            yield record


# --- writes ---------------------------------------------------------------------------------------


def _redacted(uri: str) -> str:
    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", uri)


def _mongo_collection(uri: str, db_name: str) -> Any:
    """The collection, after checking the server answers; ExportError otherwise."""
    import pymongo
    from pymongo.errors import ConfigurationError, InvalidURI, PyMongoError

    if not uri:
        raise ExportError("No MongoDB URI: set MONGODB_URI or pass --mongo-uri.")
    try:
        client: Any = pymongo.MongoClient(uri, serverSelectionTimeoutMS=MONGO_TIMEOUT_MS, tz_aware=True)
    except (InvalidURI, ConfigurationError, ValueError) as exc:
        raise ExportError(f"Invalid MongoDB URI {_redacted(uri)!r}: {exc}") from exc
    try:
        client.admin.command("ping")
        collection = client[db_name][COLLECTION]
        collection.create_index(KEY, unique=True)
    except PyMongoError as exc:
        client.close()
        raise ExportError(
            f"Cannot reach MongoDB at {_redacted(uri)} within {MONGO_TIMEOUT_MS} ms: {exc}"
        ) from exc
    return collection


def _mongo_flush(collection: Any, batch: list[dict[str, Any]], summary: ExportSummary) -> None:
    from pymongo import UpdateOne

    if not batch:
        return
    now = timezone.now()
    result = collection.bulk_write(
        [UpdateOne({KEY: r[KEY]}, {"$set": {**r, "exported_at": now}}, upsert=True) for r in batch],
        ordered=False,
    )
    summary.inserted += result.upserted_count
    summary.updated += result.matched_count
    batch.clear()


def _open_out(path: Path) -> tuple[IO[str], str]:
    """A temporary file beside `path`, renamed over it only once everything is written."""
    if not path.parent.is_dir():
        raise ExportError(f"Directory {path.parent} does not exist.")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise ExportError(f"Cannot write in {path.parent}: {exc}") from exc
    return os.fdopen(fd, "w", encoding="utf-8"), tmp


def chats_export(
    *,
    out: str | Path | None = None,
    mongo: bool = False,
    mongo_uri: str | None = None,
    since: date | None = None,
    finished_only: bool = True,
    progress: IO[str] | None = None,
) -> ExportSummary:
    """Export every eligible chat to `out` (JSONL, replaced atomically) and/or MongoDB (upserted
    by session id, so re-running changes nothing but `exported_at`)."""
    if out is None and not mongo:
        raise ExportError("Nothing to do: give --out PATH.jsonl and/or --mongo.")
    summary = ExportSummary()
    collection = None
    if mongo:
        uri = mongo_uri if mongo_uri is not None else settings.MONGODB_URI
        collection = _mongo_collection(uri, settings.MONGODB_DB)
        summary.mongo_target = f"{settings.MONGODB_DB}.{COLLECTION}"
    handle, tmp = (None, "")
    if out is not None:
        summary.path = Path(out).resolve()
        handle, tmp = _open_out(summary.path)
    flagged = _since_filter(ChatSession.objects.filter(flagged=True), since)
    summary.flagged = flagged.count()
    if finished_only:
        rest = ChatSession.objects.filter(flagged=False).exclude(state__in=FINISHED)
        summary.skipped["not finished (open, waiting or closed)"] = _since_filter(rest, since).count()
    batch: list[dict[str, Any]] = []
    try:
        for record in _records(_candidates(since=since, finished_only=finished_only), summary, progress):
            if handle is not None:
                handle.write(json.dumps(_jsonable(record), ensure_ascii=False) + "\n")
            if collection is not None:
                batch.append(record)
                if len(batch) >= _BATCH:
                    _mongo_flush(collection, batch, summary)
        if collection is not None:
            _mongo_flush(collection, batch, summary)
            # A chat flagged after an earlier export must not stay in the training store.
            ids = list(ChatSession.objects.filter(flagged=True).values_list("pk", flat=True))
            summary.removed = collection.delete_many({KEY: {"$in": ids}}).deleted_count if ids else 0
        if handle is not None:
            handle.close()
            os.replace(tmp, summary.path)  # type: ignore[arg-type]
    except BaseException:
        if handle is not None:
            handle.close()
            Path(tmp).unlink(missing_ok=True)
        raise
    finally:
        if collection is not None:
            collection.database.client.close()
    summary.skipped = Counter({k: v for k, v in summary.skipped.items() if v})
    return summary
