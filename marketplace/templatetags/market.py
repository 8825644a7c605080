"""Display helpers for Korean marketplace pages: prices in 원 and relative times."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def won(value: int | None) -> str:
    """35000 -> "35,000원"; 0 -> "나눔" (free items are a custom of Korean marketplaces)."""
    if value is None or value == "":
        return ""
    amount = int(value)
    if amount == 0:
        return "나눔"
    return f"{amount:,}원"


@register.filter
def ago(value: datetime | None) -> str:
    """A relative time as Korean marketplaces write it: "방금 전", "3분 전", "2일 전"."""
    if not value:
        return ""
    seconds = int((timezone.now() - value).total_seconds())
    if seconds < 60:
        return "방금 전"
    for unit_seconds, unit in ((604800 * 4, None), (604800, "주"), (86400, "일"), (3600, "시간"), (60, "분")):
        if seconds >= unit_seconds:
            if unit is None:
                return timezone.localtime(value).strftime("%Y.%m.%d")
            return f"{seconds // unit_seconds}{unit} 전"
    return "방금 전"


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: object) -> str:
    """The current query string with some parameters replaced (pagination keeps the filters)."""
    params = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = str(value)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def thumb_url(photo: object) -> str:
    """A photo's card thumbnail, or the photo itself where it has none (a photo added by hand in
    the admin, say); `.url` of an empty file field raises, which would be a 500 page."""
    thumbnail = getattr(photo, "thumbnail", None)
    image = thumbnail if thumbnail else getattr(photo, "image", None)
    return image.url if image else ""
