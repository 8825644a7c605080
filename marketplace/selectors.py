"""Reads for the marketplace pages.

Every query that can reach a buyer defers ``floor_price``: the secret is never even loaded into
a public page's template context. Only ``listings_of_seller`` (the seller's own page) loads it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from .models import Listing, ListingPhoto

SORTS = {"newest": ("-created_at", "-id"), "cheapest": ("price", "-created_at", "-id")}

User = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True, kw_only=True)
class ListingFilters:
    q: str = ""
    category: str = ""
    min_price: int | None = None
    max_price: int | None = None
    sort: str = "newest"


def _public_base() -> QuerySet[Listing]:
    return (
        Listing.objects.defer("floor_price")
        .select_related("seller__profile")
        .prefetch_related(Prefetch("photos", queryset=ListingPhoto.objects.order_by("position", "id")))
    )


def _can_see_hidden(listing: Listing, user: User) -> bool:
    return bool(user.is_authenticated and (user.is_staff or listing.seller_id == user.pk))


def listing_search(*, filters: ListingFilters) -> QuerySet[Listing]:
    """Visible listings matching the index's search box and filters."""
    qs = _public_base().filter(is_hidden=False)
    if filters.q:
        for word in filters.q.split()[:5]:
            qs = qs.filter(Q(title__icontains=word) | Q(description__icontains=word))
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.min_price is not None:
        qs = qs.filter(price__gte=filters.min_price)
    if filters.max_price is not None:
        qs = qs.filter(price__lte=filters.max_price)
    return qs.order_by(*SORTS.get(filters.sort, SORTS["newest"]))


def listing_get_visible(*, pk: int, user: User) -> Listing:
    """A listing as its page shows it; hidden ones exist only for their seller and staff (404)."""
    listing = get_object_or_404(_public_base(), pk=pk)
    if listing.is_hidden and not _can_see_hidden(listing, user):
        raise _not_found()
    return listing


def _not_found() -> Http404:
    return Http404("판매글을 찾을 수 없습니다.")


def listing_get_owned(*, pk: int, user: User) -> Listing:
    """The seller's own listing, floor price included; anybody else gets a 404."""
    if not user.is_authenticated:
        raise _not_found()
    return get_object_or_404(Listing.objects.prefetch_related("photos"), pk=pk, seller=user)


def listings_of_seller(*, user: User) -> QuerySet[Listing]:
    """ "내 판매글": every listing of the seller, hidden ones too, floor price loaded."""
    return Listing.objects.filter(seller=user).prefetch_related("photos").order_by("-created_at", "-id")


def listing_more_from_seller(*, listing: Listing, limit: int = 4) -> QuerySet[Listing]:
    return (
        _public_base()
        .filter(seller_id=listing.seller_id, is_hidden=False)
        .exclude(pk=listing.pk)
        .order_by("-created_at")[:limit]
    )
