"""Reads for the chat: who may see a session, its history, the other buyers' offers."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Case, F, Max, Q, QuerySet, Value, When
from django.utils import timezone

from mlcore.schema import MAX_PRICE

from .models import ChatSession, Message

log = logging.getLogger(__name__)

ACTIVE_STATES = (ChatSession.State.OPEN, ChatSession.State.WAITING)


def partial_key(message_id: int) -> str:
    return f"chat:partial:{message_id}"


def lock_key(message_id: int) -> str:
    return f"chat:generating:{message_id}"


def session_for_user(*, session_id: int, user: Any) -> ChatSession | None:
    """The session if `user` is its buyer, the listing's seller or staff; else None."""
    if user is None or not user.is_authenticated:
        return None
    sessions = ChatSession.objects.select_related("listing", "buyer", "listing__seller")
    if not user.is_staff:
        sessions = sessions.filter(Q(buyer=user) | Q(listing__seller=user))
    return sessions.filter(pk=session_id).first()


def session_role(*, session: ChatSession, user: Any) -> str:
    if session.buyer_id == user.pk:
        return Message.Role.BUYER
    if session.listing.seller_id == user.pk:
        return Message.Role.SELLER
    return "staff"


def session_messages(*, session: ChatSession) -> list[Message]:
    return list(session.messages.order_by("created_at", "id"))


def session_pending(*, session: ChatSession) -> dict[str, Any] | None:
    """The reply being written for this session, if one is: its target and the text so far."""
    if session.pending_message_id is None:
        return None
    return {
        "reply_to": session.pending_message_id,
        "text": cache.get(partial_key(session.pending_message_id), ""),
        "live": cache.get(lock_key(session.pending_message_id)) is not None,
    }


def buyer_sessions(*, user: Any) -> QuerySet[ChatSession]:
    return ChatSession.objects.filter(buyer=user).select_related("listing").order_by("-updated_at")


def seller_sessions(*, user: Any) -> QuerySet[ChatSession]:
    """The seller's chats; `open_question` marks those where the bot passed a buyer's question
    (one the description does not answer) and the seller has not written since."""
    Role = Message.Role
    last_seller = Max("messages__created_at", filter=Q(messages__role=Role.SELLER))
    last_passed = Max(
        "messages__created_at", filter=Q(messages__role=Role.BOT, messages__decision__asks_seller=True)
    )
    unanswered = Q(last_passed__isnull=False) & (
        Q(last_seller__isnull=True) | Q(last_passed__gt=F("last_seller"))
    )
    return (
        ChatSession.objects.filter(listing__seller=user)
        .select_related("listing", "buyer")
        .annotate(last_seller=last_seller, last_passed=last_passed)
        .annotate(open_question=Case(When(unanswered, then=Value(True)), default=Value(False)))
        .order_by("-updated_at")
    )


def session_open_questions(*, session: ChatSession) -> list[Message]:
    """The bot's replies that passed a buyer's question (`reply_to`) to the seller, since the
    seller last wrote."""
    Role = Message.Role
    last = session.messages.filter(role=Role.SELLER).aggregate(at=Max("created_at"))["at"]
    passed = session.messages.filter(role=Role.BOT, decision__asks_seller=True, reply_to__isnull=False)
    if last is not None:
        passed = passed.filter(created_at__gt=last)
    return list(passed.select_related("reply_to").order_by("created_at", "id"))


def listing_session_for_buyer(*, listing: Any, user: Any) -> ChatSession | None:
    if not user.is_authenticated:
        return None
    return ChatSession.objects.filter(listing=listing, buyer=user).first()


def market_for(*, session: ChatSession) -> tuple[int | None, int]:
    """(best standing offer of the other active buyers, number of other active buyers)."""
    others = ChatSession.objects.filter(listing_id=session.listing_id, state__in=ACTIVE_STATES).exclude(
        pk=session.pk
    )
    figures = others.aggregate(best=Max("last_buyer_offer"), best_standing=Max("standing_offer"))
    candidates = [v for v in (figures["best"], figures["best_standing"]) if v is not None]
    best = min(max(candidates), session.listing.price) if candidates else None
    return best, others.count()


def stale_pending(*, session_id: int | None = None) -> list[int]:
    """Buyer messages waiting longer than NELLM_REPLY_STALE_SECONDS with no live generation."""
    cutoff = timezone.now() - timedelta(seconds=settings.NELLM_REPLY_STALE_SECONDS)
    sessions = ChatSession.objects.filter(pending_message__isnull=False, pending_since__lte=cutoff)
    if session_id is not None:
        sessions = sessions.filter(pk=session_id)
    ids = list(sessions.values_list("pending_message_id", flat=True))
    return [mid for mid in ids if cache.get(lock_key(mid)) is None]


def exportable_sessions() -> QuerySet[ChatSession]:
    """Finished chats fit for the training corpus: agreed or failed, and never a flagged one."""
    return (
        ChatSession.objects.filter(
            flagged=False, state__in=[ChatSession.State.AGREED, ChatSession.State.FAILED]
        )
        .select_related("listing")
        .prefetch_related("messages")
    )


def session_dialogue(*, session: ChatSession) -> dict[str, Any]:
    """One chat in the dataset schema (`mlcore.schema`): buyer and bot turns, no system notices."""
    from mlcore import schema

    events = [
        {"role": schema.BUYER if m.role == Message.Role.BUYER else schema.SELLER, "message": m.text}
        for m in session.messages.all()
        if m.role != Message.Role.SYSTEM
    ]
    return {
        "title": session.listing.title,
        "description": session.listing.description,
        "price": session.listing.price,
        "result": schema.ACCEPT if session.state == ChatSession.State.AGREED else schema.DENY,
        "events": events,
    }


def price_in_text(*, text: str, list_price: int, standing: int | None = None) -> int | None:
    """The price a chat message proposes, in won, or None; a discount in won comes off
    `standing` (the bot's offer now) when given, as the Advisor reads it."""
    from mlcore.language.prices import parse_price

    try:
        price = parse_price(text, list_price=list_price, standing=standing)
    except Exception:  # a parser bug must not lose the message that carries the text
        log.exception("price parser failed on a chat message")
        return None
    return int(price) if price is not None and 0 < price <= MAX_PRICE else None
