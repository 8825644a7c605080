"""The training export: finished chats, curated and masked, as dialogues in the original's schema,
to JSONL and MongoDB; one `ExportRun` row per run.

A record is the dataset schema (`mlcore.schema`) in the original's exact form (the last two events
are a bare `##<price>##` and a bare `##<수락>##` / `##<거절>##`; words the bot said beside a token
are a seller turn of their own before them, `mlcore.schema.canonical_events`), plus the corpus
fields `category`, `floor_price` and `source` ("site") and the chat's metadata (session and
listing ids, style, state, agreed price, timestamps). It carries the seller's floor price,
because that is what the seller model learns to defend: the file and the collection are
confidential training data and never go anywhere a buyer can read them.

Incremental: a run takes the chats whose negotiation ended (the bot's last answer to a final
offer) in [since, until), where `since` is the `until` of the last complete successful run and
`until` is a little before now (a reply committed late is not skipped). Both targets are keyed
by session id — MongoDB upserts, the JSONL file is merged and replaced atomically — so running
again changes nothing. The chats a run wrote are linked to it only after everything was written;
a failed run keeps its error and marks nothing.

Curation, counted by reason in the run: flagged chats; chats the seller took over (a message of
the human seller before the bot's final answer — what the seller typed after it to arrange the
hand-over is cut, not counted); chats with fewer than NELLM_EXPORT_MIN_BUYER_TURNS buyer turns;
abusive ones (`mlcore.language.intents.is_abusive`, either side); open chats; and records the
validator still rejects. Personal data is masked in every message (`mlcore.corpus.pii`).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from tqdm import tqdm

from mlcore import schema
from mlcore.corpus import pii
from mlcore.corpus.validate import validate_record
from mlcore.language.intents import is_abusive

from . import selectors
from .models import ChatSession, ExportRun, Message

State = ChatSession.State
FINISHED = (State.AGREED, State.FAILED)
COLLECTION = "dialogues"
KEY = "session_id"
MONGO_TIMEOUT_MS = 3000
SOURCE = "site"
_BATCH = 500

FLAGGED = "flagged"
NOT_FINISHED = "not finished (open, waiting or closed)"
NO_ANSWER = "not finished (no final-offer answer yet)"
TAKEN_OVER = "taken over by the seller"
ABUSIVE = "abusive"


def _too_short(minimum: int) -> str:
    return f"fewer than {minimum} buyer turns"


# What moderators read in the admin for each reason (the runs' counts keep the English keys).
REASON_LABELS = {
    FLAGGED: "신고됨",
    NOT_FINISHED: "끝나지 않은 대화",
    NO_ANSWER: "최종 제안에 대한 답이 없음",
    TAKEN_OVER: "판매자가 직접 응대함",
    ABUSIVE: "욕설",
}


def reason_label(reason: str) -> str:
    if reason.startswith("fewer than "):
        return "구매자 발화 " + reason.split()[2] + "개 미만"
    if reason.startswith("invalid: "):
        return "데이터 형식 오류 (" + reason.removeprefix("invalid: ") + ")"
    return REASON_LABELS.get(reason, reason)


class ExportError(Exception):
    """The export cannot run or could not finish (no MongoDB, an unwritable path, a foreign file)."""


@dataclass
class ExportSummary:
    run_id: int | None = None
    dry_run: bool = False
    since: datetime | None = None
    until: datetime | None = None
    exported: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    excluded: Counter[str] = field(default_factory=Counter)
    masked: Counter[str] = field(default_factory=Counter)
    path: Path | None = None
    added: int = 0  # to the file
    replaced: int = 0  # in the file, same session id, changed
    file_removed: int = 0  # flagged after an earlier export
    mongo_target: str = ""
    inserted: int = 0
    updated: int = 0
    removed: int = 0  # flagged after an earlier export
    session_ids: list[int] = field(default_factory=list)


# --- records ------------------------------------------------------------------------------------


def _answer_index(events: list[dict[str, Any]]) -> int | None:
    """Index of the seller's last answer to a final offer, or None."""
    for i in range(len(events) - 1, -1, -1):
        event = events[i]
        if event["role"] == schema.SELLER and event["message"].strip().startswith(schema.ANSWER_TOKENS):
            return i
    return None


