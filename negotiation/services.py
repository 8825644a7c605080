"""The chat's user-facing writes: opening sessions, storing messages and offers, seller actions.

Every buyer message is validated and stored before anything else happens; channel-layer events
and the reply job (`negotiation.replies`, queued through `negotiation.dispatch`) start only
once the transaction that stored it has committed.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from marketplace.models import Listing, Status
from marketplace.selectors import users_blocked_between
from marketplace.services import listing_set_status, window_count
from mlcore import schema

from . import dispatch, events, protocol, selectors
from .models import ChatSession, Message, Notification
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


def session_state_set(*, session: ChatSession, state: str) -> list[str]:
    """Move a locked chat to `state`: the version goes up so that replies decided before the
    change are dropped or decided again (`negotiation.replies`). Returns the fields to save."""
    session.state = state
    session.state_version += 1
    session_id, version = session.pk, session.state_version
    # Registered before any notice of the change, so the streaming check sees it first.
    events.after_commit(lambda: cache.set(selectors.state_version_key(session_id), version, timeout=86400))
    return ["state", "state_version", "updated_at"]


def system_message_create(*, session: ChatSession, text: str) -> Message:
    """A notice from the site itself (not the bot, not a person) in a chat."""
    return Message.objects.create(session=session, role=Role.SYSTEM, text=text)


def notification_create(*, user_id: int, kind: str, text: str, session: ChatSession | None = None) -> None:
    Notification.objects.create(user_id=user_id, kind=kind, text=text[:200], session=session)


def deal_record(*, session: ChatSession, price: int) -> None:
    """`session` is agreed at `price` (the bot's or the seller's acceptance), inside the
    transaction that holds the listing's lock; the caller then reserves the listing. Saved
    before the listing changes, so the other chats are the only ones told."""
    fields = session_state_set(session=session, state=State.AGREED)
    session.agreed_price = price
    session.agreed_at = timezone.now()
    session.agreed_list_price = session.listing.price
    session.standing_offer = None
    session.save(update_fields=[*fields, "agreed_price", "agreed_at", "agreed_list_price", "standing_offer"])
    notification_create(
        user_id=session.listing.seller_id,
        kind=Notification.Kind.DEAL,
        session=session,
        text=f"'{session.listing.title}' {price:,}원에 거래가 성사되었어요.",
    )


def _rate_limit(user: Any) -> None:
    count = window_count(f"chat:rate:{user.pk}", window=settings.NELLM_CHAT_RATE_WINDOW)
    if count > settings.NELLM_CHAT_RATE_LIMIT:
        raise ChatError("rate_limited", "메시지를 너무 빠르게 보내고 있어요. 잠시 후 다시 보내 주세요.")


def _check_not_blocked(*, seller_id: int, buyer_id: int, user_id: int) -> None:
    """A block between seller and buyer, either way round, stops their chat: no new one, and no
    message in an earlier one."""
    block = users_blocked_between(a_id=seller_id, b_id=buyer_id)
    _refuse_if_blocked(None if block is None else block.blocker_id, buyer_id=buyer_id, user_id=user_id)


def _refuse_if_blocked(blocker_id: int | None, *, buyer_id: int, user_id: int) -> None:
    if blocker_id is None:
        return
    if blocker_id == user_id:
        raise ChatError("blocked", "차단한 사용자와는 채팅할 수 없어요. 차단을 풀면 다시 대화할 수 있어요.")
    raise ChatError(
        "blocked",
        "판매자와 채팅할 수 없는 상태예요." if user_id == buyer_id else "구매자와 채팅할 수 없는 상태예요.",
    )


def _locked_session(session_id: int, user: Any) -> tuple[ChatSession, str]:
    # One query: the access check is the lock's own filter, so only a chat the user may take part
    # in is locked. The chat's row only: locking its listing here too (chat first) deadlocked
    # against a status change, which holds the listing and then locks the chats (lock order:
    # listing, then chats).
    session = None
    if user is not None and user.is_authenticated:
        sessions = selectors.sessions_visible_to(user=user).select_for_update(of=("self",))
        # The listing's seller too: a buyer's message checks that the seller is still active.
        # And who blocked whom between the two, if anyone: the block check in the same query.
        found = (
            sessions.select_related("listing__seller")
            .annotate(blocker_id=selectors.session_blocker())
            .filter(pk=session_id)
            .order_by()[:1]
        )
        session = next(iter(found), None)
    if session is None:
        raise ChatError("forbidden", "이 대화에 참여할 수 없어요.")
    role = selectors.session_role(session=session, user=user)
    if role in (Role.BUYER, Role.SELLER):
        _refuse_if_blocked(session.blocker_id, buyer_id=session.buyer_id, user_id=user.pk)
    return session, role


# --- opening ------------------------------------------------------------------------------------------


def session_open(*, listing: Listing, buyer: Any) -> ChatSession:
    """The buyer's session on `listing`: resumed if it exists, else created (on sale only)."""
    if listing.seller_id == buyer.pk:
        raise ChatError("own_listing", "내 판매글에는 가격 협상을 열 수 없어요.")
    _check_not_blocked(seller_id=listing.seller_id, buyer_id=buyer.pk, user_id=buyer.pk)
    existing = ChatSession.objects.filter(listing=listing, buyer=buyer).first()
    if existing is not None:
        return existing
    if listing.is_hidden or listing.status != Status.ON_SALE or not _seller_active(listing):
        raise ChatError("not_on_sale", "판매중인 상품만 가격 협상을 시작할 수 있어요.")
    if listing.price == 0:
        raise ChatError("free_listing", "무료 나눔 상품이라 가격 협상이 필요 없어요.")
    try:
        with transaction.atomic():
            session = ChatSession.objects.create(listing=listing, buyer=buyer)
            system_message_create(session=session, text=WELCOME)
            notification_create(
                user_id=listing.seller_id,
                kind=Notification.Kind.NEW_CHAT,
                session=session,
                text=f"'{listing.title}'에 새 협상이 시작되었어요.",
            )
            events.cockpit_refresh(session_id=session.pk, seller_id=listing.seller_id)
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
            # After the deal the two arrange the hand-over as people, and an ended chat never
            # resumes: an amount typed there ("잔돈 2만원 챙겨갈게요") re-prices nothing. A waiting
            # chat may resume, and then the seller's own word binds the bot as in an open one.
            price = (
                None
                if session.state in FINISHED
                else selectors.seller_price_in_text(text=text, list_price=session.listing.price)
            )
            message = Message.objects.create(session=session, role=Role.SELLER, text=text, price=price)
            if price is not None:
                _seller_price_bind(session, price)
            events.messages_announce(session=session, messages=[message])
            return message
        if role == Role.BUYER and session.state == State.AGREED:
            # After the deal the two arrange the hand-over (약속 잡기) as people: the bot is silent.
            _rate_limit(user)
            message = Message.objects.create(session=session, role=Role.BUYER, text=text)
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


