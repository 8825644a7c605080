"""The cockpit offers to accept only the offers the service would take (`offer_accept`): an open
chat on a listing on sale and not hidden. A waiting offer (the listing is reserved for someone
else) and an offer on a hidden listing get no button, and the service refuses them too."""

from __future__ import annotations

import pytest
from django.test import Client

from marketplace.models import Status
from negotiation import services
from negotiation.models import ChatSession
from negotiation.protocol import ProtocolError
from tests.base import make_cast, make_listing

pytestmark = pytest.mark.django_db


def cockpit_page(user) -> str:
    client = Client()
    client.force_login(user)
    return client.get("/selling/").content.decode()


def chat_with_offer(listing, buyer, *, state: str, offer: int) -> ChatSession:
    session = ChatSession.objects.create(listing=listing, buyer=buyer, state=state)
    ChatSession.objects.filter(pk=session.pk).update(standing_offer=offer)
    return session


@pytest.mark.parametrize("case", ["waiting on a reserved listing", "open on a hidden listing"])
def test_no_accept_button_for_offers_the_service_refuses(case):
    people = make_cast()
    if case.startswith("waiting"):
        listing = make_listing(people["alice"], price=300_000, status=Status.RESERVED)
        ChatSession.objects.create(listing=listing, buyer=people["staff"], state="agreed")
        session = chat_with_offer(listing, people["bob"], state="waiting", offer=290_000)
    else:
        listing = make_listing(people["alice"], price=300_000, is_hidden=True)
        session = chat_with_offer(listing, people["bob"], state="open", offer=290_000)
    page = cockpit_page(people["alice"])
    assert "290,000원" in page  # the offer is shown, for comparison
    assert 'data-action="accept"' not in page and "바로 수락" not in page
    with pytest.raises(ProtocolError):
        services.offer_accept(session_id=session.pk, user=people["alice"])


def test_an_open_offer_on_sale_can_be_taken_from_the_cockpit():
    people = make_cast()
    listing = make_listing(people["alice"], price=300_000)
    session = chat_with_offer(listing, people["bob"], state="open", offer=290_000)
    page = cockpit_page(people["alice"])
    assert f'data-action="accept" data-session="{session.pk}"' in page and "바로 수락" in page
    services.offer_accept(session_id=session.pk, user=people["alice"])
    session.refresh_from_db()
    assert (session.state, session.agreed_price) == ("agreed", 290_000)
