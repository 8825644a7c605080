"""Writes for the chat: opening sessions, storing messages, generating and storing replies.

Every buyer message is validated and stored before anything else happens; channel-layer events
and generation jobs are started only once the transaction that stored it has committed
(`transaction.on_commit`), so no client ever hears about a row that a rollback removed.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from marketplace.models import Listing, Status
from marketplace.services import listing_set_status
from mlcore import schema

from . import events, protocol, selectors
from .models import ChatSession, Message, group_name
from .protocol import ProtocolError as ChatError

log = logging.getLogger(__name__)

State = ChatSession.State
Role = Message.Role
FINISHED = (State.AGREED, State.FAILED, State.CLOSED)

WELCOME = (
    "판매자를 대신해 낼름 봇이 가격을 협상해 드려요. 편하게 대화하시고, 마음이 정해지면 "
    "'가격 제안' 버튼으로 최종 가격을 보내 주세요."
)
RESERVED_NOTICE = (
    "이 상품은 방금 다른 구매자분과 거래가 성사되어 예약중이 되었어요. 죄송해요! "
    "원하시면 '가격 제안'으로 희망 가격을 남겨 두세요. 예약이 취소되면 이어서 협상하실 수 있어요."
)
RESERVED_RACE_REPLY = (
    f"{schema.DENY_TOKEN} 죄송해요, 방금 다른 분과 거래가 먼저 성사되어 예약중이 되었어요. "
    "제안하신 가격은 남겨 둘게요. 예약이 취소되면 다시 이어서 이야기해요."
)
HIDDEN_REPLY = (
    f"{schema.DENY_TOKEN} 죄송해요, 판매자가 판매글을 잠시 내려 두어서 지금은 거래를 확정할 수 없어요. "
    "다시 공개되면 그때 가격 제안 부탁드려요."
)
SOLD_REPLY = f"{schema.DENY_TOKEN} 죄송해요, 이 상품은 방금 판매가 완료되었어요. 관심 가져 주셔서 감사해요!"
HIDDEN_NOTICE = "판매자가 판매글을 잠시 숨겨 두었어요. 다시 공개되면 이어서 대화할 수 있어요."
FAILURE_NOTICE = "답장을 준비하다가 문제가 생겼어요. 보내신 메시지는 저장되어 있으니 곧 다시 답장해 드릴게요."
STALE_NOTICE = "답장이 늦어지고 있어요. 보내신 메시지는 저장되어 있으니 조금만 기다려 주세요."


# --- helpers ----------------------------------------------------------------------------------------


def _after_commit(fn: Any) -> None:
    transaction.on_commit(fn, robust=True)


def _send(session_id: int, payload: dict[str, Any], seller_payload: dict[str, Any] | None = None) -> None:
    events.group_send(group_name(session_id), payload, seller_payload=seller_payload)


def _announce(session: ChatSession, *messages: Message, typing: bool | None = None) -> None:
    """After commit: every stored message, then the session's state."""
    payloads = [
        (protocol.message_event(m), protocol.message_event(m, seller_view=True) if m.decision else None)
        for m in messages
    ]
    payloads.append((protocol.state_event(session, typing=typing), None))
    session_id = session.pk

    def send() -> None:
        for payload, seller_payload in payloads:
            _send(session_id, payload, seller_payload)

    _after_commit(send)


def _system(session: ChatSession, text: str) -> Message:
    return Message.objects.create(session=session, role=Role.SYSTEM, text=text)


def _parse_price(text: str, list_price: int) -> int | None:
    from mlcore.language.prices import parse_price

    try:
        price = parse_price(text, list_price=list_price)
    except Exception:  # a parser bug must not lose the buyer's message
        log.exception("price parser failed on a buyer message")
        return None
    return int(price) if price is not None and 0 < price <= protocol.MAX_PRICE else None


def _rate_limit(user: Any) -> None:
    window = settings.NELLM_CHAT_RATE_WINDOW
    key = f"chat:rate:{user.pk}:{int(time.time() // window)}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        count = 1
    if count > settings.NELLM_CHAT_RATE_LIMIT:
        raise ChatError("rate_limited", "메시지를 너무 빠르게 보내고 있어요. 잠시 후 다시 보내 주세요.")


def _locked_session(session_id: int, user: Any) -> tuple[ChatSession, str]:
    session = selectors.session_for_user(session_id=session_id, user=user)
    if session is None:
        raise ChatError("forbidden", "이 대화에 참여할 수 없어요.")
    session = ChatSession.objects.select_for_update().select_related("listing").get(pk=session_id)
    return session, selectors.session_role(session=session, user=user)


# --- opening ------------------------------------------------------------------------------------------


