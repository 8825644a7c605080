"""Chat sessions between one buyer and the seller's bot, and their messages.

A session is unique per (listing, buyer): visiting the listing again resumes it. Each buyer
message is answered at most once: the reply points back at it through a one-to-one link, so a
retried or duplicated generation task fails on the constraint instead of writing twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from marketplace.models import Listing


class ChatSession(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "협상중"
        # The listing was reserved for another buyer: this one may leave a standing offer and
        # goes on if the seller cancels the reservation.
        WAITING = "waiting", "예약 대기"
        AGREED = "agreed", "합의"
        FAILED = "failed", "결렬"
        CLOSED = "closed", "종료"

    listing = models.ForeignKey(
        Listing, on_delete=models.CASCADE, related_name="chats", verbose_name="판매글"
    )
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chats", verbose_name="구매자"
    )
    state = models.CharField("상태", max_length=10, choices=State.choices, default=State.OPEN)
    agreed_price = models.PositiveIntegerField("합의 가격", null=True, blank=True)
    last_buyer_offer = models.PositiveIntegerField("구매자 마지막 제시가", null=True, blank=True)
    last_bot_offer = models.PositiveIntegerField("판매자 마지막 제시가", null=True, blank=True)
    standing_offer = models.PositiveIntegerField("대기 중 가격 제안", null=True, blank=True)
    advisor_state = models.JSONField("협상 상태", default=dict, blank=True)
    flagged = models.BooleanField(
        "신고됨", default=False, help_text="신고된 대화는 학습 데이터에서 제외됩니다."
    )
    # The lowest price the seller typed in this chat themselves: their word binds the bot, which
    # never offers more from then on (and may go below the floor to honour it).
    seller_price = models.PositiveIntegerField("판매자가 말한 가격", null=True, blank=True)
    # `seller_in_control`: the seller took the chat over and the bot is silent until handback.
    # `seller_took_over` stays set for good: such chats are not the bot's work, so they earn no
    # ranking points and stay out of training exports.
    seller_in_control = models.BooleanField("판매자 직접 대화 중", default=False)
    seller_took_over = models.BooleanField(
        "판매자 개입",
        default=False,
        help_text="판매자가 직접 대화한 채팅은 학습 데이터와 랭킹에서 제외됩니다.",
    )
    # The deal's moment and the list price then: the ranking scores deals by them, so editing
    # the listing's price afterwards changes no one's points.
    agreed_at = models.DateTimeField("합의 시각", null=True, blank=True)
    agreed_list_price = models.PositiveIntegerField("합의 당시 판매 가격", null=True, blank=True)
    # The buyer's answer to "대화가 자연스러웠나요?" once the chat ended (None: not answered).
    feedback_natural = models.BooleanField("자연스러웠나요", null=True, blank=True)
    feedback_comment = models.TextField("피드백 의견", blank=True)
    feedback_at = models.DateTimeField("피드백 시각", null=True, blank=True)
    # The last message each side has seen (a message id; 0: none): what is newer is unread.
    buyer_read_id = models.PositiveBigIntegerField("구매자가 읽은 메시지", default=0)
    seller_read_id = models.PositiveBigIntegerField("판매자가 읽은 메시지", default=0)
    # The buyer message waiting for its reply (None when nothing is pending); `pending_since`
    # lets the sweeper tell a reply in progress from one a dead worker left behind.
    pending_message = models.OneToOneField(
        "Message",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="답장 대기",
    )
    pending_since = models.DateTimeField(null=True, blank=True)
    # Bumped by every change of `state`: a reply decided before a change is never delivered
    # after it (negotiation.replies checks it while streaming and again under the row lock).
    state_version = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField("시작", auto_now_add=True)
    updated_at = models.DateTimeField("최근 활동", auto_now=True)

    class Meta:
        verbose_name = "협상 채팅"
        verbose_name_plural = "협상 채팅"
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["listing", "buyer"], name="one_chat_per_listing_buyer"),
            # One deal per item: the database refuses a second agreed chat on a listing, whatever
            # path (a bug, a moderator, a race) tries to write one.
            models.UniqueConstraint(
                fields=["listing"], condition=models.Q(state="agreed"), name="one_agreed_chat_per_listing"
            ),
        ]
        indexes = [models.Index(fields=["listing", "state"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.listing_id}/{self.buyer_id} ({self.get_state_display()})"

    @property
    def group_name(self) -> str:
        return group_name(self.pk)

    @property
    def is_active(self) -> bool:
        return self.state in {self.State.OPEN, self.State.WAITING}


def group_name(session_id: int) -> str:
    return f"chat.session.{session_id}"


def user_group_name(user_id: int) -> str:
    """Every chat socket of one user, so that logging out closes them all."""
    return f"chat.user.{user_id}"


def seller_group_name(user_id: int) -> str:
    """The seller's cockpit sockets (`/ws/selling/`): a row for each change on their listings."""
    return f"selling.seller.{user_id}"


