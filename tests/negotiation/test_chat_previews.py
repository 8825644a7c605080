"""The chat list and the seller's cockpit preview each chat's last message in plain Korean:
a final offer as "가격 제안 280,000원", the bot's answer as "제안을 수락했어요" or
"제안을 거절했어요", never the protocol's raw tokens."""

from __future__ import annotations

import pytest
from django.test import Client

from negotiation.models import ChatSession, Message
from tests.base import make_cast, make_listing

pytestmark = pytest.mark.django_db


def page(user, url: str) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("role", "text", "shown"),
    [
        ("buyer", "##<280000>##", "가격 제안 280,000원"),
        ("bot", "##<수락>## 좋아요, 거래할게요!", "제안을 수락했어요 · 좋아요, 거래할게요!"),
        ("bot", "##<거절>## 죄송해요, 조금 어려워요.", "제안을 거절했어요 · 죄송해요, 조금 어려워요."),
    ],
)
def test_previews_speak_korean_not_protocol(role, text, shown):
    people = make_cast()
    listing = make_listing(people["alice"], price=300_000, floor_price=250_000)
    session = ChatSession.objects.create(listing=listing, buyer=people["bob"])
    Message.objects.create(session=session, role=role, text=text, is_offer=text.startswith("##<2"))
    for user, url in ((people["bob"], "/chat/"), (people["alice"], "/chat/"), (people["alice"], "/selling/")):
        html = page(user, url)
        assert shown in html, url
        assert "##<" not in html and "[수락]" not in html and "[거절]" not in html, url
