"""Reads for the chat: who may see a session, its history, the other buyers' offers."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime, time, timedelta
from importlib import import_module
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore as DbSessionStore
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from marketplace.models import Status
from mlcore.schema import ACCEPT_TOKEN, DENY_TOKEN, MAX_PRICE

from .models import ChatSession, ExportRun, Message, Notification

log = logging.getLogger(__name__)

ACTIVE_STATES = (ChatSession.State.OPEN, ChatSession.State.WAITING)


def partial_key(message_id: int) -> str:
    return f"chat:partial:{message_id}"


def lock_key(message_id: int) -> str:
    return f"chat:generating:{message_id}"


def state_version_key(session_id: int) -> str:
    """The cache's copy of a chat's `state_version`, read per streamed piece (the row is the truth)."""
    return f"chat:state-version:{session_id}"


def stop_key(message_id: int) -> str:
    """Set when the seller took the chat over: the reply being written stops at its next piece."""
    return f"chat:stop:{message_id}"


def session_for_user(*, session_id: int, user: Any) -> ChatSession | None:
    """The session if `user` is its buyer, the listing's seller or staff; else None."""
    if user is None or not user.is_authenticated:
        return None
    sessions = sessions_visible_to(user=user).select_related("listing", "buyer", "listing__seller")
    return sessions.filter(pk=session_id).first()


def session_for_socket(*, session_id: int, user: Any) -> ChatSession | None:
    """`session_for_user` as a chat socket needs it at every handshake: with its listing only and
    no ordering (one row by its key), the cheapest read of the same access check."""
    if user is None or not user.is_authenticated:
        return None
    sessions = sessions_visible_to(user=user).select_related("listing").filter(pk=session_id)
    return next(iter(sessions.order_by()[:1]), None)


def sessions_visible_to(*, user: Any) -> QuerySet[ChatSession]:
    """The sessions `user` (logged in) may take part in: as buyer, as the listing's seller, or staff."""
    if user.is_staff:
        return ChatSession.objects.all()
    return ChatSession.objects.filter(Q(buyer=user) | Q(listing__seller=user))


def session_blocker() -> RawSQL:
    """For a query of chats that joins their listing (`select_related("listing")`): who blocked
    whom between the chat's seller and buyer (either way round; the blocker's id, or NULL),
    `users_blocked_between` as a column of the chat's row. Written out: the ORM spent more CPU
    building it as a subquery than the separate query it replaces cost."""
    return RawSQL(_BLOCKER_SQL, [])  # noqa: S611 (a constant, no parameters)


_BLOCKER_SQL = """
SELECT b.blocker_id FROM marketplace_block b
WHERE (b.blocker_id = marketplace_listing.seller_id AND b.blocked_id = negotiation_chatsession.buyer_id)
   OR (b.blocker_id = negotiation_chatsession.buyer_id AND b.blocked_id = marketplace_listing.seller_id)
ORDER BY b.id LIMIT 1
"""


def socket_user_current(*, user: Any, session_key: str | None) -> bool:
    """Whether a socket's user is still active and still logged in with the session it opened
    with: a deactivated account, a changed password, a deleted or expired session all end it.

    Django's own check (`auth.get_user`: the session, the backend, the password hash) on a fresh
    read of the session, not the copy the socket loaded at its handshake. Every chat write asks,
    so with database sessions and Django's ModelBackend the session's row and the user's are read
    in one query, and the backend's answer (`ModelBackend.get_user`) is that row."""
    model = get_user_model()
    if session_key is None:  # a socket made without the session middleware (the consumer's tests)
        return model._default_manager.filter(pk=user.pk, is_active=True).exists()
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    if not isinstance(store, DbSessionStore) or store.model is not Session or model is not User:
        return _login_current(store, user)
    with connection.cursor() as cursor:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        cursor.execute(_LOGIN_SQL, [session_key, now, user.pk])
        found = cursor.fetchone()
    if found is None or found[2] is None:
        return False
    row = model(pk=user.pk, password=found[0], is_active=found[1])  # what the check reads of it
    store._session_cache = store.decode(found[2])  # as `store.load()` would
    path = store.get(auth.BACKEND_SESSION_KEY)
    backend = auth.load_backend(path) if path in settings.AUTHENTICATION_BACKENDS else None
    if backend is None or type(backend).get_user is not ModelBackend.get_user:
        return _login_current(store, user)
    if str(store.get(auth.SESSION_KEY)) != str(user.pk) or not backend.user_can_authenticate(row):
        return False
    session_hash = store.get(auth.HASH_SESSION_KEY)
    hashes = (row.get_session_auth_hash(), *row.get_session_auth_fallback_hash())
    return bool(session_hash) and any(constant_time_compare(session_hash, h) for h in hashes)


