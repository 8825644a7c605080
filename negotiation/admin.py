"""Moderation: chats and their messages (read-only), with a flag that keeps a chat out of
training exports, an action that exports the chats selected, and the export runs (read-only)."""

from __future__ import annotations

import csv

from django.contrib import admin, messages
from django.http import HttpResponse

from . import export
from .models import ChatSession, ExportRun, Message


class MessageInline(admin.TabularInline):
    model = Message
    fk_name = "session"
    fields = ("created_at", "role", "text", "price", "is_offer", "decision", "generator", "repaired")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ChatSession)
class ChatSessionAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "listing",
        "buyer",
        "state",
        "agreed_price",
        "feedback_natural",
        "seller_took_over",
        "flagged",
        "updated_at",
    )
    list_filter = ("state", "feedback_natural", "seller_took_over", "flagged", "listing")
    search_fields = ("listing__title", "buyer__username", "buyer__profile__nickname", "messages__text")
    list_select_related = ("listing", "buyer")
    readonly_fields = (
        "listing",
        "buyer",
        "state",
        "agreed_price",
        "last_buyer_offer",
        "last_bot_offer",
        "standing_offer",
        "seller_price",
        "seller_in_control",
        "seller_took_over",
        "agreed_at",
        "agreed_list_price",
        "feedback_natural",
        "feedback_comment",
        "feedback_at",
        "advisor_state",
        "pending_message",
        "pending_since",
        "created_at",
        "updated_at",
    )
    fields = ("flagged", *readonly_fields)
    inlines = [MessageInline]
    actions = ["flag", "unflag", "export_selected", "export_feedback"]

    def get_search_results(self, request, queryset, search_term):
        queryset, _ = super().get_search_results(request, queryset, search_term)
        return queryset, True  # searching messages joins rows: keep sessions distinct

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description="선택한 대화 신고 (학습 데이터에서 제외)", permissions=["change"])
    def flag(self, request, queryset) -> None:
        count = queryset.update(flagged=True)
        self.message_user(request, f"{count}개 대화를 신고했어요.", messages.SUCCESS)

    @admin.action(description="선택한 대화 신고 해제", permissions=["change"])
    def unflag(self, request, queryset) -> None:
        count = queryset.update(flagged=False)
        self.message_user(request, f"{count}개 대화의 신고를 해제했어요.", messages.SUCCESS)

    def has_export_permission(self, request) -> bool:
        return request.user.has_perm("negotiation.export_chats")

    @admin.action(description="선택한 대화를 학습 데이터로 내보내기", permissions=["export"])
    def export_selected(self, request, queryset) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        try:
            summary = export.chats_export_selected(session_ids=ids)
        except export.ExportError as exc:
            self.message_user(request, f"내보내기에 실패했어요: {exc}", messages.ERROR)
            return
        left_out = ", ".join(
            f"{export.reason_label(reason)} {count}" for reason, count in summary.excluded.most_common()
        )
        self.message_user(
            request,
            f"{summary.exported}개 대화를 내보냈어요 (실행 #{summary.run_id})."
            + (f" 제외: {left_out}" if left_out else ""),
            messages.SUCCESS,
        )

    @admin.action(description="선택한 대화의 피드백 내보내기 (CSV)", permissions=["view"])
    def export_feedback(self, request, queryset) -> HttpResponse:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="nellm-feedback.csv"'
        response.write("\ufeff")  # so that spreadsheet programs read the Korean as UTF-8
        writer = csv.writer(response)
        writer.writerow(["session", "listing", "state", "seller_took_over", "natural", "comment", "at"])
        for session in queryset.filter(feedback_natural__isnull=False).order_by("pk"):
            writer.writerow(
                [
                    session.pk,
                    session.listing_id,
                    session.state,
                    session.seller_took_over,
                    "yes" if session.feedback_natural else "no",
                    _cell(session.feedback_comment),
                    session.feedback_at.isoformat() if session.feedback_at else "",
                ]
            )
        return response


@admin.register(ExportRun)
class ExportRunAdmin(admin.ModelAdmin):
    """The record of every export; read-only, because it is what the next incremental run and
    `train_nellm --from-export` go by."""

    list_display = (
        "id",
        "started_at",
        "status",
        "trigger",
        "since",
        "until",
        "exported",
        "outcomes",
        "excluded",
    )
    list_filter = ("status", "trigger")
    fields = (
        "status",
        "trigger",
        "started_at",
        "finished_at",
        "since",
        "until",
        "complete",
        "path",
        "mongo_target",
        "exported",
        "outcomes",
        "excluded",
        "masked",
        "error",
    )
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def _cell(text: str) -> str:
    """A buyer's free text as a CSV cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
