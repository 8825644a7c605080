"""Reads for the marketplace pages.

Every query that can reach a buyer defers ``floor_price``: the secret is never even loaded into
a public page's template context. Only ``listings_of_seller`` (the seller's own page) loads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Count, Prefetch, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .aliases import search_terms
from .models import Block, Like, Listing, ListingPhoto, Rating, Report, Review, Status

# The list's order is `listed_at`: the creation time, or the last 끌올's.
SORTS = {
    "newest": ("-listed_at", "-id"),
    "cheapest": ("price", "-listed_at", "-id"),
    "priciest": ("-price", "-listed_at", "-id"),
    "popular": ("-like_count", "-chat_count", "-listed_at", "-id"),
}
SORT_LABELS = {"newest": "최신순", "cheapest": "낮은 가격순", "priciest": "높은 가격순", "popular": "관심순"}
BUMP_INTERVAL = timedelta(days=1)
# 매너 score, shown with its rules on every profile: everybody starts at 36.5 (a body's
# temperature, as Korean marketplaces do), each review moves it, and it stays within 0-99.
MANNER_START = 36.5
MANNER_STEP = {Rating.GOOD: 0.5, Rating.OK: 0.0, Rating.BAD: -1.5}

User = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True, kw_only=True)
class ListingFilters:
    q: str = ""
    category: str = ""
    min_price: int | None = None
    max_price: int | None = None
    sort: str = "newest"
    available: bool = False
    dong: str = ""


# What every list shows: 관심 and 채팅 counts, and the time it was (re)listed.
_COUNTS = {
    "like_count": Count("likes", distinct=True),
    "chat_count": Count("chats", distinct=True),
    "listed_at": Coalesce("bumped_at", "created_at"),
}


def _public_base() -> QuerySet[Listing]:
    return (
        Listing.objects.defer("floor_price")
        .select_related("seller__profile")
        .prefetch_related(Prefetch("photos", queryset=ListingPhoto.objects.order_by("position", "id")))
        .annotate(**_COUNTS)
    )


def _can_see_hidden(listing: Listing, user: User) -> bool:
    return bool(user.is_authenticated and (user.is_staff or listing.seller_id == user.pk))


def listing_search(*, filters: ListingFilters) -> QuerySet[Listing]:
    """Visible listings matching the index's search box and filters."""
    qs = _public_base().filter(is_hidden=False, seller__is_active=True)  # suspended sellers' leave
    if filters.q:
        for word in filters.q.split()[:5]:
            match = Q()
            for term in search_terms(word):
                match |= Q(title__icontains=term) | Q(description__icontains=term)
            qs = qs.filter(match)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.min_price is not None:
        qs = qs.filter(price__gte=filters.min_price)
    if filters.max_price is not None:
        qs = qs.filter(price__lte=filters.max_price)
    if filters.available:
        qs = qs.filter(status=Status.ON_SALE)
    if filters.dong:
        qs = qs.filter(neighborhood__icontains=filters.dong)
    return qs.order_by(*SORTS.get(filters.sort, SORTS["newest"]))


def listing_get_visible(*, pk: int, user: User) -> Listing:
    """A listing as its page shows it; hidden ones exist only for their seller and staff (404)."""
    listing = get_object_or_404(_public_base(), pk=pk)
    if (listing.is_hidden or not listing.seller.is_active) and not _can_see_hidden(listing, user):
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
    return (
        Listing.objects.filter(seller=user)
        .prefetch_related("photos")
        .annotate(**_COUNTS)
        .order_by("-listed_at", "-id")
    )


def listing_more_from_seller(*, listing: Listing, limit: int = 4) -> QuerySet[Listing]:
    return (
        _public_base()
        .filter(seller_id=listing.seller_id, is_hidden=False)
        .exclude(pk=listing.pk)
        .order_by("-listed_at")[:limit]
    )


def neighborhoods_in_use(*, limit: int = 12) -> list[str]:
    """The 동네 of visible listings, most listed first (the index's 동네 filter)."""
    rows = (
        Listing.objects.filter(is_hidden=False)
        .exclude(neighborhood="")
        .values("neighborhood")
        .annotate(n=Count("id"))
        .order_by("-n", "neighborhood")[:limit]
    )
    return [row["neighborhood"] for row in rows]


