"""`python -m mlcore validate-data PATH…`: check dialogue files against the dataset schema.

Files are JSON arrays, JSONL (one dialogue a line) or a directory of them. Every problem is
reported as `file:line: field: reason`; a record with a broken structure gets one problem (later
checks would only repeat it), a well-formed record gets one per broken rule. The exit code is
non-zero when anything is wrong, so the command can gate a corpus change.

Rules beyond the structure: the last two events are the buyer's `##<price>##` and the seller's
`##<수락>##` / `##<거절>##`, and `result` agrees with them; where the record carries a
`floor_price`, the seller never accepts or offers below it and never names it (unless the
buyer named that amount first); the seller is
never abusive; no turn carries personal data (`mlcore.corpus.pii`); the seller states nothing about the
item that the title and description do not (or that they contradict) and promises nothing the
chat cannot do (`mlcore.language.claims`, the guard's reader). `--strict` also holds the
corpus to the original's exact form: every answered final offer is a bare `##<price>##` and a
bare `##<수락>##` / `##<거절>##` (`mlcore.schema.canonical_events` writes it so).
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlcore.corpus.pii import find_pii
from mlcore.language.intents import is_abusive
from mlcore.schema import (
    ACCEPT,
    ACCEPT_TOKEN,
    ANSWER_TOKENS,
    BUYER,
    DENY,
    DENY_TOKEN,
    FINAL_OFFER_RE,
    MAX_PRICE,
    RESULTS,
    ROLES,
    SELLER,
    Dialogue,
    is_canonical_pair,
)

CATEGORIES = (
    "electronics",
    "appliances",
    "furniture",
    "clothing",
    "fashion",
    "beauty",
    "books",
    "sports",
    "baby",
    "games",
    "kitchen",
    "pets",
    "tickets",
    "other",
)
PERSONAS = (
    "polite_haggler",
    "lowballer",
    "quick_buyer",
    "student",
    "bundle_asker",
    "reseller",
    "free_asker",
    "browser",
    "rude",
    "manipulator",
)
SOURCES = ("hand", "generated", "site", "llm")
# The day the catalogue's descriptions (and the hand dialogues, which carry no date) were written:
# "작년에 샀어요" is read as of then. A record may say otherwise in `listed_on`.
CATALOGUE_DATE = "2026-11-01"
EXTRA_FIELDS = ("category", "persona", "floor_price", "source")
# Site chats are real buyers: nobody assigned them a persona.
NO_PERSONA_SOURCES = ("site",)
MIN_PRICE = 100

# Anything between the final-offer markers, so that `##<3.5만>##` is reported, not ignored.
_LOOSE_FINAL_RE = re.compile(r"##<\s*([^>]*?)\s*>##")


@dataclass(frozen=True)
class Problem:
    field: str
    reason: str
    path: str = ""
    line: int | None = None

    def located(self, path: str, line: int | None) -> Problem:
        return Problem(self.field, self.reason, path, line)

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.field}: {self.reason}" if where else f"{self.field}: {self.reason}"


@dataclass(frozen=True)
class Loaded:
    """One record as read from a file, with where it came from."""

    path: str
    line: int
    record: Any


class DataError(ValueError):
    """Raised by `load_dialogues` when any record is bad; carries every problem."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        shown = "\n".join(str(p) for p in problems[:20])
        more = f"\n… and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problem(s) in the data:\n{shown}{more}")


