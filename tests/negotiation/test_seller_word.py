"""A price the seller types in a chat binds the bot there, takeover or not: the bot never offers
more afterwards, a buyer agreeing to it gets it, even below the listing's floor. Seen on main: the
seller typed "5만5천원에 드릴게요", the buyer agreed and the bot answered "57,000원에 드릴게요"."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.test import override_settings

from negotiation import dispatch, replies, services
from negotiation.models import ChatSession, Message
from negotiation.selectors import seller_price_in_text
from tests.base import make_listing
from tests.negotiation import slow_generator
from tests.negotiation.wsutil import is_reply, joined, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


async def reply_to(comm, frame: dict) -> dict:
    await comm.send_json_to(frame)
    return (await receive_until(comm, is_reply))[-1]["message"]


async def seller_says(comm, text: str) -> dict:
    await comm.send_json_to({"type": "message", "text": text})
    got = await receive_until(comm, lambda e: e["type"] == "message" and e["message"]["role"] == "seller")
    return got[-1]["message"]


async def open_chat(people, listing):
    session = await database_sync_to_async(services.session_open)(listing=listing, buyer=people["bob"])
    return session, await joined(people["bob"], session.pk), await joined(people["alice"], session.pk)


async def refreshed(session):
    return await database_sync_to_async(ChatSession.objects.get)(pk=session.pk)


async def test_the_buyer_agreeing_to_the_sellers_price_gets_it_not_the_bots(people):
    listing = await database_sync_to_async(make_listing)(people["alice"], price=60_000, floor_price=50_000)
    session, buyer, seller = await open_chat(people, listing)
    counter = await reply_to(buyer, {"type": "message", "text": "5만원에 가능할까요?"})
    assert counter["price"] > 55_000  # the bot's own counter, above what the seller will say

    said = await seller_says(seller, "5만5천원에 드릴게요")
    assert said["price"] == 55_000
    agreed = await reply_to(buyer, {"type": "message", "text": "좋아요 그 가격에 살게요"})
    assert "55,000" in agreed["text"] and f"{counter['price']:,}" not in agreed["text"]
    assert agreed["price"] == 55_000
    seller_view = (await receive_until(seller, is_reply))[-1]["message"]
    assert seller_view["decision"]["act"] == "accept" and seller_view["decision"]["price"] == 55_000

    deal = await reply_to(buyer, {"type": "offer", "price": 55_000})
    assert deal["text"].startswith("##<수락>##")
    session = await refreshed(session)
    assert (session.state, session.agreed_price, session.seller_price) == ("agreed", 55_000, 55_000)
    await buyer.disconnect()
    await seller.disconnect()


async def test_the_bot_never_offers_above_the_sellers_price_afterwards(people, listing):
    session, buyer, seller = await open_chat(people, listing)
    await reply_to(buyer, {"type": "message", "text": "안녕하세요 구매하고 싶어요"})
    await seller_says(seller, "3만2천원까지 해드릴게요")
    for text in ("2만원에 안 될까요?", "2만2천원은요?", "더 깎아주세요"):
        answer = await reply_to(buyer, {"type": "message", "text": text})
        assert answer["price"] is None or answer["price"] <= 32_000, answer
    session = await refreshed(session)
    assert session.advisor_state["own_offer"] <= 32_000
    assert session.last_bot_offer <= 32_000
    await buyer.disconnect()
    await seller.disconnect()


async def test_a_seller_going_below_their_own_floor_is_honoured(people, listing):
    # The fixture's floor is 27,300: the seller may give this one buyer 25,000.
    session, buyer, seller = await open_chat(people, listing)
    await seller_says(seller, "2만5천원에 드릴게요")
    deal = await reply_to(buyer, {"type": "offer", "price": 25_000})
    assert deal["text"].startswith("##<수락>##")
    session = await refreshed(session)
    assert (session.state, session.agreed_price) == ("agreed", 25_000)
    await buyer.disconnect()
    await seller.disconnect()


async def test_a_price_the_seller_turns_down_binds_nothing(people, listing):
    session, buyer, seller = await open_chat(people, listing)
    said = await seller_says(seller, "2만원은 안돼요")
    assert said["price"] is None
    answer = await reply_to(buyer, {"type": "offer", "price": 20_000})
    assert answer["text"].startswith("##<거절>##")
    session = await refreshed(session)
    assert session.seller_price is None and session.state == "open"
    await buyer.disconnect()
    await seller.disconnect()


@pytest.mark.parametrize(
    ("text", "price"),
    [
        ("5만5천원에 드릴게요", 55_000),
        ("5만원은 어렵고 5만5천원까지 해드릴게요", 55_000),
        ("5천원 깎아드릴게요", 55_000),
        ("3만원은 안돼요", None),
        ("3만원은 너무 적어요", None),
        ("5천원은 못 깎아요", None),
        ("배송비 3천원은 따로예요", None),
    ],
)
def test_seller_price_in_text(text, price):
    assert seller_price_in_text(text=text, list_price=60_000) == price


@override_settings(NELLM_BACKEND=slow_generator.BACKEND)
async def test_a_reply_written_while_the_seller_names_a_lower_price_is_answered_again(people):
    listing = await database_sync_to_async(make_listing)(people["alice"], price=60_000, floor_price=50_000)
    session, buyer, seller = await open_chat(people, listing)
    await buyer.send_json_to({"type": "message", "text": "5만원에 가능할까요? 오늘 바로 가지러 갈 수 있어요"})
    await receive_until(buyer, lambda e: e["type"] == "chunk")  # the bot's counter is being written
    await seller.send_json_to({"type": "message", "text": "5만2천원에 드릴게요"})
    got = await receive_until(buyer, is_reply, timeout=20)
    assert any(e["type"] == "retract" for e in got)  # the counter on old terms was taken back
    reply = got[-1]["message"]
    assert reply["price"] is None or reply["price"] <= 52_000, reply
    stored = await database_sync_to_async(list)(Message.objects.filter(session=session, role="bot"))
    assert [m.text for m in stored] == [reply["text"]]
    await buyer.disconnect()
    await seller.disconnect()


def test_the_sellers_word_in_a_waiting_chat_binds_the_bot_when_it_resumes(people, listing, monkeypatch):
    """While another buyer's deal holds the listing, the seller may promise this buyer a price
    for when it falls through; the reopened chat keeps to it (an agreed chat does not re-price,
    see test_after_the_deal)."""
    monkeypatch.setattr(dispatch, "reply_enqueue", lambda *, message_id: None)
    session = services.session_open(listing=listing, buyer=people["bob"])
    other = services.session_open(listing=listing, buyer=people["charlie"])
    deal = services.offer_submit(session_id=other.pk, user=people["charlie"], price=listing.price)
    replies.reply_generate(message_id=deal.pk)
    session.refresh_from_db()
    assert session.state == ChatSession.State.WAITING
    said = services.message_submit(
        session_id=session.pk, user=people["alice"], text="예약 취소되면 3만원에 드릴게요"
    )
    assert said.price == 30_000
    services.reservation_cancel(listing_id=listing.pk, user=people["alice"])
    session.refresh_from_db()
    assert session.state == ChatSession.State.OPEN
    ask = services.message_submit(session_id=session.pk, user=people["bob"], text="좋아요 그 가격에 살게요")
    answer = replies.reply_generate(message_id=ask.pk)
    assert answer.decision["act"] == "accept" and answer.decision["price"] == 30_000, answer.text
