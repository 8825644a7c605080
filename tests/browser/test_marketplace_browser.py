"""Headless Chromium walks the main path: sign up, sell with a photo, find it, open it.

Screenshots of the index and a listing at phone (390 px) and desktop (1280 px) widths are saved
(see tests/browser/conftest.py) for people to judge how the pages look.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from PIL import Image, ImageDraw

from tests.browser.conftest import phone_page, shoot

pytestmark = pytest.mark.browser


def photo_file(tmp_path: Path) -> Path:
    image = Image.new("RGB", (800, 800), "#f3e9dc")
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((160, 220, 640, 600), radius=40, fill="#a0704b")
    draw.rectangle((200, 600, 240, 720), fill="#7a5236")
    draw.rectangle((560, 600, 600, 720), fill="#7a5236")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=85)
    path = tmp_path / "desk.jpg"
    path.write_bytes(buffer.getvalue())
    return path


@pytest.mark.timeout(180)
def test_sign_up_sell_search_open(chromium, live_server, transactional_db, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo", stdout=io.StringIO())
    base = live_server.url

    page = phone_page(chromium)

    # Sign up.
    page.goto(f"{base}/accounts/signup/")
    page.fill("#id_username", "minsu")
    page.fill("#id_nickname", "민수네")
    page.fill("#id_password1", "tteokbokki-2024!")
    page.fill("#id_password2", "tteokbokki-2024!")
    page.click("button:has-text('가입하기')")
    page.wait_for_url(f"{base}/")
    assert "민수네님, 낼름에 오신 걸 환영해요!" in page.content()

    # Sell something with a photo.
    page.click("a:has-text('판매하기')")
    page.fill("#id_title", "원목 책상 1200 폭 월넛 (상판 기스 약간)")
    page.select_option("#id_category", "furniture")
    page.fill("#id_price", "68,000")
    page.fill("#id_description", "3년 사용한 원목 책상이에요.\n상판에 생활기스 조금 있고 흔들림 없어요.")
    page.set_input_files("#id_photos", str(photo_file(tmp_path)))
    shoot(page, "form-390")
    page.click("button:has-text('등록하기')")
    page.wait_for_url(re.compile(r".*/listings/\d+/$"))
    assert "판매글을 올렸어요." in page.content()
    assert "68,000원" in page.content()
    assert page.locator(".gallery img").count() == 1

    # Find it by search (as another visitor) and open it.
    with page.expect_navigation():
        page.click("button:has-text('로그아웃')")
    assert page.locator("a:has-text('로그인')").is_visible()
    page.fill("input[name=q]", "월넛")
    page.press("input[name=q]", "Enter")
    page.wait_for_url(re.compile(r".*\?q=.*"))
    cards = page.locator(".card-item")
    assert cards.count() == 1
    cards.first.click()
    page.wait_for_url(re.compile(r".*/listings/\d+/$"))
    assert page.locator("h1.detail__title").inner_text().endswith("원목 책상 1200 폭 월넛 (상판 기스 약간)")
    assert page.locator(".seller__name").inner_text() == "민수네"
    assert page.locator(".btn--negotiate:has-text('가격 협상하기')").is_visible()
    img = page.locator(".gallery img").first
    assert img.evaluate("el => el.naturalWidth") > 0  # the photo is served by the app itself
    shoot(page, "detail-390")

    page.goto(f"{base}/")
    assert page.locator(".card-item").count() >= 20
    assert page.locator(".card-item__thumb img").first.evaluate("el => el.naturalWidth") > 0
    shoot(page, "index-390")

    page.set_viewport_size({"width": 1280, "height": 800})
    shoot(page, "index-1280")
    page.goto(f"{base}/?q=아이패드+에어4")
    page.locator(".card-item a").first.click()
    page.wait_for_url(re.compile(r".*/listings/\d+/$"))
    shoot(page, "detail-1280")
    page.context.close()
