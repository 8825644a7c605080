"""Shared test base: fixed users (hc/test.py style), a listing factory and photo helpers.

alice sells (she has listings), bob buys, charlie is another member, staff is a moderator-like
staff user. Every test gets its own cache key prefix and every class its own media directory, so
throttling counters and uploaded files never leak between tests or between helpers sharing
the Redis and the disk of this machine.
"""

from __future__ import annotations

import copy
import io
import shutil
import tempfile
import uuid

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase, override_settings
from PIL import Image

from marketplace.models import Category, Listing, Profile, Status, Style

PASSWORD = "correct-horse-battery-9"


def make_user(username: str, nickname: str | None = None, **extra: object) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, **extra)
    if nickname:
        Profile.objects.create(user=user, nickname=nickname)
    return user


# The one cast every Django test shares: username -> (nickname, extra User fields).
CAST: dict[str, tuple[str, dict[str, object]]] = {
    "alice": ("앨리스상점", {}),
    "bob": ("밥구매자", {}),
    "charlie": ("찰리", {}),
    "staff": ("운영자", {"is_staff": True}),
}


def make_cast() -> dict[str, User]:
    """alice sells, bob buys, charlie is another member, staff is a staff user."""
    return {name: make_user(name, nickname, **extra) for name, (nickname, extra) in CAST.items()}


def make_listing(seller: User, **fields: object) -> Listing:
    """A valid on-sale listing; any field can be overridden."""
    price = int(fields.pop("price", 35000))
    values = {
        "title": "아이폰 13 미니 128GB 핑크",
        "description": "1년 사용, 배터리 성능 88%, 생활기스 약간 있어요.",
        "category": Category.ELECTRONICS,
        "price": price,
        "floor_price": Listing.default_floor(price),
        "style": Style.BALANCED,
        "status": Status.ON_SALE,
    }
    values.update(fields)
    return Listing.objects.create(seller=seller, **values)


def korean_forms(amount: int) -> set[str]:
    """Every common way to write a won amount, to look for a secret one in what a buyer sees:
    32000 -> {"32000", "32,000", "3만2천", "3만 2천", "3만2000", "3.2만", ...}."""
    forms = {str(amount), f"{amount:,}"}
    man, rest = divmod(amount, 10000)
    if man:
        thousands, hundreds = divmod(rest, 1000)
        spoken = (f"{thousands}천" if thousands else "") + (f"{hundreds // 100}백" if hundreds else "")
        for sep in ("", " "):
            forms |= {f"{man}만{sep}{rest}", f"{man}만{sep}{rest:,}", f"{man:,}만{sep}{spoken}".rstrip()}
        forms.add(f"{amount / 10000:g}만")
    return {form for form in forms if not form.endswith("만0")}


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), color: str = "orange") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format=fmt)
    return buffer.getvalue()


def image_upload(name: str = "photo.jpg", fmt: str = "JPEG", **kwargs: object) -> SimpleUploadedFile:
    content_type = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp"}[fmt]
    return SimpleUploadedFile(name, image_bytes(fmt, **kwargs), content_type=content_type)


def listing_form_data(photos: list, **overrides: object) -> dict:
    """A valid listing form post with `photos`; any field can be overridden."""
    data = {
        "title": "책상",
        "category": "furniture",
        "price": "30000",
        "style": "balanced",
        "description": "튼튼해요.",
        "photos": photos,
    }
    data.update(overrides)
    return data


class BaseTestCase(TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls._media = tempfile.mkdtemp(prefix="nellm-media-")
        cls._override = override_settings(MEDIA_ROOT=cls._media)
        cls._override.enable()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()
        cls._override.disable()
        shutil.rmtree(cls._media, ignore_errors=True)

    @classmethod
    def setUpTestData(cls) -> None:
        for name, user in make_cast().items():
            setattr(cls, name, user)

    def setUp(self) -> None:
        # A fresh cache namespace per test: throttling counters start at zero.
        caches = copy.deepcopy(settings.CACHES)
        caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
        override = override_settings(CACHES=caches)
        override.enable()
        self.addCleanup(override.disable)

    def login(self, user: User) -> None:
        self.client.force_login(user)
