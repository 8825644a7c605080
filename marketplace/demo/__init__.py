"""The demo marketplace: accounts and listings from `listings.json`, stocked once per seller."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from marketplace import services
from marketplace.models import Like, Listing, Profile, Style

DATA = json.loads((Path(__file__).resolve().parent / "listings.json").read_text(encoding="utf-8"))
ACCOUNTS: dict[str, Any] = DATA["accounts"]
LISTINGS: list[dict[str, Any]] = DATA["listings"]  # "seller": 0 is the demo seller, 1-2 neighbours
STYLES = (Style.BALANCED, Style.FIRM, Style.FLEXIBLE)


@dataclass(frozen=True)
class Seeded:
    created: int
    total: int
    categories: int


def _user(*, username: str, nickname: str, password: str, neighborhood: str = "") -> Any:
    user, _ = get_user_model().objects.get_or_create(username=username)
    user.set_password(password)
    user.save()
    Profile.objects.update_or_create(user=user, defaults={"nickname": nickname, "neighborhood": neighborhood})
    return user


def demo_floor(index: int, price: int) -> int:
    """Floors vary between 72% and 88% of the price, rounded down to 1,000원."""
    return price * (72 + (index * 7) % 17) // 100 // 1000 * 1000


@transaction.atomic
def demo_seed(*, photos: bool = True) -> Seeded:
    """Create the demo accounts (passwords reset) and stock each demo seller once: listings
    people later edit or delete stay as they are."""
    from .pictures import placeholder_photo

    seller, buyer = ACCOUNTS["seller"], ACCOUNTS["buyer"]
    shopper = _user(username=buyer["username"], nickname=buyer["nickname"], password=buyer["password"])
    sellers = [
        _user(
            username=seller["username"],
            nickname=seller["nickname"],
            password=seller["password"],
            neighborhood=seller.get("neighborhood", ""),
        )
    ]
    sellers += [
        _user(
            username=n["username"],
            nickname=n["nickname"],
            password=ACCOUNTS["neighbour_password"],
            neighborhood=n.get("neighborhood", ""),
        )
        for n in ACCOUNTS["neighbours"]
    ]
    stocked = {s.pk for s in sellers if Listing.objects.filter(seller=s).exists()}
    now, created = timezone.now(), 0
    for i, item in enumerate(LISTINGS):
        owner = sellers[item["seller"]]
        if owner.pk in stocked:
            continue
        listing = services.listing_create(
            seller=owner,
            title=item["title"],
            description=item["description"],
            category=item["category"],
            price=item["price"],
            floor_price=demo_floor(i, item["price"]),
            style=STYLES[i % len(STYLES)],
            status=item["status"],
        )
        created += 1
        # A lived-in list: views grow with age, and neighbours keep an eye on every few items.
        Listing.objects.filter(pk=listing.pk).update(
            created_at=now - timedelta(hours=item["hours_ago"]), view_count=3 + item["hours_ago"] * 2 + i % 7
        )
        for liker in [shopper, *sellers][: (i * 5) % 4]:
            if liker.pk != owner.pk:
                Like.objects.get_or_create(user=liker, listing=listing)
        if photos:
            shots = 2 if i % 3 == 0 else 1  # some listings have a closer second picture
            files = [
                placeholder_photo(category=item["category"], title=item["title"], shot=s)
                for s in range(shots)
            ]
            services.photos_add(listing=listing, files=files)
    demo = Listing.objects.filter(seller__in=sellers)
    return Seeded(created, demo.count(), demo.values("category").distinct().count())
