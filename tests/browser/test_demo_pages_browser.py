"""`make demo`'s data in headless Chromium (seed_demo, then seed_demo_chats played by the bot):
the demo buyer's chat list and 네고 랭킹, the demo seller's 알림, at 390 px; the chat list's previews in
Korean (no protocol tokens). Screenshots for people to judge.
"""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from marketplace.demo import ACCOUNTS
from tests.browser.conftest import phone_page, shoot
from tests.browser.test_market_trust_browser import login

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_data(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.NELLM_INPROCESS_GENERATION = True
    settings.NELLM_BACKEND = "rules"
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo_chats", stdout=io.StringIO())


@pytest.mark.timeout(180)
def test_the_demo_buyers_pages(chromium, live_server, transactional_db, demo_data) -> None:
    base = live_server.url
    page = phone_page(chromium)
    buyer = ACCOUNTS["buyer"]
    login(page, base, buyer["username"], buyer["password"])

    page.goto(f"{base}/chat/")
    rows = page.locator(".chatrow")
    assert rows.count() >= 3
    previews = " ".join(page.locator(".chatrow__last").all_inner_texts())
    assert "##<" not in previews and "[수락]" not in previews and "[거절]" not in previews
    assert "제안을 수락했어요" in previews or "가격 제안" in previews
    shoot(page, "chats-390")

    page.goto(f"{base}/ranking/")
    assert buyer["nickname"] in page.locator(".ranking__list").inner_text()
    shoot(page, "ranking-390")

    # The demo seller's notices: new chats and the deal.
    page.click("button:has-text('로그아웃')")
    seller = ACCOUNTS["seller"]
    login(page, base, seller["username"], seller["password"])
    page.goto(f"{base}/notifications/")
    assert page.locator(".notices li").count() >= 3
    shoot(page, "notifications-390")
    page.context.close()
