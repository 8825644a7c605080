"""Writes for the marketplace: sign-up, login throttling, listings and their photos, and the trust
features (관심, 끌올, deals and reviews, 신고 and 차단)."""

from __future__ import annotations

import hashlib
import io
import re
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.http import HttpRequest
from django.utils import timezone
from PIL import Image, ImageOps

from . import selectors
from .models import Block, Like, Listing, ListingPhoto, Profile, Report, Review, Status
from .signals import chat_reported, listing_status_changed

MAX_PHOTOS = 5
PHOTO_MAX_SIDE = 1600
THUMB_SIZE = (480, 480)
# Modes Image.reduce() accepts; others ("1", "P", "I;16", ...) are converted first.
REDUCIBLE_MODES = {"L", "LA", "La", "RGB", "RGBA", "RGBa", "RGBX", "CMYK", "YCbCr", "I", "F"}
STRIPE_ROWS = 64  # output rows shrunk at a time

# --- Accounts --------------------------------------------------------------------------------


@transaction.atomic
def user_signup(*, username: str, password: str, nickname: str, ip: str | None = None) -> AbstractBaseUser:
    """A new member; `ip` (the address signing up) counts towards `signup_is_throttled`."""
    user = get_user_model().objects.create_user(username=username, password=password)
    Profile.objects.create(user=user, nickname=nickname)
    if ip is not None:  # counted even if the transaction fails: erring towards the throttle
        window_count(f"signup:ip:{ip}", window=settings.SIGNUP_WINDOW)
    return user


# --- The client's address ----------------------------------------------------------------------


def client_address(request: HttpRequest | None) -> str:
    """The address every per-address throttle keys on: the real client's, also behind the TLS
    proxy (nellm_site/proxy.py rewrites REMOTE_ADDR only for a trusted proxy, so a forwarding
    header from anyone else changes nothing)."""
    return (request.META.get("REMOTE_ADDR") if request is not None else None) or "unknown"


def signup_is_throttled(*, ip: str) -> bool:
    """Whether this address made SIGNUP_LIMIT accounts within SIGNUP_WINDOW: fresh accounts are
    what probing a listing's price would take, so they are rationed per address."""
    return (cache.get(f"signup:ip:{ip}") or 0) >= settings.SIGNUP_LIMIT


def window_count(key: str, *, window: int) -> int:
    """One more in the fixed window counted at `key` (the site's one rate counter, the chat's
    too); the count so far. The first hit starts the window, later ones keep it (no sliding
    extension), so the count can be read back at `key`."""
    return window_counts([key], window=window)[0]


def window_counts(keys: list[str], *, window: int) -> list[int]:
    """`window_count` for several keys, in one cache round trip where the cache can."""
    counts = getattr(cache, "window_counts", None)
    if counts is not None:  # nellm_site.cache.RedisCache
        return counts(keys, window=window)
    return [_window_count_plain(key, window=window) for key in keys]


def _window_count_plain(key: str, *, window: int) -> int:
    # Any Django cache: add() starts the window on the first hit, incr() keeps it.
    if cache.add(key, 1, timeout=window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=window)
        return 1


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
        window_count(key, window=settings.LOGIN_FAILURE_WINDOW)


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
    neighborhood: str | None = None,
) -> Listing:
    if neighborhood is None:  # the seller's 동네 unless the listing names another
        profile = Profile.objects.filter(user=seller).first()
        neighborhood = profile.neighborhood if profile else ""
    listing = Listing(
        seller=seller,
        neighborhood=neighborhood,
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
    photos: Iterable[UploadedFile | int] = (),
    remove_photo_ids: Iterable[int] = (),
    **fields: object,
) -> Listing:
    """Saves the fields; `photos` are new uploads and, where the seller ordered them, ids of the
    listing's photos among them (`photos_arrange`)."""
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
    photos_arrange(listing=listing, items=photos)
    return listing


def listing_set_hidden(*, listing: Listing, hidden: bool) -> Listing:
    listing.is_hidden = hidden
    listing.save(update_fields=["is_hidden", "updated_at"])
    return listing


_AGREED_BUYER = object()


