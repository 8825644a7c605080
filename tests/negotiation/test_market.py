"""1:n without leaks: only another buyer's explicit final offer is a standing offer, it ends with
its chat or its time, a buyer hears that a higher offer exists but never its amount, and the bot's
offers to a buyer never rise. Through the chat services, the WebSocket and the ORM."""

from __future__ import annotations

import datetime

import pytest
from channels.db import database_sync_to_async
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlcore.negotiator import pipeline
from mlcore.negotiator.advisor import OFFER_ACTS
from negotiation import dispatch, replies, services
from negotiation.models import ChatSession, Message
from negotiation.protocol import ProtocolError
from tests.base import korean_forms, make_user
from tests.negotiation.conftest import fresh_market
from tests.negotiation.wsutil import communicator, is_reply, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def heard(monkeypatch):
    """The market each Negotiator turn is told about, in order."""
    markets = []
    original = pipeline.Negotiator.respond

    def spy(self, message, **kwargs):
        markets.append(kwargs["market"])
        return original(self, message, **kwargs)

    monkeypatch.setattr(pipeline.Negotiator, "respond", spy)
    return markets


def say(session, user, text: str) -> Message:
    message = services.message_submit(session_id=session.pk, user=user, text=text)
    assert dispatch.drain(10)
    return Message.objects.get(reply_to=message)


def offer(session, user, price: int) -> Message:
    message = services.offer_submit(session_id=session.pk, user=user, price=price)
    assert dispatch.drain(10)
    return Message.objects.get(reply_to=message)


def test_a_number_typed_in_another_chat_binds_nobody(people, listing, heard):
    # Before: charlie's "3만1천원에 살게요" became a limit for bob's chat (and raised the bot's offers).
    charlie = services.session_open(listing=listing, buyer=people["charlie"])
    say(charlie, people["charlie"], "3만1천원에 살게요")
    bob = services.session_open(listing=listing, buyer=people["bob"])
    say(bob, people["bob"], "2만8천원 가능해요?")
    assert heard[-1].best_other_offer is None and heard[-1].active_buyers == 2


def test_a_final_offer_stands_until_its_chat_ends_or_its_time_runs_out(people, listing, heard, settings):
    charlie = services.session_open(listing=listing, buyer=people["charlie"])
    offer(charlie, people["charlie"], 28_100)  # turned down: it stands
    bob = services.session_open(listing=listing, buyer=people["bob"])
    say(bob, people["bob"], "2만8천원 가능해요?")
    assert heard[-1].best_other_offer == 28_100

    settings.NELLM_STANDING_OFFER_TTL = 3600
    Message.objects.filter(session=charlie, is_offer=True).update(
        created_at=timezone.now() - datetime.timedelta(hours=2)
    )
    say(bob, people["bob"], "2만8천5백원은요?")
    assert heard[-1].best_other_offer is None  # expired

    offer(charlie, people["charlie"], 28_200)
    ChatSession.objects.filter(pk=charlie.pk).update(state=ChatSession.State.FAILED)
    say(bob, people["bob"], "2만9천원은요?")
    assert heard[-1].best_other_offer is None and heard[-1].active_buyers == 1  # ended with its chat


def test_an_offer_the_seller_declined_or_the_buyer_withdrew_stands_no_more(people, listing, heard):
    # The cockpit's 거절 and a buyer's new price in words end a standing offer (its chat's
    # `standing_offer`); the other chats' market must end it too, or the bot holds them to it
    # and tells them of a higher offer that no longer exists.
    charlie = services.session_open(listing=listing, buyer=people["charlie"])
    offer(charlie, people["charlie"], 28_100)
    services.offer_decline(session_id=charlie.pk, user=people["alice"])
    bob = services.session_open(listing=listing, buyer=people["bob"])
    say(bob, people["bob"], "2만7천원 가능해요?")
    assert heard[-1].best_other_offer is None

    dave_user = make_user("dave", "데이브")
    dave = services.session_open(listing=listing, buyer=dave_user)
    offer(dave, dave_user, 28_000)
    say(dave, dave_user, "그럼 2만6천원은요?")  # a new price in words: the final offer is withdrawn
    say(bob, people["bob"], "2만7천5백원은요?")
    assert heard[-1].best_other_offer is None


