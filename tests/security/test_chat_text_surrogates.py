"""A lone UTF-16 surrogate is a valid JSON escape but cannot be stored: it is refused as bad
text in Korean, not turned into a server error, and the chat goes on."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from negotiation import services
from negotiation.models import Message
from tests.negotiation.wsutil import communicator, is_reply, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "raw", ['{"type": "message", "text": "3만원\\ud800에 돼요?"}', '{"type": "message", "text": "\\udfff"}']
)
async def test_lone_surrogate_is_bad_text(people, listing, raw):
    session = await database_sync_to_async(services.session_open)(listing=listing, buyer=people["bob"])
    comm = communicator(people["bob"], session.pk)
    assert (await comm.connect())[0]
    await comm.receive_json_from()
    await comm.send_to(text_data=raw)
    error = await comm.receive_json_from()
    assert error["type"] == "error" and error["code"] == "bad_text", error
    stored = await database_sync_to_async(Message.objects.filter(session=session, role="buyer").count)()
    assert stored == 0
    await comm.send_json_to({"type": "message", "text": "3만원에 돼요?"})
    await receive_until(comm, is_reply)
    await comm.disconnect()
