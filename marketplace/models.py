"""Users' profiles, listings and their photos.

The floor price is the seller's secret: the lowest amount the bot may accept. It lives here
because the seller edits it with the listing, but it is only ever read by the seller's own
pages, staff, and the negotiation service that hands it to the Advisor.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from mlcore.schema import MAX_PRICE


class Category(models.TextChoices):
    ELECTRONICS = "electronics", "전자기기"
    APPLIANCES = "appliances", "생활가전"
    FURNITURE = "furniture", "가구/인테리어"
    CLOTHING = "clothing", "의류"
    FASHION = "fashion", "잡화"
    BEAUTY = "beauty", "뷰티/미용"
    BOOKS = "books", "도서"
    SPORTS = "sports", "스포츠/레저"
    BABY = "baby", "유아용품"
    GAMES = "games", "게임/취미"
    KITCHEN = "kitchen", "주방용품"
    PETS = "pets", "반려동물용품"
    TICKETS = "tickets", "티켓/교환권"
    OTHER = "other", "기타"


class Style(models.TextChoices):
    # Values are mlcore's style names, so the Advisor takes them as they are.
    FIRM = "firm", "단호"
    BALANCED = "balanced", "보통"
    FLEXIBLE = "flexible", "유연"


class Status(models.TextChoices):
    ON_SALE = "on_sale", "판매중"
    RESERVED = "reserved", "예약중"
    SOLD = "sold", "판매완료"


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    nickname = models.CharField("닉네임", max_length=20, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "프로필"
        verbose_name_plural = "프로필"

    def __str__(self) -> str:
        return self.nickname


class Listing(models.Model):
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="listings", verbose_name="판매자"
    )
    title = models.CharField("제목", max_length=80)
    description = models.TextField("상품 설명", max_length=3000)
    category = models.CharField("카테고리", max_length=20, choices=Category.choices, default=Category.OTHER)
    price = models.PositiveIntegerField("판매 가격(원)", validators=[MinValueValidator(0)])
    floor_price = models.PositiveIntegerField("최저 수락 가격(원)", validators=[MinValueValidator(0)])
    style = models.CharField("협상 스타일", max_length=10, choices=Style.choices, default=Style.BALANCED)
    status = models.CharField("판매 상태", max_length=10, choices=Status.choices, default=Status.ON_SALE)
    is_hidden = models.BooleanField("숨김", default=False)
    created_at = models.DateTimeField("등록일", auto_now_add=True)
    updated_at = models.DateTimeField("수정일", auto_now=True)

    class Meta:
        verbose_name = "판매글"
        verbose_name_plural = "판매글"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "is_hidden", "-created_at"]),
            models.Index(fields=["category", "price"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(floor_price__lte=F("price")), name="floor_not_above_price"),
            models.CheckConstraint(condition=Q(price__lte=MAX_PRICE), name="price_plausible"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("listing_detail", args=[self.pk])

    @property
    def edit_version(self) -> str:
        """Changes with every save of the row: what an edit form was rendered from."""
        return self.updated_at.isoformat() if self.updated_at else ""

    @staticmethod
    def default_floor(price: int) -> int:
        """80% of the list price, rounded down to 100원."""
        return (price * 8 // 10) // 100 * 100


def photo_path(instance: ListingPhoto, filename: str) -> str:
    return f"listings/{instance.listing_id}/{filename}"


class ListingPhoto(models.Model):
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=photo_path)
    thumbnail = models.ImageField(upload_to=photo_path, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "사진"
        verbose_name_plural = "사진"
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.listing_id}#{self.position}"