def _negotiation(session: ChatSession) -> tuple[dict[str, Any], list[Message]] | None:
    """The chat up to the bot's last answer to a final offer (record and messages), or None."""
    record = selectors.session_dialogue(session=session)
    turns = [m for m in session.messages.all() if m.role != Message.Role.SYSTEM]
    end = _answer_index(record["events"])
    if end is None:
        return None
    record["events"] = record["events"][: end + 1]
    return record, turns[: end + 1]


def session_record(*, session: ChatSession, masked: Counter[str] | None = None) -> dict[str, Any] | None:
    """The chat as one export record (masked, canonical, not yet validated), or None when it has
    not ended with a final-offer answer. A finished chat takes its result from its state; any
    other from the answer's token."""
    found = _negotiation(session)
    if found is None:
        return None
    record, turns = found
    if session.state not in FINISHED:
        answer = record["events"][-1]["message"].strip()
        record["result"] = schema.ACCEPT if answer.startswith(schema.ACCEPT_TOKEN) else schema.DENY
    events = [{"role": e["role"], "message": pii.mask(e["message"], masked)} for e in record["events"]]
    record["events"] = schema.canonical_events(events)
    # A seller may put a phone number in the listing too; the model reads the listing as well.
    record["title"], record["description"] = (pii.mask(record[k], masked) for k in ("title", "description"))
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
            "finished_at": turns[-1].created_at,
        }
    )
    return record


def _exclusion(session: ChatSession, finished_only: bool, min_buyer_turns: int) -> str | None:
    """Why the chat stays out of the training data, or None."""
    if session.flagged:
        return FLAGGED
    if finished_only and session.state not in FINISHED:
        return NOT_FINISHED
    found = _negotiation(session)
    if found is None:
        return NO_ANSWER
    record, turns = found
    if session.seller_took_over or any(m.role == Message.Role.SELLER for m in turns):
        return TAKEN_OVER
    if sum(m.role == Message.Role.BUYER for m in turns) < min_buyer_turns:
        return _too_short(min_buyer_turns)
    if any(is_abusive(e["message"]) for e in record["events"]):
        return ABUSIVE
    return None


def _jsonable(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in record.items()}


_INDEX_RE = re.compile(r"\[\d+(?:\.\.\d+)?\]")


def _reason(problems: Iterable[Any]) -> str:
    """A reason to count by: the first problem, without the event index."""
    first = next(iter(problems))
    return f"invalid: {_INDEX_RE.sub('[*]', first.field)}: {first.reason}"


def _records(
    sessions: Any, summary: ExportSummary, *, finished_only: bool, progress: IO[str] | None
) -> Iterator[dict[str, Any]]:
    minimum = settings.NELLM_EXPORT_MIN_BUYER_TURNS
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
            reason = _exclusion(session, finished_only, minimum)
            if reason is not None:
                summary.excluded[reason] += 1
                continue
            masked: Counter[str] = Counter()
            record = session_record(session=session, masked=masked)
            assert record is not None  # _exclusion saw the answer
            problems = validate_record(_jsonable(record), strict=True)
            if problems:
                summary.excluded[_reason(problems)] += 1
                continue
            summary.masked.update(masked)
            summary.exported += 1
            summary.outcomes[record["result"]] += 1
            summary.session_ids.append(session.pk)
            yield record


# --- targets ------------------------------------------------------------------------------------


def _redacted(uri: str) -> str:
    return re.sub(r"//([^:/@]+):[^@/]*@", r"//\1:***@", uri)


