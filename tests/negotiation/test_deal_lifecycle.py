"""One deal per item, whatever path changes a listing: the admin's change form, a stale edit
page, a reply written while the listing changed (issue 10, items 1–3).

Each test drives the public surface (admin and site views through the test client, the chat
services, the reply job) and checks the rows afterwards.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from marketplace.models import Listing, Status
from marketplace.services import listing_set_status
from mlcore.negotiator.pipeline import RuleGenerator
from negotiation import dispatch, events, generators, replies, services
from negotiation.models import ChatSession, Message
from tests.base import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)
State = ChatSession.State


@pytest.fixture(autouse=True)
def no_queue(monkeypatch):
    """Replies are written by calling the job here, at the moment each test chooses."""
    monkeypatch.setattr(dispatch, "reply_enqueue", lambda *, message_id: None)


def deal(listing: Listing, buyer: User) -> ChatSession:
    """The buyer's final offer at the list price, accepted by the bot: the listing is reserved."""
    session = services.session_open(listing=listing, buyer=buyer)
    offer = services.offer_submit(session_id=session.pk, user=buyer, price=listing.price)
    reply = replies.reply_generate(message_id=offer.pk)
    assert reply.text.startswith("##<수락>##")
    session.refresh_from_db()
    return session


def agreed_chats(listing: Listing) -> int:
    return ChatSession.objects.filter(listing=listing, state=State.AGREED).count()


def admin_client() -> Client:
    User.objects.create_superuser("root", "root@example.com", PASSWORD)
    client = Client()
    client.force_login(User.objects.get(username="root"))
    return client


def admin_post(client: Client, listing: Listing, **changes: object) -> object:
    listing.refresh_from_db()
    data = {
        "seller": listing.seller_id,
        "title": listing.title,
        "description": listing.description,
        "category": listing.category,
        "price": listing.price,
        "floor_price": listing.floor_price,
        "style": listing.style,
        "status": listing.status,
        "photos-TOTAL_FORMS": 0,
        "photos-INITIAL_FORMS": 0,
        "photos-MIN_NUM_FORMS": 0,
        "photos-MAX_NUM_FORMS": 1000,
        **changes,
    }
    return client.post(reverse("admin:marketplace_listing_change", args=[listing.pk]), data)


def test_the_admin_change_form_moves_the_chats_and_a_second_deal_cannot_follow(people, listing):
    charlie_chat = services.session_open(listing=listing, buyer=people["charlie"])
    bob_chat = deal(listing, people["bob"])
    charlie_chat.refresh_from_db()
    assert charlie_chat.state == State.WAITING
    response = admin_post(admin_client(), listing, status=Status.ON_SALE)
    assert response.status_code == 302, response.content.decode()[:2000]
    bob_chat.refresh_from_db()
    charlie_chat.refresh_from_db()
    # Not two deals: the cancelled one is over, the waiting buyer may go on.
    assert (bob_chat.state, charlie_chat.state) == (State.CLOSED, State.OPEN)
    assert "예약을 취소" in Message.objects.filter(session=bob_chat, role="system").latest("pk").text
    second = deal(listing, people["charlie"])
    assert second.state == State.AGREED and agreed_chats(listing) == 1


def test_an_admin_edit_of_other_fields_keeps_the_deal(people, listing):
    bob_chat = deal(listing, people["bob"])
    response = admin_post(admin_client(), listing, title="제목 오타 수정")
    assert response.status_code == 302
    bob_chat.refresh_from_db()
    listing.refresh_from_db()
    assert (bob_chat.state, listing.status, listing.title) == (
        State.AGREED,
        Status.RESERVED,
        "제목 오타 수정",
    )


def test_the_database_refuses_a_second_agreed_chat_on_a_listing(people, listing):
    charlie_chat = services.session_open(listing=listing, buyer=people["charlie"])
    deal(listing, people["bob"])
    with pytest.raises(IntegrityError), transaction.atomic():
        ChatSession.objects.filter(pk=charlie_chat.pk).update(state=State.AGREED)


