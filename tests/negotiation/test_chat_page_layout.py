"""The chat page is a messenger's screen: no site footer under it, and one short bar on top with
the item's photo, title, price and status (the chat's state beside it); the bubbles get what
they need to show who talks (the seller's and the buyer's initials)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from marketplace import services as market
from negotiation import services
from tests.base import image_upload

pytestmark = pytest.mark.django_db


def test_the_chat_has_no_footer_and_a_compact_item_bar(client, people, listing, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    market.photos_add(listing=listing, files=[image_upload()])
    session = services.session_open(listing=listing, buyer=people["bob"])
    client.force_login(people["bob"])
    html = client.get(reverse("negotiation:detail", args=[session.pk])).content.decode()
    assert "<footer" not in html
    head = html[html.index('<header class="chat__head">') : html.index("</header>", html.index("chat__head"))]
    photo = listing.photos.get()
    assert photo.thumbnail.url in head and listing.title in head
    assert "35,000원" in head and "판매중" in head and 'id="chat-state"' in head
    assert 'data-seller-initial="앨"' in html and 'data-buyer-initial="밥"' in html
    assert "<footer" in client.get(reverse("listing_index")).content.decode()  # other pages keep it