# The user's row and the session's, if still live, in one plain query: every chat write asks, and
# the ORM spent more CPU building it (a subquery) than the second query it saves.
_LOGIN_SQL = """
SELECT u.password, u.is_active, s.session_data
FROM auth_user u LEFT JOIN django_session s ON s.session_key = %s AND s.expire_date > %s
WHERE u.id = %s
"""


def _login_current(store: Any, user: Any) -> bool:
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
    sessions = (
        ChatSession.objects.filter(buyer=user)
        .annotate(unread=Count("messages", filter=_UNREAD_FOR_BUYER))
        .select_related("listing__seller__profile")
    )
    return _for_chat_list(sessions)


def _for_chat_list(sessions: QuerySet[ChatSession]) -> QuerySet[ChatSession]:
    """A chat list row as messengers show it: the item's cover photo, the last message and when."""
    from marketplace.models import ListingPhoto

    covers = Prefetch("listing__photos", queryset=ListingPhoto.objects.order_by("position", "id"))
    return _with_last_message(sessions).prefetch_related(covers).order_by("-updated_at")


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
    sessions = (
        ChatSession.objects.filter(listing__seller=user)
        .annotate(unread=Count("messages", filter=_UNREAD_FOR_SELLER))
        .select_related("listing", "buyer__profile")
        .annotate(last_seller=last_seller, last_passed=last_passed)
        .annotate(open_question=Case(When(unanswered, then=Value(True)), default=Value(False)))
    )
    return _for_chat_list(sessions)


# What each side has not read yet: the other side's messages (and the site's, for the buyer).
_UNREAD_FOR_SELLER = Q(messages__role=Message.Role.BUYER, messages__id__gt=F("seller_read_id"))
_UNREAD_FOR_BUYER = Q(
    messages__role__in=[Message.Role.BOT, Message.Role.SELLER, Message.Role.SYSTEM],
    messages__id__gt=F("buyer_read_id"),
)


def _with_last_message(sessions: QuerySet[ChatSession]) -> QuerySet[ChatSession]:
    last = Message.objects.filter(session=OuterRef("pk")).order_by("-id")
    return sessions.annotate(
        last_text=Subquery(last.values("text")[:1]),
        last_role=Subquery(last.values("role")[:1]),
        last_at=Subquery(last.values("created_at")[:1]),
    )


def cockpit_sessions(*, user: Any) -> QuerySet[ChatSession]:
    """Every chat on the seller's own listings (staff too: their own only), newest first, with
    the seller's unread count and the last message."""
    return _cockpit(ChatSession.objects.filter(listing__seller=user))


def cockpit_session(*, session_id: int) -> ChatSession | None:
    """One chat as its seller's cockpit shows it (for the row sent when it changes)."""
    return _cockpit(ChatSession.objects.filter(pk=session_id)).first()


def _cockpit(sessions: QuerySet[ChatSession]) -> QuerySet[ChatSession]:
    sessions = sessions.annotate(unread=Count("messages", filter=_UNREAD_FOR_SELLER))
    sessions = _with_last_message(sessions).select_related("listing", "buyer__profile")
    return sessions.order_by("-updated_at", "-id")


def cockpit_groups(*, user: Any) -> list[dict[str, Any]]:
    """The cockpit: the seller's chats grouped by listing (the listing with the latest activity
    first), each group with its best standing offer."""
    groups: dict[int, dict[str, Any]] = {}
    for session in cockpit_sessions(user=user):
        group = groups.setdefault(session.listing_id, {"listing": session.listing, "sessions": []})
        group["sessions"].append(session)
    for group in groups.values():
        for session in group["sessions"]:
            session.acceptable = offer_acceptable(session=session)
        group["offers"] = standing_offers(sessions=group["sessions"])
        group["best"] = group["offers"][0] if group["offers"] else None
    return list(groups.values())


def offer_acceptable(*, session: ChatSession) -> bool:
    """Whether the seller may take the chat's standing offer now (`services.offer_accept`'s rule,
    so the cockpit never offers a button the service refuses): an open chat, on a listing that
    is on sale and not hidden. A waiting offer becomes acceptable once a reservation ends."""
    listing = session.listing
    return (
        session.standing_offer is not None
        and session.state == ChatSession.State.OPEN
        and listing.status == Status.ON_SALE
        and not listing.is_hidden
    )


def standing_offers(*, sessions: list[ChatSession]) -> list[ChatSession]:
    """The chats with an offer the seller could accept now or after a reservation, highest first."""
    standing = [s for s in sessions if s.standing_offer is not None and s.state in ACTIVE_STATES]
    return sorted(standing, key=lambda s: (-s.standing_offer, s.pk))


