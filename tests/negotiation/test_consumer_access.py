"""Only the session's buyer, the listing's seller and staff may join; the real ASGI stack
authenticates from the session cookie and checks the Origin header."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from negotiation import services
from nellm_site.asgi import application
from tests.negotiation.wsutil import communicator

pytestmark = pytest.mark.django_db(transaction=True)


async def test_outsider_and_anonymous_cannot_join(people, listing):
    session = await database_sync_to_async(services.session_open)(listing=listing, buyer=people["bob"])
    for user in (people["charlie"], AnonymousUser()):
        comm = communicator(user, session.pk)
        connected, code = await comm.connect()
        assert not connected and code == 4403
        assert await comm.receive_nothing()
    comm = communicator(people["bob"], session.pk + 999)
    assert not (await comm.connect())[0]


def cookie_for(user) -> str:
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


async def full_stack(user, session_id: int, origin: bytes) -> WebsocketCommunicator:
    cookie = await database_sync_to_async(cookie_for)(user)
    return WebsocketCommunicator(
        application,
        f"/ws/chat/{session_id}/",
        headers=[(b"cookie", cookie.encode()), (b"origin", origin), (b"host", b"testserver")],
    )


async def test_full_stack_authenticates_from_the_session_cookie(people, listing):
    session = await database_sync_to_async(services.session_open)(listing=listing, buyer=people["bob"])
    comm = await full_stack(people["bob"], session.pk, b"http://testserver")
    assert (await comm.connect())[0]
    assert (await comm.receive_json_from())["type"] == "history"
    await comm.disconnect()

    outsider = await full_stack(people["charlie"], session.pk, b"http://testserver")
    assert not (await outsider.connect())[0]


async def test_foreign_origin_is_refused(people, listing):
    session = await database_sync_to_async(services.session_open)(listing=listing, buyer=people["bob"])
    comm = await full_stack(people["bob"], session.pk, b"http://evil.example")
    assert not (await comm.connect())[0]