class Message(models.Model):
    class Role(models.TextChoices):
        BUYER = "buyer", "구매자"
        BOT = "bot", "판매자(봇)"
        SELLER = "seller", "판매자"
        SYSTEM = "system", "안내"

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="messages")
    role = models.CharField("역할", max_length=10, choices=Role.choices)
    text = models.TextField("내용")
    price = models.PositiveIntegerField("가격", null=True, blank=True)
    is_offer = models.BooleanField("최종 제안", default=False)
    decision = models.JSONField("결정", null=True, blank=True)
    generator = models.CharField("생성기", max_length=40, blank=True)
    repaired = models.BooleanField("보정됨", default=False)
    reply_to = models.OneToOneField(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reply",
        verbose_name="답장 대상",
    )
    created_at = models.DateTimeField("작성", auto_now_add=True)

    class Meta:
        verbose_name = "메시지"
        verbose_name_plural = "메시지"
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["session", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.text[:40]}"


class ExportRun(models.Model):
    """One run of the training export: what it covered, where it wrote, what it left out.

    Runs are the export's memory: an incremental run starts where the last `complete` success
    ended (`until`), and the chats a run wrote are linked only once everything was written, so a
    failed run marks nothing.
    """

    class Status(models.TextChoices):
        RUNNING = "running", "진행 중"
        SUCCEEDED = "succeeded", "성공"
        FAILED = "failed", "실패"

    class Trigger(models.TextChoices):
        COMMAND = "command", "명령"
        BEAT = "beat", "정기 실행"
        ADMIN = "admin", "관리자 선택"

    started_at = models.DateTimeField("시작", auto_now_add=True)
    finished_at = models.DateTimeField("종료", null=True, blank=True)
    status = models.CharField("상태", max_length=10, choices=Status.choices, default=Status.RUNNING)
    trigger = models.CharField("실행 방식", max_length=10, choices=Trigger.choices, default=Trigger.COMMAND)
    # The chats whose negotiation ended in [since, until); since None: from the beginning.
    since = models.DateTimeField("범위 시작", null=True, blank=True)
    until = models.DateTimeField("범위 끝", null=True, blank=True)
    # Whether every chat that ended before `until` was considered (incremental and --all runs):
    # only such a run may be the starting point of the next incremental one.
    complete = models.BooleanField("빠짐없는 범위", default=False)
    path = models.CharField("파일", max_length=500, blank=True)
    mongo_target = models.CharField("MongoDB", max_length=200, blank=True)
    exported = models.PositiveIntegerField("내보낸 대화", default=0)
    outcomes = models.JSONField("결과별", default=dict, blank=True)
    excluded = models.JSONField("제외 사유별", default=dict, blank=True)
    masked = models.JSONField("가린 개인정보", default=dict, blank=True)
    error = models.TextField("오류", blank=True)
    sessions = models.ManyToManyField(
        ChatSession, related_name="export_runs", blank=True, verbose_name="대화"
    )

    class Meta:
        verbose_name = "학습 데이터 내보내기"
        verbose_name_plural = "학습 데이터 내보내기"
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["status", "complete", "until"])]
        # Moderators start exports from the admin but never add or edit a run's record by hand.
        permissions = [("export_chats", "Can export chats for training")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_status_display()} ({self.exported})"


class Notification(models.Model):
    """An in-site notice for one user (the header's count, `/notifications/`)."""

    class Kind(models.TextChoices):
        NEW_CHAT = "new_chat", "새 협상"
        DEAL = "deal", "거래 성사"
        CANCELLED = "cancelled", "예약 취소"
        QUESTION = "question", "구매자 질문"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name="받는 사람",
    )
    kind = models.CharField("종류", max_length=20, choices=Kind.choices)
    session = models.ForeignKey(
        ChatSession, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name="대화"
    )
    text = models.CharField("내용", max_length=200)
    created_at = models.DateTimeField("시각", auto_now_add=True)
    read_at = models.DateTimeField("읽은 시각", null=True, blank=True)

    class Meta:
        verbose_name = "알림"
        verbose_name_plural = "알림"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.text[:40]}"
