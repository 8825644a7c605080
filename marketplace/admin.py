"""Admin for moderators: listings (filters, search, hide / mark sold), users with profiles, and
the report queue (filters; actions hide the listing, warn or suspend the user, dismiss)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from . import services
from .forms import ListingVersionMixin, version_field
from .models import Block, Listing, ListingPhoto, Profile, Report, Review, Status


class ListingPhotoInline(admin.TabularInline):
    model = ListingPhoto
    extra = 0
    fields = ("preview", "position", "created_at")
    readonly_fields = ("preview", "created_at")

    @admin.display(description="미리보기")
    def preview(self, photo: ListingPhoto) -> str:
        image = photo.thumbnail or photo.image
        return (
            format_html('<img src="{}" alt="" style="height:80px;border-radius:6px">', image.url)
            if image
            else "-"
        )


class ListingAdminForm(ListingVersionMixin, forms.ModelForm):
    version = version_field()

    class Meta:
        model = Listing
        fields = (
            "seller",
            "title",
            "description",
            "category",
            "price",
            "floor_price",
            "style",
            "status",
            "is_hidden",
        )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.add_version_field()

    def clean(self) -> dict:
        cleaned = super().clean()
        self.check_version()
        return cleaned


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    form = ListingAdminForm
    list_display = (
        "title",
        "seller",
        "category",
        "price",
        "floor_price",
        "status",
        "is_hidden",
        "created_at",
    )
    list_filter = ("status", "category", "is_hidden", "style")
    search_fields = ("title", "description", "seller__username", "seller__profile__nickname")
    list_select_related = ("seller",)
    readonly_fields = ("created_at", "updated_at")
    date_hierarchy = "created_at"
    inlines = [ListingPhotoInline]
    actions = ["hide_listings", "unhide_listings", "mark_sold"]

    def save_model(self, request: HttpRequest, obj: Listing, form: ListingAdminForm, change: bool) -> None:
        """A moderator's edit takes the same path as the seller's: the status, if changed, through
        the service that moves the chats; nothing of a stale form overwrites the row's status."""
        if not change:
            super().save_model(request, obj, form, change)
            return
        names = {f.name for f in Listing._meta.concrete_fields} - {"status", "is_hidden", "seller"}
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name in names}
        services.listing_update(listing=obj, **fields, **form.changed_status())
        if "is_hidden" in form.changed_data:
            services.listing_set_hidden(listing=obj, hidden=form.cleaned_data["is_hidden"])

    @admin.action(description="선택한 판매글 숨기기", permissions=["change"])
    def hide_listings(self, request: HttpRequest, queryset: QuerySet[Listing]) -> None:
        for listing in queryset:
            services.listing_set_hidden(listing=listing, hidden=True)
        self.message_user(request, f"{queryset.count()}개 판매글을 숨겼습니다.", messages.SUCCESS)

    @admin.action(description="선택한 판매글 다시 공개", permissions=["change"])
    def unhide_listings(self, request: HttpRequest, queryset: QuerySet[Listing]) -> None:
        for listing in queryset:
            services.listing_set_hidden(listing=listing, hidden=False)
        self.message_user(request, f"{queryset.count()}개 판매글을 공개했습니다.", messages.SUCCESS)

    @admin.action(description="선택한 판매글 판매완료로 표시", permissions=["change"])
    def mark_sold(self, request: HttpRequest, queryset: QuerySet[Listing]) -> None:
        for listing in queryset:
            services.listing_set_status(listing=listing, status=Status.SOLD)
        self.message_user(
            request, f"{queryset.count()}개 판매글을 판매완료로 표시했습니다.", messages.SUCCESS
        )


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    readonly_fields = ("created_at",)


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class NellmUserAdmin(UserAdmin):
    inlines = [ProfileInline]
    list_display = ("username", "nickname", "is_staff", "is_active", "date_joined")
    search_fields = ("username", "profile__nickname", "email")
    list_select_related = ("profile",)

    @admin.display(description="닉네임", ordering="profile__nickname")
    def nickname(self, user: object) -> str:
        profile = getattr(user, "profile", None)
        return profile.nickname if profile else "-"


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("nickname", "user", "neighborhood", "warnings", "created_at")
    search_fields = ("nickname", "user__username")
    readonly_fields = ("created_at",)


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "reason",
        "target_user",
        "listing",
        "reporter",
        "state",
        "action",
        "created_at",
    )
    list_filter = ("state", "kind", "reason", "created_at")
    search_fields = ("detail", "target_user__username", "target_user__profile__nickname", "listing__title")
    list_select_related = ("target_user", "listing", "reporter")
    readonly_fields = ("reporter", "kind", "target_user", "listing", "chat", "reason", "detail", "created_at")
    fields = (*readonly_fields, "state", "action", "handled_at")
    date_hierarchy = "created_at"
    actions = ["hide_listing", "warn_user", "suspend_user", "dismiss"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def _handle(self, request: HttpRequest, queryset: QuerySet[Report], action: str, done: str) -> None:
        handled, refused = 0, []
        for report in queryset.select_related("listing", "target_user"):
            try:
                services.report_handle(report=report, action=action)
            except services.MarketError as error:
                refused.append(f"#{report.pk} {error.message}")
            else:
                handled += 1
        if handled:
            self.message_user(request, f"{handled}건: {done}", messages.SUCCESS)
        for line in refused:
            self.message_user(request, f"처리하지 않았어요 (접수 상태로 둠): {line}", messages.WARNING)

    @admin.action(description="신고된 판매글 숨기기", permissions=["change"])
    def hide_listing(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        self._handle(request, queryset, "hide", "판매글을 숨겼습니다.")

    @admin.action(description="신고 대상에게 경고", permissions=["change"])
    def warn_user(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        self._handle(request, queryset, "warn", "경고를 기록했습니다.")

    @admin.action(description="신고 대상 이용 정지", permissions=["change"])
    def suspend_user(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        self._handle(request, queryset, "suspend", "이용을 정지했습니다.")

    @admin.action(description="신고 기각", permissions=["change"])
    def dismiss(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        self._handle(request, queryset, "dismiss", "기각했습니다.")


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("listing", "author", "target", "rating", "text", "created_at")
    list_filter = ("rating",)
    search_fields = ("text", "author__username", "target__username")
    list_select_related = ("listing", "author", "target")


@admin.register(Block)
class BlockAdmin(admin.ModelAdmin):
    list_display = ("blocker", "blocked", "created_at")
    search_fields = ("blocker__username", "blocked__username")
