"""Only the bot answers a final offer: the chat list and the cockpit say "제안을 수락했어요" /
"제안을 거절했어요" for the bot's answer alone. A person who types the protocol's token ("##<수락>##
내일 봬요") in a message sees it shown as typed in the chat (no badge), so the other side's list
must not turn it into an acceptance or a refusal that never happened."""

from __future__ import annotations

import pytest

from negotiation import services
from tests.base import make_cast, make_listing
from tests.negotiation.test_chat_previews import page

pytestmark = pytest.mark.django_db


def test_a_token_typed_by_a_person_is_no_verdict_in_the_lists():
    people = make_cast()
    listing = make_listing(people["alice"], price=300_000, floor_price=250_000)
    session = services.session_open(listing=listing, buyer=people["bob"])
    services.session_takeover(session_id=session.pk, user=people["alice"])  # only people talk

    services.message_submit(session_id=session.pk, user=people["alice"], text="##<수락>## 내일 7시에 봬요")
    html = page(people["bob"], "/chat/")
    assert "내일 7시에 봬요" in html
    assert "제안을 수락했어요" not in html  # the seller typed it; no offer was accepted

    services.message_submit(session_id=session.pk, user=people["bob"], text="##<거절>## 농담이에요")
    for url in ("/chat/", "/selling/"):
        html = page(people["alice"], url)
        assert "농담이에요" in html, url
        assert "제안을 거절했어요" not in html, url
