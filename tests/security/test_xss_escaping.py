"""Seller- and buyer-controlled text (listing title and description, nicknames, chat text) is
escaped on every page that shows it, and the chat client only ever writes text nodes."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.urls import reverse

from negotiation import services
from negotiation.models import Message
from tests.base import BaseTestCase, make_listing, make_user

SCRIPT = "<script>alert('x')</script>"
IMG = "<b onclick=a()>x"  # fits the 20-character nickname


class EscapingTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.seller = make_user("mallory", IMG)
        cls.listing = make_listing(cls.seller, title=f"맥북 {SCRIPT}", description=f"상태 좋아요\n{IMG}")
        cls.session = services.session_open(listing=cls.listing, buyer=cls.bob)
        Message.objects.create(session=cls.session, role=Message.Role.BUYER, text=SCRIPT)

    def assert_escaped(self, url: str, user=None) -> None:
        if user is not None:
            self.login(user)
        body = self.client.get(url).content.decode()
        self.assertNotIn("<script>alert", body)
        self.assertNotIn("<b onclick", body)
        self.assertIn("&lt;script&gt;", body)

    def test_listing_pages(self) -> None:
        self.assert_escaped(reverse("listing_index"))
        self.assert_escaped(self.listing.get_absolute_url())
        self.assert_escaped(reverse("listing_index") + "?q=" + SCRIPT)

    def test_chat_pages_for_buyer_and_seller(self) -> None:
        self.assert_escaped(reverse("negotiation:detail", args=[self.session.pk]), self.bob)
        self.assert_escaped(reverse("negotiation:list"), self.bob)
        self.assert_escaped(reverse("negotiation:list"), self.seller)

    def test_chat_client_writes_text_never_html(self) -> None:
        source = (Path(settings.BASE_DIR) / "static" / "js" / "chat.js").read_text()
        code = re.sub(r"//[^\n]*", "", source)  # comments may name what the code never does
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            self.assertNotIn(sink, code)
        self.assertIn(".textContent", code)
