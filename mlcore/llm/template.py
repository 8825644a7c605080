"""The one conversation template, for training data and inference prompts alike.

Layout (the original's "v2" template plus an Advisor hint before every seller turn):

    다음은 중고거래 … (system text)

    제목: {title}
    상품 설명: {description}
    상품 가격: {price}원

    구매자: {message}
    [전략: counter 35000]
    판매자: {message}<eos>
    구매자: …

The hint names the Advisor's act and, when the reply may state it, the price; the model learns to
word the Advisor's decision rather than to invent prices. In training data the hint is derived
from the seller's own message (`hint_from_seller_message`); at inference it comes from the
Decision (`hint_from_decision`). Past seller turns in a prompt get hints derived from their text,
exactly as in training. `render_prompt` ends with `판매자:`, and the model continues with
` {message}<eos>` — the part `mlcore.llm.dataset` unmasks. An answer to a final offer is a bare
token in the corpus (the original's form) and is learned as such, but the Negotiator never asks
the model for one: the realizer words it (`mlcore.negotiator.pipeline.FINAL_ACTS`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from mlcore.language.facts import clauses, polite, usable
from mlcore.language.intents import is_greeting
from mlcore.negotiator.advisor import Decision
from mlcore.negotiator.guard import ROLE_LABEL
from mlcore.negotiator.realizer import asks_seller
from mlcore.schema import (
    ACCEPT_TOKEN,
    BUYER,
    DENY_TOKEN,
    FINAL_OFFER_RE,
    SELLER,
    Act,
    Event,
    Listing,
    final_offer_price,
)

DEFAULT_EOS = "<|endoftext|>"  # Polyglot-Ko / KULLM's end-of-text token

SYSTEM = (
    "다음은 중고거래 판매자와 구매자의 가격 협상 대화입니다. 판매자는 [전략] 줄이 정한 행동과 가격에 맞춰, "
    "상품 설명을 근거로 한두 문장으로 정중하게 답합니다."
)
# The original's system sentence (a seller who proposes a price to agree on, with reasons), for
# the hint-free prompt of `evaluate --baseline`.
ORIGINAL_SYSTEM = (
    "다음은 중고거래 판매자와 구매자의 가격 협상 대화입니다. 판매자는 상품 설명을 근거로 합의할 가격을 "
    "이유와 함께 제안합니다."
)
HINT_RE = re.compile(r"\[전략: ([a-z_]+)(?: (\d+))?\]")
FACTS_RE = re.compile(r"\[근거: ([^\]\n]*)\]")
# An answer's hint when the description says nothing on what was asked: the reply says so.
NOT_IN_DESCRIPTION = "설명에 없음"
_SAYS_UNSTATED = re.compile(r"설명에\s*(?:따로\s*)?(?:안|없)")

ACTS = tuple(Act)
_REFUSAL = re.compile(r"어렵|힘들|안\s*돼|안\s*되|곤란|죄송|불가|너무\s*많이|깎으신|올려\s*주")
_AGREEMENT = re.compile(r"좋아요|좋습니다|그렇게\s*(?:해|드릴|할)|맞춰\s*드릴|콜|오케이|괜찮아요|가능해요")
_TAKEN = re.compile(r"좋아요|좋습니다|알겠어요|거래해요|확정")


@dataclass(frozen=True)
class Hint:
    act: str
    price: int | None = None
    # An answer's facts: what the description says on the question, in the words the reply may
    # use ("쏠림 없어요."), or NOT_IN_DESCRIPTION; the guard rejects any other item fact.
    facts: str = ""

    def __post_init__(self) -> None:
        if self.act not in ACTS:
            raise ValueError(f"unknown act {self.act!r}")

    def __str__(self) -> str:
        base = f"[전략: {self.act}]" if self.price is None else f"[전략: {self.act} {self.price}]"
        return f"{base} [근거: {self.facts}]" if self.facts else base

    @classmethod
    def parse(cls, text: str) -> Hint | None:
        match = HINT_RE.search(text)
        if not match:
            return None
        facts = FACTS_RE.search(text[match.end() :])
        price = int(match.group(2)) if match.group(2) else None
        return cls(match.group(1), price, facts.group(1) if facts else "")


def hint_from_decision(decision: Any) -> Hint:
    """The hint for an Advisor Decision; the price only where the reply may state it."""
    act = getattr(decision.act, "value", decision.act)
    price = decision.price if getattr(decision, "quote", decision.price is not None) else None
    facts = ""
    if isinstance(decision, Decision) and decision.act is Act.ANSWER:
        facts = decision.detail or (NOT_IN_DESCRIPTION if asks_seller(decision) else "")
    return Hint(str(act), price, " ".join(facts.split()))


def hint_from_seller_message(
    message: str,
    *,
    listing: Listing,
    floor: int | None,
    buyer_offer: int | None = None,
    own_offer: int | None = None,
    buyer_named: Iterable[int] = (),
    first: bool = False,
) -> Hint:
    """The act and price a seller's message carries out, read from its wording.

    `buyer_offer` is the price in the buyer's last message, `own_offer` the seller's standing
    price so far, `buyer_named` every price the buyer has named (a seller repeating one is quoting
    it, not offering it), `first` whether this is the seller's first turn.
    """
    from mlcore.language.prices import find_amounts

    text = message.strip()
    quotable = (lambda p: p is not None and p != floor) if floor else (lambda p: p is not None)
    if text.startswith(ACCEPT_TOKEN):
        return Hint("final_accept", buyer_offer if quotable(buyer_offer) else None)
    named = set(buyer_named) | ({buyer_offer} if buyer_offer is not None else set())
    amounts = [a.value for a in find_amounts(text)]
    # Amounts below the floor are never the seller's own offers in valid data (counts, fees,
    # quotes of the buyer); the buyer's own numbers are quotes unless the seller agrees to them.
    own = [v for v in amounts if (not floor or v > floor) and v not in named and v <= listing.price]
    if text.startswith(DENY_TOKEN):
        return Hint("final_deny", min(own) if own else None)
    if own:
        price = min(own)
        # "좋아요! 19,500원에 드릴게요" after the buyer took the standing offer without naming it.
        if price == own_offer and buyer_offer is None and _TAKEN.search(text) and not _REFUSAL.search(text):
            return Hint("accept", price)
        if own_offer is not None and price >= own_offer:
            return Hint("hold", price)
        if own_offer is None and price == listing.price:
            return Hint("greet" if first and is_greeting(text) else "hold", price)
        return Hint("counter", price)
    agreeing = _AGREEMENT.search(text) and not _REFUSAL.search(text)
    if buyer_offer is not None and agreeing and (buyer_offer in amounts or not amounts):
        return Hint("accept", buyer_offer if quotable(buyer_offer) else None)
    if _REFUSAL.search(text):
        return Hint("deny" if buyer_offer is not None else "refuse")
    if first and is_greeting(text):
        return Hint("greet")
    return Hint("answer", facts=_answer_facts(text, listing))


def _answer_facts(message: str, listing: Listing) -> str:
    """The description's clauses a seller's answer says back (as the realizer words them), for
    the training hint to carry what inference hints carry (`hint_from_decision`)."""
    said = [polite(c) for c in clauses(listing.description) if usable(c)]
    found = [s for s in dict.fromkeys(said) if s and s.rstrip(".") in message]
    if found:
        return " ".join(found)
    return NOT_IN_DESCRIPTION if _SAYS_UNSTATED.search(message) else ""


def dialogue_hints(events: Sequence[Event], *, listing: Listing, floor: int | None) -> list[Hint | None]:
    """One hint per seller event (None for buyer events), read from the seller's own wording."""
    from mlcore.language.prices import parse_price

    hints: list[Hint | None] = []
    buyer_offer: int | None = None
    own_offer: int | None = None
    buyer_named: list[int] = []
    first = True
    for event in events:
        if event.role == BUYER:
            offer = final_offer_price(event.message)
            if offer is None:
                offer = parse_price(event.message, list_price=listing.price)
            buyer_offer = offer if offer else None
            if buyer_offer:
                buyer_named.append(buyer_offer)
            hints.append(None)
            continue
        hint = hint_from_seller_message(
            event.message,
            listing=listing,
            floor=floor,
            buyer_offer=buyer_offer,
            own_offer=own_offer,
            buyer_named=buyer_named,
            first=first,
        )
        first = False
        if hint.act in ("counter", "hold", "greet", "final_deny") and hint.price is not None:
            own_offer = hint.price if own_offer is None else min(own_offer, hint.price)
        elif hint.act in ("accept", "final_accept") and buyer_offer is not None:
            own_offer = buyer_offer if own_offer is None else min(own_offer, buyer_offer)
        hints.append(hint)
        buyer_offer = None  # an answered offer is not answered twice
    return hints


