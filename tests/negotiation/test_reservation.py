"""1:n: an accepted final offer reserves the listing once; the other buyers are told, may leave
a standing offer, and go on when the seller cancels the reservation."""

from __future__ import annotations

import threading

import pytest
from channels.db import database_sync_to_async
from django.db import connection

from marketplace.models import Listing, Status
from negotiation import dispatch, replies, services
from negotiation.models import ChatSession, Message
from tests.negotiation.wsutil import communicator, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_acceptances_at_once_cannot_both_win(people, listing, monkeypatch):
    monkeypatch.setattr(dispatch, "reply_enqueue", lambda *, message_id: None)
    buyers = [people["bob"], people["charlie"]]
    sessions = [services.session_open(listing=listing, buyer=b) for b in buyers]
    offers = [
        services.offer_submit(session_id=s.pk, user=b, price=listing.price)
        for s, b in zip(sessions, buyers, strict=True)
    ]
    barrier = threading.Barrier(2)

    def generate(message_id: int) -> None:
        try:
            barrier.wait(5)
            replies.reply_generate(message_id=message_id)
        finally:
            connection.close()

    threads = [threading.Thread(target=generate, args=(m.pk,)) for m in offers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    states = sorted(ChatSession.objects.filter(listing=listing).values_list("state", flat=True))
    assert states == ["agreed", "waiting"]
    listing.refresh_from_db()
    assert listing.status == Status.RESERVED
    winner = ChatSession.objects.get(listing=listing, state="agreed")
    assert winner.agreed_price == listing.price
    loser = ChatSession.objects.get(listing=listing, state="waiting")
    assert loser.standing_offer == listing.price
    assert Message.objects.filter(role="bot", session=loser).get().text.startswith("##<거절>##")


async def test_acceptance_tells_the_others_and_cancel_lets_them_go_on(people, listing):
    open_ = database_sync_to_async(services.session_open)
    bob_session = await open_(listing=listing, buyer=people["bob"])
    charlie_session = await open_(listing=listing, buyer=people["charlie"])
    bob, charlie = (
        communicator(people["bob"], bob_session.pk),
        communicator(people["charlie"], charlie_session.pk),
    )
    for comm in (bob, charlie):
        await comm.connect()
        await comm.receive_json_from()

    await bob.send_json_to({"type": "offer", "price": 35_000})
    events = await receive_until(bob, lambda e: e["type"] == "state" and e["state"] == "agreed")
    assert events[-1]["agreed_price"] == 35_000 and events[-1]["listing_status"] == "reserved"
    told = await receive_until(charlie, lambda e: e["type"] == "state")
    assert told[0]["message"]["role"] == "system" and "예약중" in told[0]["message"]["text"]
    assert told[-1]["state"] == "waiting"

    await charlie.send_json_to({"type": "message", "text": "3만원 안될까요?"})
    error = await receive_until(charlie, lambda e: e["type"] == "error")
    assert error[-1]["code"] == "reserved"
    await charlie.send_json_to({"type": "offer", "price": 33_000})
    left = await receive_until(charlie, lambda e: e["type"] == "state")
    assert [e["message"]["role"] for e in left if e["type"] == "message"] == ["buyer", "system"]
    assert left[-1]["standing_offer"] == 33_000

    new_buyer = people["staff"]
    with pytest.raises(services.ChatError) as refused:
        await open_(listing=await database_sync_to_async(Listing.objects.get)(pk=listing.pk), buyer=new_buyer)
    assert refused.value.code == "not_on_sale"

    await database_sync_to_async(services.reservation_cancel)(listing_id=listing.pk, user=people["alice"])
    reopened = await receive_until(charlie, lambda e: e["type"] == "state")
    assert reopened[-1]["state"] == "open" and reopened[-1]["listing_status"] == "on_sale"
    closed = await receive_until(bob, lambda e: e["type"] == "state" and e["state"] == "closed")
    assert closed
    await charlie.send_json_to({"type": "message", "text": "다시 협상해요. 3만3천원 어떠세요?"})
    reply = await receive_until(charlie, lambda e: e["type"] == "message" and e["message"]["role"] == "bot")
    assert reply[-1]["message"]["text"]
    for comm in (bob, charlie):
        await comm.disconnect()
    assert dispatch.drain(10)


def test_only_the_seller_cancels(people, listing):
    listing.status = Status.RESERVED
    listing.save()
    with pytest.raises(services.ChatError):
        services.reservation_cancel(listing_id=listing.pk, user=people["bob"])
    services.reservation_cancel(listing_id=listing.pk, user=people["alice"])
    listing.refresh_from_db()
    assert listing.status == Status.ON_SALE
    with pytest.raises(services.ChatError):
        services.reservation_cancel(listing_id=listing.pk, user=people["alice"])