def test_a_status_changed_behind_the_services_back_still_makes_no_second_deal(people, listing):
    bob_chat = deal(listing, people["bob"])
    Listing.objects.filter(pk=listing.pk).update(status=Status.ON_SALE)  # a raw write, no service
    session = services.session_open(listing=listing, buyer=people["charlie"])
    offer = services.offer_submit(session_id=session.pk, user=people["charlie"], price=listing.price)
    reply = replies.reply_generate(message_id=offer.pk)
    assert reply.text.startswith("##<거절>##") and "다른 분과 거래가 먼저" in reply.text
    bob_chat.refresh_from_db()
    assert bob_chat.state == State.AGREED and agreed_chats(listing) == 1


def version_of(page: str) -> str:
    return re.search(r'name="version" value="([^"]+)"', page).group(1)


def edit_data(listing: Listing, **changes: object) -> dict:
    return {
        "title": listing.title,
        "category": listing.category,
        "price": listing.price,
        "floor_price": listing.floor_price,
        "style": listing.style,
        "description": listing.description,
        "status": listing.status,
        **changes,
    }


def test_a_stale_edit_page_cannot_cancel_a_deal_made_meanwhile(people, listing):
    seller = Client()
    seller.force_login(people["alice"])
    url = reverse("listing_edit", args=[listing.pk])
    page = seller.get(url).content.decode()
    stale = edit_data(listing, title="아이폰 13 미니 128GB 핑크 (오타 수정)", version=version_of(page))
    bob_chat = deal(listing, people["bob"])  # a buyer's deal reserves it while the page is open
    response = seller.post(url, stale)
    assert response.status_code == 200
    text = response.content.decode()
    assert "수정 화면을 연 뒤에 바뀌었어요" in text
    assert "오타 수정" in text  # what the seller typed is kept for the next try
    listing.refresh_from_db()
    bob_chat.refresh_from_db()
    assert (listing.status, bob_chat.state) == (Status.RESERVED, State.AGREED)
    # The page now shows the current status; saving it again keeps the deal and fixes the typo.
    retry = edit_data(listing, title=stale["title"], version=version_of(text))
    assert re.search(r'value="reserved"[^>]*checked|<option value="reserved" selected', text)
    assert seller.post(url, retry).status_code == 302
    listing.refresh_from_db()
    bob_chat.refresh_from_db()
    assert (listing.title, listing.status, bob_chat.state) == (stale["title"], Status.RESERVED, State.AGREED)


def test_an_edit_applies_a_status_only_when_the_seller_changed_it(people, listing):
    bob_chat = deal(listing, people["bob"])
    seller = Client()
    seller.force_login(people["alice"])
    url = reverse("listing_edit", args=[listing.pk])
    page = seller.get(url).content.decode()
    listing.refresh_from_db()
    assert seller.post(url, edit_data(listing, title="새 제목", version=version_of(page))).status_code == 302
    bob_chat.refresh_from_db()
    assert bob_chat.state == State.AGREED
    # The seller's own change on a fresh page is applied, and the chats follow it.
    page = seller.get(url).content.decode()
    listing.refresh_from_db()
    changed = edit_data(listing, status=Status.ON_SALE, version=version_of(page))
    assert seller.post(url, changed).status_code == 302
    bob_chat.refresh_from_db()
    assert bob_chat.state == State.CLOSED


def test_a_stale_admin_form_cannot_cancel_a_deal(people, listing):
    client = admin_client()
    page = client.get(reverse("admin:marketplace_listing_change", args=[listing.pk])).content.decode()
    version = version_of(page)
    before = Listing.objects.get(pk=listing.pk)
    bob_chat = deal(listing, people["bob"])
    response = admin_post(client, before, title="수정", version=version, status=Status.ON_SALE)
    assert response.status_code == 200 and "수정 화면을 연 뒤에 바뀌었어요" in response.content.decode()
    bob_chat.refresh_from_db()
    assert bob_chat.state == State.AGREED


