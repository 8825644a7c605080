"""The game: "대화가 자연스러웠나요?" once per ended chat, and the 네고 ranking that cannot be farmed:
one scored deal per buyer and listing, none on listings of day-old seller accounts, none for
deals the seller cancelled, none when the seller took the chat over."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth.models import User
from django.db import IntegrityError
from django.test import Client
from django.utils import timezone

from marketplace.models import Listing, Status
from negotiation import dispatch, selectors, services
from negotiation.models import ChatSession, Notification
from tests.base import PASSWORD, make_listing, make_user
from tests.negotiation.wsutil import communicator, is_reply, receive_until

pytestmark = pytest.mark.django_db(transaction=True)


def aged(user: User, days: float = 3) -> User:
    User.objects.filter(pk=user.pk).update(date_joined=timezone.now() - timedelta(days=days))
    return User.objects.get(pk=user.pk)


async def deal(buyer, listing, price: int) -> ChatSession:
    """A real deal through the chat socket: the buyer's final offer, accepted by the bot, or by
    the seller by hand where the bot holds out for more (a first offer well under the list price)."""
    session = await database_sync_to_async(services.session_open)(listing=listing, buyer=buyer)
    comm = communicator(buyer, session.pk)
    assert (await comm.connect())[0]
    await comm.receive_json_from()
    await comm.send_json_to({"type": "offer", "price": price})
    answer = (await receive_until(comm, is_reply))[-1]["message"]
    await comm.disconnect()
    if not answer["text"].startswith("##<수락>##"):
        seller = await database_sync_to_async(lambda: listing.seller)()
        await database_sync_to_async(services.offer_accept)(session_id=session.pk, user=seller)
    return await database_sync_to_async(ChatSession.objects.get)(pk=session.pk)


def ranking_names(weekly: bool = False) -> dict[str, float]:
    return {row["name"]: row["points"] for row in selectors.ranking(weekly=weekly)}


async def test_points_per_deal_and_each_anti_farming_rule(people):
    alice = await database_sync_to_async(aged)(people["alice"])
    scored = await database_sync_to_async(make_listing)(alice, price=50_000, floor_price=30_000)
    await deal(people["bob"], scored, 50_000)  # the list price: 0 points, but a scored deal
    cheap = await database_sync_to_async(make_listing)(alice, price=50_000, floor_price=30_000)
    session = await deal(people["bob"], cheap, 40_000)
    assert (session.agreed_list_price, session.agreed_at is not None) == (50_000, True)
    assert await database_sync_to_async(ranking_names)() == {"밥구매자": 20.0}
    # Raising the list price afterwards feeds no one.
    await database_sync_to_async(Listing.objects.filter(pk=cheap.pk).update)(price=90_000)
    assert await database_sync_to_async(ranking_names)() == {"밥구매자": 20.0}

    # One scored deal per buyer and listing: the chat is unique, a second deal cannot exist.
    with pytest.raises(IntegrityError):
        await database_sync_to_async(ChatSession.objects.create)(listing=cheap, buyer=people["bob"])

    # A seller account younger than a day scores nothing.
    fresh = await database_sync_to_async(make_user)("fresh", "새내기")
    fresh_listing = await database_sync_to_async(make_listing)(fresh, price=50_000, floor_price=10_000)
    await deal(people["charlie"], fresh_listing, 30_000)
    assert "찰리" not in await database_sync_to_async(ranking_names)()

    # A deal the seller cancelled scores nothing.
    cancelled = await database_sync_to_async(make_listing)(alice, price=50_000, floor_price=10_000)
    await deal(people["charlie"], cancelled, 25_000)
    assert (await database_sync_to_async(ranking_names)())["찰리"] == 50.0
    await database_sync_to_async(services.reservation_cancel)(listing_id=cancelled.pk, user=alice)
    assert "찰리" not in await database_sync_to_async(ranking_names)()

    # A chat the seller took over scores nothing, even if the bot closed the deal after handback.
    taken = await database_sync_to_async(make_listing)(alice, price=50_000, floor_price=10_000)
    session = await database_sync_to_async(services.session_open)(listing=taken, buyer=people["staff"])
    await database_sync_to_async(services.session_takeover)(session_id=session.pk, user=alice)
    await database_sync_to_async(services.session_handback)(session_id=session.pk, user=alice)
    await deal(people["staff"], taken, 25_000)
    assert "운영자" not in await database_sync_to_async(ranking_names)()


async def test_selling_to_another_buyer_ends_the_agreed_chat(people):
    # 판매완료 to charlie (or outside 낼름) while bob's chat is agreed: bob's deal did not happen,
    # so his chat must not stay 합의 (told it is his, scored on the ranking).
    alice = await database_sync_to_async(aged)(people["alice"])
    listing = await database_sync_to_async(make_listing)(alice, price=50_000, floor_price=30_000)
    await database_sync_to_async(services.session_open)(listing=listing, buyer=people["charlie"])
    bobs = await deal(people["bob"], listing, 40_000)
    assert bobs.state == ChatSession.State.AGREED
    client = Client()
    await database_sync_to_async(client.login)(username="alice", password=PASSWORD)
    url = f"/listings/{listing.pk}/sold/"
    # Sold to bob first, then corrected to charlie: the buyer changed, bob's deal ends then.
    response = await database_sync_to_async(client.post)(url, {"buyer": people["bob"].pk})
    assert response.status_code == 302
    bobs = await database_sync_to_async(ChatSession.objects.get)(pk=bobs.pk)
    assert bobs.state == ChatSession.State.AGREED
    assert await database_sync_to_async(ranking_names)() == {"밥구매자": 20.0}
    response = await database_sync_to_async(client.post)(url, {"buyer": people["charlie"].pk})
    assert response.status_code == 302
    bobs = await database_sync_to_async(ChatSession.objects.get)(pk=bobs.pk)
    assert bobs.state == ChatSession.State.CLOSED
    assert await database_sync_to_async(ranking_names)() == {}


async def test_weekly_view_counts_this_weeks_deals_only(people):
    alice = await database_sync_to_async(aged)(people["alice"], days=30)
    old = await database_sync_to_async(make_listing)(alice, price=50_000, floor_price=30_000)
    session = await deal(people["bob"], old, 40_000)
    await database_sync_to_async(ChatSession.objects.filter(pk=session.pk).update)(
        agreed_at=timezone.now() - timedelta(days=8)
    )
    new = await database_sync_to_async(make_listing)(alice, price=50_000, floor_price=30_000)
    await deal(people["charlie"], new, 45_000)
    assert await database_sync_to_async(ranking_names)() == {"밥구매자": 20.0, "찰리": 10.0}
    assert await database_sync_to_async(ranking_names)(weekly=True) == {"찰리": 10.0}

    def page(query: str) -> str:
        return Client().get("/ranking/" + query).content.decode()

    weekly = await database_sync_to_async(page)("?period=week")
    assert "찰리" in weekly and "밥구매자" not in weekly
    everything = await database_sync_to_async(page)("")
    assert everything.index("밥구매자") < everything.index("찰리")
    for rule in ("같은 판매글에서는 한 번만", "가입한 지 24시간", "예약을 취소한 거래", "직접 대화한 거래"):
        assert rule in everything


async def test_feedback_once_per_ended_chat_by_its_buyer(people, listing):
    session = await database_sync_to_async(services.session_open)(listing=listing, buyer=people["bob"])
    buyer = communicator(people["bob"], session.pk)
    assert (await buyer.connect())[0]
    history = await buyer.receive_json_from()
    assert history["state"]["feedback_given"] is False

    await buyer.send_json_to({"type": "feedback", "natural": True})
    assert (await receive_until(buyer, lambda e: e["type"] == "error"))[-1]["code"] == "not_finished"
    await buyer.send_json_to({"type": "offer", "price": listing.price})
    await receive_until(buyer, lambda e: e["type"] == "state" and e["state"] == "agreed")

    seller = communicator(people["alice"], session.pk)
    assert (await seller.connect())[0]
    await seller.receive_json_from()
    await seller.send_json_to({"type": "feedback", "natural": True})
    assert (await receive_until(seller, lambda e: e["type"] == "error"))[-1]["code"] == "buyer_only"
    for bad in ({"type": "feedback", "natural": "yes"}, {"type": "feedback", "natural": True, "comment": 3}):
        await buyer.send_json_to(bad)
        assert (await receive_until(buyer, lambda e: e["type"] == "error"))[-1]["code"] == "bad_request"

    await buyer.send_json_to({"type": "feedback", "natural": False, "comment": "  가격을 너무 빨리 내려요  "})
    state = (await receive_until(buyer, lambda e: e["type"] == "state"))[-1]
    assert state["feedback_given"] is True
    await buyer.send_json_to({"type": "feedback", "natural": True})
    assert (await receive_until(buyer, lambda e: e["type"] == "error"))[-1]["code"] == "feedback_done"
    session = await database_sync_to_async(ChatSession.objects.get)(pk=session.pk)
    assert (session.feedback_natural, session.feedback_comment) == (False, "가격을 너무 빨리 내려요")
    await buyer.disconnect()
    await seller.disconnect()


def test_admin_filters_and_exports_feedback(people, listing):
    session = services.session_open(listing=listing, buyer=people["bob"])
    ChatSession.objects.filter(pk=session.pk).update(
        state="agreed", feedback_natural=False, feedback_comment="=HYPERLINK(1)", feedback_at=timezone.now()
    )
    User.objects.filter(pk=people["staff"].pk).update(is_superuser=True)
    client = Client()
    assert client.login(username="staff", password=PASSWORD)
    listing_page = client.get("/admin/negotiation/chatsession/?feedback_natural__exact=0")
    assert listing_page.status_code == 200 and "자연스러웠나요" in listing_page.content.decode()
    changelist = "/admin/negotiation/chatsession/"
    assert client.get(changelist + "?feedback_natural__exact=1").context["cl"].result_count == 0
    assert client.get(changelist + "?feedback_natural__exact=0").context["cl"].result_count == 1
    export = client.post(
        "/admin/negotiation/chatsession/",
        {"action": "export_feedback", "_selected_action": [session.pk]},
    )
    body = export.content.decode("utf-8-sig")
    assert export["Content-Type"].startswith("text/csv") and "'=HYPERLINK(1)" in body and ",no," in body


def test_new_chats_deals_and_cancellations_notify_in_site(people, listing):
    client = Client()
    client.force_login(people["alice"])
    session = services.session_open(listing=listing, buyer=people["bob"])
    kinds = list(Notification.objects.filter(user=people["alice"]).values_list("kind", flat=True))
    assert kinds == ["new_chat"]
    page = client.get("/").content.decode()
    assert 'data-count="notices">1<' in page

    services.offer_submit(session_id=session.pk, user=people["bob"], price=listing.price)
    assert dispatch.drain(timeout=20)
    assert ChatSession.objects.get(pk=session.pk).state == "agreed"
    services.reservation_cancel(listing_id=listing.pk, user=people["alice"])
    assert Listing.objects.get(pk=listing.pk).status == Status.ON_SALE
    mine = list(Notification.objects.filter(user=people["alice"]).values_list("kind", flat=True))
    assert sorted(mine) == ["cancelled", "deal", "new_chat"]
    bobs = list(Notification.objects.filter(user=people["bob"]).values_list("kind", flat=True))
    assert bobs == ["cancelled"]

    notices = client.get("/notifications/").content.decode()
    assert "새 협상" in notices and "거래 성사" in notices and "예약 취소" in notices
    assert 'data-count="notices"' not in client.get("/").content.decode()  # seen: the count went
    assert Client().get("/notifications/").status_code == 302


async def test_one_seller_feeds_a_buyer_one_scored_deal_only(people):
    """A friend's shop cannot farm points: many cheap deals from one seller count as their best."""
    alice = await database_sync_to_async(aged)(people["alice"])
    for price in (40_000, 35_000, 45_000):
        listing = await database_sync_to_async(make_listing)(alice, price=50_000, floor_price=10_000)
        await deal(people["bob"], listing, price)
    assert await database_sync_to_async(ranking_names)() == {"밥구매자": 30.0}
    charlie = await database_sync_to_async(aged)(people["charlie"])
    other = await database_sync_to_async(make_listing)(charlie, price=50_000, floor_price=10_000)
    await deal(people["bob"], other, 40_000)  # another seller's deal adds up
    assert await database_sync_to_async(ranking_names)() == {"밥구매자": 50.0}
