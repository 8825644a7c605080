"""The seller takes a chat over (the bot falls silent, a reply being written stops and is never
stored), answers by hand, accepts or declines the buyer's offer, and hands the chat back."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from django.core.cache import cache
from django.test import Client, override_settings

from marketplace.models import Listing, Status
from negotiation import dispatch, selectors, services
from negotiation.models import ChatSession, Message
from tests.negotiation import slow_generator
from tests.negotiation.wsutil import communicator, is_reply, joined, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


async def open_chat(people, listing, buyer="bob"):
    session = await database_sync_to_async(services.session_open)(listing=listing, buyer=people[buyer])
    return session, await joined(people[buyer], session.pk), await joined(people["alice"], session.pk)


def of_type(kind):
    return lambda e: e["type"] == kind


def is_role(role):
    return lambda e: e["type"] == "message" and e["message"]["role"] == role


async def refreshed(session):
    return await database_sync_to_async(ChatSession.objects.get)(pk=session.pk)


async def bot_messages(session):
    return await database_sync_to_async(list)(Message.objects.filter(session=session, role="bot"))


async def nothing_more(comm, predicate, seconds=0.6):
    """No payload matching `predicate` arrives within `seconds` (after the reply jobs drained)."""
    await database_sync_to_async(dispatch.drain)(timeout=10)
    while not await comm.receive_nothing(timeout=seconds):
        payload = await comm.receive_json_from()
        assert not predicate(payload), payload


async def test_takeover_silences_the_bot_and_handback_restores_it_bound_to_the_sellers_price(people, listing):
    session, buyer, seller = await open_chat(people, listing)
    await seller.send_json_to({"type": "takeover"})
    got = await receive_until(buyer, lambda e: e["type"] == "state" and e["seller_in_control"])
    notice = next(e["message"] for e in got if e["type"] == "message")
    assert notice["role"] == "system" and "판매자가 직접 대화 중이에요" in notice["text"]

    for text in ("3만원에 가능할까요?", "답장 주세요"):
        await buyer.send_json_to({"type": "message", "text": text})
        await receive_until(buyer, is_role("buyer"))
    await nothing_more(buyer, is_reply)
    assert await bot_messages(session) == []

    await seller.send_json_to({"type": "message", "text": "3만1천원까지 해드릴게요"})
    said = (await receive_until(buyer, is_role("seller")))[-1]["message"]
    assert said["text"] == "3만1천원까지 해드릴게요"
    stored = await database_sync_to_async(Message.objects.get)(pk=said["id"])
    assert (stored.role, stored.price) == ("seller", 31_000)

    await seller.send_json_to({"type": "handback"})
    await receive_until(buyer, lambda e: e["type"] == "state" and not e["seller_in_control"])
    await buyer.send_json_to({"type": "message", "text": "좋아요 그 가격에 살게요"})
    reply = (await receive_until(buyer, is_reply))[-1]["message"]
    assert reply["price"] == 31_000 and "31,000" in reply["text"]
    session = await refreshed(session)
    assert session.seller_took_over and not session.seller_in_control
    await buyer.disconnect()
    await seller.disconnect()


@override_settings(NELLM_BACKEND=slow_generator.BACKEND)
async def test_a_takeover_during_a_streaming_reply_leaves_no_half_reply(people, listing):
    session, buyer, seller = await open_chat(people, listing)
    await buyer.send_json_to({"type": "message", "text": "3만원에 가능할까요? 오늘 바로 가지러 갈 수 있어요"})
    message_id = (await receive_until(buyer, is_role("buyer")))[-1]["message"]["id"]
    await receive_until(buyer, of_type("chunk"))
    await seller.send_json_to({"type": "takeover"})
    got = await receive_until(buyer, of_type("retract"), timeout=20)
    assert got[-1]["reply_to"] == message_id
    await nothing_more(buyer, lambda e: is_reply(e) or e["type"] == "chunk")
    assert await bot_messages(session) == []
    session = await refreshed(session)
    assert session.pending_message_id is None and session.seller_in_control
    assert cache.get(selectors.partial_key(message_id)) is None
    # Reconnecting shows no reply in progress either.
    again = communicator(people["bob"], session.pk)
    assert (await again.connect())[0]
    history = await again.receive_json_from()
    assert history["pending"] is None and history["state"]["seller_in_control"]
    assert not [m for m in history["messages"] if m["role"] == "bot"]
    await again.disconnect()
    await buyer.disconnect()
    await seller.disconnect()


async def test_only_the_listings_seller_may_take_over_or_hand_back(people, listing):
    session, buyer, seller = await open_chat(people, listing)
    for frame in ({"type": "takeover"}, {"type": "handback"}, {"type": "accept"}, {"type": "decline"}):
        await buyer.send_json_to(frame)
        error = (await receive_until(buyer, of_type("error")))[-1]
        assert error["code"] == "seller_only" and "판매자" in error["message"]
    assert not (await refreshed(session)).seller_in_control
    outsider = communicator(people["charlie"], session.pk)
    assert not (await outsider.connect())[0]

    # Staff read the chat but cannot write in it: taking it over would silence the bot and tell
    # the buyer the seller is answering when nobody is. They moderate through reports instead.
    staff = await joined(people["staff"], session.pk)
    for frame in ({"type": "takeover"}, {"type": "handback"}, {"type": "accept"}):
        await staff.send_json_to(frame)
        assert (await receive_until(staff, of_type("error")))[-1]["code"] == "seller_only"
    assert not (await refreshed(session)).seller_in_control
    await seller.send_json_to({"type": "takeover"})
    await receive_until(buyer, lambda e: e["type"] == "state" and e["seller_in_control"])
    await staff.send_json_to({"type": "handback"})  # nor hand the seller's chat back
    assert (await receive_until(staff, of_type("error")))[-1]["code"] == "seller_only"
    assert (await refreshed(session)).seller_in_control
    page = await database_sync_to_async(_chat_page)(people["staff"], session.pk)
    assert "직접 대화하기" not in page and 'id="seller-controls"' not in page
    assert "운영자는 대화를 읽기만 해요" in page and 'id="chat-form"' not in page
    for comm in (buyer, seller, staff):
        await comm.disconnect()


async def test_the_seller_accepts_a_standing_offer_by_hand_and_the_others_are_told(people, listing):
    session, buyer, seller = await open_chat(people, listing)
    _, other_buyer, other_seller = await open_chat(people, listing, buyer="charlie")
    await seller.send_json_to({"type": "accept"})
    assert (await receive_until(seller, of_type("error")))[-1]["code"] == "no_offer"

    await seller.send_json_to({"type": "takeover"})
    await receive_until(buyer, lambda e: e["type"] == "state" and e["seller_in_control"])
    await buyer.send_json_to({"type": "offer", "price": 30_000})
    state = (await receive_until(buyer, of_type("state")))[-1]
    assert state["standing_offer"] == 30_000
    await nothing_more(buyer, is_reply)

    await seller.send_json_to({"type": "accept"})
    got = await receive_until(buyer, lambda e: e["type"] == "state" and e["state"] == "agreed")
    assert any(e["type"] == "message" and "30,000원 제안을 수락" in e["message"]["text"] for e in got)
    session = await refreshed(session)
    assert (session.state, session.agreed_price) == ("agreed", 30_000)
    listing = await database_sync_to_async(Listing.objects.get)(pk=listing.pk)
    assert listing.status == Status.RESERVED
    await receive_until(other_buyer, lambda e: e["type"] == "state" and e["state"] == "waiting")
    for comm in (buyer, seller, other_buyer, other_seller):
        await comm.disconnect()


async def test_the_seller_declines_a_final_offer_the_bot_turned_down_and_it_stands_no_more(people, listing):
    session, buyer, seller = await open_chat(people, listing)
    await buyer.send_json_to({"type": "offer", "price": 20_000})
    assert (await receive_until(buyer, is_reply))[-1]["message"]["text"].startswith("##<거절>##")
    assert (await refreshed(session)).standing_offer == 20_000  # still the seller's to take
    await seller.send_json_to({"type": "decline"})
    got = await receive_until(buyer, lambda e: e["type"] == "state" and e["standing_offer"] is None)
    assert any(e["type"] == "message" and "20,000원 제안을 거절" in e["message"]["text"] for e in got)
    await seller.send_json_to({"type": "accept"})
    assert (await receive_until(seller, of_type("error")))[-1]["code"] == "no_offer"
    assert (await refreshed(session)).state == "open"
    await buyer.disconnect()
    await seller.disconnect()


async def test_a_new_price_in_words_withdraws_the_standing_final_offer(people, listing):
    session, buyer, seller = await open_chat(people, listing)
    await buyer.send_json_to({"type": "offer", "price": 20_000})
    await receive_until(buyer, is_reply)
    await buyer.send_json_to({"type": "message", "text": "그럼 2만5천원은요?"})
    await receive_until(buyer, is_reply)
    assert (await refreshed(session)).standing_offer is None
    await seller.send_json_to({"type": "accept"})
    assert (await receive_until(seller, of_type("error")))[-1]["code"] == "no_offer"
    await buyer.disconnect()
    await seller.disconnect()


def _chat_page(user, session_id: int) -> str:
    client = Client()
    client.force_login(user)
    return client.get(f"/chat/{session_id}/").content.decode()