def test_a_final_offer_answered_after_the_chat_closed_does_not_revive_it(people, listing):
    session = services.session_open(listing=listing, buyer=people["bob"])
    offer = services.offer_submit(session_id=session.pk, user=people["bob"], price=listing.price)
    # Before the reply is written the seller marks it sold, then puts it back on sale.
    listing_set_status(listing=listing, status=Status.SOLD)
    listing_set_status(listing=listing, status=Status.ON_SALE)
    reply = replies.reply_generate(message_id=offer.pk)
    session.refresh_from_db()
    listing.refresh_from_db()
    assert (session.state, listing.status, agreed_chats(listing)) == (State.CLOSED, Status.ON_SALE, 0)
    assert reply is None
    answer = Message.objects.get(reply_to=offer)
    assert answer.text.startswith("##<거절>##") and "종료" in answer.text
    assert session.pending_message_id is None


def test_a_reply_decided_before_a_status_change_is_never_delivered_after_its_notice(
    people, listing, monkeypatch
):
    """Buyer B must not read "280,000원이면 바로 거래 가능해요!" after "…예약중이에요": the reply
    in progress stops at the change, and nothing of it is stored."""
    sent: list[tuple[str, dict]] = []
    monkeypatch.setattr(
        events, "group_send", lambda group, payloads: sent.extend((group, p) for p, _ in payloads)
    )
    inner = RuleGenerator(seed=3)

    class DealElsewhereMidReply:
        name = "rules"

        def stream(self, **kwargs):
            for i, word in enumerate(inner_text(inner, kwargs).split(" ")):
                if i == 2:  # another buyer's deal reserves the listing while this reply streams
                    listing_set_status(listing=Listing.objects.get(pk=listing.pk), status=Status.RESERVED)
                yield word + " "

    monkeypatch.setattr(generators, "get_generator", lambda: DealElsewhereMidReply())
    session = services.session_open(listing=listing, buyer=people["bob"])
    message = services.message_submit(session_id=session.pk, user=people["bob"], text="3만원에 가능할까요?")
    assert replies.reply_generate(message_id=message.pk) is None
    mine = [payload for group, payload in sent if group == session.group_name]
    notice_at = next(
        i for i, p in enumerate(mine) if p["type"] == "message" and "예약중" in p["message"]["text"]
    )
    after = mine[notice_at + 1 :]
    assert not [p for p in after if p["type"] == "chunk"], after
    assert not [p for p in after if p["type"] == "message" and p["message"]["role"] == "bot"], after
    assert not Message.objects.filter(session=session, role="bot").exists()
    session.refresh_from_db()
    assert (session.state, session.pending_message_id) == (State.WAITING, None)


def test_a_reply_superseded_in_an_open_chat_is_decided_again(people, listing, monkeypatch):
    """Reserved and released again while the reply was written: the chat is open, so the
    buyer's message is answered anew against the chat as it is now."""
    queued: list[int] = []
    monkeypatch.setattr(dispatch, "reply_enqueue", lambda *, message_id: queued.append(message_id))
    session = services.session_open(listing=listing, buyer=people["bob"])
    message = services.message_submit(session_id=session.pk, user=people["bob"], text="3만원에 가능할까요?")
    inner = RuleGenerator(seed=4)

    class ReservedAndBack:
        name = "rules"

        def stream(self, **kwargs):
            fresh = Listing.objects.get(pk=listing.pk)
            listing_set_status(listing=fresh, status=Status.RESERVED)
            listing_set_status(listing=fresh, status=Status.ON_SALE)
            yield inner_text(inner, kwargs)

    monkeypatch.setattr(generators, "get_generator", lambda: ReservedAndBack())
    assert replies.reply_generate(message_id=message.pk) is None
    assert queued[-1] == message.pk
    monkeypatch.setattr(generators, "get_generator", lambda: RuleGenerator(seed=4))
    reply = replies.reply_generate(message_id=message.pk)
    assert reply is not None and reply.reply_to_id == message.pk


def inner_text(generator: RuleGenerator, kwargs: dict) -> str:
    return "".join(generator.stream(**kwargs))
