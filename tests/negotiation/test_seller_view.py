"""The listing's seller (and staff) watch the bot work: beside each bot reply they see the
Advisor's decision, act and price. The buyer in the same chat never gets it."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from negotiation import services
from negotiation.protocol import ACT_LABELS
from tests.negotiation.wsutil import communicator, is_reply, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


async def joined(user, session_id):
    comm = communicator(user, session_id)
    assert (await comm.connect())[0]
    history = await comm.receive_json_from()
    assert history["type"] == "history"
    return comm, history


async def test_seller_sees_decisions_live_and_in_history_and_buyer_never_does(people, listing):
    session = await database_sync_to_async(services.session_open)(listing=listing, buyer=people["bob"])
    buyer, _ = await joined(people["bob"], session.pk)
    seller, _ = await joined(people["alice"], session.pk)

    await buyer.send_json_to({"type": "message", "text": "3만원에 가능할까요?"})
    buyer_events = await receive_until(buyer, is_reply)
    seller_events = await receive_until(seller, is_reply)

    assert all("decision" not in e.get("message", {}) for e in buyer_events)
    bot = seller_events[-1]["message"]
    assert bot["decision"]["act"] in ACT_LABELS
    assert bot["decision"]["label"] == ACT_LABELS[bot["decision"]["act"]]
    assert set(bot["decision"]) == {"act", "label", "price", "asks_seller"}  # no state, no reasons
    assert bot["decision"]["asks_seller"] is False  # a price, not a question for the seller
    assert bot["text"] == buyer_events[-1]["message"]["text"]
    buyer_ack = next(e for e in seller_events if e["type"] == "message" and e["message"]["role"] == "buyer")
    assert "decision" not in buyer_ack["message"]

    for user, sees in ((people["alice"], True), (people["staff"], True), (people["bob"], False)):
        comm, history = await joined(user, session.pk)
        bots = [m for m in history["messages"] if m["role"] == "bot"]
        assert bots and all(("decision" in m) is sees for m in bots), user.username
        await comm.disconnect()
    await buyer.disconnect()
    await seller.disconnect()