def _seller_price_bind(session: ChatSession, price: int) -> None:
    """The seller named `price` in the chat: from now on the bot never offers more there (the
    lowest price they named wins), whether or not they took the chat over. A reply already being
    written on older terms is re-run by the reply job, which checks this under the same lock."""
    from mlcore.negotiator.advisor import Advisor

    if session.seller_price is not None and session.seller_price <= price:
        return
    session.seller_price = price
    advisor = Advisor(selectors.advisor_policy(session=session), state=session.advisor_state or None)
    advisor.seller_stated(price)
    session.advisor_state = advisor.to_state()
    fields = ["seller_price", "advisor_state", "updated_at"]
    if session.last_bot_offer is None or session.last_bot_offer > price:
        session.last_bot_offer = price
        fields.append("last_bot_offer")
    session.save(update_fields=fields)


def _check_buyer_can_talk(session: ChatSession, role: str) -> None:
    if role != Role.BUYER:
        raise ChatError("buyer_only", "구매자만 가격을 협상할 수 있어요.")
    if session.state in FINISHED:
        raise ChatError("finished", "이미 끝난 협상이에요.")
    if session.pending_message_id is not None:
        raise ChatError("busy", "답장을 쓰는 중이에요. 잠시만 기다려 주세요.")
    if session.listing.is_hidden or not _seller_active(session.listing):
        raise ChatError("hidden", HIDDEN_NOTICE)


def _seller_active(listing: Listing) -> bool:
    # A suspended seller's listings left the market (`marketplace.selectors`): no chat, no deal.
    if Listing.seller.is_cached(listing):  # read with the chat's locked row, in this transaction
        return listing.seller.is_active
    return get_user_model().objects.filter(pk=listing.seller_id, is_active=True).exists()


