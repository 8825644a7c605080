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
    neighborhood = models.CharField("동네", max_length=30, blank=True)
    warnings = models.PositiveSmallIntegerField("경고 횟수", default=0)
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
    neighborhood = models.CharField("동네", max_length=30, blank=True)
    # The buyer of a finished deal (chosen by the seller when marking it sold): the two parties
    # who may review each other.
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="purchases",
        verbose_name="구매자",
    )
    view_count = models.PositiveIntegerField("조회수", default=0)
    # 끌올 (bump): the list orders by this when set, else by the creation time.
    bumped_at = models.DateTimeField("최근 끌올", null=True, blank=True)
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


class Like(models.Model):
    """관심 (찜): a user keeps an eye on a listing."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="likes")
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "관심"
        verbose_name_plural = "관심"
        constraints = [models.UniqueConstraint(fields=["user", "listing"], name="one_like_per_user_listing")]

    def __str__(self) -> str:
        return f"{self.user_id} ♡ {self.listing_id}"


class Block(models.Model):
    """차단: the blocked user cannot open a chat with the blocker (nor the other way round)."""

    blocker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocks")
    blocked = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="blocked_by")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "차단"
        verbose_name_plural = "차단"
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="one_block_per_pair"),
            models.CheckConstraint(condition=~Q(blocker=F("blocked")), name="no_self_block"),
        ]

    def __str__(self) -> str:
        return f"{self.blocker_id} ⊘ {self.blocked_id}"


class Rating(models.TextChoices):
    GOOD = "good", "좋았어요"
    OK = "ok", "보통이에요"
    BAD = "bad", "별로예요"


class Review(models.Model):
    """거래 후기: one per party of a finished deal, about the other party."""

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="reviews")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews_written"
    )
    target = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviews_received"
    )
    rating = models.CharField("평가", max_length=4, choices=Rating.choices)
    text = models.CharField("후기", max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "거래 후기"
        verbose_name_plural = "거래 후기"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "author"], name="one_review_per_deal_author")
        ]

    def __str__(self) -> str:
        return f"{self.get_rating_display()}: {self.text[:30]}"


class ReportReason(models.TextChoices):
    FRAUD = "fraud", "사기가 의심돼요"
    PROHIBITED = "prohibited", "판매 금지 물품이에요"
    ABUSE = "abuse", "욕설·비하 발언을 해요"
    SPAM = "spam", "광고·도배예요"
    NO_SHOW = "no_show", "약속을 지키지 않아요"
    OTHER = "other", "기타"


class Report(models.Model):
    """신고 of a listing, a chat or a user; moderators work the queue in the admin."""

    class Kind(models.TextChoices):
        LISTING = "listing", "판매글"
        CHAT = "chat", "채팅"
        USER = "user", "사용자"

    class State(models.TextChoices):
        OPEN = "open", "접수"
        RESOLVED = "resolved", "처리 완료"
        DISMISSED = "dismissed", "기각"

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_made", verbose_name="신고자"
    )
    kind = models.CharField("대상 종류", max_length=10, choices=Kind.choices)
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reports_received",
        verbose_name="신고 대상",
    )
    listing = models.ForeignKey(
        Listing,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name="판매글",
    )
    chat = models.ForeignKey(
        "negotiation.ChatSession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name="채팅",
    )
    reason = models.CharField("사유", max_length=12, choices=ReportReason.choices)
    detail = models.TextField("내용", max_length=1000, blank=True)
    state = models.CharField("처리 상태", max_length=10, choices=State.choices, default=State.OPEN)
    action = models.CharField("조치", max_length=40, blank=True)
    created_at = models.DateTimeField("신고일", auto_now_add=True)
    handled_at = models.DateTimeField("처리일", null=True, blank=True)

    class Meta:
        verbose_name = "신고"
        verbose_name_plural = "신고"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} 신고 #{self.pk}"