# --- reading -------------------------------------------------------------------------------------


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; a directory stands for its *.json / *.jsonl files, sorted."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(sorted(p for p in path.iterdir() if p.suffix in {".json", ".jsonl"}))
        else:
            out.append(path)
    return out


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def _read_json_array(text: str, name: str) -> Iterator[Loaded | Problem]:
    """Elements of a JSON array, each with the line it starts on."""
    decoder = json.JSONDecoder()
    index = text.index("[") + 1
    ws = re.compile(r"\s*")
    while True:
        index = ws.match(text, index).end()
        if index < len(text) and text[index] == "]":
            return
        try:
            value, end = decoder.raw_decode(text, index)
        except json.JSONDecodeError as exc:
            yield Problem("(file)", f"invalid JSON: {exc.msg}", name, _line_of(text, exc.pos))
            return
        yield Loaded(name, _line_of(text, index), value)
        index = ws.match(text, end).end()
        if index < len(text) and text[index] == ",":
            index += 1
        elif index < len(text) and text[index] == "]":
            return
        else:
            yield Problem("(file)", "invalid JSON: expected ',' or ']'", name, _line_of(text, index))
            return


def read_records(path: str | Path) -> Iterator[Loaded | Problem]:
    """Records of one file, or a Problem for what cannot be read (a bad line loses only itself)."""
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        yield Problem("(file)", f"cannot read: {exc}", name)
        return
    stripped = text.lstrip()
    if stripped.startswith("["):
        yield from _read_json_array(text, name)
        return
    if stripped.startswith("{") and Path(path).suffix == ".json":
        try:  # one pretty-printed object
            yield Loaded(name, _line_of(text, text.index("{")), json.loads(text))
            return
        except json.JSONDecodeError:
            pass  # fall through: JSONL with a .json name
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield Loaded(name, number, json.loads(line))
        except json.JSONDecodeError as exc:
            yield Problem("(line)", f"invalid JSON: {exc.msg} at column {exc.colno}", name, number)


def load_records(paths: Iterable[str | Path]) -> tuple[list[Loaded], list[Problem]]:
    loaded: list[Loaded] = []
    problems: list[Problem] = []
    for path in expand_paths(paths):
        for item in read_records(path):
            (problems if isinstance(item, Problem) else loaded).append(item)
    return loaded, problems


def load_dialogues(paths: Iterable[str | Path], *, strict: bool = False) -> list[Dialogue]:
    """Every dialogue in `paths`; raises DataError naming each bad record (nothing is dropped)."""
    loaded, problems = load_records(paths)
    dialogues: list[Dialogue] = []
    for item in loaded:
        found = validate_record(item.record, strict=strict)
        problems.extend(p.located(item.path, item.line) for p in found)
        if not found:
            dialogues.append(Dialogue.from_dict(item.record))
    if problems:
        raise DataError(problems)
    return dialogues


# --- checking ------------------------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _describe(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return (text if len(text) <= 40 else text[:37] + "...") + f" ({type(value).__name__})"


def _structure(record: Any, strict: bool) -> list[Problem]:
    if not isinstance(record, dict):
        return [Problem("(record)", f"must be a JSON object, got {type(record).__name__}")]
    problems: list[Problem] = []
    for key in ("title", "description"):
        if key not in record:
            problems.append(Problem(key, "missing"))
        elif not isinstance(record[key], str) or (key == "title" and not record[key].strip()):
            problems.append(Problem(key, f"must be a non-empty string, got {_describe(record[key])}"))
    if "price" not in record:
        problems.append(Problem("price", "missing"))
    elif not _is_int(record["price"]):
        problems.append(
            Problem("price", f"must be an integer number of won, got {_describe(record['price'])}")
        )
    elif not MIN_PRICE <= record["price"] <= MAX_PRICE:
        problems.append(Problem("price", f"{record['price']} is outside {MIN_PRICE}..{MAX_PRICE} won"))
    if "result" not in record:
        problems.append(Problem("result", "missing"))
    elif record["result"] not in RESULTS:
        problems.append(Problem("result", f"must be ACCEPT or DENY, got {_describe(record['result'])}"))
    events = record.get("events")
    if events is None:
        problems.append(Problem("events", "missing"))
    elif not isinstance(events, list):
        problems.append(Problem("events", f"must be a list, got {type(events).__name__}"))
    elif len(events) < 2:
        problems.append(
            Problem("events", f"needs at least the final offer and the answer, got {len(events)}")
        )
    else:
        for i, event in enumerate(events):
            if not isinstance(event, dict):
                problems.append(Problem(f"events[{i}]", f"must be an object, got {type(event).__name__}"))
                continue
            if event.get("role") not in ROLES:
                got = _describe(event["role"]) if "role" in event else "nothing"
                problems.append(Problem(f"events[{i}].role", f"must be {BUYER!r} or {SELLER!r}, got {got}"))
            message = event.get("message")
            if not isinstance(message, str) or not message.strip():
                got = _describe(message) if "message" in event else "nothing"
                problems.append(Problem(f"events[{i}].message", f"must be a non-empty string, got {got}"))
    problems.extend(_extras(record, strict))
    return problems