def session_open(*, listing: Listing, buyer: Any) -> ChatSession:
    """The buyer's session on `listing`: resumed if it exists, else created (on sale only)."""
    if listing.seller_id == buyer.pk:
        raise ChatError("own_listing", "내 판매글에는 가격 협상을 열 수 없어요.")
    existing = ChatSession.objects.filter(listing=listing, buyer=buyer).first()
    if existing is not None:
        return existing
    if listing.is_hidden or listing.status != Status.ON_SALE:
        raise ChatError("not_on_sale", "판매중인 상품만 가격 협상을 시작할 수 있어요.")
    if listing.price == 0:
        raise ChatError("free_listing", "무료 나눔 상품이라 가격 협상이 필요 없어요.")
    try:
        with transaction.atomic():
            session = ChatSession.objects.create(listing=listing, buyer=buyer)
            _system(session, WELCOME)
    except IntegrityError:  # the same buyer opened it twice at once: resume the winner
        return ChatSession.objects.get(listing=listing, buyer=buyer)
    return session


# --- buyer and seller input ------------------------------------------------------------------------------


def message_submit(*, session_id: int, user: Any, text: str) -> Message:
    text = protocol.clean_text(text)
    offer = schema.final_offer_price(text)
    if offer is not None:  # a typed `##<price>##` is the final offer, with the offer's checks
        return offer_submit(session_id=session_id, user=user, price=offer, text=text)
    with transaction.atomic():
        session, role = _locked_session(session_id, user)
        if role == Role.SELLER:
            _rate_limit(user)
            message = Message.objects.create(session=session, role=Role.SELLER, text=text)
            _announce(session, message)
            return message
        _check_buyer_can_talk(session, role)
        if session.state == State.WAITING:
            raise ChatError("reserved", "예약중인 상품이에요. '가격 제안'으로 희망 가격을 남겨 둘 수 있어요.")
        _rate_limit(user)
        price = _parse_price(text, session.listing.price)
        return _buyer_store(session, text=text, price=price, is_offer=False)


def offer_submit(*, session_id: int, user: Any, price: Any, text: str | None = None) -> Message:
    """The buyer's final offer; `text` is what they typed around a `##<price>##` token, kept whole."""
    price = protocol.clean_price(price)
    text = text or schema.final_offer_token(price)
    with transaction.atomic():
        session, role = _locked_session(session_id, user)
        _check_buyer_can_talk(session, role)
        if price > session.listing.price:
            raise ChatError(
                "above_price", f"제안 가격은 판매 가격({session.listing.price:,}원) 이하로 입력해 주세요."
            )
        _rate_limit(user)
        if session.state == State.WAITING:
            message = Message.objects.create(
                session=session, role=Role.BUYER, text=text, price=price, is_offer=True
            )
            session.standing_offer = price
            session.last_buyer_offer = price
            session.save(update_fields=["standing_offer", "last_buyer_offer", "updated_at"])
            ack = _system(
                session, f"{price:,}원 제안을 남겨 두었어요. 예약이 취소되면 이어서 협상하실 수 있어요."
            )
            _announce(session, message, ack)
            return message
        return _buyer_store(session, text=text, price=price, is_offer=True)


def _check_buyer_can_talk(session: ChatSession, role: str) -> None:
    if role != Role.BUYER:
        raise ChatError("buyer_only", "구매자만 가격을 협상할 수 있어요.")
    if session.state in FINISHED:
        raise ChatError("finished", "이미 끝난 협상이에요.")
    if session.pending_message_id is not None:
        raise ChatError("busy", "답장을 쓰는 중이에요. 잠시만 기다려 주세요.")
    if session.listing.is_hidden:
        raise ChatError("hidden", HIDDEN_NOTICE)


def _buyer_store(session: ChatSession, *, text: str, price: int | None, is_offer: bool) -> Message:
    message = Message.objects.create(
        session=session, role=Role.BUYER, text=text, price=price, is_offer=is_offer
    )
    if price is not None:
        session.last_buyer_offer = price
    session.pending_message = message
    session.pending_since = timezone.now()
    session.save(update_fields=["last_buyer_offer", "pending_message", "pending_since", "updated_at"])
    _announce(session, message, typing=True)
    _after_commit(lambda: _enqueue(message.pk))
    return message


def _enqueue(message_id: int) -> None:
    from .dispatch import enqueue_reply

    try:
        enqueue_reply(message_id)
    except Exception:  # broker down: the message is stored and the sweeper queues it later
        log.exception("could not queue the reply to message %s", message_id)


# --- generation ------------------------------------------------------------------------------------------


