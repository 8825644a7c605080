"""The reply job: Advisor → generator → guard for one buyer message, streamed and stored once.

The dispatcher (`negotiation.dispatch`) runs it in a Celery worker (`negotiation.tasks`) or in
the web process's pool; either way it is idempotent — an answered message returns its reply,
and a reply is stored under the locks of its listing and chat, once (a unique `reply_to`).
Failures are told to the buyer once, in Korean, and the message stays pending for a retry.
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

from . import dispatch, events, protocol, selectors, services
from .models import ChatSession, Message

log = logging.getLogger(__name__)

State = ChatSession.State
Role = Message.Role

RESERVED_RACE_REPLY = (
    f"{schema.DENY_TOKEN} 죄송해요, 방금 다른 분과 거래가 먼저 성사되어 예약중이 되었어요. "
    "제안하신 가격은 남겨 둘게요. 예약이 취소되면 다시 이어서 이야기해요."
)
HIDDEN_REPLY = (
    f"{schema.DENY_TOKEN} 죄송해요, 판매자가 판매글을 잠시 내려 두어서 지금은 거래를 확정할 수 없어요. "
    "다시 공개되면 그때 가격 제안 부탁드려요."
)
SOLD_REPLY = f"{schema.DENY_TOKEN} 죄송해요, 이 상품은 방금 판매가 완료되었어요. 관심 가져 주셔서 감사해요!"
FAILURE_NOTICE = "답장을 준비하다가 문제가 생겼어요. 보내신 메시지는 저장되어 있으니 곧 다시 답장해 드릴게요."
STALE_NOTICE = "답장이 늦어지고 있어요. 보내신 메시지는 저장되어 있으니 조금만 기다려 주세요."


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
            events.session_send(self.session_id, protocol.chunk_event(self.message_id, word, offset))


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
        events.session_send(session.pk, protocol.typing_event(message_id))
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
            seller_relay=True,  # a question the description cannot answer is passed to the seller
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


def _asks_seller(decision: Any) -> bool:
    from mlcore.negotiator.realizer import asks_seller

    return asks_seller(decision)


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
        decision = {**turn.decision.to_dict(), "asks_seller": _asks_seller(turn.decision)}
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
                    price=schema.final_offer_price(text)
                    or selectors.price_in_text(text=text, list_price=session.listing.price),
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
        events.messages_announce(session=session, messages=[reply], typing=False)
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
            events.session_send(session.pk, protocol.state_event(session, typing=False))
        return
    with transaction.atomic():
        session = ChatSession.objects.select_for_update().filter(pending_message_id=message_id).first()
        if session is None:
            return
        notice = services.system_message_create(session=session, text=text)
        events.messages_announce(session=session, messages=[notice], typing=False)


def pending_sweep(*, session_id: int | None = None) -> int:
    """Re-queue buyer messages left unanswered (a dead worker, a lost task); returns how many."""
    stale = selectors.stale_pending(session_id=session_id)
    for message_id in stale:
        updated = ChatSession.objects.filter(pending_message_id=message_id).update(
            pending_since=timezone.now()
        )
        if updated:
            _notice_once(message_id, STALE_NOTICE)
            dispatch.reply_enqueue(message_id=message_id)
    return len(stale)
