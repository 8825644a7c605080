"""A listing its seller hid for a while: its chats wait, and a deal that was being written when
it was hidden is not made, with the true reason given."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from marketplace.models import Listing, Status
from negotiation import dispatch, replies, services
from negotiation.models import ChatSession, Message
from tests.negotiation.wsutil import communicator, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_hidden_listing_pauses_its_chats_until_shown_again(people, listing):
    session = await database_sync_to_async(services.session_open)(listing=listing, buyer=people["bob"])
    comm = communicator(people["bob"], session.pk)
    assert (await comm.connect())[0]
    await comm.receive_json_from()
    await database_sync_to_async(Listing.objects.filter(pk=listing.pk).update)(is_hidden=True)
    await comm.send_json_to({"type": "message", "text": "3만원 가능할까요?"})
    error = (await receive_until(comm, lambda e: e["type"] == "error"))[-1]
    assert error["code"] == "hidden" and "숨겨" in error["message"]
    assert not await database_sync_to_async(Message.objects.filter(session=session, role="buyer").exists)()
    await comm.disconnect()


def test_a_deal_written_while_the_listing_was_hidden_is_not_made(people, listing, monkeypatch):
    monkeypatch.setattr(dispatch, "reply_enqueue", lambda *, message_id: None)
    session = services.session_open(listing=listing, buyer=people["bob"])
    offer = services.offer_submit(session_id=session.pk, user=people["bob"], price=listing.price)
    Listing.objects.filter(pk=listing.pk).update(is_hidden=True)  # the seller hides it meanwhile
    reply = replies.reply_generate(message_id=offer.pk)
    assert reply.text.startswith("##<거절>##") and "내려 두어서" in reply.text
    session.refresh_from_db()
    listing.refresh_from_db()
    assert (session.state, session.agreed_price, listing.status) == (
        ChatSession.State.OPEN,
        None,
        Status.ON_SALE,
    )


def test_a_deal_written_while_the_listing_was_sold_elsewhere_ends_the_chat(people, listing, monkeypatch):
    monkeypatch.setattr(dispatch, "reply_enqueue", lambda *, message_id: None)
    session = services.session_open(listing=listing, buyer=people["bob"])
    offer = services.offer_submit(session_id=session.pk, user=people["bob"], price=listing.price)
    Listing.objects.filter(pk=listing.pk).update(status=Status.SOLD)  # sold offline meanwhile
    reply = replies.reply_generate(message_id=offer.pk)
    assert reply.text.startswith("##<거절>##") and "판매가 완료" in reply.text
    session.refresh_from_db()
    assert (session.state, session.agreed_price) == (ChatSession.State.CLOSED, None)