def unread_total(*, user: Any) -> int:
    """Unread messages in all of a user's chats, as buyer and as seller."""
    if not user.is_authenticated:
        return 0
    selling = ChatSession.objects.filter(listing__seller=user)
    buying = ChatSession.objects.filter(buyer=user)
    as_seller = selling.aggregate(n=Count("messages", filter=_UNREAD_FOR_SELLER))["n"]
    as_buyer = buying.aggregate(n=Count("messages", filter=_UNREAD_FOR_BUYER))["n"]
    return (as_seller or 0) + (as_buyer or 0)


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
    """(best standing offer of the other active buyers, number of other active buyers).

    A standing offer is a buyer's latest explicit final offer (`##<price>##` / 가격 제안), made
    within NELLM_STANDING_OFFER_TTL, in a chat still open or waiting that still holds it: a
    number typed in free text never binds anyone, and an offer ends with its chat, its time, the
    seller's 거절 or the buyer's new price."""
    cutoff = timezone.now() - timedelta(seconds=settings.NELLM_STANDING_OFFER_TTL)
    with connection.cursor() as cursor:
        cursor.execute(
            _MARKET_SQL,
            [
                connection.ops.adapt_datetimefield_value(cutoff),
                Message.Role.BUYER,
                True,
                session.listing_id,
                *ACTIVE_STATES,
                session.pk,
            ],
        )
        best, buyers = cursor.fetchone()
    return (min(best, session.listing.price) if best is not None else None), buyers


# `market_for`'s one query, written out: every reply reads it, and the ORM spent more CPU building
# it (two correlated subqueries in an aggregate) than the database spent answering it. Per other
# active chat that still holds an offer (the seller's 거절 or the buyer's new price ends it): its
# latest final offer, if made since the cutoff. Plain SQL that PostgreSQL and SQLite both read.
_MARKET_SQL = """
SELECT MAX(CASE WHEN s.standing_offer IS NOT NULL THEN (
           SELECT CASE WHEN m.created_at >= %s THEN m.price END
           FROM negotiation_message m
           WHERE m.session_id = s.id AND m.role = %s AND m.is_offer = %s
           ORDER BY m.created_at DESC, m.id DESC
           LIMIT 1
       ) END),
       COUNT(*)
FROM negotiation_chatsession s
WHERE s.listing_id = %s AND s.state IN (%s, %s) AND s.id <> %s
"""


def probes_version_key(listing_id: int) -> str:
    """The cache's name for the current set of a listing's probers (`listing_probes`): replaced
    whenever a final offer on the listing is turned down, so a set read before that is never used
    after it."""
    return f"chat:probes-version:{listing_id}"


PROBERS_TTL = 60  # seconds: how long an account that just aged out of "young" may still count


def listing_probes(*, session: ChatSession) -> int:
    """How many other young accounts (NELLM_PROBE_ACCOUNT_AGE_DAYS) had a final offer on this
    listing turned down: the fresh accounts a prober of the seller's price would use.

    Every reply reads it, and it is a COUNT DISTINCT over three joins and two JSON lookups that
    changes only when an offer is turned down: the set of those accounts is kept in the cache
    with the listing's version (`probes_version_key`) it was read at, which the reply that turns
    an offer down replaces after its commit: a set kept with any other version is read again. The
    version and the set come in one cache call."""
    version_key, key = probes_version_key(session.listing_id), f"chat:probers:{session.listing_id}"
    found = cache.get_many([version_key, key])
    version = found.get(version_key)
    if version is None:
        cache.add(version_key, uuid.uuid4().hex, timeout=86400)
        version = cache.get(version_key)
    kept = found.get(key)
    if version is not None and kept is not None and kept[0] == version:
        probers = kept[1]
    else:
        probers = _listing_probers(session.listing_id)
        if version is not None:
            cache.set(key, (version, probers), timeout=PROBERS_TTL)
    return len(set(probers) - {session.buyer_id})


def _listing_probers(listing_id: int) -> list[int]:
    young = timezone.now() - timedelta(days=settings.NELLM_PROBE_ACCOUNT_AGE_DAYS)
    turned_down = Message.objects.filter(
        session__listing_id=listing_id,
        session__buyer__date_joined__gte=young,
        role=Message.Role.BOT,
        reply_to__is_offer=True,
        decision__act="final_deny",
    )
    # The site's own answers (a deal elsewhere, a closed chat) are not the seller's price speaking.
    turned_down = turned_down.exclude(decision__reason__in=["chat_state_changed", "listing_not_on_sale"])
    return list(turned_down.values_list("session__buyer_id", flat=True).distinct())


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