async def test_a_buyer_hears_of_a_higher_offer_but_never_its_amount(people, listing):
    open_ = database_sync_to_async(services.session_open)
    charlie = await open_(listing=listing, buyer=people["charlie"])
    bob = await open_(listing=listing, buyer=people["bob"])
    cc, bc = communicator(people["charlie"], charlie.pk), communicator(people["bob"], bob.pk)
    for comm in (cc, bc):
        assert (await comm.connect())[0]
        await comm.receive_json_from()
    await cc.send_json_to({"type": "offer", "price": 31_700})  # an amount the bot never says itself
    answer = (await receive_until(cc, is_reply))[-1]["message"]
    assert answer["text"].startswith("##<거절>##")
    await bc.send_json_to({"type": "message", "text": "2만9천원에 안 될까요?"})
    seen = await receive_until(bc, is_reply)
    text = seen[-1]["message"]["text"]
    assert "다른 분" in text and "더 높은" in text, text  # true: charlie's offer is higher
    for form in korean_forms(31_700):
        assert form not in str(seen), form
    for comm in (cc, bc):
        await comm.disconnect()


def test_another_buyers_number_is_never_quoted_nor_makes_offers_rise(people, listing):
    # Before: charlie's typed 34,100원 became bob's limit, above the bot's offer to bob, and bob's
    # third turned-down final offer was answered "34,100원 아래로는 힘들어요".
    bob = services.session_open(listing=listing, buyer=people["bob"])
    answers = [say(bob, people["bob"], "3만원에 주세요"), say(bob, people["bob"], "3만1천원은요?")]
    charlie = services.session_open(listing=listing, buyer=people["charlie"])
    say(charlie, people["charlie"], "34,100원에 살게요")
    answers += [offer(bob, people["bob"], price) for price in (29_000, 29_000, 29_000)]
    said = " ".join(a.text for a in answers)
    assert not any(form in said for form in korean_forms(34_100)), said
    prices = [a.decision["price"] for a in answers if a.decision.get("price") is not None]
    assert prices == sorted(prices, reverse=True), said


# --- property: random interleavings of several buyers ------------------------------------------

BUYERS = 3
# Amounts off the bot's 1,000원 grid, one set per buyer, so any of them in a reply to another
# buyer can only have come from that buyer.
AMOUNTS = {b: [27_100 + 1_000 * k + 110 * (b + 1) for k in range(8)] for b in range(BUYERS)}

steps = st.lists(
    st.tuples(
        st.sampled_from(["message", "offer", "question"]),
        st.integers(0, BUYERS - 1),
        st.integers(0, 7),
    ),
    min_size=2,
    max_size=12,
)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(plan=steps)
def test_no_buyer_hears_another_buyers_amount_and_offers_never_rise(plan, quiet_dispatch):
    listing, buyers = fresh_market(BUYERS)
    sessions = [services.session_open(listing=listing, buyer=b) for b in buyers]
    for kind, who, k in plan:
        amount = AMOUNTS[who][k]
        try:
            if kind == "offer":
                message = services.offer_submit(session_id=sessions[who].pk, user=buyers[who], price=amount)
            else:
                text = f"{amount:,}원에 살게요" if kind == "message" else "배터리는 어때요?"
                message = services.message_submit(session_id=sessions[who].pk, user=buyers[who], text=text)
        except ProtocolError:
            continue  # refused with a Korean message (a finished chat, a reserved listing)
        replies.reply_generate(message_id=message.pk)
    for who, session in enumerate(sessions):
        others = {a for b, amounts in AMOUNTS.items() if b != who for a in amounts}
        offers = []
        for reply in Message.objects.filter(session=session, role=Message.Role.BOT).order_by("id"):
            for amount in others:
                assert not any(form in reply.text for form in korean_forms(amount)), (amount, reply.text)
            decision = reply.decision or {}
            if decision.get("act") in OFFER_ACTS and decision.get("price") is not None:
                offers.append(decision["price"])
        assert offers == sorted(offers, reverse=True), offers
