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
