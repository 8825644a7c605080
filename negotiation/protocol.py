"""The chat's WebSocket protocol, in one place (documented in docs/PROTOCOL.md).

client → server: {"type": "message", "text": str} | {"type": "offer", "price": int}
server → client: history, message, typing, chunk, state, error (builders below).

Every payload a buyer can receive is built here from explicit fields, so nothing private
(the floor price, the Advisor's state or decision) can leak by serialising a model wholesale.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from mlcore.schema import MAX_PRICE, Act

# Client → server
MESSAGE = "message"
OFFER = "offer"
# Server → client
HISTORY = "history"
TYPING = "typing"
CHUNK = "chunk"
STATE = "state"
ERROR = "error"


class ProtocolError(Exception):
    """A request the server refuses; `message` is shown to the user as it is (Korean)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ClientMessage:
    text: str


@dataclass(frozen=True)
class ClientOffer:
    price: int


_ALLOWED_CONTROLS = {"\n", "\t"}
# Invisible format characters (zero-width, bidi overrides) are dropped: they change how a
# message reads without being seen.
_DROPPED_CATEGORIES = {"Cf"}
# Control characters, and lone surrogates (valid JSON escapes, but no UTF-8 can store them).
_REFUSED_CATEGORIES = {"Cc", "Cs"}


def clean_text(text: Any) -> str:
    """A buyer's text, validated: a string, no control characters, 1..max characters."""
    if not isinstance(text, str):
        raise ProtocolError("bad_request", "메시지 형식이 올바르지 않아요.")
    if any(unicodedata.category(ch) in _REFUSED_CATEGORIES and ch not in _ALLOWED_CONTROLS for ch in text):
        raise ProtocolError("bad_text", "메시지에 허용되지 않는 제어 문자가 들어 있어요.")
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    text = text.replace("\t", " ").replace("\r", "").strip()
    if not text:
        raise ProtocolError("empty", "메시지를 입력해 주세요.")
    limit = settings.NELLM_CHAT_MAX_LENGTH
    if len(text) > limit:
        raise ProtocolError("too_long", f"메시지는 {limit}자까지 보낼 수 있어요.")
    return text


def clean_price(price: Any) -> int:
    if isinstance(price, str):
        price = price.replace(",", "").replace("원", "").strip()
        # isdecimal, not isdigit: "²" and "①" are digits that int() refuses.
        if not price.isdecimal():
            raise ProtocolError("bad_price", "가격은 숫자로 입력해 주세요.")
        price = int(price)
    if isinstance(price, bool) or not isinstance(price, int):
        raise ProtocolError("bad_price", "가격은 숫자로 입력해 주세요.")
    if price <= 0 or price > MAX_PRICE:
        raise ProtocolError("bad_price", "가격은 1원 이상 1억원 이하로 입력해 주세요.")
    return price


def parse_client(content: Any) -> ClientMessage | ClientOffer:
    """One frame from the client, validated; raises ProtocolError with a Korean message."""
    if not isinstance(content, dict):
        raise ProtocolError("bad_request", "메시지 형식이 올바르지 않아요.")
    kind = content.get("type")
    if kind == MESSAGE:
        return ClientMessage(clean_text(content.get("text")))
    if kind == OFFER:
        return ClientOffer(clean_price(content.get("price")))
    raise ProtocolError("bad_request", "알 수 없는 요청이에요.")


# --- server → client ------------------------------------------------------------------------------


# The Advisor's acts as the seller reads them beside the bot's replies.
ACT_LABELS: dict[str, str] = {
    Act.GREET: "인사",
    Act.ANSWER: "상품 답변",
    Act.COUNTER: "역제안",
    Act.HOLD: "가격 유지",
    Act.ACCEPT: "가격 합의",
    Act.DENY: "가격 거절",
    Act.FINAL_ACCEPT: "최종 수락",
    Act.FINAL_DENY: "최종 거절",
    Act.REFUSE: "응대 거절",
}


def message_dict(message: Any, *, seller_view: bool = False) -> dict[str, Any]:
    """A stored message for the client. Only the listing's seller and staff (`seller_view`) see
    the Advisor's decision behind a bot reply: its act and price, never its state or reasons."""
    data = {
        "id": message.pk,
        "role": message.role,
        "text": message.text,
        "price": message.price,
        "offer": message.is_offer,
        "reply_to": message.reply_to_id,
        "created": message.created_at.isoformat(),
    }
    decision = message.decision or {}
    if seller_view and decision.get("act") in ACT_LABELS:
        act = decision["act"]
        data["decision"] = {
            "act": act,
            "label": ACT_LABELS[act],
            "price": decision.get("price"),
            # The buyer's question went to the seller: the description does not answer it.
            "asks_seller": bool(decision.get("asks_seller")),
        }
    return data


def state_dict(session: Any, *, typing: bool | None = None) -> dict[str, Any]:
    listing = session.listing
    return {
        "state": session.state,
        "label": session.get_state_display(),
        "agreed_price": session.agreed_price,
        "bot_offer": session.last_bot_offer,  # the price the bot last stated to this buyer
        "standing_offer": session.standing_offer,
        "listing_status": listing.status,
        "listing_status_label": listing.get_status_display(),
        "typing": session.pending_message_id is not None if typing is None else typing,
    }


def history(
    messages: list[Any], session: Any, pending: dict[str, Any] | None, *, seller_view: bool = False
) -> dict[str, Any]:
    return {
        "type": HISTORY,
        "messages": [message_dict(m, seller_view=seller_view) for m in messages],
        "state": state_dict(session, typing=bool(pending and pending["live"])),
        "pending": pending,
    }


def message_event(message: Any, *, seller_view: bool = False) -> dict[str, Any]:
    return {"type": MESSAGE, "message": message_dict(message, seller_view=seller_view)}


def typing_event(reply_to: int) -> dict[str, Any]:
    return {"type": TYPING, "reply_to": reply_to}


def chunk_event(reply_to: int, text: str, offset: int) -> dict[str, Any]:
    # `offset` is where the piece starts in the reply: a client that got the partial text in
    # its history on reconnect skips what it already has.
    return {"type": CHUNK, "reply_to": reply_to, "text": text, "offset": offset}


def state_event(session: Any, *, typing: bool | None = None) -> dict[str, Any]:
    return {"type": STATE, **state_dict(session, typing=typing)}


def error_event(code: str, message: str) -> dict[str, Any]:
    return {"type": ERROR, "code": code, "message": message}