# --- text pieces, shared by the dataset (token by token) and the prompt (as one string) ----------


def header_text(listing: Listing, *, system: str = SYSTEM) -> str:
    return (
        f"{system}\n\n제목: {listing.title}\n상품 설명: {listing.description}\n상품 가격: {listing.price}원\n"
    )


# What a buyer may not type into a prompt: line breaks (a new line could start a role line or a
# hint), special-token text (`<|endoftext|>` is one token to the tokenizer), hint brackets, role
# labels and protocol tokens other than their own final offer.
_LINE_BREAKS = re.compile(r"\s*[\r\n\v\f\x1c-\x1e\x85\u2028\u2029]+\s*")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_SPECIAL_TOKEN = re.compile(r"<\|[^<>]{0,40}?\|>|</?s>|<(?:pad|unk|mask|eos|bos)>", re.I)
_BRACKETS = str.maketrans({"[": "(", "]": ")", "［": "(", "］": ")"})
_HASHES = re.compile(r"#{2,}")


def _neutral(text: str) -> str:
    text = _CONTROL.sub("", text)
    text = _LINE_BREAKS.sub(" ", text)
    while True:  # removing one special token can join the halves of another
        cleaned = _SPECIAL_TOKEN.sub("", text)
        if cleaned == text:
            break
        text = cleaned
    text = text.translate(_BRACKETS)
    text = ROLE_LABEL.sub(lambda m: m.group().rstrip(":：").rstrip(), text)
    return _HASHES.sub("#", text)


