"""A buyer message over the WebSocket is stored, acknowledged, streamed and answered once."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from negotiation import services
from negotiation.models import ChatSession, Message
from tests.negotiation import slow_generator
from tests.negotiation.wsutil import communicator, is_reply, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


async def open_session(listing, buyer) -> ChatSession:
    return await database_sync_to_async(services.session_open)(listing=listing, buyer=buyer)


async def test_history_on_connect(people, listing):
    session = await open_session(listing, people["bob"])
    comm = communicator(people["bob"], session.pk)
    connected, _ = await comm.connect()
    assert connected
    history = await comm.receive_json_from()
    assert history["type"] == "history"
    assert history["state"]["state"] == "open"
    assert [m["role"] for m in history["messages"]] == ["system"]
    assert history["pending"] is None
    await comm.disconnect()


async def test_message_is_stored_streamed_and_answered(people, listing, settings):
    settings.NELLM_BACKEND = slow_generator.BACKEND  # slower than NELLM_STREAM_PARTIAL_AFTER_MS: streamed
    session = await open_session(listing, people["bob"])
    comm = communicator(people["bob"], session.pk)
    await comm.connect()
    await comm.receive_json_from()
    await comm.send_json_to({"type": "message", "text": "안녕하세요! 3만원에 가능할까요?"})
    events = await receive_until(comm, is_reply)

    ack = next(e for e in events if e["type"] == "message")
    assert ack["message"]["role"] == "buyer"
    assert ack["message"]["price"] == 30_000
    buyer_id = ack["message"]["id"]
    assert any(e["type"] == "typing" and e["reply_to"] == buyer_id for e in events)
    chunks = [e for e in events if e["type"] == "chunk"]
    assert chunks, "the reply was not streamed"
    reply = events[-1]["message"]
    assert reply["reply_to"] == buyer_id
    assert "".join(c["text"] for c in chunks) == reply["text"]
    assert [c["offset"] for c in chunks] == [
        sum(len(c["text"]) for c in chunks[:i]) for i in range(len(chunks))
    ]
    state = await comm.receive_json_from(timeout=5)
    assert state["type"] == "state" and state["typing"] is False

    stored = await database_sync_to_async(
        lambda: list(Message.objects.filter(session=session).order_by("id"))
    )()
    assert [m.role for m in stored] == ["system", "buyer", "bot"]
    assert stored[2].reply_to_id == stored[1].id and stored[2].text == reply["text"]
    assert stored[2].decision["act"] and stored[2].generator
    refreshed = await database_sync_to_async(ChatSession.objects.get)(pk=session.pk)
    assert refreshed.pending_message_id is None and refreshed.last_buyer_offer == 30_000
    assert refreshed.advisor_state["rounds"] == 1
    await comm.disconnect()


async def test_seller_and_staff_watch_the_same_chat(people, listing):
    session = await open_session(listing, people["bob"])
    buyer, seller, staff = (communicator(people[n], session.pk) for n in ("bob", "alice", "staff"))
    for comm in (buyer, seller, staff):
        assert (await comm.connect())[0]
        await comm.receive_json_from()
    await buyer.send_json_to({"type": "message", "text": "네고 되나요?"})
    for comm in (buyer, seller, staff):
        await receive_until(comm, is_reply)
    await staff.send_json_to({"type": "message", "text": "운영자입니다"})
    error = await receive_until(staff, lambda e: e["type"] == "error")
    assert error[-1]["code"] == "buyer_only"
    for comm in (buyer, seller, staff):
        await comm.disconnect()


async def test_a_second_message_waits_for_the_reply(people, listing, settings):
    settings.NELLM_BACKEND = slow_generator.BACKEND  # the reply is still being written when it comes
    session = await open_session(listing, people["bob"])
    comm = communicator(people["bob"], session.pk)
    await comm.connect()
    await comm.receive_json_from()
    await comm.send_json_to({"type": "message", "text": "3만원 어떠세요?"})
    await receive_until(comm, lambda e: e["type"] == "chunk")
    await comm.send_json_to({"type": "message", "text": "답 주세요"})
    events = await receive_until(comm, lambda e: e["type"] == "error")
    assert events[-1]["code"] == "busy" and "기다려" in events[-1]["message"]
    await receive_until(comm, is_reply)
    await comm.disconnect()


async def test_the_typing_pace_holds_no_generation_worker(people, listing, settings):
    # A pace that would take minutes a reply if the job slept per word: the reply still comes at
    # once, and the page does the pacing (data-stream-delay-ms). Quicker than
    # NELLM_STREAM_PARTIAL_AFTER_MS, it goes out whole: no typing, no chunks, just the stored reply.
    settings.NELLM_STREAM_DELAY_MS = 60_000
    session = await open_session(listing, people["bob"])
    comm = communicator(people["bob"], session.pk)
    await comm.connect()
    await comm.receive_json_from()
    await comm.send_json_to({"type": "message", "text": "안녕하세요, 혹시 3만원에 가능할까요? 직거래 원해요"})
    events = await receive_until(comm, is_reply, timeout=10)
    assert [e["type"] for e in events] == ["message", "state", "message"], events
    assert events[-1]["message"]["text"]
    await comm.disconnect()
