"""The chat WebSocket through the real ASGI application: a logged-in buyer's own chat is refused
from a foreign origin, a look-alike host, or with no Origin header at all (a cross-site page
cannot ride the buyer's session cookie)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from negotiation import services
from nellm_site.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


async def connect(user, session_id: int, origin: bytes | None) -> bool:
    client = Client()
    await database_sync_to_async(client.force_login)(user)
    headers = [
        (
            b"cookie",
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode(),
        ),
        (b"host", b"testserver"),
    ]
    if origin is not None:
        headers.append((b"origin", origin))
    comm = WebsocketCommunicator(application, f"/ws/chat/{session_id}/", headers=headers)
    connected, _ = await comm.connect()
    await comm.disconnect()
    return connected


@pytest.mark.parametrize("origin", [b"http://evil.example", b"http://testserver.evil.example", b"null", None])
async def test_cross_site_handshake_is_refused(people, listing, origin):
    session = await database_sync_to_async(services.session_open)(listing=listing, buyer=people["bob"])
    assert await connect(people["bob"], session.pk, b"http://testserver")  # the control
    assert not await connect(people["bob"], session.pk, origin)


async def test_an_unknown_socket_path_is_refused_not_a_server_error():
    for path in ("/ws/chat/abc/", "/ws/whatever/", "/ws/chat/1/extra/"):
        comm = WebsocketCommunicator(application, path, headers=[(b"origin", b"http://testserver")])
        connected, code = await comm.connect()
        assert (connected, code) == (False, 4403), path
