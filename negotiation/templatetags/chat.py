from __future__ import annotations

from django import template

from negotiation import protocol, selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def chat_session_for(context: template.Context, listing: object) -> object:
    """The viewing buyer's chat on `listing`, if they have one (to resume it)."""
    request = context.get("request")
    if request is None:
        return None
    return selectors.listing_session_for_buyer(listing=listing, user=request.user)


@register.simple_tag(takes_context=True)
def header_counts(context: template.Context) -> dict[str, int]:
    """Unread notices and chat messages of the viewing user, for the header."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"notices": 0, "messages": 0}
    return {
        "notices": selectors.notifications_unread(user=user),
        "messages": selectors.unread_total(user=user),
    }


@register.filter
def preview(text: str | None, role: str | None) -> str:
    """A chat message as one short line (protocol tokens in words), by who wrote it."""
    return protocol.message_preview(text, role)
