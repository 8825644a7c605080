from __future__ import annotations

from django import template

from negotiation import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def chat_session_for(context: template.Context, listing: object) -> object:
    """The viewing buyer's chat on `listing`, if they have one (to resume it)."""
    request = context.get("request")
    if request is None:
        return None
    return selectors.listing_session_for_buyer(listing=listing, user=request.user)
