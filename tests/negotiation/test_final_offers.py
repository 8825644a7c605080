"""The final-offer protocol on the site: `##<수락>##` closes the deal at the buyer's own price,
and a buyer may send a few final offers, not step up one by one until the floor gives."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from negotiation import services
from negotiation.models import ChatSession
from tests.negotiation.wsutil import communicator, is_reply, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


async def chat(people, listing):
    session = await database_sync_to_async(services.session_open)(listing=listing, buyer=people["bob"])
    comm = communicator(people["bob"], session.pk)
    assert (await comm.connect())[0]
    await comm.receive_json_from()
    return session, comm


async def reply_to(comm, frame: dict) -> dict:
    await comm.send_json_to(frame)
    return (await receive_until(comm, is_reply))[-1]["message"]


async def test_a_final_offer_above_the_bots_counter_is_agreed_at_the_buyers_price(people, listing):
    session, comm = await chat(people, listing)
    counter = await reply_to(comm, {"type": "message", "text": "3만원에 가능할까요?"})
    assert counter["price"] is not None and counter["price"] < listing.price
    offer = counter["price"] + 1000
    answer = await reply_to(comm, {"type": "offer", "price": offer})
    assert answer["text"].startswith("##<수락>##")
    session = await database_sync_to_async(ChatSession.objects.get)(pk=session.pk)
    assert (session.state, session.agreed_price) == (ChatSession.State.AGREED, offer)
    await comm.disconnect()


async def test_the_third_turned_down_final_offer_ends_the_chat(people, listing):
    session, comm = await chat(people, listing)
    answers = [await reply_to(comm, {"type": "offer", "price": p}) for p in (15_000, 16_000, 17_000)]
    assert all(a["text"].startswith("##<거절>##") for a in answers)
    session = await database_sync_to_async(ChatSession.objects.get)(pk=session.pk)
    assert session.state == ChatSession.State.FAILED
    await comm.send_json_to({"type": "offer", "price": 30_000})
    error = (await receive_until(comm, lambda e: e["type"] == "error"))[-1]
    assert error["code"] == "finished" and "끝난" in error["message"]
    await comm.disconnect()


async def test_the_chat_says_how_many_final_offers_are_left(people, listing):
    session, comm = await chat(people, listing)
    await comm.send_json_to({"type": "offer", "price": 10_000})
    events = await receive_until(comm, is_reply)
    await receive_until(comm, lambda e: e["type"] == "state" and not e["typing"])
    await comm.disconnect()
    again = communicator(people["bob"], session.pk)
    assert (await again.connect())[0]
    history = await again.receive_json_from()
    assert events[-1]["message"]["text"].startswith("##<거절>##")
    assert history["state"]["final_offers_left"] == 2
    await again.disconnect()