def _buyer_store(session: ChatSession, *, text: str, price: int | None, is_offer: bool) -> Message:
    message = Message.objects.create(
        session=session, role=Role.BUYER, text=text, price=price, is_offer=is_offer
    )
    fields = ["last_buyer_offer", "updated_at"]
    if price is not None:
        session.last_buyer_offer = price
    if is_offer or (price is not None and session.standing_offer is not None):
        # The buyer's final word stands until the seller takes it or turns it down (by hand),
        # even after the bot declined it: the seller may still accept it from the cockpit. A
        # new price in words means the buyer moved on from it.
        session.standing_offer = price if is_offer else None
        fields.append("standing_offer")
    if session.seller_in_control:  # the seller answers by hand: no reply job
        session.save(update_fields=fields)
        events.messages_announce(session=session, messages=[message], typing=False)
        return message
    session.pending_message = message
    session.pending_since = timezone.now()
    session.save(update_fields=[*fields, "pending_message", "pending_since"])
    events.messages_announce(session=session, messages=[message], typing=True)
    events.after_commit(lambda: dispatch.reply_enqueue(message_id=message.pk))
    return message


# --- seller actions ------------------------------------------------------------------------------------

TAKEOVER_NOTICE = "판매자가 직접 대화 중이에요. 지금부터는 판매자가 직접 답장해요."
HANDBACK_NOTICE = "판매자가 다시 낼름 봇에게 대화를 맡겼어요."
ACCEPTED_NOTICE = "판매자가 {price}원 제안을 수락했어요! 거래가 성사되어 상품이 예약중이 되었어요."
DECLINED_NOTICE = "판매자가 {price}원 제안을 거절했어요. 대화는 계속할 수 있어요."


def _locked_for_seller(session_id: int, user: Any) -> ChatSession:
    # The listing's seller only. Staff read chats but never speak or stand in for the seller
    # there (the buyer would be told "판매자가 직접 대화 중" with nobody answering): moderation
    # acts on reports (hide, warn, suspend), as on the marketplaces people know.
    session, role = _locked_session(session_id, user)
    if role != Role.SELLER:
        raise ChatError("seller_only", "판매자만 할 수 있어요.")
    if session.state in FINISHED:
        raise ChatError("finished", "이미 끝난 협상이에요.")
    return session


def session_takeover(*, session_id: int, user: Any) -> ChatSession:
    """The seller takes the chat over: the bot is silent there until handback, and a
    reply it is writing stops and is never stored (the reply job checks under the same lock)."""
    with transaction.atomic():
        session = _locked_for_seller(session_id, user)
        if session.seller_in_control:
            return session
        _rate_limit(user)  # each move leaves a notice in the chat
        stopped = session.pending_message_id
        session.seller_in_control = True
        session.seller_took_over = True
        session.pending_message = None
        session.pending_since = None
        fields = ["seller_in_control", "seller_took_over", "pending_message", "pending_since"]
        session.save(update_fields=[*fields, "updated_at"])
        if stopped is not None:
            events.after_commit(lambda: cache.set(selectors.stop_key(stopped), 1, timeout=600))
        notice = system_message_create(session=session, text=TAKEOVER_NOTICE)
        events.messages_announce(session=session, messages=[notice], typing=False)
    return session


def session_handback(*, session_id: int, user: Any) -> ChatSession:
    """The bot answers again from the buyer's next message, held to every price the seller
    named meanwhile (bound as each was typed, `_seller_price_bind`)."""
    with transaction.atomic():
        session = _locked_for_seller(session_id, user)
        if not session.seller_in_control:
            return session
        _rate_limit(user)
        session.seller_in_control = False
        session.save(update_fields=["seller_in_control", "updated_at"])
        notice = system_message_create(session=session, text=HANDBACK_NOTICE)
        events.messages_announce(session=session, messages=[notice], typing=False)
    return session


def _offer_for_seller(session_id: int, user: Any, *, lock_listing: bool) -> tuple[ChatSession, int]:
    found = selectors.session_for_user(session_id=session_id, user=user)
    if found is None or found.listing.seller_id != user.pk:
        raise ChatError("seller_only", "판매자만 구매자의 제안에 답할 수 있어요.")
    if lock_listing:  # lock order everywhere: listing, then sessions
        Listing.objects.select_for_update().get(pk=found.listing_id)
    session = _locked_for_seller(session_id, user)
    if session.pending_message_id is not None:
        raise ChatError("busy", "봇이 답장을 쓰는 중이에요. 잠시 후 다시 시도해 주세요.")
    if session.standing_offer is None:
        raise ChatError("no_offer", "답할 구매자의 가격 제안이 없어요.")
    return session, session.standing_offer


