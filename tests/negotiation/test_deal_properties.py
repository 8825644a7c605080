"""Property: whatever the interleaving of buyers' messages and final offers, replies written
late, the seller's status changes and a moderator's edits, a listing never has more than one
agreed chat, a deal never outlives its reservation, and no step fails with a server error."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace import services as market
from marketplace.models import Listing, Status
from negotiation import replies, services
from negotiation.models import ChatSession
from negotiation.protocol import ProtocolError
from tests.negotiation.conftest import fresh_market

pytestmark = pytest.mark.django_db(transaction=True)
State = ChatSession.State
BUYERS = 3

steps = st.lists(
    st.one_of(
        st.tuples(
            st.just("message"),
            st.integers(0, BUYERS - 1),
            st.sampled_from(["3만원?", "3만2천원에 살게요", "좋아요"]),
        ),
        st.tuples(st.just("offer"), st.integers(0, BUYERS - 1), st.integers(26_000, 35_000)),
        st.tuples(st.just("reply"), st.integers(0, BUYERS - 1), st.none()),
        st.tuples(st.just("status"), st.none(), st.sampled_from(list(Status.values))),
        st.tuples(st.just("edit"), st.none(), st.sampled_from(["title", *Status.values])),
        st.tuples(st.just("hide"), st.none(), st.booleans()),
    ),
    min_size=1,
    max_size=14,
)


def check(listing: Listing) -> None:
    listing.refresh_from_db()
    agreed = ChatSession.objects.filter(listing=listing, state=State.AGREED)
    assert agreed.count() <= 1
    if agreed.exists():
        assert listing.status in (Status.RESERVED, Status.SOLD), listing.status
    if listing.status == Status.ON_SALE:
        assert not ChatSession.objects.filter(listing=listing, state=State.WAITING).exists()


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(plan=steps)
def test_one_deal_per_listing_under_any_interleaving(plan, quiet_dispatch):
    listing, buyers = fresh_market(BUYERS)
    pending: dict[int, list[int]] = {i: [] for i in range(BUYERS)}
    for kind, who, arg in plan:
        try:
            if kind in ("message", "offer"):
                session = services.session_open(listing=Listing.objects.get(pk=listing.pk), buyer=buyers[who])
                if kind == "message":
                    message = services.message_submit(session_id=session.pk, user=buyers[who], text=arg)
                else:
                    message = services.offer_submit(session_id=session.pk, user=buyers[who], price=arg)
                pending[who].append(message.pk)
            elif kind == "reply" and pending[who]:
                replies.reply_generate(message_id=pending[who].pop(0))
            elif kind == "status":
                market.listing_set_status(listing=Listing.objects.get(pk=listing.pk), status=arg)
            elif kind == "edit":
                fresh = Listing.objects.get(pk=listing.pk)
                change = {"title": fresh.title + "!"} if arg == "title" else {"status": arg}
                market.listing_update(listing=fresh, **change)
            elif kind == "hide":
                market.listing_set_hidden(listing=Listing.objects.get(pk=listing.pk), hidden=arg)
        except ProtocolError:
            pass  # refused with a Korean message, as a user would see it: not a failure
        check(listing)
    for who in range(BUYERS):  # every late reply written in the end
        for message_id in pending[who]:
            replies.reply_generate(message_id=message_id)
            check(listing)


def test_the_check_is_not_vacuous(people, listing):
    """A deal left standing on a listing back on sale, or a chat left waiting, fails it."""
    session = services.session_open(listing=listing, buyer=people["bob"])
    ChatSession.objects.filter(pk=session.pk).update(state=State.AGREED)
    with pytest.raises(AssertionError):
        check(listing)
    ChatSession.objects.filter(pk=session.pk).update(state=State.WAITING)
    with pytest.raises(AssertionError):
        check(listing)
