"""The chat's WebSocket protocol, in one place (documented in docs/PROTOCOL.md).

client → server: {"type": "message", "text": str} | {"type": "offer", "price": int}
                 | {"type": "takeover" | "handback" | "accept" | "decline"} (the seller's)
                 | {"type": "read" | "typing"} | {"type": "feedback", "natural": bool, "comment": str}
server → client: history, message, typing, chunk, state, read, retract, error (builders below).

Every payload a buyer can receive is built here from explicit fields, so nothing private
(the floor price, the Advisor's state or decision) can leak by serialising a model wholesale.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from mlcore.negotiator.advisor import MAX_FINAL_OFFERS
from mlcore.schema import ACCEPT_TOKEN, DENY_TOKEN, FINAL_OFFER_RE, MAX_PRICE, Act

# Client → server
MESSAGE = "message"
OFFER = "offer"
# … from the listing's seller only (staff read the chat, they do not act in it)
TAKEOVER = "takeover"
HANDBACK = "handback"
ACCEPT = "accept"
DECLINE = "decline"
SELLER_ACTIONS = (TAKEOVER, HANDBACK, ACCEPT, DECLINE)
# … from either side: "I have read up to here", "I am typing" (a buyer's, shown to the seller)
READ = "read"
FEEDBACK = "feedback"  # the buyer's {"natural": bool, "comment": str} once the chat ended
ACTIONS = (*SELLER_ACTIONS, READ, "typing")
# Server → client
HISTORY = "history"
TYPING = "typing"
CHUNK = "chunk"
STATE = "state"
RETRACT = "retract"
READ_UP_TO = "read"  # {"role": "buyer" | "seller", "up_to": id}: that side has seen up to there
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


@dataclass(frozen=True)
class ClientFeedback:
    natural: bool
    comment: str


@dataclass(frozen=True)
class ClientAction:
    """A move with no fields: one of ACTIONS (the seller's, or read / typing)."""

    kind: str


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


def parse_client(content: Any) -> ClientMessage | ClientOffer | ClientFeedback | ClientAction:
    """One frame from the client, validated; raises ProtocolError with a Korean message."""
    if not isinstance(content, dict):
        raise ProtocolError("bad_request", "메시지 형식이 올바르지 않아요.")
    kind = content.get("type")
    if kind == MESSAGE:
        return ClientMessage(clean_text(content.get("text")))
    if kind == OFFER:
        return ClientOffer(clean_price(content.get("price")))
    if kind == FEEDBACK:
        natural, comment = content.get("natural"), content.get("comment", "")
        if not isinstance(natural, bool) or not isinstance(comment, str):
            raise ProtocolError("bad_request", "평가 형식이 올바르지 않아요.")
        return ClientFeedback(natural, comment)
    if kind in ACTIONS:
        return ClientAction(kind)
    raise ProtocolError("bad_request", "알 수 없는 요청이에요.")


# --- server → client ------------------------------------------------------------------------------


# The Advisor's acts as the seller reads them beside the bot's replies.
ACT_LABELS: dict[str, str] = {
    Act.GREET: "인사",
    Act.ANSWER: "상품 답변",
    Act.COUNTER: "역제안",
    Act.HOLD: "가격 유지",
    Act.ACCEPT: "가격 동의 · 최종 제안 대기",  # no deal yet: the buyer still sends the final offer
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
        "seller_in_control": session.seller_in_control,  # the seller answers, not the bot
        "feedback_given": session.feedback_natural is not None,
        # Final offers the buyer may still send: the one turned down last of them ends the chat.
        "final_offers_left": _final_offers_left(session),
        # Each side's read mark (a message id): the page marks one's own bubbles 1 / 읽음.
        "read": {"buyer": session.buyer_read_id, "seller": session.seller_read_id},
    }


def _final_offers_left(session: Any) -> int:
    return max(MAX_FINAL_OFFERS - (session.advisor_state or {}).get("final_offers", 0), 0)


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


def read_event(role: str, up_to: int) -> dict[str, Any]:
    return {"type": READ_UP_TO, "role": role, "up_to": up_to}


def retract_event(reply_to: int) -> dict[str, Any]:
    """The reply being streamed for `reply_to` was stopped and never stored: drop its text."""
    return {"type": RETRACT, "reply_to": reply_to}


# --- the seller's cockpit (`/ws/selling/`) -------------------------------------------------------------

COCKPIT = "cockpit"
COCKPIT_ROWS = 300  # the most recent chats in the snapshot
CANCEL = "cancel"  # cockpit: cancel a listing's reservation
ROW = "row"
BUYER_TYPING = "buyer_typing"
LAST_MESSAGE_CHARS = 80


def member_name(user: Any) -> str:
    """The name the site shows for a member: their nickname (the username if they have none)."""
    profile = getattr(user, "profile", None)
    return profile.nickname if profile is not None else user.username


@dataclass(frozen=True)
class SellingRequest:
    kind: str  # one of SELLER_ACTIONS (on chat `target`) or CANCEL (on listing `target`)
    target: int


def parse_selling(content: Any) -> SellingRequest:
    """One frame of the cockpit socket: {"type": <seller action>, "session": id} or
    {"type": "cancel", "listing": id}."""
    if not isinstance(content, dict):
        raise ProtocolError("bad_request", "메시지 형식이 올바르지 않아요.")
    kind = content.get("type")
    if kind not in (*SELLER_ACTIONS, CANCEL):
        raise ProtocolError("bad_request", "알 수 없는 요청이에요.")
    target = content.get("listing" if kind == CANCEL else "session")
    if isinstance(target, bool) or not isinstance(target, int) or not 0 < target < 2**63:
        raise ProtocolError("bad_request", "대상이 올바르지 않아요.")
    return SellingRequest(kind, target)


# The answer to a final offer, as the chat list and the cockpit say it (the chat shows a badge).
_VERDICT_WORDS = ((ACCEPT_TOKEN, "제안을 수락했어요"), (DENY_TOKEN, "제안을 거절했어요"))


def message_preview(text: str | None, role: str | None) -> str:
    """A message as one short line for the chat list and the cockpit: protocol tokens in words
    ("가격 제안 280,000원", and for the bot's answers "제안을 수락했어요 · …"). Only the bot answers a
    final offer: a token a person typed stays as typed, as their bubble shows it, or a seller's
    "##<수락>## 내일 봬요" would read as a deal in the buyer's list."""
    text = text or ""
    lead = ""
    if role == "bot":  # Message.Role.BOT
        lead = next((words for token, words in _VERDICT_WORDS if token in text), "")
        for token, _words in _VERDICT_WORDS:
            text = text.replace(token, "")
    text = FINAL_OFFER_RE.sub(lambda m: f"가격 제안 {int(m.group(1).replace(',', '')):,}원", text)
    return " · ".join(part for part in (lead, " ".join(text.split())) if part)[:LAST_MESSAGE_CHARS]


def cockpit_row(session: Any) -> dict[str, Any]:
    """One chat as the seller's cockpit shows it (`selectors.cockpit_sessions` rows): the
    seller's own view, so both sides' offers, never the Advisor's state or the floor."""
    listing = session.listing
    return {
        "id": session.pk,
        "url": f"/chat/{session.pk}/",
        "listing": {
            "id": listing.pk,
            "title": listing.title,
            "price": listing.price,
            "status": listing.status,
            "status_label": listing.get_status_display(),
        },
        "buyer": member_name(session.buyer),
        "state": session.state,
        "label": session.get_state_display(),
        "bot_offer": session.last_bot_offer,
        "buyer_offer": session.last_buyer_offer,
        "standing_offer": session.standing_offer,
        "agreed_price": session.agreed_price,
        "seller_in_control": session.seller_in_control,
        "typing": session.pending_message_id is not None,  # the bot is writing a reply
        "unread": session.unread,
        "last": {
            "role": session.last_role,
            "text": message_preview(session.last_text, session.last_role),
            "created": session.last_at.isoformat() if session.last_at else None,
        },
        "updated": session.updated_at.isoformat(),
    }


def cockpit_event(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": COCKPIT, "rows": rows}


def row_event(row: dict[str, Any]) -> dict[str, Any]:
    return {"type": ROW, "row": row}


def buyer_typing_event(session_id: int) -> dict[str, Any]:
    return {"type": BUYER_TYPING, "session": session_id}


def error_event(code: str, message: str) -> dict[str, Any]:
    return {"type": ERROR, "code": code, "message": message}