class _Stream:
    """The `on_chunk` callback: sends each guard-checked piece to the group as it comes, keeps
    the text so far in the cache for clients that reconnect, and keeps the lock alive."""

    def __init__(self, session_id: int, message_id: int, lock_token: str) -> None:
        self.session_id = session_id
        self.message_id = message_id
        self.lock_token = lock_token
        self.text = ""
        self.delay = max(settings.NELLM_STREAM_DELAY_MS, 0) / 1000

    def __call__(self, piece: str) -> None:
        for word in _words(piece) if self.delay else [piece]:
            if self.delay:
                time.sleep(self.delay)
            offset = len(self.text)
            self.text += word
            ttl = settings.NELLM_REPLY_LOCK_TTL
            cache.set(selectors.partial_key(self.message_id), self.text, timeout=ttl * 3)
            cache.set(selectors.lock_key(self.message_id), self.lock_token, timeout=ttl)
            _send(self.session_id, protocol.chunk_event(self.message_id, word, offset))


def _words(piece: str) -> list[str]:
    words = piece.split(" ")
    return [w + " " for w in words[:-1]] + ([words[-1]] if words[-1] else [])


def reply_generate(*, message_id: int) -> Message | None:
    """Answer buyer message `message_id` once: Advisor → generator → guard, streamed, stored.

    Safe to call any number of times: an answered message returns its reply, and while
    another process is writing the reply (its lock is alive) this call does nothing.
    """
    message = (
        Message.objects.select_related("session__listing").filter(pk=message_id, role=Role.BUYER).first()
    )
    if message is None:
        return None
    existing = Message.objects.filter(reply_to_id=message_id).first()
    if existing is not None:
        return existing
    session = message.session
    if session.pending_message_id != message_id:
        return None
    token = uuid.uuid4().hex
    lock = selectors.lock_key(message_id)
    if not cache.add(lock, token, timeout=settings.NELLM_REPLY_LOCK_TTL):
        return None
    try:
        _send(session.pk, protocol.typing_event(message_id))
        stream = _Stream(session.pk, message_id, token)
        negotiator, turn = _respond(session, message, stream)
        return _reply_store(message, turn, negotiator.to_state())
    finally:
        if cache.get(lock) == token:
            cache.delete(lock)
        cache.delete(selectors.partial_key(message_id))


def _respond(session: ChatSession, message: Message, on_chunk: Any) -> tuple[Any, Any]:
    from mlcore.negotiator.advisor import Market, SellerPolicy
    from mlcore.negotiator.pipeline import Negotiator

    from .generators import get_generator

    listing = session.listing
    policy = SellerPolicy(list_price=listing.price, floor_price=listing.floor_price, style=listing.style)
    negotiator = Negotiator(
        policy=policy,
        listing=schema.Listing(
            listing.title,
            listing.description,
            listing.price,
            listing.category,
            listed_on=timezone.localdate(listing.created_at),
        ),
        generator=get_generator(),
        state=session.advisor_state or None,
    )
    history = [
        schema.Event(schema.BUYER if m.role == Role.BUYER else schema.SELLER, m.text)
        for m in session.messages.filter(id__lt=message.pk).exclude(role=Role.SYSTEM).order_by("id")
    ]
    best, buyers = selectors.market_for(session=session)
    market = Market(best_other_offer=best, active_buyers=buyers + 1)
    turn = negotiator.respond(message.text, history=history, market=market, on_chunk=on_chunk)
    return negotiator, turn


def _act(decision: Any) -> str:
    act = decision.act
    return str(getattr(act, "value", act))


def _reply_store(message: Message, turn: Any, advisor_state: dict[str, Any]) -> Message:
    act = _act(turn.decision)
    with transaction.atomic():
        # Lock order everywhere: listing, then sessions (an acceptance also locks the others).
        listing = None
        if act == "final_accept":
            listing = Listing.objects.select_for_update().get(pk=message.session.listing_id)
        session = ChatSession.objects.select_for_update().select_related("listing").get(pk=message.session_id)
        existing = Message.objects.filter(reply_to=message).first()
        if existing is not None:
            return existing
        decision = turn.decision.to_dict()
        text = turn.text
        fields = ["pending_message", "pending_since", "advisor_state", "updated_at"]
        if listing is not None:
            session.listing = listing
            if listing.status == Status.ON_SALE and not listing.is_hidden:
                session.state = State.AGREED
                session.agreed_price = turn.decision.price or message.price
                # Saved before the listing changes, so the other chats are the only ones told.
                session.save(update_fields=["state", "agreed_price", "updated_at"])
                listing_set_status(listing=listing, status=Status.RESERVED)
            else:  # the listing changed while the reply was written: no deal, and say why
                decision = {"act": "final_deny", "price": None, "reason": "listing_not_on_sale"}
                advisor_state = session.advisor_state  # the Advisor's "closed, accepted" did not happen
                if listing.is_hidden and listing.status == Status.ON_SALE:
                    text = HIDDEN_REPLY  # the chat stays open for when the seller shows it again
                elif listing.status == Status.SOLD:
                    text, session.state = SOLD_REPLY, State.CLOSED
                    fields.append("state")
                else:  # another buyer's acceptance committed first: this one waits with its offer
                    text, session.state = RESERVED_RACE_REPLY, State.WAITING
                    session.standing_offer = message.price or session.last_buyer_offer
                    fields += ["state", "standing_offer"]
        elif act == "final_deny" and turn.decision.closed:
            session.state = State.FAILED
            fields.append("state")
        if act != "final_accept" and turn.decision.quote and turn.decision.price is not None:
            session.last_bot_offer = int(turn.decision.price)
            fields.append("last_bot_offer")
        try:
            with transaction.atomic():
                reply = Message.objects.create(
                    session=session,
                    role=Role.BOT,
                    text=text,
                    price=schema.final_offer_price(text) or _parse_price(text, session.listing.price),
                    decision=decision,
                    generator=str(turn.generator),
                    repaired=bool(turn.repaired),
                    reply_to=message,
                )
        except IntegrityError:  # the unique reply_to: someone stored it between our check and now
            return Message.objects.get(reply_to=message)
        session.pending_message = None
        session.pending_since = None
        session.advisor_state = advisor_state
        session.save(update_fields=fields)
        _announce(session, reply, typing=False)
    return reply


