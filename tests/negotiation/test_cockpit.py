"""The seller's cockpit: `/ws/selling/` (their own listings' chats only, same auth and origin
rules as the chat socket) and the `/selling/` page: offers side by side, the best standing offer,
unread counts, accepting an offer and cancelling a reservation from there."""

from __future__ import annotations

import json

import pytest
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from marketplace.models import Listing, Status
from negotiation import services
from negotiation.models import ChatSession
from negotiation.routing import websocket_urlpatterns
from nellm_site.asgi import application
from tests.base import korean_forms, make_listing
from tests.negotiation.conftest import FLOOR
from tests.negotiation.test_consumer_access import cookie_for
from tests.negotiation.wsutil import is_reply, joined, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


def cockpit(user) -> WebsocketCommunicator:
    comm = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/selling/")
    comm.scope["user"] = user
    return comm


async def cockpit_joined(user):
    comm = cockpit(user)
    assert (await comm.connect())[0]
    snapshot = await comm.receive_json_from()
    assert snapshot["type"] == "cockpit"
    return comm, snapshot["rows"]


def open_session(listing, buyer):
    return services.session_open(listing=listing, buyer=buyer)


def row_for(session_id, **wanted):
    return lambda e: (
        e["type"] == "row"
        and e["row"]["id"] == session_id
        and all(e["row"][k] == v for k, v in wanted.items())
    )


async def test_the_cockpit_gets_rows_of_its_own_listings_only(people, listing):
    charlies = await database_sync_to_async(make_listing)(people["charlie"], title="찰리의 자전거")
    seller, rows = await cockpit_joined(people["alice"])
    assert rows == []
    elsewhere = await database_sync_to_async(open_session)(charlies, people["bob"])
    bob_elsewhere = await joined(people["bob"], elsewhere.pk)
    await bob_elsewhere.send_json_to({"type": "message", "text": "2만원 되나요?"})
    await receive_until(bob_elsewhere, is_reply)

    session = await database_sync_to_async(open_session)(listing, people["bob"])
    got = await receive_until(seller, row_for(session.pk))
    assert all(e["row"]["listing"]["id"] == listing.pk for e in got if e["type"] == "row")
    buyer = await joined(people["bob"], session.pk)
    await buyer.send_json_to({"type": "message", "text": "3만원에 가능할까요?"})
    typing = (await receive_until(seller, row_for(session.pk, typing=True)))[-1]["row"]
    assert typing["buyer_offer"] == 30_000 and typing["buyer"] == "밥구매자" and typing["unread"] == 1
    done = (await receive_until(seller, row_for(session.pk, typing=False)))[-1]["row"]
    assert done["bot_offer"] is not None and done["last"]["role"] == "bot"
    assert done["listing"] == {
        "id": listing.pk,
        "title": listing.title,
        "price": listing.price,
        "status": "on_sale",
        "status_label": "판매중",
    }
    text = json.dumps(done, ensure_ascii=False)
    assert not any(form in text for form in korean_forms(FLOOR))
    assert "advisor" not in text and "floor" not in text

    await buyer.send_json_to({"type": "typing"})
    signal = await receive_until(seller, lambda e: e["type"] == "buyer_typing")
    assert signal[-1]["session"] == session.pk

    # The charlie chat never reached alice's cockpit, and charlie's cockpit sees only it.
    other, rows = await cockpit_joined(people["charlie"])
    assert [r["id"] for r in rows] == [elsewhere.pk]
    for comm in (seller, buyer, bob_elsewhere, other):
        await comm.disconnect()


async def test_the_cockpit_socket_needs_a_login_and_an_allowed_origin(people):
    comm = cockpit(AnonymousUser())
    assert (await comm.connect()) == (False, 4403)
    cookie = await database_sync_to_async(cookie_for)(people["alice"])
    for origin, ok in ((b"http://testserver", True), (b"http://evil.example", False)):
        comm = WebsocketCommunicator(
            application,
            "/ws/selling/",
            headers=[(b"cookie", cookie.encode()), (b"origin", origin), (b"host", b"testserver")],
        )
        assert (await comm.connect())[0] is ok
        if ok:
            assert (await comm.receive_json_from())["type"] == "cockpit"
            await comm.disconnect()