def _extras(record: dict[str, Any], strict: bool) -> list[Problem]:
    problems: list[Problem] = []
    if strict:
        required = [
            key
            for key in EXTRA_FIELDS
            if not (key == "persona" and record.get("source") in NO_PERSONA_SOURCES)
        ]
        problems.extend(
            Problem(key, "missing (required in the corpus)") for key in required if key not in record
        )
    for key, allowed in (("category", CATEGORIES), ("persona", PERSONAS), ("source", SOURCES)):
        if key in record and record[key] not in allowed:
            problems.append(
                Problem(key, f"unknown value {_describe(record[key])}; expected one of {', '.join(allowed)}")
            )
    if "floor_price" in record:
        floor = record["floor_price"]
        if not _is_int(floor):
            problems.append(
                Problem("floor_price", f"must be an integer number of won, got {_describe(floor)}")
            )
        elif floor <= 0 or (_is_int(record.get("price")) and floor > record["price"]):
            problems.append(Problem("floor_price", f"{floor} must be above 0 and at most the list price"))
    return problems


def _canonical(record: dict[str, Any]) -> list[Problem]:
    """Strict: each final offer the seller answers, and the answer, are the bare tokens."""
    events = record["events"]
    problems = []
    for i in range(1, len(events)):
        answer, offer = events[i]["message"], events[i - 1]["message"]
        if events[i]["role"] != SELLER or not any(t in answer for t in ANSWER_TOKENS):
            continue
        if events[i - 1]["role"] == BUYER and not is_canonical_pair(offer, answer):
            problems.append(
                Problem(
                    f"events[{i - 1}..{i}].message",
                    "a final offer and its answer must be the bare tokens `##<price>##` and "
                    f"{ACCEPT_TOKEN} / {DENY_TOKEN}; words go in their own turn before them",
                )
            )
    return problems


