"""Demo chats for `make demo`: buyers haggling on the demo seller's listings, a deal, a reservation
with a standing offer behind it, so the cockpit (`/selling/`) and the ranking have something to
show. Every chat is played through the real services and reply job, not written as rows."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from marketplace.demo import ACCOUNTS
from marketplace.models import Listing, Status, Style

from . import dispatch, replies, services
from .models import ChatSession

# The demo accounts are a month old, as the neighbours of a real marketplace would be (a fresh
# seller account's deals score no ranking points).
ACCOUNT_AGE = timedelta(days=30)


def _won(price: int, percent: int) -> str:
    """`percent` of `price`, rounded down to 1,000원, as a buyer would type it."""
    return f"{price * percent // 100 // 1000 * 1000:,}원"


def _users() -> tuple[Any, Any, list[Any]]:
    users = get_user_model().objects
    seller = users.get(username=ACCOUNTS["seller"]["username"])
    buyer = users.get(username=ACCOUNTS["buyer"]["username"])
    neighbours = [users.get(username=n["username"]) for n in ACCOUNTS["neighbours"]]
    return seller, buyer, neighbours


def _answered(message: Any) -> Any:
    """The bot's reply to a stored buyer message (the job runs here if no worker took it)."""
    dispatch.drain(timeout=60)
    return replies.reply_generate(message_id=message.pk)


def _haggle(listing: Listing, buyer: Any, texts: list[str]) -> ChatSession:
    session = services.session_open(listing=listing, buyer=buyer)
    for text in texts:
        _answered(services.message_submit(session_id=session.pk, user=buyer, text=text))
    return ChatSession.objects.get(pk=session.pk)


def _deal(listing: Listing, buyer: Any, texts: list[str]) -> ChatSession:
    """A haggle, then the buyer's final offer at the bot's last price: the bot accepts it."""
    session = _haggle(listing, buyer, texts)
    price = session.last_bot_offer or listing.price
    _answered(services.offer_submit(session_id=session.pk, user=buyer, price=price))
    return ChatSession.objects.get(pk=session.pk)


def demo_chats_seed() -> int:
    """Play the demo chats once (none while the demo seller has any); returns how many."""
    seller, buyer, neighbours = _users()
    if ChatSession.objects.filter(listing__seller=seller).exists():
        return 0
    users = get_user_model().objects.filter(pk__in=[seller.pk, buyer.pk, *[n.pk for n in neighbours]])
    users.filter(date_joined__gt=timezone.now() - ACCOUNT_AGE).update(
        date_joined=timezone.now() - ACCOUNT_AGE
    )
    mine = list(
        Listing.objects.filter(seller=seller, status=Status.ON_SALE, is_hidden=False, price__gt=0).order_by(
            "pk"
        )
    )
    theirs = list(
        Listing.objects.filter(seller__in=neighbours, status=Status.ON_SALE, is_hidden=False, price__gt=0)
        .exclude(seller=seller)
        .order_by("pk")
    )
    # The demo buyer sends 7 messages, under the chat's rate limit (8 per 30 s by default).
    # Firm sellers rarely move in two messages: the deals are made with the others.
    theirs = [listing for listing in theirs if listing.style != Style.FIRM]
    flexible = [listing for listing in mine if listing.style != Style.FIRM]
    if len(mine) < 3 or not flexible:
        return 0
    reserved = flexible[0]
    busy, quiet = [listing for listing in mine if listing != reserved][:2]
    # Two buyers on one listing, haggling now.
    _haggle(
        busy,
        buyer,
        [f"안녕하세요! {_won(busy.price, 80)}에 가능할까요?"],
    )
    _haggle(busy, neighbours[0], [f"{_won(busy.price, 85)}이면 바로 살게요"])
    # A deal on another, with a buyer waiting behind it with a standing offer.
    waiting = _haggle(reserved, buyer, [f"{_won(reserved.price, 85)}에 가능할까요?"])
    _deal(
        reserved, neighbours[1], [f"{_won(reserved.price, 80)} 어떠세요?", f"{_won(reserved.price, 88)}은요?"]
    )
    services.offer_submit(session_id=waiting.pk, user=buyer, price=reserved.price * 93 // 100 // 1000 * 1000)
    # A question only, and deals the demo buyer made with the neighbours (the ranking).
    _haggle(quiet, neighbours[1], ["상태는 어떤가요? 사용감 많나요?"])
    for listing in theirs[:2]:
        _deal(
            listing,
            buyer,
            [f"{_won(listing.price, 85)}에 안 될까요?"],
        )
    return ChatSession.objects.filter(listing__seller__in=[seller, *neighbours]).count()
