"""The seller's cockpit in headless Chromium: the seller watches two buyers haggle on /selling/,
takes one chat over, types a price, hands the chat back, and the bot keeps to that price.

The site runs under a real daphne subprocess on the embedded config (in-memory channel layer,
in-process generation) against the pytest database.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from negotiation import services
from negotiation.models import ChatSession
from tests.base import make_listing, make_user
from tests.browser.conftest import shoot
from tests.browser.test_chat_browser import server  # noqa: F401 - the live daphne fixture
from tests.negotiation import live

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def page_for(chromium, server_url: str, user, width: int):
    context = chromium.new_context(locale="ko-KR", viewport={"width": width, "height": 900})
    context.add_cookies(
        [{"name": "sessionid", "value": live.session_cookie(user).split("=", 1)[1], "url": server_url}]
    )
    return context.new_page()


def say(page, text: str) -> None:
    page.fill("#chat-input", text)
    page.keyboard.press("Enter")


def test_the_seller_watches_takes_over_types_and_hands_back(chromium, server):  # noqa: F811
    from playwright.sync_api import expect

    seller = make_user("seller", "판매왕", date_joined=timezone.now() - timedelta(days=10))
    bob, charlie = make_user("bob", "밥"), make_user("charlie", "찰리")
    listing = make_listing(seller, title="아이패드 미니 6", price=400_000, floor_price=331_700)
    cockpit = page_for(chromium, server, seller, 1280)
    cockpit.goto(f"{server}/selling/")
    expect(cockpit.locator("#cockpit-body")).to_contain_text("아직 내 판매글에 들어온 협상이 없어요")

    buyers = {}
    for user, text in ((bob, "안녕하세요! 35만원에 가능할까요?"), (charlie, "혹시 32만원에 주실 수 있나요?")):
        session = services.session_open(listing=listing, buyer=user)
        page = page_for(chromium, server, user, 390)
        page.goto(f"{server}/chat/{session.pk}/")
        expect(page.locator(".bubble--system")).to_have_count(1)  # the history came: the socket is open
        say(page, text)
        expect(page.locator(".bubble--bot:not(.bubble--streaming)")).to_have_count(1, timeout=20_000)
        buyers[user.username] = (page, session)

    # Both chats appeared live, offers side by side.
    rows = cockpit.locator(".cockpit__row")
    expect(rows).to_have_count(2, timeout=10_000)
    bob_page, bob_session = buyers["bob"]
    bob_row = cockpit.locator(f'.cockpit__row[data-session="{bob_session.pk}"]')
    expect(bob_row).to_contain_text("350,000원")
    expect(bob_row.locator(".cockpit__offers")).to_contain_text("봇 제시")
    expect(cockpit.locator(".cockpit__listing")).to_contain_text("협상 2건")
    shoot(cockpit, "cockpit-1280")

    # The bot's reply read bob's first message for the seller's side: 읽음; the bot wears its mark.
    expect(bob_page.locator(".bubble--buyer .bubble__read")).to_have_text("읽음")
    expect(bob_page.locator(".bubble--bot .bubble__avatar--bot svg")).to_have_count(1)

    # Take bob's chat over from the cockpit; bob is told.
    bob_row.get_by_role("button", name="직접 대화하기").click()
    expect(bob_page.locator("#chat-banner")).to_contain_text("판매자가 직접 대화 중이에요", timeout=10_000)
    expect(bob_row).to_contain_text("직접 대화 중", timeout=10_000)

    # Nobody answers for the seller now: bob's two messages wait with "1" until the seller opens
    # the chat, then turn 읽음 on bob's page, live.
    say(bob_page, "혹시 직거래 되나요?")
    expect(bob_page.locator(".bubble--buyer")).to_have_count(2, timeout=10_000)
    say(bob_page, "잠실역 근처면 좋겠어요")
    unread = bob_page.locator(".bubble--buyer .bubble__read--unread")
    expect(unread).to_have_count(2, timeout=10_000)
    expect(unread.first).to_have_text("1")
    chat = page_for(chromium, server, seller, 390)
    chat.goto(f"{server}/chat/{bob_session.pk}/")
    expect(chat.get_by_role("button", name="봇에게 다시 맡기기")).to_be_visible()  # state came: open
    expect(unread).to_have_count(0, timeout=10_000)
    expect(bob_page.locator(".bubble--buyer .bubble__read").last).to_have_text("읽음")
    # The seller sees the buyer on the left with bob's initial, once for the run of two.
    buyer_bubbles = chat.locator(".bubble--buyer")
    expect(buyer_bubbles).to_have_count(3)
    expect(chat.locator(".bubble--buyer .bubble__avatar")).to_have_count(2)  # two runs
    expect(buyer_bubbles.nth(1).locator(".bubble__avatar")).to_have_text("밥")
    expect(buyer_bubbles.nth(2).locator(".bubble__avatar")).to_have_count(0)
    assert "bubble--cont" in buyer_bubbles.nth(2).get_attribute("class")

    # The seller types a price in the chat; bob's next message gets no bot reply.
    say(chat, "34만원까지 해드릴게요")
    seller_bubble = bob_page.locator(".bubble--seller")
    expect(seller_bubble).to_contain_text("34만원까지 해드릴게요", timeout=10_000)
    # On bob's page the seller's bubble has the seller's initial, not the bot's mark.
    expect(seller_bubble.locator(".bubble__avatar")).to_have_text("판")
    expect(seller_bubble.locator(".bubble__avatar--bot")).to_have_count(0)
    expect(chat.locator(".bubble--seller .bubble__note")).to_contain_text("봇도 이 가격을 지켜요 · 340,000원")
    expect(chat.locator(".bubble--seller .bubble__read")).to_have_text(
        "읽음", timeout=10_000
    )  # bob's page is open
    say(bob_page, "음 조금만 더 생각해볼게요")
    expect(chat.locator(".bubble--buyer")).to_have_count(4, timeout=10_000)
    bob_page.wait_for_timeout(1500)
    expect(bob_page.locator(".bubble--bot")).to_have_count(1)
    shoot(chat, "chat-takeover-seller-390")
    shoot(bob_page, "chat-takeover-buyer-390")

    # Hand back: the bot answers again, held to the seller's price.
    chat.get_by_role("button", name="봇에게 다시 맡기기").click()
    expect(bob_page.locator("#chat-banner")).to_be_hidden(timeout=10_000)
    say(bob_page, "좋아요 그 가격에 살게요")
    expect(bob_page.locator(".bubble--bot:not(.bubble--streaming)")).to_have_count(2, timeout=20_000)
    expect(bob_page.locator(".bubble--bot").last).to_contain_text("340,000원")
    shoot(bob_page, "chat-handback-buyer-390")

    cockpit.set_viewport_size({"width": 390, "height": 900})
    expect(bob_row.get_by_role("button", name="직접 대화하기")).to_be_visible(timeout=10_000)
    shoot(cockpit, "cockpit-390")
    session = ChatSession.objects.get(pk=bob_session.pk)
    assert session.seller_took_over and not session.seller_in_control and session.seller_price == 340_000


def test_cancelling_a_reservation_asks_first_then_offers_the_best_standing_offer(chromium, server):  # noqa: F811
    from playwright.sync_api import expect

    from marketplace.models import Status

    seller = make_user("seller", "판매왕")
    listing = make_listing(seller, title="닌텐도 스위치 OLED", price=300_000, status=Status.RESERVED)
    deals = {"bob": ("agreed", None), "charlie": ("waiting", 280_000), "dave": ("waiting", 290_000)}
    for name, (state, standing) in deals.items():
        session = ChatSession.objects.create(
            listing=listing, buyer=make_user(name, name.title()), state=state
        )
        ChatSession.objects.filter(pk=session.pk).update(
            standing_offer=standing, agreed_price=300_000 if state == "agreed" else None
        )
    cockpit = page_for(chromium, server, seller, 390)
    cockpit.goto(f"{server}/selling/")
    compare = cockpit.locator(".cockpit__compare li")
    expect(compare).to_have_count(2)
    expect(compare.first).to_contain_text("290,000원 · Dave")  # highest first, side by side
    expect(compare.last).to_contain_text("280,000원 · Charlie")

    asked = []
    cockpit.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    cockpit.get_by_role("button", name="예약 취소").click()
    assert "예약을 취소할까요?" in asked[0]
    cockpit.wait_for_timeout(700)
    listing.refresh_from_db()
    assert listing.status == Status.RESERVED  # dismissed: nothing was sent

    cockpit.once("dialog", lambda d: d.accept())
    cockpit.get_by_role("button", name="예약 취소").click()
    expect(cockpit.locator("#cockpit-notice")).to_contain_text(
        "가장 높은 대기 제안을 바로 수락", timeout=10_000
    )
    expect(cockpit.locator(".cockpit__best--now")).to_contain_text("290,000원")
    shoot(cockpit, "cockpit-cancelled-390")

    cockpit.once("dialog", lambda d: d.accept())
    cockpit.get_by_role("button", name="바로 수락").click()
    dave = ChatSession.objects.get(buyer__username="dave")
    expect(cockpit.locator(f'.cockpit__row[data-session="{dave.pk}"]')).to_contain_text(
        "합의", timeout=10_000
    )
    dave.refresh_from_db()
    assert (dave.state, dave.agreed_price) == ("agreed", 290_000)
    assert ChatSession.objects.get(buyer__username="bob").state == "closed"
    # Reserved again for dave: charlie waits once more, offer kept.
    charlie = ChatSession.objects.get(buyer__username="charlie")
    assert (charlie.state, charlie.standing_offer) == ("waiting", 280_000)
