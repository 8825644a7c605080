"""Logging out closes the user's open chat sockets: their authentication went with the session."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.test import Client

from negotiation import services
from tests.negotiation.wsutil import communicator

pytestmark = pytest.mark.django_db(transaction=True)


async def test_logging_out_closes_every_chat_socket_of_that_user_only(people, listing):
    open_ = database_sync_to_async(services.session_open)
    bob_chat = await open_(listing=listing, buyer=people["bob"])
    charlie_chat = await open_(listing=listing, buyer=people["charlie"])
    bob_tabs = [communicator(people["bob"], bob_chat.pk) for _ in range(2)]
    charlie = communicator(people["charlie"], charlie_chat.pk)
    for comm in [*bob_tabs, charlie]:
        assert (await comm.connect())[0]
        assert (await comm.receive_json_from())["type"] == "history"

    def logout() -> int:
        client = Client()
        client.force_login(people["bob"])
        return client.post("/accounts/logout/").status_code

    assert await database_sync_to_async(logout)() == 302
    for comm in bob_tabs:
        assert await comm.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}
    assert await charlie.receive_nothing(timeout=0.3)
    await charlie.disconnect()
