"""`make demo` data: the demo chats show on the demo seller's cockpit and in the ranking."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from marketplace.demo import ACCOUNTS
from negotiation import selectors
from negotiation.models import ChatSession

pytestmark = pytest.mark.django_db(transaction=True)


def test_demo_chats_fill_the_cockpit_and_the_ranking():
    call_command("seed_demo", "--no-photos")
    call_command("seed_demo_chats")
    seller = User.objects.get(username=ACCOUNTS["seller"]["username"])
    groups = selectors.cockpit_groups(user=seller)
    assert len(groups) >= 3
    assert max(len(g["sessions"]) for g in groups) >= 2  # two buyers on one listing
    assert any(g["best"] is not None for g in groups)  # a standing offer behind a reservation
    assert ChatSession.objects.filter(listing__seller=seller, state="agreed").count() == 1
    ranking = selectors.ranking()
    points = {row["name"]: row["points"] for row in ranking}
    assert points.get(ACCOUNTS["buyer"]["nickname"], 0) > 0 and all(p > 0 for p in points.values())

    client = Client()
    client.force_login(seller)
    page = client.get("/selling/").content.decode()
    assert "예약 취소" in page and "최고 대기 제안" in page
    assert ACCOUNTS["buyer"]["nickname"] in Client().get("/ranking/").content.decode()

    before = ChatSession.objects.count()
    call_command("seed_demo_chats")  # once only
    assert ChatSession.objects.count() == before
