"""The chat page links each party to the other's profile (매너 score, 차단) and to reporting the chat."""

from __future__ import annotations

import pytest
from django.urls import reverse

from negotiation import services

pytestmark = pytest.mark.django_db


def test_each_party_sees_the_others_profile_and_the_report_link(client, people, listing):
    session = services.session_open(listing=listing, buyer=people["bob"])
    page = reverse("negotiation:detail", args=[session.pk])
    for viewer, other in (("bob", "alice"), ("alice", "bob")):
        client.force_login(people[viewer])
        html = client.get(page).content.decode()
        assert reverse("user_profile", args=[people[other].pk]) in html
        assert f"{reverse('report_create')}?chat={session.pk}" in html
    client.force_login(people["staff"])  # staff read the chat, and are no party to report it
    assert f"?chat={session.pk}" not in client.get(page).content.decode()
