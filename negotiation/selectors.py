"""Reads for the chat: who may see a session, its history, the other buyers' offers."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from importlib import import_module
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from mlcore.schema import ACCEPT_TOKEN, DENY_TOKEN, MAX_PRICE

from .models import ChatSession, ExportRun, Message

log = logging.getLogger(__name__)

ACTIVE_STATES = (ChatSession.State.OPEN, ChatSession.State.WAITING)


def partial_key(message_id: int) -> str:
    return f"chat:partial:{message_id}"


def lock_key(message_id: int) -> str:
    return f"chat:generating:{message_id}"


def state_version_key(session_id: int) -> str:
    """The cache's copy of a chat's `state_version`, read per streamed piece (the row is the truth)."""
    return f"chat:state-version:{session_id}"


def state_version_current(*, session_id: int, default: int) -> int:
    return int(cache.get(state_version_key(session_id), default))


def session_for_user(*, session_id: int, user: Any) -> ChatSession | None:
    """The session if `user` is its buyer, the listing's seller or staff; else None."""
    if user is None or not user.is_authenticated:
        return None
    sessions = ChatSession.objects.select_related("listing", "buyer", "listing__seller")
    if not user.is_staff:
        sessions = sessions.filter(Q(buyer=user) | Q(listing__seller=user))
    return sessions.filter(pk=session_id).first()


def socket_user_current(*, user: Any, session_key: str | None) -> bool:
    """Whether a socket's user is still active and still logged in with the session it opened
    with: a deactivated account, a changed password, a deleted or expired session all end it.

    Django's own check (`auth.get_user`: the session, the backend, the password hash) on a fresh
    read of the session, not the copy the socket loaded at its handshake."""
    if session_key is None:  # a socket made without the session middleware (the consumer's tests)
        return get_user_model().objects.filter(pk=user.pk, is_active=True).exists()
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    current = auth.get_user(SimpleNamespace(session=store))
    return current.is_authenticated and current.pk == user.pk


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
    return (
        ChatSession.objects.filter(listing__seller=user)
        .select_related("listing", "buyer")
        .order_by("-updated_at")
    )


def listing_session_for_buyer(*, listing: Any, user: Any) -> ChatSession | None:
    if not user.is_authenticated:
        return None
    return ChatSession.objects.filter(listing=listing, buyer=user).first()


def market_for(*, session: ChatSession) -> tuple[int | None, int]:
    """(best standing offer of the other active buyers, number of other active buyers).

    A standing offer is a buyer's latest explicit final offer (`##<price>##` / 가격 제안), made
    within NELLM_STANDING_OFFER_TTL, in a chat still open or waiting: a number typed in free
    text never binds anyone, and an offer ends with its chat or its time."""
    others = ChatSession.objects.filter(listing_id=session.listing_id, state__in=ACTIVE_STATES).exclude(
        pk=session.pk
    )
    cutoff = timezone.now() - timedelta(seconds=settings.NELLM_STANDING_OFFER_TTL)
    latest = Message.objects.filter(session=OuterRef("pk"), role=Message.Role.BUYER, is_offer=True).order_by(
        "-created_at", "-id"
    )
    offers = others.annotate(
        offer_at=Subquery(latest.values("created_at")[:1]), offer=Subquery(latest.values("price")[:1])
    ).filter(offer_at__gte=cutoff)
    best = offers.aggregate(best=Max("offer"))["best"]
    return (min(best, session.listing.price) if best is not None else None), others.count()


def listing_probes(*, session: ChatSession) -> int:
    """How many other young accounts (NELLM_PROBE_ACCOUNT_AGE_DAYS) had a final offer on this
    listing turned down: the fresh accounts a prober of the seller's price would use."""
    young = timezone.now() - timedelta(days=settings.NELLM_PROBE_ACCOUNT_AGE_DAYS)
    turned_down = Message.objects.filter(
        session__listing_id=session.listing_id,
        session__buyer__date_joined__gte=young,
        role=Message.Role.BOT,
        reply_to__is_offer=True,
        decision__act="final_deny",
    )
    # The site's own answers (a deal elsewhere, a closed chat) are not the seller's price speaking.
    turned_down = turned_down.exclude(session__buyer_id=session.buyer_id).exclude(
        decision__reason__in=["chat_state_changed", "listing_not_on_sale"]
    )
    return turned_down.values("session__buyer_id").distinct().count()


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


def price_in_text(*, text: str, list_price: int) -> int | None:
    """The price a chat message proposes, in won, or None."""
    from mlcore.language.prices import parse_price

    try:
        price = parse_price(text, list_price=list_price)
    except Exception:  # a parser bug must not lose the message that carries the text
        log.exception("price parser failed on a chat message")
        return None
    return int(price) if price is not None and 0 < price <= MAX_PRICE else None


def export_candidates(
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    session_ids: list[int] | None = None,
) -> QuerySet[ChatSession]:
    """Chats whose negotiation ended (the bot's last answer to a final offer) in [since, until),
    or the chats `session_ids` names, each annotated with that `finished_at`; flagged ones too,
    so that the export can count them."""
    answers = Q(messages__role=Message.Role.BOT) & (
        Q(messages__text__startswith=ACCEPT_TOKEN) | Q(messages__text__startswith=DENY_TOKEN)
    )
    sessions = ChatSession.objects.annotate(finished_at=Max("messages__created_at", filter=answers))
    if session_ids is not None:
        return sessions.filter(pk__in=session_ids).order_by("pk")
    sessions = sessions.filter(finished_at__isnull=False)
    if since is not None:
        sessions = sessions.filter(finished_at__gte=since)
    if until is not None:
        sessions = sessions.filter(finished_at__lt=until)
    return sessions.order_by("pk")


def export_last_complete() -> ExportRun | None:
    """The latest successful run that considered every chat ended before its `until`: where the
    next incremental export starts."""
    return (
        ExportRun.objects.filter(status=ExportRun.Status.SUCCEEDED, complete=True, until__isnull=False)
        .order_by("-until")
        .first()
    )


def export_latest_file() -> ExportRun | None:
    """The latest successful run that wrote a JSONL file (what `train_nellm --from-export` reads)."""
    return (
        ExportRun.objects.filter(status=ExportRun.Status.SUCCEEDED)
        .exclude(path="")
        .order_by("-finished_at", "-id")
        .first()
    )
