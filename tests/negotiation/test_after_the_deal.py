"""After 합의 the buyer and the seller arrange the hand-over (약속 잡기) in the same chat, as people:
both may write, the bot answers nobody, and nothing of it becomes an offer (issue 17)."""

from __future__ import annotations

import pytest

from negotiation import dispatch, replies, services
from negotiation.models import ChatSession, Message

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_two_arrange_the_meeting_and_the_bot_stays_silent(people, listing, monkeypatch):
    queued: list[int] = []
    monkeypatch.setattr(dispatch, "reply_enqueue", lambda *, message_id: queued.append(message_id))
    session = services.session_open(listing=listing, buyer=people["bob"])
    offer = services.offer_submit(session_id=session.pk, user=people["bob"], price=listing.price)
    assert replies.reply_generate(message_id=offer.pk).text.startswith("##<수락>##")
    queued.clear()
    ask = services.message_submit(
        session_id=session.pk, user=people["bob"], text="내일 저녁 7시 잠실역 괜찮으세요?"
    )
    answer = services.message_submit(
        session_id=session.pk, user=people["alice"], text="네 7시에 2번 출구에서 봬요"
    )
    assert (ask.role, answer.role) == ("buyer", "seller")
    assert ask.price is None and not ask.is_offer  # "7시" is no offer, and the deal stands as agreed
    assert queued == []  # no reply job: the bot is silent after the deal
    session.refresh_from_db()
    assert (session.state, session.agreed_price, session.pending_message_id) == (
        ChatSession.State.AGREED,
        listing.price,
        None,
    )
    assert not Message.objects.filter(session=session, role="bot", pk__gt=ask.pk).exists()
    with pytest.raises(services.ChatError):  # a new final offer after the deal is refused
        services.offer_submit(session_id=session.pk, user=people["bob"], price=listing.price - 1000)


def test_others_cannot_write_in_a_deal_they_are_not_part_of(people, listing, monkeypatch):
    monkeypatch.setattr(dispatch, "reply_enqueue", lambda *, message_id: None)
    session = services.session_open(listing=listing, buyer=people["bob"])
    offer = services.offer_submit(session_id=session.pk, user=people["bob"], price=listing.price)
    replies.reply_generate(message_id=offer.pk)
    with pytest.raises(services.ChatError):
        services.message_submit(session_id=session.pk, user=people["charlie"], text="저도 살게요")


def test_a_price_the_seller_types_after_the_deal_re_prices_nothing(people, listing, monkeypatch):
    """Before: "그럼 3만원에 드릴게요" after a deal at 35,000원 bound the chat as the seller's word:
    the seller's price, the bot's standing offer and the cockpit's "봇 제시" all became 30,000원,
    and the chat showed "봇도 이 가격을 지켜요" under it."""
    monkeypatch.setattr(dispatch, "reply_enqueue", lambda *, message_id: None)
    session = services.session_open(listing=listing, buyer=people["bob"])
    offer = services.offer_submit(session_id=session.pk, user=people["bob"], price=listing.price)
    replies.reply_generate(message_id=offer.pk)
    session.refresh_from_db()
    before = (session.seller_price, session.last_bot_offer, session.advisor_state)
    said = services.message_submit(session_id=session.pk, user=people["alice"], text="그럼 3만원에 드릴게요")
    assert said.price is None
    session.refresh_from_db()
    assert (session.seller_price, session.last_bot_offer, session.advisor_state) == before
    assert (session.state, session.agreed_price) == (ChatSession.State.AGREED, listing.price)