# A seller naming an amount to turn it down ("3만원은 안돼요", "5천원은 못 깎아요") binds nothing;
# the price parser reads buyers, who say "3만원은 안 될까요?" to propose it.
_SELLER_REFUSAL = re.compile(
    r"못|안\s?[돼되됩]|적어|적네|적은|적다|낮아|낮네|곤란|어렵|힘들|무리|불가|아니|말고|안\s?해|no\b", re.I
)
_CLAUSE_END = re.compile(r"[.!?~\n]")


def seller_price_in_text(*, text: str, list_price: int) -> int | None:
    """The price the seller's own message offers the buyer, or None (none, or one refused)."""
    from mlcore.language.prices import find_amounts

    price = price_in_text(text=text, list_price=list_price)
    if price is None:
        return None
    amounts = find_amounts(text)
    tail = text[amounts[-1].end :] if amounts else text
    end = _CLAUSE_END.search(tail)
    if _SELLER_REFUSAL.search(tail[: end.start()] if end else tail):
        return None
    return price


def advisor_policy(*, session: ChatSession) -> Any:
    """The seller's policy for this chat: the listing's, with the floor brought down to a lower
    price the seller stated here themselves (their word binds the bot), and the listing's secret
    reserve above it (`mlcore.negotiator.reserve`)."""
    from mlcore.negotiator.advisor import SellerPolicy
    from mlcore.negotiator.reserve import with_reserve

    listing = session.listing
    floor = listing.floor_price
    if session.seller_price is not None:
        floor = min(floor, session.seller_price)
    policy = SellerPolicy(list_price=listing.price, floor_price=floor, style=listing.style)
    # One secret reserve per listing, the same for every buyer, known only to the server.
    secret = f"{settings.SECRET_KEY}:reserve:{listing.pk}"
    return with_reserve(policy, secret=secret, probes=listing_probes(session=session))


# --- notifications ------------------------------------------------------------------------------------


def notifications_for(*, user: Any, limit: int = 50) -> list[Notification]:
    return list(Notification.objects.filter(user=user).select_related("session")[:limit])


def notifications_unread(*, user: Any) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


# --- the game: the ranking ----------------------------------------------------------------------------

# A new seller account can feed a friend's points with cheap deals: its listings score nothing
# for the first day.
SELLER_MIN_AGE = timedelta(days=1)
_POINTS = ExpressionWrapper(
    (1.0 - Cast("agreed_price", FloatField()) / Cast("agreed_list_price", FloatField())) * 100.0,
    output_field=FloatField(),
)


def scored_deals(*, since: Any = None) -> QuerySet[ChatSession]:
    """Deals that earn 네고 points: agreed (a deal the seller cancelled is `closed`, not agreed),
    never taken over by the seller, on a listing whose seller's account was a day old at the
    deal. One chat per buyer and listing (the model's constraint), so one scored deal each."""
    deals = ChatSession.objects.filter(
        state=ChatSession.State.AGREED,
        seller_took_over=False,
        agreed_at__isnull=False,
        agreed_price__isnull=False,
        agreed_list_price__gt=0,
        listing__seller__date_joined__lte=F("agreed_at") - SELLER_MIN_AGE,
    ).exclude(buyer=F("listing__seller"))
    if since is not None:
        deals = deals.filter(agreed_at__gte=since)
    return deals.annotate(points=_POINTS)


def week_start() -> datetime:
    """Monday 00:00 of this week, in the site's time zone (Asia/Seoul)."""
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    return timezone.make_aware(datetime.combine(monday, time.min))


def ranking(*, weekly: bool = False, limit: int = 50) -> list[dict[str, Any]]:
    """Buyers by 네고 points, `(1 - price / list price) * 100` summed over their scored deals,
    each seller counting once per buyer (their best deal): a friend's shop cannot feed points."""
    deals = scored_deals(since=week_start() if weekly else None).values(
        "id", "buyer_id", "listing__seller_id", "points", "buyer__username", "buyer__profile__nickname"
    )
    best: dict[tuple[int, int], dict[str, Any]] = {}
    for deal in deals:
        key = (deal["buyer_id"], deal["listing__seller_id"])
        if key not in best or deal["points"] > best[key]["points"]:
            best[key] = deal
    totals: dict[int, dict[str, Any]] = {}
    for deal in best.values():
        row = totals.setdefault(
            deal["buyer_id"],
            {"name": deal["buyer__profile__nickname"] or deal["buyer__username"], "total": 0.0, "deals": 0},
        )
        row["total"] += deal["points"]
        row["deals"] += 1
    ordered = sorted(totals.items(), key=lambda item: (-item[1]["total"], item[0]))[:limit]
    return [
        {"rank": i, "name": row["name"], "points": round(row["total"], 1), "deals": row["deals"]}
        for i, (_buyer, row) in enumerate(ordered, start=1)
    ]
