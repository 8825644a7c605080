"""The chat's user-facing writes: opening sessions, storing messages and offers, seller actions.

Every buyer message is validated and stored before anything else happens; channel-layer events
and the reply job (`negotiation.replies`, queued through `negotiation.dispatch`) start only
once the transaction that stored it has committed.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from marketplace.models import Listing, Status
from marketplace.services import listing_set_status
from mlcore import schema

from . import dispatch, events, protocol, selectors
from .models import ChatSession, Message
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
HIDDEN_NOTICE = "판매자가 판매글을 잠시 숨겨 두었어요. 다시 공개되면 이어서 대화할 수 있어요."


# --- helpers ----------------------------------------------------------------------------------------


def system_message_create(*, session: ChatSession, text: str) -> Message:
    """A notice from the site itself (not the bot, not a person) in a chat."""
    return Message.objects.create(session=session, role=Role.SYSTEM, text=text)


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
            system_message_create(session=session, text=WELCOME)
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
            events.messages_announce(session=session, messages=[message])
            return message
        _check_buyer_can_talk(session, role)
        if session.state == State.WAITING:
            raise ChatError("reserved", "예약중인 상품이에요. '가격 제안'으로 희망 가격을 남겨 둘 수 있어요.")
        _rate_limit(user)
        standing = (session.advisor_state or {}).get("own_offer")  # "5천원만 빼주세요" comes off it
        price = selectors.price_in_text(text=text, list_price=session.listing.price, standing=standing)
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
            ack = system_message_create(
                session=session,
                text=f"{price:,}원 제안을 남겨 두었어요. 예약이 취소되면 이어서 협상하실 수 있어요.",
            )
            events.messages_announce(session=session, messages=[message, ack])
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
    events.messages_announce(session=session, messages=[message], typing=True)
    events.after_commit(lambda: dispatch.reply_enqueue(message_id=message.pk))
    return message


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
        events.messages_announce(
            session=session, messages=[system_message_create(session=session, text=text)]
        )