def reply_failed(*, message_id: int) -> None:
    """A generation attempt failed: tell the buyer once, in Korean; the message stays pending
    so a retry or the sweeper answers it."""
    cache.delete(selectors.partial_key(message_id))
    _notice_once(message_id, FAILURE_NOTICE)


def _notice_once(message_id: int, text: str) -> None:
    if not cache.add(f"chat:notice:{message_id}", 1, timeout=6 * 3600):
        # Already told; still clear the typing indicator of clients that saw it start again.
        session = ChatSession.objects.select_related("listing").filter(pending_message_id=message_id).first()
        if session is not None:
            _send(session.pk, protocol.state_event(session, typing=False))
        return
    with transaction.atomic():
        session = ChatSession.objects.select_for_update().filter(pending_message_id=message_id).first()
        if session is None:
            return
        notice = _system(session, text)
        _announce(session, notice, typing=False)


def pending_sweep(*, session_id: int | None = None) -> int:
    """Re-queue buyer messages left unanswered (a dead worker, a lost task); returns how many."""
    stale = selectors.stale_pending(session_id=session_id)
    for message_id in stale:
        updated = ChatSession.objects.filter(pending_message_id=message_id).update(
            pending_since=timezone.now()
        )
        if updated:
            _notice_once(message_id, STALE_NOTICE)
            _enqueue(message_id)
    return len(stale)


# --- seller actions ------------------------------------------------------------------------------------


def reservation_cancel(*, listing_id: int, user: Any) -> Listing:
    """The seller cancels the reservation: the agreed chat ends, the waiting ones go on."""
    with transaction.atomic():
        listing = Listing.objects.select_for_update().get(pk=listing_id)
        if listing.seller_id != user.pk and not user.is_staff:
            raise ChatError("forbidden", "판매자만 예약을 취소할 수 있어요.")
        if listing.status != Status.RESERVED:
            raise ChatError("not_reserved", "예약중인 상품이 아니에요.")
        # The chats follow through `sessions_follow_listing`, as for any status change.
        return listing_set_status(listing=listing, status=Status.ON_SALE)


SOLD_NOTICE = "이 상품은 판매가 완료되어 협상이 종료되었어요. 관심 가져 주셔서 감사해요!"
REOPEN_NOTICE = "예약이 취소되었어요! 다시 가격을 협상하실 수 있어요."
CANCELLED_NOTICE = "판매자가 예약을 취소했어요. 이 거래는 종료되었어요."


def sessions_follow_listing(*, listing: Listing, old_status: str, **_: Any) -> None:
    """Keep every chat of a listing in step with its sale status (whoever changed it: a deal,
    the seller's own pages, a moderator); runs inside the transaction that changed it."""
    new_status = listing.status
    if new_status == Status.ON_SALE:
        transitions = {
            State.AGREED: (State.CLOSED, CANCELLED_NOTICE),
            State.WAITING: (State.OPEN, REOPEN_NOTICE),
        }
    elif new_status == Status.RESERVED:
        transitions = {State.OPEN: (State.WAITING, RESERVED_NOTICE)}
    else:  # sold: the agreed chat keeps its deal, the others end
        transitions = {State.OPEN: (State.CLOSED, SOLD_NOTICE), State.WAITING: (State.CLOSED, SOLD_NOTICE)}
    sessions = ChatSession.objects.select_for_update().filter(listing=listing, state__in=list(transitions))
    for session in sessions.order_by("pk"):
        session.listing = listing
        session.state, text = transitions[State(session.state)]
        session.save(update_fields=["state", "updated_at"])
        _announce(session, _system(session, text))