def buyer_message_text(message: str) -> str:
    """A buyer's message as the model may read it: one line in which nothing looks like a hint,
    a role line, a special token or a protocol token, except the buyer's own final offer
    (`##<29000>##`), which is the protocol's and is kept as written."""
    parts: list[str] = []
    last = 0
    for match in FINAL_OFFER_RE.finditer(message):
        parts += [_neutral(message[last : match.start()]), match.group()]
        last = match.end()
    parts.append(_neutral(message[last:]))
    return "".join(parts).strip()


def buyer_text(message: str) -> str:
    """A buyer turn, in training data and prompts alike."""
    return f"\n{BUYER}: {buyer_message_text(message)}"


def seller_prefix_text(hint: Hint) -> str:
    """Everything of a seller turn before its words: masked in training, the prompt's end."""
    return f"\n{hint}\n{SELLER}:"


def seller_body_text(message: str) -> str:
    """The seller's words (learned), followed by the eos token."""
    return f" {message}"


def _as_event(item: Any) -> Event:
    if isinstance(item, Event):
        return item
    if isinstance(item, dict):
        return Event(item["role"], item["message"])
    role, message = item
    return Event(role, message)


def render_history(
    listing: Listing, events: Sequence[Any], *, floor: int | None, eos_token: str, hints: bool = True
) -> str:
    """The header and the turns; `hints=False`: the original's template (its system sentence,
    no `[전략]` lines)."""
    events = [_as_event(e) for e in events]
    parts = [header_text(listing, system=SYSTEM if hints else ORIGINAL_SYSTEM)]
    for event, hint in zip(events, dialogue_hints(events, listing=listing, floor=floor), strict=True):
        if hint is None:
            parts.append(buyer_text(event.message))
        else:
            prefix = seller_prefix_text(hint) if hints else f"\n{SELLER}:"
            parts.append(prefix + seller_body_text(event.message) + eos_token)
    return "".join(parts)


def render_prompt(
    listing: Listing,
    history: Sequence[Any],
    decision: Any,
    *,
    floor: int | None = None,
    eos_token: str = DEFAULT_EOS,
) -> str:
    """The inference prompt: the conversation so far, the Decision's hint and `판매자:`.

    `history` holds Events, {"role", "message"} dicts or (role, message) pairs, ending with the
    buyer's message; `decision` is an Advisor Decision (or anything with act / price / quote),
    or None for the original's prompt with no hint at all (`evaluate --baseline`).
    The floor, where given, only keeps past hints from stating it, as in training data.
    """
    if decision is None:
        return (
            render_history(listing, history, floor=floor, eos_token=eos_token, hints=False) + f"\n{SELLER}:"
        )
    return render_history(listing, history, floor=floor, eos_token=eos_token) + seller_prefix_text(
        hint_from_decision(decision)
    )
