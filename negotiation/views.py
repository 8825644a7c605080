"""Chat pages: open or resume a session (POST), the chat page, and the user's chats."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from marketplace.models import Listing

from . import protocol, selectors, services
from .protocol import ProtocolError


@login_required
@require_POST
def session_open(request: HttpRequest, listing_id: int) -> HttpResponse:
    listing = get_object_or_404(Listing, pk=listing_id)
    try:
        session = services.session_open(listing=listing, buyer=request.user)
    except ProtocolError as error:
        messages.error(request, error.message)
        return redirect(listing.get_absolute_url())
    return redirect("negotiation:detail", session_id=session.pk)


@login_required
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    session = selectors.session_for_user(session_id=session_id, user=request.user)
    if session is None:
        raise Http404("대화를 찾을 수 없어요.")
    role = selectors.session_role(session=session, user=request.user)
    # Only public listing fields reach the template (never the floor price).
    listing = session.listing
    is_seller = role == "seller"
    context = {
        "chat_id": session.pk,
        "chat_state": session.get_state_display(),
        "role": role,
        "listing_id": listing.pk,
        "listing_title": listing.title,
        "listing_price": listing.price,
        "listing_status": listing.get_status_display(),
        "listing_url": listing.get_absolute_url(),
        "listing_photo": listing.photos.first(),
        # Initials for the bubbles' avatars (no profile photos on this site).
        "seller_name": protocol.member_name(listing.seller),
        "buyer_name": protocol.member_name(session.buyer),
        "is_seller": is_seller,
        # Staff may cancel a reservation (a listing's state is moderation's business), no more.
        "can_cancel": is_seller or role == "staff",
        # The other party, for their profile (매너, 차단) and the report link.
        "other_party": listing.seller if role == "buyer" else session.buyer,
        "open_questions": selectors.session_open_questions(session=session) if is_seller else [],
        "max_length": settings.NELLM_CHAT_MAX_LENGTH,
        "stream_delay_ms": max(settings.NELLM_STREAM_DELAY_MS, 0),  # the page's typing pace
    }
    return render(request, "negotiation/chat.html", context)


@login_required
def session_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "negotiation/list.html",
        {
            "buying": selectors.buyer_sessions(user=request.user),
            "selling": selectors.seller_sessions(user=request.user),
        },
    )


@login_required
@require_POST
def reservation_cancel(request: HttpRequest, session_id: int) -> HttpResponse:
    session = selectors.session_for_user(session_id=session_id, user=request.user)
    if session is None:
        raise Http404("대화를 찾을 수 없어요.")
    try:
        services.reservation_cancel(listing_id=session.listing_id, user=request.user)
    except ProtocolError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "예약을 취소했어요. 다른 구매자분들이 협상을 이어갈 수 있어요.")
    return redirect("negotiation:detail", session_id=session.pk)


@login_required
def cockpit(request: HttpRequest) -> HttpResponse:
    """The seller's cockpit: every chat on their listings by listing; `?part=1` is the live
    part alone, which the page fetches again when its socket says something changed."""
    template = "negotiation/_cockpit.html" if request.GET.get("part") else "negotiation/selling.html"
    return render(request, template, {"groups": selectors.cockpit_groups(user=request.user)})


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """The user's notices, newest first; seeing the list reads them (the header count goes)."""
    notices = selectors.notifications_for(user=request.user)
    unread = {n.pk for n in notices if n.read_at is None}
    services.notifications_read(user=request.user)
    return render(request, "negotiation/notifications.html", {"notices": notices, "unread": unread})


def ranking(request: HttpRequest) -> HttpResponse:
    weekly = request.GET.get("period") == "week"
    return render(
        request,
        "negotiation/ranking.html",
        {
            "weekly": weekly,
            "rows": selectors.ranking(weekly=weekly),
            "min_age_hours": int(selectors.SELLER_MIN_AGE.total_seconds() // 3600),
        },
    )