# --- 관심, 끌올 ------------------------------------------------------------------------------------


def listing_is_liked(*, listing: Listing, user: User) -> bool:
    return bool(user.is_authenticated and Like.objects.filter(listing=listing, user=user).exists())


def listing_like_count(*, listing: Listing) -> int:
    return Like.objects.filter(listing=listing).count()


def listings_liked_by(*, user: User) -> QuerySet[Listing]:
    return _public_base().filter(likes__user=user, is_hidden=False).order_by("-likes__created_at")


def listing_bump_available_at(*, listing: Listing) -> timezone.datetime | None:
    """When the seller may next 끌올 the listing; None when now."""
    if listing.bumped_at is None:
        return None
    at = listing.bumped_at + BUMP_INTERVAL
    return at if at > timezone.now() else None


# --- Deals, reviews, 매너 -----------------------------------------------------------------------------


def listing_buyer_candidates(*, listing: Listing) -> QuerySet:
    """Buyers who chatted about the listing: whom the seller may name when marking it sold.
    The one who agreed a deal comes first."""
    return (
        get_user_model()
        .objects.filter(chats__listing=listing)
        .select_related("profile")
        .annotate(agreed=Count("chats", filter=Q(chats__listing=listing, chats__state="agreed")))
        .order_by("-agreed", "chats__created_at")
    )


def listing_agreed_buyer(*, listing: Listing) -> AbstractBaseUser | None:
    """The buyer whose chat ended in 합의 on this listing, if any."""
    return get_user_model().objects.filter(chats__listing=listing, chats__state="agreed").first()


def review_counterpart(*, listing: Listing, user: User) -> AbstractBaseUser | None:
    """Whom `user` may review for this deal: the other party of a sold listing with a named
    buyer; None for anybody else, before the deal is finished, or once they have reviewed it."""
    if not user.is_authenticated or listing.status != Status.SOLD or listing.buyer_id is None:
        return None
    if user.pk == listing.seller_id:
        target = listing.buyer
    elif user.pk == listing.buyer_id:
        target = listing.seller
    else:
        return None
    if Review.objects.filter(listing=listing, author=user).exists():
        return None
    return target


def reviews_of_user(*, user: AbstractBaseUser) -> QuerySet[Review]:
    return Review.objects.filter(target=user).select_related("author__profile", "listing")


def manner_score(*, user: AbstractBaseUser) -> float:
    score = MANNER_START
    for rating in Review.objects.filter(target=user).values_list("rating", flat=True):
        score += MANNER_STEP.get(rating, 0.0)
    return round(min(99.0, max(0.0, score)), 1)


def user_public(*, pk: int) -> AbstractBaseUser:
    """A member as their public page shows them; inactive (suspended) members are not found."""
    return get_object_or_404(get_user_model().objects.select_related("profile"), pk=pk, is_active=True)


def listings_public_of(*, user: AbstractBaseUser) -> QuerySet[Listing]:
    return _public_base().filter(seller=user, is_hidden=False).order_by("-listed_at", "-id")


# --- 차단 ---------------------------------------------------------------------------------------------


def user_has_blocked(*, blocker: User, blocked: AbstractBaseUser) -> bool:
    return bool(blocker.is_authenticated and Block.objects.filter(blocker=blocker, blocked=blocked).exists())


def users_blocked_between(*, a_id: int, b_id: int) -> Block | None:
    """A block between the two users in either direction (the one who blocked is `.blocker`)."""
    either = Q(blocker_id=a_id, blocked_id=b_id) | Q(blocker_id=b_id, blocked_id=a_id)
    return Block.objects.filter(either).first()


def chat_of_participant(*, chat_id: int, user: User) -> object:
    """A chat its buyer or its listing's seller may report; 404 for anybody else.

    The chat model is reached through the report's foreign key, not imported: negotiation
    depends on marketplace, never the other way round.
    """
    chats = Report._meta.get_field("chat").related_model.objects.select_related("listing__seller", "buyer")
    chat = chats.filter(Q(buyer=user) | Q(listing__seller=user), pk=chat_id).first()
    if chat is None:
        raise Http404("대화를 찾을 수 없어요.")
    return chat
