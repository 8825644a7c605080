"""Two buyers haggle over one listing in headless Chromium, with streamed replies; one final
offer is accepted and the other buyer sees the listing reserved.

The site runs under a real daphne subprocess on the embedded config (in-memory channel layer,
in-process generation) against the pytest database.
"""

from __future__ import annotations

import pytest

from marketplace.models import Status
from negotiation.models import ChatSession
from tests.base import make_listing, make_user
from tests.browser.conftest import shoot
from tests.negotiation import live

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def server(tmp_path):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the live server shares the test database: needs PostgreSQL")
    port = live.free_port()
    env = live.service_env(redis_url=None, NELLM_STREAM_DELAY_MS=60)
    proc = live.start_daphne(env, port, tmp_path / "daphne.log")
    yield f"http://127.0.0.1:{port}"
    live.stop(proc)


def test_two_buyers_one_acceptance(chromium, server):
    from playwright.sync_api import expect

    seller = make_user("seller", "판매왕")
    bob, charlie = make_user("bob", "밥"), make_user("charlie", "찰리")
    listing = make_listing(seller, title="아이패드 미니 6", price=400_000, floor_price=331_700)
    cookies = {
        name: live.session_cookie(user).split("=", 1)[1]
        for name, user in (("bob", bob), ("charlie", charlie))
    }

    pages = {}
    for name, value in cookies.items():
        context = chromium.new_context(locale="ko-KR", viewport={"width": 390, "height": 844})
        context.add_cookies([{"name": "sessionid", "value": value, "url": server}])
        page = context.new_page()
        page.goto(f"{server}/listings/{listing.pk}/")
        page.get_by_role("button", name="가격 협상하기").click()
        page.wait_for_url("**/chat/*/")
        expect(page.locator("#chat-state")).to_have_text("협상중")
        pages[name] = page

    for name, text in (
        ("bob", "안녕하세요! 35만원에 가능할까요?"),
        ("charlie", "혹시 32만원에 주실 수 있나요?"),
    ):
        page = pages[name]
        # What the streaming bubble shows, as the page itself changes it (a test that polls from
        # outside may look late on a busy machine and miss the first words).
        page.evaluate(
            """() => { window.__shown = [];
              new MutationObserver(() => {
                const t = document.querySelector('.bubble--streaming .bubble__text');
                if (t && t.textContent) window.__shown.push(t.textContent);
              }).observe(document.getElementById('chat-log'),
                         {subtree: true, childList: true, characterData: true}); }"""
        )
        page.fill("#chat-input", text)
        page.keyboard.press("Enter")
        page.wait_for_selector(".bubble--streaming", timeout=10_000)  # the reply arrives in pieces
        expect(page.locator(".bubble--bot:not(.bubble--streaming)")).to_have_count(1, timeout=20_000)
        reply = page.locator(".bubble--bot .bubble__text").text_content()
        # The page revealed it a word at a time (the server sent whole clauses at once).
        shown = page.evaluate("window.__shown")
        assert shown and len(shown[0].split()) <= 2 < len(reply.split()), shown
        assert len(set(shown)) >= 3 and all(reply.startswith(part.strip()) for part in shown), shown
        expect(page.locator(".bubble--buyer")).to_contain_text(text)

    bob_page = pages["bob"]
    bob_page.get_by_role("button", name="가격 제안").click()
    bob_page.fill("#offer-price", "400000")
    bob_page.get_by_role("button", name="제안 보내기").click()
    expect(bob_page.locator("#chat-banner")).to_contain_text("거래가 성사되었어요", timeout=20_000)
    expect(bob_page.locator("#chat-state")).to_have_text("합의")
    expect(bob_page.locator(".bubble--bot .bubble__verdict--accept")).to_have_text("수락")
    expect(bob_page.locator(".bubble__note")).to_have_count(0)  # the Advisor's notes are the seller's

    charlie_page = pages["charlie"]
    expect(charlie_page.locator("#chat-banner")).to_contain_text("예약중", timeout=10_000)
    expect(charlie_page.locator(".bubble--system").last).to_contain_text("예약중")
    expect(charlie_page.locator("#chat-input")).to_be_disabled()
    expect(charlie_page.get_by_role("button", name="가격 제안")).to_be_enabled()
    shoot(bob_page, "chat-accepted-390")
    shoot(charlie_page, "chat-reserved-390")

    # A messenger's screen: no site footer, the site header gives way on a phone, and one short
    # bar (photo, title, price, status) stays on top while the chat scrolls under it.
    assert bob_page.locator("footer.footer").count() == 0
    assert bob_page.locator(".topbar").is_hidden()
    bob_page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    head = bob_page.locator(".chat__head").bounding_box()
    assert head["y"] == 0 and head["height"] <= 56, head
    expect(bob_page.locator(".chat__head")).to_contain_text("400,000원")
    expect(bob_page.locator(".chat__head")).to_contain_text("예약중")
    top = bob_page.locator(".chat__top").bounding_box()
    assert top["height"] <= 150, top  # the bar and the deal's banner: under a fifth of the screen
    # Who talks: the bot's bubbles wear the bot's mark, once per run; the buyer's own have none.
    bot_runs = bob_page.locator(".bubble--bot:not(.bubble--cont)")
    expect(bob_page.locator(".bubble--bot .bubble__avatar--bot")).to_have_count(bot_runs.count())
    assert bob_page.locator(".bubble--buyer .bubble__avatar").count() == 0
    expect(bob_page.locator(".bubble--buyer .bubble__read").last).to_have_text("읽음")  # the bot answered
    bob_page.set_viewport_size({"width": 1280, "height": 800})
    assert bob_page.locator(".topbar").is_visible()  # the desktop keeps the site's header
    shoot(bob_page, "chat-accepted-1280")
    bob_page.set_viewport_size({"width": 390, "height": 844})

    # The seller watches the bot: each reply with the Advisor's move beside it, and the button
    # that cancels the reservation.
    seller_context = chromium.new_context(locale="ko-KR", viewport={"width": 390, "height": 844})
    seller_context.add_cookies(
        [{"name": "sessionid", "value": live.session_cookie(seller).split("=", 1)[1], "url": server}]
    )
    seller_page = seller_context.new_page()
    seller_page.goto(bob_page.url)
    expect(seller_page.locator(".bubble__note").first).to_contain_text("봇 판단")
    expect(seller_page.locator(".bubble__note").last).to_contain_text("최종 수락")
    expect(seller_page.get_by_role("button", name="예약 취소하기")).to_be_visible()
    shoot(seller_page, "chat-seller-390")

    listing.refresh_from_db()
    assert listing.status == Status.RESERVED
    assert ChatSession.objects.get(buyer=bob).state == "agreed"
    assert ChatSession.objects.get(buyer=charlie).state == "waiting"
