"""A chat page in a background tab reconnects on its own (a dropped connection, the laptop waking
up, a server restart), and then gets the whole history: that is not the seller (or buyer) seeing
it. Such a page connects with `?hidden=1`, its history marks nothing read, and the page sends
`read` once it comes to the front. Otherwise every restart turned a background tab's unread
messages to 읽음 for the buyer and cleared the seller's unread counts for messages nobody saw."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator

from negotiation.models import ChatSession
from negotiation.routing import websocket_urlpatterns
from tests.negotiation.test_read_marks import a_buyer_message_the_bot_leaves
from tests.negotiation.wsutil import receive_until

pytestmark = pytest.mark.django_db(transaction=True)


def read_marks(session_id: int) -> tuple[int, int]:
    session = ChatSession.objects.get(pk=session_id)
    return session.buyer_read_id, session.seller_read_id


async def test_a_page_that_connects_hidden_marks_nothing_read_until_it_says_so(people, listing):
    session, buyer, mine = await a_buyer_message_the_bot_leaves(people, listing)

    hidden = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/chat/{session.pk}/?hidden=1")
    hidden.scope["user"] = people["alice"]
    assert (await hidden.connect())[0]
    history = await hidden.receive_json_from()
    assert history["messages"][-1]["id"] == mine  # the page has it, in the background
    await asyncio.sleep(0.3)  # the handshake's own work is done by now
    assert (await database_sync_to_async(read_marks)(session.pk))[1] < mine
    assert await buyer.receive_nothing(timeout=0.2)  # no 읽음 for the buyer

    await hidden.send_json_to({"type": "read"})  # the tab came to the front
    read = (await receive_until(buyer, lambda e: e["type"] == "read"))[-1]
    assert (read["role"], read["up_to"]) == ("seller", mine)
    assert (await database_sync_to_async(read_marks)(session.pk))[1] == mine
    for comm in (buyer, hidden):
        await comm.disconnect()