def _protocol(record: dict[str, Any]) -> tuple[list[Problem], int | None]:
    """Check the closing pair; returns the problems and the buyer's final price."""
    events = record["events"]
    last, offer = len(events) - 1, len(events) - 2
    problems: list[Problem] = []
    final_price: int | None = None
    if events[offer]["role"] != BUYER:
        problems.append(
            Problem(f"events[{offer}].role", "the final offer `##<price>##` must come from the buyer")
        )
    loose = _LOOSE_FINAL_RE.search(events[offer]["message"])
    strict_match = FINAL_OFFER_RE.search(events[offer]["message"])
    if strict_match and strict_match.group(0) == (loose.group(0) if loose else None):
        final_price = int(strict_match.group(1).replace(",", ""))
        if final_price <= 0:
            problems.append(Problem(f"events[{offer}].message", "the final offer must be above 0 won"))
    elif loose and loose.group(1) not in ("수락", "거절"):
        problems.append(
            Problem(f"events[{offer}].message", f"final offer {loose.group(0)!r} is not an integer price")
        )
    else:
        problems.append(Problem(f"events[{offer}].message", "the second-to-last event must be `##<price>##`"))
    if events[last]["role"] != SELLER:
        problems.append(
            Problem(f"events[{last}].role", "the answer to the final offer must come from the seller")
        )
    answer = events[last]["message"].strip()
    if answer.startswith(ACCEPT_TOKEN):
        verdict = ACCEPT
    elif answer.startswith(DENY_TOKEN):
        verdict = DENY
    else:
        problems.append(
            Problem(
                f"events[{last}].message", f"the last event must start with {ACCEPT_TOKEN} or {DENY_TOKEN}"
            )
        )
        return problems, final_price
    if record["result"] != verdict:
        token = ACCEPT_TOKEN if verdict == ACCEPT else DENY_TOKEN
        problems.append(Problem("result", f"is {record['result']} but the seller answered {token}"))
    # A buyer may type tokens to trick the seller (the corpus keeps such manipulators). Before
    # the end the seller may only turn down a real final offer made just before (the buyer then
    # haggles on, as on the site); an acceptance always ends the dialogue.
    for i, event in enumerate(events[:offer]):
        if event["role"] != SELLER or not _LOOSE_FINAL_RE.search(event["message"]):
            continue
        answers_an_offer = (
            i > 0 and events[i - 1]["role"] == BUYER and FINAL_OFFER_RE.search(events[i - 1]["message"])
        )
        if not (answers_an_offer and event["message"].strip().startswith(DENY_TOKEN)):
            problems.append(
                Problem(f"events[{i}].message", "the seller uses a protocol token before the end")
            )
    return problems, final_price


# What may follow an amount below the floor in a seller's line without it being an offer: a
# refusal ("3만원은 어려워요"), a discount ("5천원 빼드릴게요"), and what may precede it: a fee.
_REFUSED_AFTER = re.compile(
    r"^\s*(?:원|만원|천원)?\s*(?:은|는|이|가|에|에는|으로는|로는|까지는|밑으로는|아래로는|이하로는)?\s*"
    r"(?:좀|조금|너무|정말|진짜|도저히|아무래도|아쉽지만|솔직히|많이)?\s*"
    r"(?:어렵|어려|힘들|힘드|힘듭|안\s*돼|안\s*되|안돼|안되|못|무리|곤란|불가|손해|부담|적|낮|싸|말이\s*안)"
)
_DISCOUNT_AFTER = re.compile(
    r"^\s*(?:원)?\s*(?:만|정도|쯤|씩)?\s*(?:더\s*)?(?:빼|깎|할인|네고|에누리|디씨|DC|dc)"
)
_FEE_BEFORE = re.compile(
    r"(?:배송비|택배비|배달비|반택|반값택배|운임|수수료|포장비|교통비|기름값)\s*(?:는|은|이|가|도)?\s*$"
)


def _amounts(message: str) -> list[int]:
    from mlcore.language.prices import find_amounts

    return sorted({a.value for a in find_amounts(message)})


def _offered_below(message: str, floor: int) -> list[int]:
    """Amounts below the floor that the seller's line puts forward as a price: not refused in
    the same breath, not a discount (relative to what?), not a fee."""
    from mlcore.language.prices import find_amounts

    offered = []
    for amount in find_amounts(message):
        if amount.value >= floor:
            continue
        after, before = (
            message[amount.end : amount.end + 24],
            message[max(0, amount.start - 12) : amount.start],
        )
        if _REFUSED_AFTER.search(after) or _DISCOUNT_AFTER.search(after) or _FEE_BEFORE.search(before):
            continue
        offered.append(amount.value)
    return offered


