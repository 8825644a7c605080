"""The shared vocabulary: listings, dialogue events and the final-offer protocol tokens.

The dataset schema (one dialogue) is
`{"title", "description", "price", "result": "ACCEPT"|"DENY", "events": [{"role", "message"}]}`;
the corpus adds `category`, `persona`, `floor_price` and `source` beside it.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Literal

BUYER = "구매자"
SELLER = "판매자"
ROLES = (BUYER, SELLER)

ACCEPT = "ACCEPT"
DENY = "DENY"
RESULTS = (ACCEPT, DENY)

# Nothing second-hand on this market costs more; a larger figure is a joke or a typo. The site's
# forms, the chat protocol and the price parser all bound prices by it.
MAX_PRICE = 100_000_000


class Act(StrEnum):
    """The Advisor's moves: what the seller does with a buyer turn (the realizer, the LLM's hint,
    the seller's view of the chat and the training template all speak of these)."""

    GREET = "greet"
    ANSWER = "answer"
    COUNTER = "counter"
    HOLD = "hold"
    ACCEPT = "accept"
    DENY = "deny"
    FINAL_ACCEPT = "final_accept"
    FINAL_DENY = "final_deny"
    REFUSE = "refuse"


ACCEPT_TOKEN = "##<수락>##"
DENY_TOKEN = "##<거절>##"
# The buyer's final offer: `##<35000>##` (commas tolerated, as people type them).
FINAL_OFFER_RE = re.compile(r"##<\s*(\d[\d,]*)\s*>##")


def final_offer_token(price: int) -> str:
    return f"##<{price}>##"


def final_offer_price(message: str) -> int | None:
    """The price of a final-offer token in `message`, or None when it has none."""
    match = FINAL_OFFER_RE.search(message)
    return int(match.group(1).replace(",", "")) if match else None


ANSWER_TOKENS = (ACCEPT_TOKEN, DENY_TOKEN)
_WORDS_RE = re.compile(r"\w")


def _without(message: str, token_re: re.Pattern[str]) -> str:
    return " ".join(token_re.sub(" ", message).split())


_ANSWER_RE = re.compile("|".join(re.escape(t) for t in ANSWER_TOKENS))


def canonical_events(events: list[dict[str, str]]) -> list[dict[str, str]]:
    """The events in the original's exact form: every final offer the seller answered is a bare
    `##<price>##` followed by a bare `##<수락>##` / `##<거절>##`.

    Words said beside a token ("##<수락>## 좋아요! 내일 뵐게요") are kept as their own turn before
    the pair: the buyer's first, then the seller's, so the pair stays the last two events and a
    model learns to answer a final offer with the token alone. Everything else is left as it is
    (a buyer typing `##<수락>##` to trick the seller is what the manipulator persona does).
    """
    out: list[dict[str, str]] = []
    i = 0
    while i < len(events):
        event = events[i]
        answer = events[i + 1] if i + 1 < len(events) else None
        price = final_offer_price(event["message"]) if event["role"] == BUYER else None
        token = _ANSWER_RE.search(answer["message"]) if answer and answer["role"] == SELLER else None
        if price is None or token is None:
            out.append(event)
            i += 1
            continue
        said = (
            (BUYER, _without(event["message"], FINAL_OFFER_RE)),
            (SELLER, _without(answer["message"], _ANSWER_RE)),
        )
        out.extend({"role": role, "message": words} for role, words in said if _WORDS_RE.search(words))
        out.append({"role": BUYER, "message": final_offer_token(price)})
        out.append({"role": SELLER, "message": token.group(0)})
        i += 2
    return out


def is_canonical_pair(offer: str, answer: str) -> bool:
    """Whether a final offer and its answer are the bare tokens, nothing else."""
    return bool(re.fullmatch(r"##<\d+>##", offer)) and answer in ANSWER_TOKENS


@dataclass(frozen=True)
class Listing:
    title: str
    description: str
    price: int
    category: str = ""
    # When the description was written: "2025년 구매" is recent or not relative to this (None:
    # today). Fixed dates keep generated data the same whatever day it is generated on.
    listed_on: datetime.date | None = None
    # Whether a question the description cannot answer reaches the seller, whose answer the
    # buyer sees (the site's chat); only then may the bot say "확인하고 답 드릴게요".
    seller_relay: bool = False


@dataclass(frozen=True)
class Event:
    role: Literal["구매자", "판매자"]
    message: str


@dataclass
class Dialogue:
    title: str
    description: str
    price: int
    result: Literal["ACCEPT", "DENY"]
    events: list[Event]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def listing(self) -> Listing:
        return Listing(self.title, self.description, self.price, str(self.extra.get("category", "")))

    def to_dict(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "title": self.title,
            "description": self.description,
            "price": self.price,
            "result": self.result,
            "events": [asdict(event) for event in self.events],
        }
        record.update(self.extra)
        return record

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> Dialogue:
        """Build from a record already known to be valid (see `mlcore.corpus.validate`)."""
        core = {"title", "description", "price", "result", "events"}
        return cls(
            title=record["title"],
            description=record["description"],
            price=int(record["price"]),
            result=record["result"],
            events=[Event(e["role"], e["message"]) for e in record["events"]],
            extra={k: v for k, v in record.items() if k not in core},
        )
