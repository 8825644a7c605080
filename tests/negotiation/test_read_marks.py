"""Read marks reach the other side live: the history carries both sides' marks, and when one
side reads (opens the chat, or sends "read"), the other side's sockets get a `read` event, so
the page turns its "1" into 읽음; a reader is not told its own mark."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from negotiation import services
from negotiation.models import ChatSession
from tests.negotiation.wsutil import communicator, joined, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


def of_type(kind: str):
    return lambda e: e["type"] == kind


def message_of(role: str):
    return lambda e: e["type"] == "message" and e["message"]["role"] == role


async def a_buyer_message_the_bot_leaves(people, listing):
    """A chat the seller took over (the bot is silent: only people read there), the buyer's socket
    and the id of the buyer's message in it, its own events received."""
    session = await database_sync_to_async(services.session_open)(listing=listing, buyer=people["bob"])
    seller = await joined(people["alice"], session.pk)
    await seller.send_json_to({"type": "takeover"})
    await receive_until(seller, lambda e: e["type"] == "state" and e["seller_in_control"])
    await seller.disconnect()

    buyer = await joined(people["bob"], session.pk)
    await buyer.send_json_to({"type": "message", "text": "직거래 되나요?"})
    sent = await receive_until(buyer, message_of("buyer"))
    await receive_until(buyer, of_type("state"))  # the message's own state follows it
    return session, buyer, sent[-1]["message"]["id"]


async def test_the_other_side_hears_when_its_messages_are_read(people, listing):
    session, buyer, mine = await a_buyer_message_the_bot_leaves(people, listing)

    seller = communicator(people["alice"], session.pk)
    assert (await seller.connect())[0]
    history = await seller.receive_json_from()
    assert history["state"]["read"]["seller"] < mine  # not read yet when the history was read
    read = (await receive_until(buyer, of_type("read")))[-1]
    assert (read["role"], read["up_to"]) == ("seller", mine)
    stored = await database_sync_to_async(ChatSession.objects.get)(pk=session.pk)
    assert stored.seller_read_id == mine

    await seller.send_json_to({"type": "message", "text": "네 가능해요"})
    reply = await receive_until(seller, lambda e: e["type"] == "message" and e["message"]["role"] == "seller")
    theirs = reply[-1]["message"]["id"]
    assert not [e for e in reply if e["type"] == "read"]  # the seller is not told its own mark
    await receive_until(buyer, lambda e: e["type"] == "message" and e["message"]["id"] == theirs)
    await buyer.send_json_to({"type": "read"})
    read = (await receive_until(seller, of_type("read")))[-1]
    assert (read["role"], read["up_to"]) == ("buyer", theirs)
    again = communicator(people["bob"], session.pk)  # a fresh page of the buyer's has both marks
    assert (await again.connect())[0]
    assert (await again.receive_json_from())["state"]["read"] == {"buyer": theirs, "seller": mine}
    for comm in (buyer, seller, again):
        await comm.disconnect()