def _floor_rules(record: dict[str, Any], final_price: int | None) -> list[Problem]:
    floor = record.get("floor_price")
    if not _is_int(floor):
        return []
    events = record["events"]
    last = len(events) - 1
    problems: list[Problem] = []
    if final_price is not None and record["result"] == ACCEPT and final_price < floor:
        problems.append(
            Problem(f"events[{last}].message", f"the seller accepts {final_price} below the floor {floor}")
        )
    buyer_named: set[int] = set()
    for i, event in enumerate(events[: len(events) - 2]):
        if event["role"] == BUYER:
            buyer_named.update(_amounts(event["message"]))
            continue
        message = event["message"]
        if floor in _amounts(message) and floor not in buyer_named:
            problems.append(Problem(f"events[{i}].message", f"the seller states the floor ({floor})"))
        for value in _offered_below(message, floor):
            problems.append(
                Problem(f"events[{i}].message", f"the seller offers {value} below the floor {floor}")
            )
    if final_price is not None:
        buyer_named.add(final_price)
    if floor in _amounts(events[last]["message"]) and floor not in buyer_named:
        problems.append(Problem(f"events[{last}].message", f"the seller states the floor ({floor})"))
    return problems


def _truthful(record: dict[str, Any]) -> list[Problem]:
    """The seller's lines say of the item only what its title and description say: a model
    learns its words from them, and a line that knows more teaches it to make facts up. With
    the relay of the site ("확인해서 여기로 답 드릴게요" is a promise the site keeps)."""
    from mlcore.language.claims import reply_problems

    listing_text = f"{record['title']}. {record['description']}"
    try:
        year = datetime.date.fromisoformat(str(record.get("listed_on", CATALOGUE_DATE))).year
    except ValueError:
        return [Problem("listed_on", f"must be a date (YYYY-MM-DD), got {_describe(record['listed_on'])}")]
    problems = []
    for i, event in enumerate(record["events"]):
        if event["role"] != SELLER:
            continue
        found = reply_problems(event["message"], listing_text=listing_text, relay=True, year=year)
        if found:
            problems.append(
                Problem(
                    f"events[{i}].message",
                    "the seller says what the listing does not, or promises what the chat cannot do: "
                    + ", ".join(found),
                )
            )
    return problems


def _conduct(record: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    for i, event in enumerate(record["events"]):
        message = event["message"]
        if event["role"] == SELLER and is_abusive(message):
            problems.append(Problem(f"events[{i}].message", "the seller is abusive"))
        found = find_pii(message)
        if found:
            kinds = ", ".join(dict.fromkeys(f.kind for f in found))
            problems.append(Problem(f"events[{i}].message", f"contains personal data ({kinds})"))
    return problems


def validate_record(record: Any, *, strict: bool = False) -> list[Problem]:
    """Every problem of one record (without a location); empty when it is valid.

    `strict` also requires the corpus fields (category, persona, floor_price, source; no persona
    for site exports) and the original's bare final tokens.
    """
    problems = _structure(record, strict)
    if problems:
        return problems
    problems, final_price = _protocol(record)
    if strict:
        problems += _canonical(record)
    return problems + _floor_rules(record, final_price) + _conduct(record) + _truthful(record)


# --- command -------------------------------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="JSON / JSONL files or directories of them")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="also require the corpus fields ("
        + ", ".join(EXTRA_FIELDS)
        + "; no persona for site exports) and bare final tokens: ##<price>##, then ##<수락>## / ##<거절>##",
    )


def run(args: argparse.Namespace) -> int:
    files = expand_paths(args.paths)
    records = bad_records = 0
    problems: list[Problem] = []
    for path in files:
        for item in read_records(path):
            if isinstance(item, Problem):  # an unreadable file or line
                problems.append(item)
                continue
            records += 1
            found = [
                p.located(item.path, item.line) for p in validate_record(item.record, strict=args.strict)
            ]
            if found:
                bad_records += 1
                problems.extend(found)
    for problem in problems:
        print(problem)
    verdict = "OK" if not problems else "FAILED"
    print(
        f"{verdict}: {len(files)} file(s), {records} record(s), {records - bad_records} valid,"
        f" {bad_records} bad, {len(problems)} problem(s)"
    )
    return 1 if problems else 0
