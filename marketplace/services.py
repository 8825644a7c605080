"""Writes for the marketplace: sign-up, login throttling, listings and their photos."""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from PIL import Image, ImageOps

from .models import Listing, ListingPhoto, Profile, Status
from .signals import listing_status_changed

MAX_PHOTOS = 5
PHOTO_MAX_SIDE = 1600
THUMB_SIZE = (480, 480)

# --- Accounts --------------------------------------------------------------------------------


@transaction.atomic
def user_signup(*, username: str, password: str, nickname: str, ip: str | None = None) -> AbstractBaseUser:
    """A new member; `ip` (the address signing up) counts towards `signup_is_throttled`."""
    user = get_user_model().objects.create_user(username=username, password=password)
    Profile.objects.create(user=user, nickname=nickname)
    if ip is not None:  # counted even if the transaction fails: erring towards the throttle
        _window_count(f"signup:ip:{ip}", window=settings.SIGNUP_WINDOW)
    return user


def signup_is_throttled(*, ip: str) -> bool:
    """Whether this address made SIGNUP_LIMIT accounts within SIGNUP_WINDOW: fresh accounts are
    what probing a listing's price would take, so they are rationed per address."""
    return (cache.get(f"signup:ip:{ip}") or 0) >= settings.SIGNUP_LIMIT


def _window_count(key: str, *, window: int) -> None:
    """One more in the fixed window counted at `key`: add() starts the window on the first hit,
    incr() keeps it (no sliding extension)."""
    if not cache.add(key, 1, timeout=window):
        try:
            cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.add(key, 1, timeout=window)


# --- Failed-login throttling -------------------------------------------------------------------
# Three counters, so that one typo-prone office behind a shared address doesn't lock everyone
# out, and nobody can lock an account from their own address:
# - a username from one address: a few failures (the usual brute force, and the usual typos);
# - a username from anywhere: many more (guessing one account from many places);
# - one address for any usernames: many more (trying many accounts from one place).


def _throttle_limits(*, username: str, ip: str) -> dict[str, int]:
    user = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return {
        f"login-fail:pair:{user}:{ip}": settings.LOGIN_FAILURE_LIMIT,
        f"login-fail:user:{user}": settings.LOGIN_FAILURE_USER_LIMIT,
        f"login-fail:ip:{ip}": settings.LOGIN_FAILURE_IP_LIMIT,
    }


def login_is_throttled(*, username: str, ip: str) -> bool:
    limits = _throttle_limits(username=username, ip=ip)
    counts = cache.get_many(list(limits))
    return any(count >= limits[key] for key, count in counts.items())


def login_failure_record(*, username: str, ip: str) -> None:
    for key in _throttle_limits(username=username, ip=ip):
        _window_count(key, window=settings.LOGIN_FAILURE_WINDOW)


def login_failures_clear(*, username: str, ip: str) -> None:
    # The account's counters only: a successful login must not reset the counter of an address
    # that may be trying other accounts.
    pair, user, _ip = _throttle_limits(username=username, ip=ip)
    cache.delete_many([pair, user])


# --- Listings ------------------------------------------------------------------------------------


def _floor_or_default(*, price: int, floor_price: int | None) -> int:
    return Listing.default_floor(price) if floor_price is None else floor_price


@transaction.atomic
def listing_create(
    *,
    seller: AbstractBaseUser,
    title: str,
    description: str,
    category: str,
    price: int,
    floor_price: int | None = None,
    style: str = "balanced",
    status: str = Status.ON_SALE,
    photos: Iterable[UploadedFile] = (),
) -> Listing:
    listing = Listing(
        seller=seller,
        title=title,
        description=description,
        category=category,
        price=price,
        floor_price=_floor_or_default(price=price, floor_price=floor_price),
        style=style,
        status=status,
    )
    listing.full_clean()
    listing.save()
    photos_add(listing=listing, files=photos)
    return listing


