"""Sellers may set a floor of 0 ("any price will do") or list an item for free (나눔): the
first still gets a haggling bot, the second needs no negotiation at all."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from negotiation import dispatch, replies, services
from negotiation.models import ChatSession
from negotiation.protocol import ProtocolError
from tests.base import make_listing

pytestmark = pytest.mark.django_db


def test_a_floor_of_zero_still_gets_answers(people, monkeypatch):
    monkeypatch.setattr(dispatch, "reply_enqueue", lambda *, message_id: None)
    listing = make_listing(people["alice"], price=35_000, floor_price=0)
    session = services.session_open(listing=listing, buyer=people["bob"])
    message = services.message_submit(session_id=session.pk, user=people["bob"], text="3만원 가능할까요?")
    reply = replies.reply_generate(message_id=message.pk)
    assert reply is not None and reply.text and reply.generator == "rules"


def test_a_free_listing_opens_no_negotiation(people):
    listing = make_listing(people["alice"], price=0, floor_price=0, title="아기 옷 나눔해요")
    with pytest.raises(ProtocolError) as refused:
        services.session_open(listing=listing, buyer=people["bob"])
    assert refused.value.code == "free_listing"
    client = Client()
    client.force_login(people["bob"])
    page = client.get(reverse("listing_detail", args=[listing.pk])).content.decode()
    assert "무료 나눔 상품이라 가격 협상이 필요 없어요." in page and "가격 협상하기" not in page
    assert not ChatSession.objects.exists()