def offer_accept(*, session_id: int, user: Any) -> ChatSession:
    """The seller takes the buyer's standing (final) offer by hand: the deal, as when the bot
    accepts it: the listing is reserved and the other buyers are told."""
    with transaction.atomic():
        session, price = _offer_for_seller(session_id, user, lock_listing=True)
        listing = session.listing
        if not selectors.offer_acceptable(session=session):
            raise ChatError("not_on_sale", "판매중인 상품의 협상 중인 제안만 수락할 수 있어요.")
        deal_record(session=session, price=price)
        listing_set_status(listing=listing, status=Status.RESERVED)
        notice = system_message_create(session=session, text=ACCEPTED_NOTICE.format(price=f"{price:,}"))
        events.messages_announce(session=session, messages=[notice], typing=False)
    return session


def offer_decline(*, session_id: int, user: Any) -> ChatSession:
    with transaction.atomic():
        session, price = _offer_for_seller(session_id, user, lock_listing=False)
        session.standing_offer = None
        session.save(update_fields=["standing_offer", "updated_at"])
        notice = system_message_create(session=session, text=DECLINED_NOTICE.format(price=f"{price:,}"))
        events.messages_announce(session=session, messages=[notice], typing=False)
    return session


# --- reading and typing ----------------------------------------------------------------------------------

TYPING_SIGNAL_SECONDS = 3  # one "buyer is typing" per chat this often, however fast they type


def session_read(
    *, session_id: int, user: Any, session: ChatSession | None = None, last: int | None = None
) -> int:
    """The user (buyer or seller; staff read without marking) has seen every message so far, or
    up to `last` (what the socket's history showed, read with `session`, the user's own);
    returns the id read up to. Reading never moves the chat up the lists (no `updated_at`)."""
    if session is None:
        session = selectors.session_for_user(session_id=session_id, user=user)
    if session is None:
        raise ChatError("forbidden", "이 대화에 참여할 수 없어요.")
    role = selectors.session_role(session=session, user=user)
    field = {Role.BUYER: "buyer_read_id", Role.SELLER: "seller_read_id"}.get(role)
    if last is None:
        last = session.messages.aggregate(last=Max("id"))["last"] or 0
    if field is None or not last:
        return last
    if ChatSession.objects.filter(pk=session_id, **{f"{field}__lt": last}).update(**{field: last}):
        events.cockpit_refresh(session_id=session_id, seller_id=session.listing.seller_id)
        # The other side's page turns its "1" into 읽음 at once.
        events.after_commit(lambda: events.session_send(session_id, protocol.read_event(role, last)))
    return last


def buyer_typing(*, session_id: int, user: Any) -> None:
    """The buyer is typing: the seller's cockpit shows it for a moment (nothing is stored)."""
    session = selectors.session_for_user(session_id=session_id, user=user)
    if session is None or session.buyer_id != user.pk or not session.is_active:
        return
    if cache.add(f"chat:typing:{session_id}", 1, timeout=TYPING_SIGNAL_SECONDS):
        events.seller_send(session.listing.seller_id, protocol.buyer_typing_event(session_id))


_ACTIONS = {
    protocol.TAKEOVER: session_takeover,
    protocol.HANDBACK: session_handback,
    protocol.ACCEPT: offer_accept,
    protocol.DECLINE: offer_decline,
    protocol.READ: session_read,
    "typing": buyer_typing,
}


def _feedback(*, session_id: int, user: Any, request: Any) -> ChatSession:
    return feedback_submit(session_id=session_id, user=user, natural=request.natural, comment=request.comment)


def chat_request(*, session_id: int, user: Any, request: Any) -> Any:
    """One validated frame of the chat socket (`protocol.parse_client`), to its service."""
    if isinstance(request, protocol.ClientMessage):
        return message_submit(session_id=session_id, user=user, text=request.text)
    if isinstance(request, protocol.ClientOffer):
        return offer_submit(session_id=session_id, user=user, price=request.price)
    if isinstance(request, protocol.ClientFeedback):
        return _feedback(session_id=session_id, user=user, request=request)
    return _ACTIONS[request.kind](session_id=session_id, user=user)