def listing_set_status(*, listing: Listing, status: str, buyer: object = _AGREED_BUYER) -> Listing:
    """Change the sale status; chats on the listing follow (see `listing_status_changed`).

    A sold listing records its buyer (the two may then review each other): the one named, or
    by default the buyer whose chat agreed the deal. Any other status clears it.
    """
    if status not in Status.values:
        raise ValueError(f"unknown status {status!r}")
    with transaction.atomic():
        locked = Listing.objects.select_for_update().get(pk=listing.pk)
        old_status, old_buyer = locked.status, locked.buyer_id
        if status != Status.SOLD:
            locked.buyer = None
        elif buyer is not _AGREED_BUYER:
            locked.buyer = buyer
        elif old_status != Status.SOLD:
            locked.buyer = selectors.listing_agreed_buyer(listing=locked)
        locked.status = status
        locked.save(update_fields=["status", "buyer", "updated_at"])
        # A sold listing given another buyer changes hands too: the chats follow that as well.
        if old_status != status or old_buyer != locked.buyer_id:
            listing_status_changed.send(sender=Listing, listing=locked, old_status=old_status)
    listing.status, listing.buyer_id, listing.updated_at = locked.status, locked.buyer_id, locked.updated_at
    return listing


class MarketError(ValueError):
    """A user's request the rules refuse; `message` is the Korean text to show them."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def listing_mark_sold(*, listing: Listing, buyer: AbstractBaseUser | None) -> Listing:
    """판매완료, naming the buyer (one of those who chatted) or nobody (sold elsewhere)."""
    candidates = selectors.listing_buyer_candidates(listing=listing)
    if buyer is not None and not candidates.filter(pk=buyer.pk).exists():
        raise MarketError("이 판매글로 채팅한 구매자만 고를 수 있어요.")
    return listing_set_status(listing=listing, status=Status.SOLD, buyer=buyer)


def listing_bump(*, listing: Listing) -> Listing:
    """끌올: move the listing to the top of the list, at most once a day, while on sale."""
    if listing.is_hidden or listing.status != Status.ON_SALE:
        raise MarketError("판매중인 공개 판매글만 끌어올릴 수 있어요.")
    with transaction.atomic():
        locked = Listing.objects.select_for_update().get(pk=listing.pk)
        next_at = selectors.listing_bump_available_at(listing=locked)
        if next_at is not None:
            local = timezone.localtime(next_at)
            raise MarketError(
                f"끌올은 하루에 한 번만 할 수 있어요. {local:%m월 %d일 %H:%M} 이후에 다시 해 주세요."
            )
        now = timezone.now()
        Listing.objects.filter(pk=listing.pk).update(bumped_at=now)
    listing.bumped_at = now
    return listing


def listing_record_view(*, listing: Listing, viewer_key: str) -> None:
    """조회수: one view per viewer (user or session) and listing a day; the seller's own don't count."""
    if cache.add(f"listing-view:{listing.pk}:{viewer_key}", 1, timeout=86400):
        Listing.objects.filter(pk=listing.pk).update(view_count=F("view_count") + 1)


def like_set(*, user: AbstractBaseUser, listing: Listing, liked: bool) -> bool:
    """관심 on or off (idempotent); returns the new state."""
    if liked:
        if listing.seller_id == user.pk:
            raise MarketError("내 판매글에는 관심을 누를 수 없어요.")
        try:
            with transaction.atomic():
                Like.objects.get_or_create(user=user, listing=listing)
        except IntegrityError:  # the same click twice at once
            pass
    else:
        Like.objects.filter(user=user, listing=listing).delete()
    return liked


# --- Reviews, reports, blocks --------------------------------------------------------------------------


def review_create(*, listing: Listing, author: AbstractBaseUser, rating: str, text: str = "") -> Review:
    """거래 후기 by a party of the finished deal about the other party, once."""
    with transaction.atomic():
        locked = (
            Listing.objects.select_for_update(of=("self",))
            .select_related("seller", "buyer")
            .get(pk=listing.pk)
        )
        target = selectors.review_counterpart(listing=locked, user=author)
        if target is None:
            if Review.objects.filter(listing=locked, author=author).exists():
                raise MarketError("이 거래에는 이미 후기를 남겼어요.")
            raise MarketError("거래를 마친 판매자와 구매자만 후기를 남길 수 있어요.")
        review = Review(listing=locked, author=author, target=target, rating=rating, text=text.strip())
        review.full_clean()
        review.save()
    return review


def report_create(
    *,
    reporter: AbstractBaseUser,
    target_user: AbstractBaseUser,
    reason: str,
    detail: str = "",
    listing: Listing | None = None,
    chat: object | None = None,
) -> Report:
    if target_user.pk == reporter.pk:
        raise MarketError("나 자신은 신고할 수 없어요.")
    kind = Report.Kind.CHAT if chat is not None else Report.Kind.LISTING if listing else Report.Kind.USER
    report = Report(
        reporter=reporter,
        target_user=target_user,
        kind=kind,
        listing=listing,
        chat=chat,
        reason=reason,
        detail=detail.strip(),
    )
    report.full_clean()
    with transaction.atomic():
        report.save()
        if chat is not None:
            chat_reported.send(sender=Report, chat=chat)
    return report


def report_handle(*, report: Report, action: str) -> Report:
    """A moderator's action on a report: hide the listing, warn or suspend the user, or dismiss.
    Each acts on what was reported, never on the reporter: "hide" hides the reported user's own
    listing (a listing report, or a chat report against its seller); a report about a buyer has
    nothing to hide and is refused (MarketError), so the seller who reported a buyer in a chat
    on their listing never loses the listing for it."""
    with transaction.atomic():
        if action == "hide":
            listing = report.listing
            if listing is None or listing.seller_id != report.target_user_id:
                raise MarketError("신고 대상의 판매글이 없어 숨길 수 없어요. 경고나 이용 정지를 써 주세요.")
            listing_set_hidden(listing=listing, hidden=True)
            note, state = "판매글 숨김", Report.State.RESOLVED
        elif action == "warn":
            Profile.objects.filter(user=report.target_user).update(warnings=F("warnings") + 1)
            note, state = "경고", Report.State.RESOLVED
        elif action == "suspend":
            # A save, not a bulk update: its signal closes the user's open sockets at once.
            user = type(report.target_user).objects.get(pk=report.target_user_id)
            user.is_active = False
            user.save(update_fields=["is_active"])
            note, state = "이용 정지", Report.State.RESOLVED
        elif action == "dismiss":
            note, state = "기각", Report.State.DISMISSED
        else:
            raise ValueError(f"unknown action {action!r}")
        report.state, report.action, report.handled_at = state, note, timezone.now()
        report.save(update_fields=["state", "action", "handled_at"])
    return report


def block_set(*, blocker: AbstractBaseUser, blocked: AbstractBaseUser, on: bool) -> None:
    if blocker.pk == blocked.pk:
        raise MarketError("나 자신은 차단할 수 없어요.")
    if on:
        Block.objects.get_or_create(blocker=blocker, blocked=blocked)
    else:
        Block.objects.filter(blocker=blocker, blocked=blocked).delete()


def profile_update(*, user: AbstractBaseUser, neighborhood: str) -> Profile:
    profile = Profile.objects.get(user=user)
    profile.neighborhood = neighborhood.strip()
    profile.full_clean()
    profile.save(update_fields=["neighborhood"])
    return profile


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


class PhotoTooLarge(ValueError):
    """More pixels than a photo may have: decoding it would cost the process too much memory."""

    def __init__(self, *, size: tuple[int, int], limit: int) -> None:
        super().__init__(f"{size[0]}x{size[1]} is over {limit} pixels")
        self.limit = limit


def photo_pixel_limit(image_format: str | None) -> int:
    # Pillow decodes WebP through several full-size buffers (about 20 bytes a pixel against 4
    # for the others), so a WebP gets a quarter of the pixels for the same memory.
    return settings.NELLM_PHOTO_MAX_PIXELS // (4 if image_format == "WEBP" else 1)


def photo_check_pixels(image: Image.Image) -> None:
    """Refuse on the header's size, before any pixel is decoded: a few KB of 1-bit PNG can
    declare 40 MP, which a mode conversion turns into hundreds of MB."""
    limit = photo_pixel_limit(image.format)
    if image.size[0] * image.size[1] > limit:
        raise PhotoTooLarge(size=image.size, limit=limit)


def _reduction(size: tuple[int, int]) -> int:
    """The largest integer shrink that still leaves enough pixels for both renditions."""
    return max(1, min(max(size) // PHOTO_MAX_SIDE, min(size) // min(THUMB_SIZE)))


def _decoded_small(source: Image.Image) -> Image.Image:
    """The source as RGB on white, at no more pixels than the renditions need.

    JPEG decodes at 1/2, 1/4 or 1/8 scale directly (draft). Anything else is decoded whole once
    and then shrunk and flattened stripe by stripe: a whole-image conversion of a palette or RGBA
    image costs another 4 bytes a pixel (and reduce() itself makes a premultiplied copy of
    RGBA), a stripe only a few MB.
    """
    factor = _reduction(source.size)
    source.draft("RGB", (source.size[0] // factor, source.size[1] // factor))
    factor = _reduction(source.size)
    if factor == 1 and source.mode == "RGB":
        return source
    mode = "L" if source.mode == "1" else source.mode if source.mode in REDUCIBLE_MODES else "RGBA"
    width, height = source.size
    small = Image.new("RGB", (-(-width // factor), -(-height // factor)))
    step = factor * STRIPE_ROWS
    for top in range(0, height, step):
        stripe = source.crop((0, top, width, min(height, top + step)))
        stripe = stripe if stripe.mode == mode else stripe.convert(mode)
        small.paste(_on_white(stripe.reduce(factor) if factor > 1 else stripe), (0, top // factor))
    small.info = dict(source.info)  # the EXIF orientation travels with the pixels
    return small


def _on_white(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if "A" not in image.getbands() and "a" not in image.getbands():
        return image.convert("RGB")
    background = Image.new("RGB", image.size, "white")
    rgba = image if image.mode == "RGBA" else image.convert("RGBA")
    background.paste(rgba, mask=rgba)  # an RGBA mask means its alpha channel
    return background


def photo_renditions(upload: UploadedFile) -> tuple[ContentFile, ContentFile]:
    """The stored photo and its card thumbnail, both re-encoded as JPEG.

    Re-encoding drops EXIF (sellers' phones write GPS positions into it) and anything that is
    not pixels, and caps the stored size whatever the upload was.
    """
    upload.seek(0)
    source = Image.open(upload)
    try:
        photo_check_pixels(source)
        image = _decoded_small(source)
        if image is not source:
            source.close()  # frees the full-size pixels as soon as the small copy exists
        ImageOps.exif_transpose(image, in_place=True)
        # Resized straight from `image`, never from a whole copy of it (thumbnail() needs one).
        fits = max(image.size) <= PHOTO_MAX_SIDE
        full = image if fits else ImageOps.contain(image, (PHOTO_MAX_SIDE, PHOTO_MAX_SIDE), Image.LANCZOS)
        thumb = ImageOps.fit(image, THUMB_SIZE, method=Image.Resampling.LANCZOS)
        return _jpeg(full, quality=85), _jpeg(thumb, quality=80)
    finally:
        source.close()


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


def photos_arrange(*, listing: Listing, items: Iterable[UploadedFile | int]) -> None:
    """Adds the uploads among `items` and orders the listing's photos as `items` lists them (an
    int names one of its photos; the first is the cover). Photos not named keep their order
    ahead of the named ones, so a list of uploads alone is added at the end."""
    items = list(items)
    created = iter(photos_add(listing=listing, files=[i for i in items if not isinstance(i, int)]))
    photos = {p.pk: p for p in ListingPhoto.objects.filter(listing=listing)}
    named = [photos.get(item) if isinstance(item, int) else next(created) for item in items]
    named = list(dict.fromkeys(p for p in named if p is not None))
    rest = sorted((p for p in photos.values() if p not in named), key=lambda p: (p.position, p.pk))
    changed = []
    for position, photo in enumerate([*rest, *named]):
        if photo.position != position:
            photo.position = position
            changed.append(photo)
    ListingPhoto.objects.bulk_update(changed, ["position"])


# Photos of a listing form sent with errors: a browser never sends a file input again, so the
# good ones wait here (re-encoded, EXIF dropped) until the seller sends the form once more.
STASH_DIR = "pending"


def _stash_name_ok(*, user: AbstractBaseUser, name: str) -> bool:
    return bool(re.fullmatch(rf"{STASH_DIR}/{user.pk}/[0-9a-f]{{32}}\.jpg", name))


def photos_stash(*, user: AbstractBaseUser, files: Iterable[UploadedFile]) -> list[str]:
    names = []
    for upload in files:
        full, _thumb = photo_renditions(upload)
        names.append(default_storage.save(f"{STASH_DIR}/{user.pk}/{uuid.uuid4().hex}.jpg", full))
    return names


def photos_unstash(*, user: AbstractBaseUser, names: Iterable[str]) -> dict[str, UploadedFile]:
    """The stashed photos of `user` named in `names` (those still there), by name, as uploads
    for `photos_add`."""
    files = {}
    for name in names:
        if _stash_name_ok(user=user, name=name) and default_storage.exists(name):
            with default_storage.open(name) as stored:
                files[name] = SimpleUploadedFile(name.rsplit("/", 1)[-1], stored.read(), "image/jpeg")
    return files


def photos_stash_clear(*, user: AbstractBaseUser, names: Iterable[str]) -> None:
    for name in names:
        if _stash_name_ok(user=user, name=name):
            default_storage.delete(name)


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