async def test_the_seller_accepts_from_the_cockpit_and_no_one_else_can(people, listing):
    session = await database_sync_to_async(open_session)(listing, people["bob"])
    buyer = await joined(people["bob"], session.pk)
    await buyer.send_json_to({"type": "offer", "price": 20_000})  # the bot turns it down
    await receive_until(buyer, is_reply)
    intruder, _ = await cockpit_joined(people["charlie"])
    await intruder.send_json_to({"type": "accept", "session": session.pk})
    assert (await receive_until(intruder, lambda e: e["type"] == "error"))[-1]["code"] == "seller_only"
    for bad in ({"type": "accept"}, {"type": "accept", "session": "1"}, {"type": "nope", "session": 1}):
        await intruder.send_json_to(bad)
        assert (await receive_until(intruder, lambda e: e["type"] == "error"))[-1]["code"] == "bad_request"

    seller, _ = await cockpit_joined(people["alice"])
    await seller.send_json_to({"type": "accept", "session": session.pk})
    agreed = (await receive_until(seller, row_for(session.pk, state="agreed")))[-1]["row"]
    assert agreed["agreed_price"] == 20_000
    await receive_until(buyer, lambda e: e["type"] == "state" and e["state"] == "agreed")
    for comm in (buyer, intruder, seller):
        await comm.disconnect()


async def test_after_cancelling_a_reservation_the_best_standing_offer_can_be_taken_at_once(people, listing):
    first = await database_sync_to_async(open_session)(listing, people["bob"])
    second = await database_sync_to_async(open_session)(listing, people["charlie"])
    bob = await joined(people["bob"], first.pk)
    charlie = await joined(people["charlie"], second.pk)
    await bob.send_json_to({"type": "offer", "price": listing.price})  # bob's deal at the list price
    assert (await receive_until(bob, is_reply))[-1]["message"]["text"].startswith("##<수락>##")
    await receive_until(charlie, lambda e: e["type"] == "state" and e["state"] == "waiting")
    await charlie.send_json_to({"type": "offer", "price": 34_000})
    await receive_until(charlie, lambda e: e["type"] == "state" and e["standing_offer"] == 34_000)

    seller, rows = await cockpit_joined(people["alice"])
    waiting = next(r for r in rows if r["id"] == second.pk)
    assert (waiting["state"], waiting["standing_offer"]) == ("waiting", 34_000)
    await seller.send_json_to({"type": "cancel", "listing": listing.pk})
    await receive_until(seller, row_for(second.pk, state="open"))
    page = await database_sync_to_async(_page)(people["alice"])
    assert f'data-best="{second.pk}"' in page and "바로 수락" in page

    await seller.send_json_to({"type": "accept", "session": second.pk})
    await receive_until(charlie, lambda e: e["type"] == "state" and e["state"] == "agreed")
    second = await database_sync_to_async(ChatSession.objects.get)(pk=second.pk)
    first = await database_sync_to_async(ChatSession.objects.get)(pk=first.pk)
    assert (second.state, second.agreed_price, first.state) == ("agreed", 34_000, "closed")
    assert (await database_sync_to_async(Listing.objects.get)(pk=listing.pk)).status == Status.RESERVED
    for comm in (bob, charlie, seller):
        await comm.disconnect()


def _page(user, query: str = "") -> str:
    client = Client()
    client.force_login(user)
    response = client.get("/selling/" + query)
    assert response.status_code == 200
    return response.content.decode()


async def test_the_page_groups_by_listing_with_offers_side_by_side_and_unread_counts(people, listing):
    session = await database_sync_to_async(open_session)(listing, people["bob"])
    buyer = await joined(people["bob"], session.pk)
    await buyer.send_json_to({"type": "message", "text": "3만원에 가능할까요?"})
    await receive_until(buyer, is_reply)
    page = await database_sync_to_async(_page)(people["alice"])
    assert listing.title in page and "밥구매자" in page and "30,000원" in page
    assert "봇 제시" in page and "구매자 제시" in page
    assert 'title="읽지 않은 메시지">1<' in page
    assert not any(form in page for form in korean_forms(FLOOR))
    part = await database_sync_to_async(_page)(people["alice"], "?part=1")
    assert "<html" not in part and f'data-session="{session.pk}"' in part
    assert listing.title not in await database_sync_to_async(_page)(people["charlie"])

    seller = await joined(people["alice"], session.pk)  # opening the chat reads it
    page = await database_sync_to_async(_page)(people["alice"])
    assert "읽지 않은 메시지" not in page
    anonymous = await database_sync_to_async(Client().get)("/selling/")
    assert anonymous.status_code == 302
    for comm in (buyer, seller):
        await comm.disconnect()


@pytest.mark.parametrize(
    ("text", "preview"),
    [
        ("##<수락>## 감사합니다!", "제안을 수락했어요 · 감사합니다!"),
        ("##<거절>## 죄송해요", "제안을 거절했어요 · 죄송해요"),
        ("##<수락>##", "제안을 수락했어요"),
        ("##<390000>##", "가격 제안 390,000원"),
        ("##< 280,000 >## 부탁드려요", "가격 제안 280,000원 부탁드려요"),
        ("줄\n바꿈   여러 칸", "줄 바꿈 여러 칸"),
        (None, ""),
    ],
)
def test_the_last_message_reads_without_protocol_tokens(text, preview):
    from negotiation.protocol import message_preview

    assert message_preview(text, "bot") == preview
