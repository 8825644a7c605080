"""Final offers over the WebSocket: anything but a whole number of 원 in range is refused with
a clear Korean error (never a generic server error), and nothing is stored for it."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from negotiation import services
from negotiation.models import Message
from tests.negotiation.wsutil import communicator, is_reply, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("price", "code"),
    [
        ("²", "bad_price"),  # a Unicode digit int() refuses: was a server_error
        ("①②", "bad_price"),
        ("1e9", "bad_price"),
        ("-5", "bad_price"),
        ("35000.5", "bad_price"),
        ("30,000.0", "bad_price"),
        (30000.0, "bad_price"),
        (1e9, "bad_price"),
        (True, "bad_price"),
        (None, "bad_price"),
        ([30000], "bad_price"),
        (0, "bad_price"),
        (-1, "bad_price"),
        (10**30, "bad_price"),
        ("9" * 3000, "bad_price"),
        (36_000, "above_price"),
    ],
)
async def test_bad_offer_is_refused_and_not_stored(people, listing, price, code):
    session = await database_sync_to_async(services.session_open)(listing=listing, buyer=people["bob"])
    comm = communicator(people["bob"], session.pk)
    assert (await comm.connect())[0]
    await comm.receive_json_from()
    await comm.send_json_to({"type": "offer", "price": price})
    error = await comm.receive_json_from()
    assert error["type"] == "error"
    assert error["code"] == code, error
    stored = await database_sync_to_async(Message.objects.filter(session=session, role="buyer").count)()
    assert stored == 0
    await comm.disconnect()


async def test_string_with_separators_and_unit_is_accepted(people, listing):
    session = await database_sync_to_async(services.session_open)(listing=listing, buyer=people["bob"])
    comm = communicator(people["bob"], session.pk)
    assert (await comm.connect())[0]
    await comm.receive_json_from()
    await comm.send_json_to({"type": "offer", "price": "34,000원"})
    events = await receive_until(comm, is_reply)
    offers = [e["message"] for e in events if e["type"] == "message" and e["message"]["role"] == "buyer"]
    assert offers and offers[0]["offer"] and offers[0]["price"] == 34_000
    await comm.disconnect()
