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


def test_a_buyers_message_during_a_status_change_deadlocks_neither(people, listing, monkeypatch):
    # Lock order everywhere is listing, then chats. A buyer's message used to lock its chat and
    # the listing in one statement (chat first): against a status change that holds the listing
    # and then locks the chats, PostgreSQL killed one of the two as a deadlock.
    import time

    from django.db.models.signals import post_save

    from marketplace.services import listing_set_status

    monkeypatch.setattr(dispatch, "reply_enqueue", lambda *, message_id: None)
    session = services.session_open(listing=listing, buyer=people["bob"])
    listing_locked, go_on = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def hold(sender, instance, **kwargs) -> None:
        if threading.current_thread().name == "seller":
            listing_locked.set()
            go_on.wait(5)

    post_save.connect(hold, sender=Listing, dispatch_uid="test-hold")

    def run(fn) -> None:
        try:
            fn()
        except BaseException as error:  # collected for the assertion below
            errors.append(error)
        finally:
            connection.close()

    seller = threading.Thread(
        name="seller", target=run, args=(lambda: listing_set_status(listing=listing, status=Status.RESERVED),)
    )
    buyer = threading.Thread(
        target=run,
        args=(lambda: services.message_submit(session_id=session.pk, user=people["bob"], text="2만원?"),),
    )
    try:
        seller.start()
        assert listing_locked.wait(5)
        buyer.start()
        time.sleep(0.5)  # the buyer's statement is now waiting on a lock
        go_on.set()
        seller.join(20)
        buyer.join(20)
    finally:
        post_save.disconnect(dispatch_uid="test-hold", sender=Listing)
    assert not [e for e in errors if "deadlock" in str(e).lower()], errors