def reservation_cancel(*, listing_id: int, user: Any) -> Listing:
    """The seller cancels the reservation: the agreed chat ends, the waiting ones go on."""
    with transaction.atomic():
        listing = Listing.objects.select_for_update().filter(pk=listing_id).first()
        if listing is None or (listing.seller_id != user.pk and not user.is_staff):
            raise ChatError("forbidden", "판매자만 예약을 취소할 수 있어요.")
        if listing.status != Status.RESERVED:
            raise ChatError("not_reserved", "예약중인 상품이 아니에요.")
        # The chats follow through `sessions_follow_listing`, as for any status change.
        return listing_set_status(listing=listing, status=Status.ON_SALE)


SOLD_NOTICE = "이 상품은 판매가 완료되어 협상이 종료되었어요. 관심 가져 주셔서 감사해요!"
REOPEN_NOTICE = "예약이 취소되었어요! 다시 가격을 협상하실 수 있어요."
CANCELLED_NOTICE = "판매자가 예약을 취소했어요. 이 거래는 종료되었어요."
SOLD_ELSEWHERE_NOTICE = "판매자가 이 상품을 다른 분께 판매했어요. 이 거래는 종료되었어요."


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
    else:  # sold: the agreed chat keeps its deal (if its buyer is the one sold to), the others end
        transitions = {State.OPEN: (State.CLOSED, SOLD_NOTICE), State.WAITING: (State.CLOSED, SOLD_NOTICE)}
    sessions = ChatSession.objects.select_for_update().filter(listing=listing, state__in=list(transitions))
    if new_status == Status.SOLD:
        other_buyer = ChatSession.objects.filter(listing=listing, state=State.AGREED).exclude(
            buyer_id=listing.buyer_id
        )
        sessions = sessions | other_buyer.select_for_update()
        transitions[State.AGREED] = (State.CLOSED, SOLD_ELSEWHERE_NOTICE)
    for session in sessions.order_by("pk"):
        session.listing = listing
        cancelled = session.state == State.AGREED
        state, text = transitions[State(session.state)]
        session.save(update_fields=session_state_set(session=session, state=state))
        if cancelled:
            what = "거래가 종료되었어요" if new_status == Status.SOLD else "예약이 취소되었어요"
            for user_id in (session.buyer_id, listing.seller_id):
                notification_create(
                    user_id=user_id,
                    kind=Notification.Kind.CANCELLED,
                    session=session,
                    text=f"'{listing.title}' {what}.",
                )
        events.messages_announce(
            session=session, messages=[system_message_create(session=session, text=text)]
        )


def session_flag_reported(*, chat: ChatSession, **_: Any) -> None:
    """A reported chat is kept out of the training data (see `negotiation.export`)."""
    ChatSession.objects.filter(pk=chat.pk).update(flagged=True)


def selling_request(*, user: Any, request: protocol.SellingRequest) -> Any:
    """One validated frame of the seller's cockpit socket, to its service (each checks that
    the chat or listing is the user's)."""
    if request.kind == protocol.CANCEL:
        return reservation_cancel(listing_id=request.target, user=user)
    return _ACTIONS[request.kind](session_id=request.target, user=user)


# --- the game: feedback -----------------------------------------------------------------------------------

FEEDBACK_COMMENT_MAX = 500


def feedback_submit(*, session_id: int, user: Any, natural: bool, comment: str = "") -> ChatSession:
    """The buyer's "대화가 자연스러웠나요?" once the chat has ended: once per chat."""
    comment = protocol.clean_text(comment) if comment and comment.strip() else ""
    with transaction.atomic():
        session, role = _locked_session(session_id, user)
        if role != Role.BUYER:
            raise ChatError("buyer_only", "구매자만 대화를 평가할 수 있어요.")
        if session.state not in FINISHED:
            raise ChatError("not_finished", "대화가 끝난 뒤에 평가할 수 있어요.")
        if session.feedback_natural is not None:
            raise ChatError("feedback_done", "이미 이 대화를 평가해 주셨어요. 감사해요!")
        session.feedback_natural = bool(natural)
        session.feedback_comment = comment[:FEEDBACK_COMMENT_MAX]
        session.feedback_at = timezone.now()
        session.save(update_fields=["feedback_natural", "feedback_comment", "feedback_at"])
        events.messages_announce(session=session, messages=[])
    return session


def notifications_read(*, user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
