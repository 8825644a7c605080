"""A crash shows the Korean 500 page, never a traceback or the floor; a crash behind the chat
WebSocket answers with a Korean error event that carries nothing of the exception."""

from __future__ import annotations

from unittest import mock

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from negotiation import services
from negotiation.models import ChatSession
from tests.base import make_listing
from tests.negotiation.wsutil import communicator
from tests.security.conftest import FLOOR

SECRET = f"floor={FLOOR}"


@pytest.mark.django_db
@pytest.mark.parametrize("where", ["listing", "chat"])
def test_crashing_page_is_the_korean_500_page(people, where, settings):
    settings.DEBUG = False
    listing = make_listing(people["alice"], floor_price=FLOOR)
    client = Client(raise_request_exception=False)
    client.force_login(people["bob"])
    if where == "listing":
        target = "marketplace.selectors.listing_more_from_seller"
        url = listing.get_absolute_url()
    else:
        session = services.session_open(listing=listing, buyer=people["bob"])
        target = "negotiation.selectors.session_role"
        url = f"/chat/{session.pk}/"
    with mock.patch(target, side_effect=RuntimeError(SECRET)):
        response = client.get(url)
    assert response.status_code == 500
    body = response.content.decode()
    assert "잠시 문제가 생겼어요" in body
    for leak in (str(FLOOR), f"{FLOOR:,}", "Traceback", "RuntimeError", "floor"):
        assert leak not in body, leak


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("frame", [{"type": "message", "text": "3만원?"}, {"type": "offer", "price": 30_000}])
async def test_crash_behind_the_websocket_is_a_korean_error_event(people, listing, frame):
    session = await database_sync_to_async(services.session_open)(listing=listing, buyer=people["bob"])
    comm = communicator(people["bob"], session.pk)
    assert (await comm.connect())[0]
    await comm.receive_json_from()
    boom = mock.patch.multiple(
        services,
        message_submit=mock.Mock(side_effect=RuntimeError(SECRET)),
        offer_submit=mock.Mock(side_effect=RuntimeError(SECRET)),
    )
    with boom:
        await comm.send_json_to(frame)
        error = await comm.receive_json_from()
    assert error == {
        "type": "error",
        "code": "server_error",
        "message": "일시적인 오류가 생겼어요. 잠시 후 다시 시도해 주세요.",
    }
    assert await comm.receive_nothing(timeout=0.2)
    await comm.disconnect()
    state = await database_sync_to_async(lambda: ChatSession.objects.get(pk=session.pk).state)()
    assert state == ChatSession.State.OPEN