@transaction.atomic
def listing_update(
    *,
    listing: Listing,
    photos: Iterable[UploadedFile] = (),
    remove_photo_ids: Iterable[int] = (),
    **fields: object,
) -> Listing:
    if "price" in fields or "floor_price" in fields:
        price = int(fields.get("price", listing.price))
        fields["floor_price"] = _floor_or_default(price=price, floor_price=fields.get("floor_price"))
    # A status change goes through listing_set_status so the chats follow it, and only when the
    # caller asks for one: the instance may already carry a status (a ModelForm writes the posted
    # one during validation), which the row keeps unless `status` is passed.
    status = fields.pop("status", None)
    for name, value in fields.items():
        setattr(listing, name, value)
    listing.status = Listing.objects.select_for_update().values_list("status", flat=True).get(pk=listing.pk)
    listing.full_clean()
    listing.save()
    if status is not None:
        listing_set_status(listing=listing, status=status)
    photos_remove(listing=listing, photo_ids=remove_photo_ids)
    photos_add(listing=listing, files=photos)
    return listing


def listing_set_hidden(*, listing: Listing, hidden: bool) -> Listing:
    listing.is_hidden = hidden
    listing.save(update_fields=["is_hidden", "updated_at"])
    return listing


def listing_set_status(*, listing: Listing, status: str) -> Listing:
    """Change the sale status; chats on the listing follow (see `listing_status_changed`)."""
    if status not in Status.values:
        raise ValueError(f"unknown status {status!r}")
    with transaction.atomic():
        locked = Listing.objects.select_for_update().get(pk=listing.pk)
        old_status = locked.status
        if old_status != status:
            locked.status = status
            locked.save(update_fields=["status", "updated_at"])
            listing_status_changed.send(sender=Listing, listing=locked, old_status=old_status)
    listing.status, listing.updated_at = locked.status, locked.updated_at
    return listing


@transaction.atomic
def listing_delete(*, listing: Listing) -> None:
    files = _photo_files(listing.photos.all())
    listing.delete()
    transaction.on_commit(lambda: _delete_files(files))


# --- Photos ---------------------------------------------------------------------------------------


def _jpeg(image: Image.Image, *, quality: int) -> ContentFile:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, optimize=True)
    return ContentFile(buffer.getvalue())


def photo_renditions(upload: UploadedFile) -> tuple[ContentFile, ContentFile]:
    """The stored photo and its card thumbnail, both re-encoded as JPEG.

    Re-encoding drops EXIF (sellers' phones write GPS positions into it) and anything that is
    not pixels, and caps the stored size whatever the upload was.
    """
    upload.seek(0)
    with Image.open(upload) as source:
        image = ImageOps.exif_transpose(source)
        if image.mode != "RGB":
            background = Image.new("RGB", image.size, "white")
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        full = image.copy()
        full.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
        thumb = ImageOps.fit(image, THUMB_SIZE, method=Image.Resampling.LANCZOS)
    return _jpeg(full, quality=85), _jpeg(thumb, quality=80)


def photos_add(*, listing: Listing, files: Iterable[UploadedFile]) -> list[ListingPhoto]:
    files = list(files)
    if not files:
        return []
    # Not listing.photos.count(): a prefetched (and now stale) cache would answer it.
    current = ListingPhoto.objects.filter(listing=listing)
    if current.count() + len(files) > MAX_PHOTOS:
        raise ValueError(f"at most {MAX_PHOTOS} photos per listing")
    position = (current.aggregate(top=Max("position"))["top"] or 0) + 1
    created = []
    for offset, upload in enumerate(files):
        full, thumb = photo_renditions(upload)
        name = uuid.uuid4().hex
        photo = ListingPhoto(listing=listing, position=position + offset)
        photo.image.save(f"{name}.jpg", full, save=False)
        photo.thumbnail.save(f"{name}_t.jpg", thumb, save=False)
        photo.save()
        created.append(photo)
    return created


def photos_remove(*, listing: Listing, photo_ids: Iterable[int]) -> None:
    photos = list(ListingPhoto.objects.filter(listing=listing, pk__in=list(photo_ids)))
    if not photos:
        return
    files = _photo_files(photos)
    ListingPhoto.objects.filter(pk__in=[p.pk for p in photos]).delete()
    transaction.on_commit(lambda: _delete_files(files))


def _photo_files(photos: Iterable[ListingPhoto]) -> list[tuple[object, str]]:
    return [(f.storage, f.name) for p in photos for f in (p.image, p.thumbnail) if f]


def _delete_files(files: list[tuple[object, str]]) -> None:
    for storage, name in files:
        storage.delete(name)
