"""A client that reconnects mid-reply gets the history and the reply written so far."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from negotiation import services
from tests.negotiation import slow_generator
from tests.negotiation.wsutil import communicator, is_reply, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


async def test_reconnect_mid_reply_gets_the_partial_text(people, listing, settings):
    settings.NELLM_BACKEND = slow_generator.BACKEND  # a reply that takes a while to write
    session = await database_sync_to_async(services.session_open)(listing=listing, buyer=people["bob"])
    first = communicator(people["bob"], session.pk)
    await first.connect()
    await first.receive_json_from()
    await first.send_json_to(
        {"type": "message", "text": "안녕하세요, 혹시 3만원에 가능할까요? 직거래 원해요"}
    )
    await receive_until(first, lambda e: e["type"] == "chunk")  # its first clause is out
    await first.disconnect()  # the page was closed mid-reply

    second = communicator(people["bob"], session.pk)
    await second.connect()
    history = await second.receive_json_from()
    pending = history["pending"]
    assert pending["live"] and history["state"]["typing"]
    text = pending["text"]
    assert text
    events = await receive_until(second, is_reply)
    for chunk in (e for e in events if e["type"] == "chunk"):
        if chunk["offset"] + len(chunk["text"]) > len(text):
            text = text[: chunk["offset"]] + chunk["text"]
    reply = events[-1]["message"]
    assert text == reply["text"] and len(text) > len(pending["text"])  # joined mid-reply
    assert [m["role"] for m in history["messages"]] == ["system", "buyer"]
    await second.disconnect()