def _mongo_collection(uri: str, db_name: str) -> Any:
    """The collection with its indexes, after checking the server answers; ExportError otherwise."""
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
        collection.create_index("finished_at")
    except PyMongoError as exc:
        client.close()
        raise ExportError(
            f"Cannot reach MongoDB at {_redacted(uri)} within {MONGO_TIMEOUT_MS} ms: {exc}"
        ) from exc
    return collection


def _mongo_write(
    collection: Any, records: list[dict[str, Any]], flagged: list[int], summary: ExportSummary
) -> None:
    from pymongo import UpdateOne
    from pymongo.errors import PyMongoError

    now = timezone.now()
    try:
        for start in range(0, len(records), _BATCH):
            batch = records[start : start + _BATCH]
            result = collection.bulk_write(
                [UpdateOne({KEY: r[KEY]}, {"$set": {**r, "exported_at": now}}, upsert=True) for r in batch],
                ordered=False,
            )
            summary.inserted += result.upserted_count
            summary.updated += result.matched_count
        # A chat flagged after an earlier export must not stay in the training store.
        if flagged:
            summary.removed += collection.delete_many({KEY: {"$in": flagged}}).deleted_count
    except PyMongoError as exc:
        raise ExportError(f"MongoDB write failed: {exc}") from exc


def _read_export(path: Path) -> dict[int, str]:
    """The lines of an earlier export at `path` by session id (empty when there is none)."""
    if not path.exists():
        return {}
    lines: dict[int, str] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ExportError(f"Cannot read the earlier export {path}: {exc}") from exc
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            record = None
        if not isinstance(record, dict) or not isinstance(record.get(KEY), int):
            raise ExportError(
                f"{path}:{number} is not a line of an export (no {KEY}); refusing to overwrite it. "
                "Give --out a new file or the one earlier exports wrote."
            )
        lines[record[KEY]] = line
    return lines


def _merge(
    path: Path, records: list[dict[str, Any]], flagged: set[int], summary: ExportSummary
) -> dict[int, str]:
    """The export at `path` with `records` merged in by session id and flagged chats taken out."""
    if not path.parent.is_dir():
        raise ExportError(f"Directory {path.parent} does not exist.")
    lines = _read_export(path)
    for key in flagged & lines.keys():
        del lines[key]
        summary.file_removed += 1
    for record in records:
        line = json.dumps(_jsonable(record), ensure_ascii=False)
        if record[KEY] in lines:
            summary.replaced += lines[record[KEY]] != line
        else:
            summary.added += 1
        lines[record[KEY]] = line
    return lines


