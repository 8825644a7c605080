"""Bad input and fast senders get clear Korean errors; nothing is stored for them, nothing lost."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from negotiation import services
from negotiation.models import Message
from tests.negotiation.wsutil import communicator, is_reply, receive_until

pytestmark = pytest.mark.django_db(transaction=True)

HANGUL = range(0xAC00, 0xD7A4)


def is_korean(text: str) -> bool:
    return any(ord(ch) in HANGUL for ch in text)


async def connected(people, listing, name="bob"):
    session = await database_sync_to_async(services.session_open)(listing=listing, buyer=people["bob"])
    comm = communicator(people[name], session.pk)
    assert (await comm.connect())[0]
    await comm.receive_json_from()
    return session, comm


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "message", "text": "가" * 501}, "too_long"),
        ({"type": "message", "text": "안녕\x00하세요"}, "bad_text"),
        ({"type": "message", "text": "\u200b  \n"}, "empty"),
        ({"type": "message", "text": 123}, "bad_request"),
        ({"type": "dance"}, "bad_request"),
        ({"type": "offer", "price": -5}, "bad_price"),
        ({"type": "offer", "price": "삼만원"}, "bad_price"),
        ({"type": "offer", "price": 36_000}, "above_price"),
    ],
)
async def test_bad_input_is_refused_in_korean(people, listing, frame, code):
    session, comm = await connected(people, listing)
    await comm.send_json_to(frame)
    error = await comm.receive_json_from()
    assert error["type"] == "error" and error["code"] == code
    assert is_korean(error["message"])
    count = await database_sync_to_async(Message.objects.filter(session=session, role="buyer").count)()
    assert count == 0
    # The session still works after the error.
    await comm.send_json_to({"type": "message", "text": "안녕하세요"})
    await receive_until(comm, is_reply)
    await comm.disconnect()


async def test_malformed_frames(people, listing):
    _, comm = await connected(people, listing)
    await comm.send_to(text_data="{not json")
    assert (await comm.receive_json_from())["code"] == "bad_request"
    await comm.send_to(text_data="x" * 10_000)
    assert (await comm.receive_json_from())["code"] == "bad_request"
    await comm.disconnect()


async def test_rate_limit(people, listing, settings):
    settings.NELLM_CHAT_RATE_LIMIT = 2
    settings.NELLM_CHAT_RATE_WINDOW = 60
    session, comm = await connected(people, listing)
    for text in ("안녕하세요", "3만원 어때요?"):
        await comm.send_json_to({"type": "message", "text": text})
        await receive_until(comm, is_reply)
    await comm.send_json_to({"type": "message", "text": "2만8천원은요?"})
    error = await receive_until(comm, lambda e: e["type"] == "error")
    assert error[-1]["code"] == "rate_limited" and is_korean(error[-1]["message"])
    texts = await database_sync_to_async(
        lambda: list(Message.objects.filter(session=session, role="buyer").values_list("text", flat=True))
    )()
    assert texts == ["안녕하세요", "3만원 어때요?"]
    await comm.disconnect()


async def test_zero_width_characters_are_dropped(people, listing):
    _, comm = await connected(people, listing)
    await comm.send_json_to({"type": "message", "text": "3만\u200b원\u202e 가능?"})
    events = await receive_until(comm, is_reply)
    assert events[0]["message"]["text"] == "3만원 가능?"
    await comm.disconnect()


async def test_a_typed_final_offer_keeps_the_words_around_it(people, listing):
    session, comm = await connected(people, listing)
    text = "기스 있으니까 이 가격에 해주세요 ##<30000>## 바로 입금할게요"
    await comm.send_json_to({"type": "message", "text": text})
    events = await receive_until(comm, is_reply)
    ack = next(e["message"] for e in events if e["type"] == "message" and e["message"]["role"] == "buyer")
    assert (ack["text"], ack["price"], ack["offer"]) == (text, 30_000, True)
    stored = await database_sync_to_async(Message.objects.get)(session=session, role="buyer")
    assert (stored.text, stored.price, stored.is_offer) == (text, 30_000, True)
    reply = events[-1]["message"]["text"]
    assert reply.startswith(("##<수락>##", "##<거절>##"))
    await comm.disconnect()
