"""A deal only by the buyer's word, and a price that fresh accounts cannot probe: questions never
use up a buyer's rounds nor end the chat, a price agreed in words waits for the buyer's final
offer, and every young account whose final offers were turned down raises the listing's secret
acceptance line for the next one. Through the WebSocket, the chat services and the ORM."""

from __future__ import annotations

import datetime

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone

from marketplace.models import Listing, Status
from mlcore.negotiator import pipeline
from negotiation import dispatch, services
from negotiation.models import ChatSession, Message
from negotiation.protocol import ACT_LABELS
from tests.base import make_listing, make_user
from tests.negotiation.wsutil import communicator, is_reply, receive_until

pytestmark = pytest.mark.django_db(transaction=True)

QUESTIONS = [
    "배터리는 어때요?",
    "기스 있나요?",
    "박스 있어요?",
    "직거래 가능해요?",
    "택배 되나요?",
    "언제 사셨어요?",
    "정품이에요?",
    "충전기도 주시나요?",
    "사용 기간은요?",
    "하자 있나요?",
]


async def test_questions_and_a_thank_you_never_make_a_deal_nor_close_the_chat(people, listing, settings):
    # Before: the 12th message of any kind was the deadline: "감사합니다, 생각해 볼게요" became
    # `##<수락>##` at the buyer's earlier price and the listing was reserved.
    settings.NELLM_CHAT_RATE_LIMIT = 100
    session = await database_sync_to_async(services.session_open)(listing=listing, buyer=people["bob"])
    comm = communicator(people["bob"], session.pk)
    assert (await comm.connect())[0]
    await comm.receive_json_from()
    texts = []
    for line in ["안녕하세요", *QUESTIONS, "3만원이면 살게요", "감사합니다, 생각해 볼게요"]:
        await comm.send_json_to({"type": "message", "text": line})
        texts.append((await receive_until(comm, is_reply))[-1]["message"]["text"])
    await comm.disconnect()
    assert not any(t.startswith(("##<수락>##", "##<거절>##")) for t in texts), texts[-2:]
    session = await database_sync_to_async(ChatSession.objects.get)(pk=session.pk)
    listing = await database_sync_to_async(Listing.objects.get)(pk=listing.pk)
    assert (session.state, listing.status) == (ChatSession.State.OPEN, Status.ON_SALE)


def test_a_price_agreed_in_words_reserves_nothing_until_the_buyers_final_offer(people, listing):
    session = services.session_open(listing=listing, buyer=people["bob"])
    services.message_submit(session_id=session.pk, user=people["bob"], text="3만4천원이면 살게요")
    assert dispatch.drain(10)
    agreed = Message.objects.filter(session=session, role=Message.Role.BOT).last()
    assert agreed.decision["act"] == "accept"
    assert "최종 제안 대기" in ACT_LABELS[agreed.decision["act"]]  # what the seller reads beside it
    listing.refresh_from_db()
    session.refresh_from_db()
    assert (session.state, listing.status) == (ChatSession.State.OPEN, Status.ON_SALE)
    services.offer_submit(session_id=session.pk, user=people["bob"], price=agreed.decision["price"])
    assert dispatch.drain(10)
    session.refresh_from_db()
    assert (session.state, session.agreed_price) == (ChatSession.State.AGREED, agreed.decision["price"])


@pytest.fixture
def reserves(monkeypatch):
    """The secret reserve each Negotiator is built with, in order."""
    seen = []
    original = pipeline.Negotiator.__init__

    def spy(self, *, policy, **kwargs):
        seen.append(policy.reserve)
        original(self, policy=policy, **kwargs)

    monkeypatch.setattr(pipeline.Negotiator, "__init__", spy)
    return seen


def probe(listing, user) -> None:
    session = services.session_open(listing=listing, buyer=user)
    for price in (20_000, 20_500, 21_000):
        services.offer_submit(session_id=session.pk, user=user, price=price)
        assert dispatch.drain(10)


def test_young_accounts_probing_with_final_offers_raise_the_reserve_old_ones_do_not(
    people, listing, reserves
):
    veteran = make_user("veteran")
    veteran.date_joined = timezone.now() - datetime.timedelta(days=90)
    veteran.save()
    probe(listing, veteran)
    first = reserves[0]
    assert first is not None and listing.floor_price < first < listing.price
    probe(listing, people["bob"])  # young: joined just now
    assert reserves[-1] == first  # a long-standing member's offers are no probe
    probe(listing, people["charlie"])
    assert reserves[-1] > first  # bob's turned-down final offers raised it for charlie
    raised = reserves[-1]
    probe(listing, make_user("dana"))
    assert reserves[-1] > raised


async def test_the_price_button_keeps_to_what_the_bot_said_in_the_chat(people):
    # Before: "27만원이요" got "290,000원 어떠세요?" and a 가격 제안 of 260,000원 seconds later
    # was accepted, so the chat's counter-offers meant nothing.
    listing = await database_sync_to_async(make_listing)(
        people["alice"], price=300_000, floor_price=240_000, style="flexible"
    )
    session = await database_sync_to_async(services.session_open)(listing=listing, buyer=people["bob"])
    comm = communicator(people["bob"], session.pk)
    assert (await comm.connect())[0]
    await comm.receive_json_from()

    async def answer(frame: dict) -> dict:
        await comm.send_json_to(frame)
        return (await receive_until(comm, is_reply))[-1]["message"]

    counter = await answer({"type": "message", "text": "27만원이요"})
    stated = counter["price"]
    assert stated is not None and 270_000 < stated < 300_000, counter["text"]
    lower = await answer({"type": "offer", "price": 260_000})
    assert lower["text"].startswith("##<거절>##"), lower["text"]
    taken = await answer({"type": "offer", "price": stated})  # the stated price is still there
    assert taken["text"].startswith("##<수락>##"), taken["text"]
    await comm.disconnect()
    session = await database_sync_to_async(ChatSession.objects.get)(pk=session.pk)
    assert (session.state, session.agreed_price) == (ChatSession.State.AGREED, stated)