def _replace(path: Path, lines: dict[int, str]) -> None:
    """Write a temporary file beside `path` and rename it over `path`: readers see the old file
    or the new one, never half of one."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise ExportError(f"Cannot write in {path.parent}: {exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.writelines(lines[key] + "\n" for key in sorted(lines))
        os.replace(tmp, path)
    except OSError as exc:
        raise ExportError(f"Cannot write {path}: {exc}") from exc
    finally:
        Path(tmp).unlink(missing_ok=True)


# --- runs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Range:
    since: datetime | None
    until: datetime | None
    complete: bool


def _range(
    *,
    since: datetime | None,
    until: datetime | None,
    everything: bool,
    session_ids: list[int] | None,
    wait: bool,
) -> _Range:
    if session_ids is not None:
        return _Range(None, None, False)
    # Only a recorded run's end is where the next one starts, so only it waits for late commits.
    settle = timedelta(seconds=settings.NELLM_EXPORT_SETTLE_SECONDS if wait else 0)
    until = until if until is not None else timezone.now() - settle
    if everything:
        return _Range(None, until, True)
    if since is not None:
        start, complete = since, False
    else:
        last = selectors.export_last_complete()
        start, complete = (last.until if last else None), True
    if start is not None and start >= until:
        raise ExportError(f"Nothing to export: the range starts at {start} and ends at {until}.")
    return _Range(start, until, complete)


def chats_export(
    *,
    out: str | Path | None = None,
    mongo: bool = False,
    mongo_uri: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    everything: bool = False,
    session_ids: list[int] | None = None,
    dry_run: bool = False,
    finished_only: bool = True,
    trigger: str = ExportRun.Trigger.COMMAND,
    record_run: bool = True,
    progress: IO[str] | None = None,
) -> ExportSummary:
    """Export the chats ended in the range (incremental by default; see the module) to `out`
    and/or MongoDB, recorded as an ExportRun unless `dry_run` (which writes nothing) or not
    `record_run` (a private copy, e.g. for one training run)."""
    if out is None and not mongo and not dry_run:
        raise ExportError("Nothing to do: give --out PATH.jsonl and/or --mongo.")
    window = _range(since=since, until=until, everything=everything, session_ids=session_ids, wait=record_run)
    summary = ExportSummary(dry_run=dry_run, since=window.since, until=window.until)
    summary.path = Path(out).resolve() if out is not None else None
    uri = mongo_uri if mongo_uri is not None else settings.MONGODB_URI
    if mongo:
        summary.mongo_target = f"{settings.MONGODB_DB}.{COLLECTION}"
    run = None
    if record_run and not dry_run:
        run = ExportRun.objects.create(
            trigger=trigger,
            since=window.since,
            until=window.until,
            complete=window.complete,
            path=str(summary.path or ""),
            mongo_target=summary.mongo_target,
        )
        summary.run_id = run.pk
    try:
        collection = _mongo_collection(uri, settings.MONGODB_DB) if mongo and not dry_run else None
        try:
            sessions = (
                selectors.export_candidates(since=window.since, until=window.until, session_ids=session_ids)
                .select_related("listing")
                .prefetch_related("messages")
            )
            records = list(_records(sessions, summary, finished_only=finished_only, progress=progress))
            flagged = list(ChatSession.objects.filter(flagged=True).values_list("pk", flat=True))
            lines = _merge(summary.path, records, set(flagged), summary) if summary.path else None
            if not dry_run:
                if collection is not None:
                    _mongo_write(collection, records, flagged, summary)
                if lines is not None:
                    _replace(summary.path, lines)  # type: ignore[arg-type]
        finally:
            if collection is not None:
                collection.database.client.close()
    except BaseException as exc:
        # The counts of a run that wrote nothing would only mislead: the error is its record.
        if run is not None:
            error = str(exc) if isinstance(exc, ExportError) else f"{type(exc).__name__}: {exc}"
            run.status, run.error, run.finished_at = ExportRun.Status.FAILED, error, timezone.now()
            run.save()
        raise
    if run is not None:
        with transaction.atomic():
            run.status, run.finished_at = ExportRun.Status.SUCCEEDED, timezone.now()
            _store_counts(run, summary)
            run.save()
            run.sessions.set(summary.session_ids)
    return summary


def _store_counts(run: ExportRun, summary: ExportSummary) -> None:
    run.exported = summary.exported
    run.outcomes = dict(summary.outcomes)
    run.excluded = dict(summary.excluded)
    run.masked = dict(summary.masked)


def _configured_targets() -> dict[str, Any]:
    """NELLM_EXPORT_PATH (its folder made, owner only), and MongoDB when MONGODB_URI is set."""
    path = Path(settings.NELLM_EXPORT_PATH)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return {"out": path, "mongo": bool(settings.MONGODB_URI)}


def chats_export_daily() -> ExportSummary:
    """What Celery beat runs: an incremental export to the configured targets."""
    return chats_export(**_configured_targets(), trigger=ExportRun.Trigger.BEAT)


def chats_export_selected(*, session_ids: list[int]) -> ExportSummary:
    """What a moderator's admin action runs: these chats, curated like any other, to the
    configured targets; the incremental export's starting point stays where it was."""
    return chats_export(**_configured_targets(), session_ids=session_ids, trigger=ExportRun.Trigger.ADMIN)
