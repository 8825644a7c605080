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
from .models import ChatSession, Message, Notification

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
CLOSED_REPLY = f"{schema.DENY_TOKEN} 죄송해요, 이 협상은 이미 종료되어서 제안을 받을 수 없어요."
FAILURE_NOTICE = "답장을 준비하다가 문제가 생겼어요. 보내신 메시지는 저장되어 있으니 곧 다시 답장해 드릴게요."
STALE_NOTICE = "답장이 늦어지고 있어요. 보내신 메시지는 저장되어 있으니 조금만 기다려 주세요."


class ReplyDropped(Exception):
    """The reply being written must not be stored: the chat changed state under it (`state`: a
    deal elsewhere, a status change), the seller took the chat over (`takeover`), or the seller
    named a price the reply's decision did not know about (`seller_word`: answered again)."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


class _Stream:
    """The `on_chunk` callback: streams the guard-checked pieces to the group as they are
    written (the typing pace is the browser's: nothing here waits) and stops the reply
    (`ReplyDropped`) as soon as the chat's state changed under it or the seller took over.

    A reply quicker than NELLM_STREAM_PARTIAL_AFTER_MS (the rules realizer's takes a millisecond)
    goes out whole, as its stored message, which the page reveals word by word: no `typing`, no
    chunks, no partial text, since it is stored before anyone could use them. Once a reply has
    taken longer, `typing` and the text so far go out as one chunk, and each later piece as its
    own; the text so far is kept in the cache before each chunk is sent, so a client that
    reconnects finds in its history at least what preceded the chunks it then receives.
    Per piece: one cache read (both stop signals at once); the lock's lease is renewed once a
    third of it has passed."""

    def __init__(self, session_id: int, message_id: int, lock_token: str, version: int) -> None:
        self.session_id = session_id
        self.message_id = message_id
        self.lock_token = lock_token
        self.version = version
        self.text = ""
        self.sent = 0  # characters of `text` already streamed
        self.started = self.leased = time.monotonic()
        self.keys = [selectors.state_version_key(session_id), selectors.stop_key(message_id)]

    def __call__(self, piece: str) -> None:
        found = cache.get_many(self.keys)
        # Only a newer version is a change: a copy that lags (a lost cache write) is none.
        if int(found.get(self.keys[0], self.version)) > self.version:
            raise ReplyDropped("state")
        if found.get(self.keys[1]):
            raise ReplyDropped("takeover")  # closes the generator mid-stream: it stops
        self.text += piece
        ttl = settings.NELLM_REPLY_LOCK_TTL
        now = time.monotonic()
        if now - self.leased >= ttl / 3:
            cache.set(selectors.lock_key(self.message_id), self.lock_token, timeout=ttl)
            self.leased = now
        if now - self.started < settings.NELLM_STREAM_PARTIAL_AFTER_MS / 1000:
            return  # held back: a quick reply goes out whole
        cache.set(selectors.partial_key(self.message_id), self.text, timeout=ttl * 3)
        chunk = protocol.chunk_event(self.message_id, self.text[self.sent :], self.sent)
        if self.sent:
            events.session_send(self.session_id, chunk)
        else:
            events.session_send(self.session_id, protocol.typing_event(self.message_id), chunk)
        self.sent = len(self.text)


def reply_generate(*, message_id: int) -> Message | None:
    """Answer buyer message `message_id` once: Advisor → generator → guard, streamed, stored.

    Safe to call any number of times: an answered message returns its reply, and while
    another process is writing the reply (its lock is alive) this call does nothing.
    """
    message = (
        Message.objects.select_related("session__listing", "reply")
        .filter(pk=message_id, role=Role.BUYER)
        .first()
    )
    if message is None:
        return None
    if hasattr(message, "reply"):  # answered already (the reverse one-to-one, in the same query)
        return message.reply
    session = message.session
    if session.pending_message_id != message_id or session.seller_in_control:
        return None
    token = uuid.uuid4().hex
    lock = selectors.lock_key(message_id)
    if not cache.add(lock, token, timeout=settings.NELLM_REPLY_LOCK_TTL):
        return None
    version, requeue = session.state_version, False
    try:
        if session.state != State.OPEN:  # it changed after the message was stored: no bot turn
            raise ReplyDropped("state")
        stream = _Stream(session.pk, message_id, token, version)
        negotiator, turn = _respond(session, message, stream)
        return _reply_store(
            message, turn, negotiator.to_state(), version, known_seller_price=session.seller_price
        )
    except ReplyDropped as dropped:
        # Clients drop what they were shown of it; nothing of it was stored.
        events.session_send(session.pk, protocol.retract_event(message_id))
        requeue = _superseded(message) if dropped.why == "state" else dropped.why == "seller_word"
        return None
    finally:
        # A partial text left by an earlier, failed attempt goes too (reconnecting clients would
        # see it as this one's).
        done = [lock] if cache.get(lock) == token else []
        cache.delete_many([*done, selectors.partial_key(message_id)])
        if requeue:  # only once the lock is free, or the next attempt would skip it
            dispatch.reply_enqueue(message_id=message_id)


def _superseded(message: Message) -> bool:
    """The reply was decided for a state the chat has left: nothing is stored. A chat still
    open decides again (True: queue it again); any other keeps the final offer as a standing
    one where it may wait, and stops waiting for a reply."""
    with transaction.atomic():
        session = (
            ChatSession.objects.select_for_update(of=("self",))
            .select_related("listing")
            .get(pk=message.session_id)
        )
        if session.pending_message_id != message.pk:
            return False
        if session.state == State.OPEN:
            # The row is the truth (and locked): a lost write of the cache's copy would drop
            # every next attempt too, for as long as the copy lives.
            cache.set(selectors.state_version_key(session.pk), session.state_version, timeout=86400)
            session.pending_since = timezone.now()
            session.save(update_fields=["pending_since"])
            return True
        fields = ["pending_message", "pending_since", "updated_at"]
        session.pending_message, session.pending_since = None, None
        answer = []
        if message.is_offer:  # a final offer still gets its answer, true to the chat's new state
            waiting = session.state == State.WAITING
            if waiting:
                session.standing_offer = message.price
                fields.append("standing_offer")
            text = RESERVED_RACE_REPLY if waiting else CLOSED_REPLY
            answer.append(
                Message.objects.create(
                    session=session,
                    role=Role.BOT,
                    text=text,
                    decision={"act": "final_deny", "price": None, "reason": "chat_state_changed"},
                    generator="site",
                    reply_to=message,
                )
            )
        session.save(update_fields=fields)
        events.messages_announce(session=session, messages=answer, typing=False)
    return False


def _respond(session: ChatSession, message: Message, on_chunk: Any) -> tuple[Any, Any]:
    from mlcore.negotiator.advisor import Market
    from mlcore.negotiator.pipeline import Negotiator

    from .generators import get_generator

    listing = session.listing
    negotiator = Negotiator(
        policy=selectors.advisor_policy(session=session),
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
    # Two columns, not models: the history grows with the chat and is read for every reply.
    earlier = session.messages.filter(id__lt=message.pk).exclude(role=Role.SYSTEM).order_by("id")
    history = [
        schema.Event(schema.BUYER if role == Role.BUYER else schema.SELLER, text)
        for role, text in earlier.values_list("role", "text")
    ]
    best, buyers = selectors.market_for(session=session)
    if best is not None and session.seller_price is not None:
        best = min(best, session.seller_price)  # the seller gave this buyer their word knowingly
    market = Market(best_other_offer=best, active_buyers=buyers + 1)
    turn = negotiator.respond(message.text, history=history, market=market, on_chunk=on_chunk)
    return negotiator, turn


def _asks_seller(decision: Any) -> bool:
    from mlcore.negotiator.realizer import asks_seller

    return asks_seller(decision)


def _act(decision: Any) -> str:
    act = decision.act
    return str(getattr(act, "value", act))


def _reply_store(
    message: Message,
    turn: Any,
    advisor_state: dict[str, Any],
    version: int,
    *,
    known_seller_price: int | None = None,
) -> Message:
    try:
        return _reply_commit(message, turn, advisor_state, version, known_seller_price=known_seller_price)
    except IntegrityError:  # the unique reply_to: someone stored it between our check and now
        return Message.objects.get(reply_to=message)


def _reply_commit(
    message: Message,
    turn: Any,
    advisor_state: dict[str, Any],
    version: int,
    *,
    known_seller_price: int | None,
) -> Message:
    """`_reply_store`'s transaction: a duplicate rolls all of it back (no savepoint per reply)."""
    act = _act(turn.decision)
    with transaction.atomic():
        # Lock order everywhere: listing, then sessions (an acceptance also locks the others).
        listing = None
        if act == "final_accept":
            listing = Listing.objects.select_for_update().get(pk=message.session.listing_id)
        session = (
            ChatSession.objects.select_for_update(of=("self",))
            .select_related("listing")
            .get(pk=message.session_id)
        )
        if session.pending_message_id != message.pk:  # storing a reply clears it, under this lock
            existing = Message.objects.filter(reply_to=message).first()
            if existing is not None:
                return existing
        if session.state_version != version or session.state != State.OPEN:
            raise ReplyDropped("state")  # checked under the lock that a status change takes too
        # Checked under the chat's lock, which the seller's takeover and messages also take.
        if session.seller_in_control or session.pending_message_id != message.pk:
            raise ReplyDropped("takeover")
        # Decided again once only for each new word of the seller's (a decision made knowing
        # it keeps to it: the Advisor's own offer was bound before it decided).
        word = session.seller_price
        if word != known_seller_price and _breaks_seller_word(turn.decision, word):
            raise ReplyDropped("seller_word")
        if session.seller_price is not None:
            advisor_state = _seller_bound(session, advisor_state)
        decision = {**turn.decision.to_dict(), "asks_seller": _asks_seller(turn.decision)}
        text = turn.text
        fields = ["pending_message", "pending_since", "advisor_state", "updated_at"]
        if listing is not None:
            session.listing = listing
            other_deal = ChatSession.objects.filter(listing=listing, state=State.AGREED).exclude(
                pk=session.pk
            )
            if listing.status == Status.ON_SALE and not listing.is_hidden and not other_deal.exists():
                services.deal_record(session=session, price=turn.decision.price or message.price)
                listing_set_status(listing=listing, status=Status.RESERVED)
            else:  # the listing changed while the reply was written: no deal, and say why
                decision = {"act": "final_deny", "price": None, "reason": "listing_not_on_sale"}
                advisor_state = session.advisor_state  # the Advisor's "closed, accepted" did not happen
                if listing.is_hidden and listing.status == Status.ON_SALE:
                    text = HIDDEN_REPLY  # the chat stays open for when the seller shows it again
                elif listing.status == Status.SOLD:
                    text = SOLD_REPLY
                    fields += services.session_state_set(session=session, state=State.CLOSED)
                else:  # another buyer's deal committed first: this one waits with its offer
                    text = RESERVED_RACE_REPLY
                    fields += services.session_state_set(session=session, state=State.WAITING)
                    session.standing_offer = message.price or session.last_buyer_offer
                    fields.append("standing_offer")
        elif act == "final_deny" and turn.decision.closed:
            fields += services.session_state_set(session=session, state=State.FAILED)
        if act != "final_accept" and turn.decision.quote and turn.decision.price is not None:
            session.last_bot_offer = int(turn.decision.price)
            fields.append("last_bot_offer")
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
        session.pending_message = None
        session.pending_since = None
        session.advisor_state = advisor_state
        session.save(update_fields=fields)
        if decision.get("asks_seller"):  # the description does not answer it: the seller is asked
            services.notification_create(
                user_id=session.listing.seller_id,
                kind=Notification.Kind.QUESTION,
                session=session,
                text=f"'{session.listing.title}' 구매자 질문: {message.text}",
            )
        if decision.get("act") == "final_deny":  # a probe, maybe: the next reply counts it
            listing_id = session.listing_id
            events.after_commit(
                lambda: cache.set(selectors.probes_version_key(listing_id), uuid.uuid4().hex, timeout=86400)
            )
        events.messages_announce(session=session, messages=[reply], typing=False)
    return reply


def _breaks_seller_word(decision: Any, seller_price: int | None) -> bool:
    """A decision made before the seller named a lower price (the seller typed while it was
    written). Accepting the buyer's own final price is the buyer's word, not the bot's."""
    if seller_price is None or decision.price is None or _act(decision) == "final_accept":
        return False
    return int(decision.price) > seller_price


def _seller_bound(session: ChatSession, advisor_state: dict[str, Any]) -> dict[str, Any]:
    from mlcore.negotiator.advisor import Advisor

    advisor = Advisor(selectors.advisor_policy(session=session), state=advisor_state)
    advisor.seller_stated(session.seller_price)
    return advisor.to_state()


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
