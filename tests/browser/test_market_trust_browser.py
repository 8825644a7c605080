"""Headless Chromium through issue 17's marketplace flows at 390 px and 1280 px.

A new visitor finds a dense list (5+ rows a phone screen), searches in English, sorts, opens an
item with two photos (arrows, dots, zoom), is sent from 가격 협상하기 through login to sign-up and
lands back on the item, likes it from the pinned bottom bar, reports it; the seller sells it to
the buyer and both review each other. Screenshots are saved for people to judge.
"""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from marketplace.models import Listing, Review
from negotiation.models import ChatSession
from tests.browser.conftest import phone_page, shoot

pytestmark = pytest.mark.browser
PASSWORD = "tteokbokki-2024!"


def login(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("form button[type=submit]:has-text('로그인')")


@pytest.mark.timeout(240)
def test_browse_like_report_sell_review(chromium, live_server, transactional_db, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo", stdout=io.StringIO())
    base = live_server.url
    page = phone_page(chromium)

    # The list: dense rows with 동네 · time, price and counts.
    page.goto(f"{base}/")
    rows = page.locator(".card-item")
    shoot(page, "list-390")
    bottoms = [rows.nth(i).bounding_box()["y"] + rows.nth(i).bounding_box()["height"] for i in range(8)]
    assert sum(1 for y in bottoms if y <= 844) >= 5, bottoms  # 5+ whole rows on the first phone screen
    assert re.search(r"(잠실동|성수동|망원동) · ", rows.first.inner_text())
    assert page.locator(".card-item__counts span[title^='관심']").count() >= 3
    # The filter row fits a 390 px phone whole (가격 included); narrower, it scrolls with a cue.
    price = page.locator(".filters__more summary")
    assert price.bounding_box()["x"] + price.bounding_box()["width"] <= 390 - 16 + 1
    assert "chips-wrap--more" not in page.locator(".filters-wrap").get_attribute("class")
    page.set_viewport_size({"width": 320, "height": 844})
    page.wait_for_function("document.querySelector('.filters-wrap').classList.contains('chips-wrap--more')")
    page.click(".filters-wrap [data-chips-next]")
    page.wait_for_function(
        "(() => { const r = document.querySelector('.filters__more summary').getBoundingClientRect();"
        " return r.right <= 320 - 16 + 1; })()"
    )
    page.set_viewport_size({"width": 390, "height": 844})

    # English query, a sort and 거래 가능만 보기.
    page.fill("input[name=q]", "ipad")
    page.press("input[name=q]", "Enter")
    page.wait_for_url(re.compile(r".*\?q=ipad"))
    assert "아이패드 에어4" in page.locator(".card-item").first.inner_text()
    shoot(page, "search-390")
    page.goto(f"{base}/")
    with page.expect_navigation():
        page.select_option("select[name=sort]", "priciest")
    prices = [
        int(re.sub(r"\D", "", t)) for t in page.locator(".card-item__price strong").all_inner_texts()[:3]
    ]
    assert prices == sorted(prices, reverse=True)
    with page.expect_navigation():
        page.check("input[name=available]")
    assert "판매완료" not in page.locator(".grid").inner_text()
    assert "예약중" not in page.locator(".grid").inner_text()

    # An item with two photos: arrows, dots, zoom; then 가격 협상하기 -> login -> 회원가입 -> back.
    ipad = Listing.objects.get(title__startswith="아이패드 에어4")
    page.goto(f"{base}/listings/{ipad.pk}/")
    assert page.locator(".gallery__dot").count() == 2
    bar = page.locator(".buybar")
    assert bar.evaluate("el => getComputedStyle(el).position") == "fixed"
    assert bar.bounding_box()["y"] + bar.bounding_box()["height"] <= 844 + 1
    shoot(page, "item-390")
    page.click("[data-gallery-next]")
    page.wait_for_function(
        "document.querySelectorAll('.gallery__dot')[1].classList.contains('gallery__dot--on')"
    )
    page.locator(".gallery img").nth(1).click()
    assert page.locator("dialog.zoom").evaluate("el => el.open")
    shoot(page, "item-zoom-390")
    page.keyboard.press("Escape")
    page.click(".buybar a:has-text('가격 협상하기')")
    page.wait_for_url(re.compile(r".*/accounts/login/\?next=.*"))
    shoot(page, "login-next-390")
    page.click(".auth__switch a:has-text('회원가입')")
    page.wait_for_url(re.compile(r".*/accounts/signup/\?next=%2Flistings%2F\d+%2F"))
    page.fill("#id_username", "김철수")
    page.fill("#id_nickname", "철수네")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("button:has-text('가입하기')")
    assert "아이디는 영문, 숫자, 밑줄(_)로 4~30자로 만들어 주세요." in page.content()
    page.fill("#id_username", "chulsoo")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    page.click("button:has-text('가입하기')")
    page.wait_for_url(f"{base}/listings/{ipad.pk}/")

    # 관심 from the bottom bar, then the 관심 목록.
    url = page.url
    page.click(".buybar .like")
    page.wait_for_selector(".buybar .like--on")  # in place, without a page load
    assert page.url == url
    assert page.locator("[data-like-count]").inner_text() == "1"
    page.goto(f"{base}/my/likes/")
    assert "아이패드 에어4" in page.locator(".grid").inner_text()

    # Open a chat (the seller needs one to name this buyer), then report the listing.
    page.goto(f"{base}/listings/{ipad.pk}/")
    with page.expect_navigation():
        page.click(".buybar button:has-text('가격 협상하기')")
    assert ChatSession.objects.filter(listing=ipad, buyer__username="chulsoo").exists()
    page.goto(f"{base}/listings/{ipad.pk}/")
    assert page.locator(".buybar a:has-text('협상 이어하기')").is_visible()
    page.click("a:has-text('이 게시글 신고하기')")
    page.check("input[value=fraud]")
    shoot(page, "report-390")
    page.click("button:has-text('신고하기')")
    page.wait_for_url(f"{base}/listings/{ipad.pk}/")
    assert "신고가 접수되었어요." in page.content()

    # The seller sells it to this buyer from 내 판매글 and reviews them.
    page.click("button:has-text('로그아웃')")
    login(page, base, "demo_seller", "nellm-seller-2024")
    page.goto(f"{base}/my/listings/")
    shoot(page, "my-listings-390")
    row = page.locator(".mine__item", has_text="아이패드 에어4")
    row.locator("a:has-text('판매완료')").click()
    page.check("text=철수네")
    shoot(page, "sold-390")
    page.click("button:has-text('판매완료로 바꾸기')")
    page.wait_for_url(f"{base}/listings/{ipad.pk}/")
    page.click("a:has-text('거래 후기 남기기')")
    page.check("input[value=good]")
    page.fill("#id_text", "시간 약속을 잘 지키셨어요!")
    shoot(page, "review-390")
    page.click("button:has-text('후기 보내기')")
    page.wait_for_url(re.compile(r".*/users/\d+/$"))
    assert "시간 약속을 잘 지키셨어요!" in page.content()
    assert "37.0°C" in page.content()
    shoot(page, "profile-390")
    assert Review.objects.filter(listing=ipad, author__username="demo_seller").count() == 1

    # Desktop: the category chips show there is more to scroll to; a listing page at 1280.
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{base}/")
    wrap = page.locator(".chips-wrap:not(.filters-wrap)")
    assert "chips-wrap--more" in wrap.get_attribute("class")
    assert wrap.locator("[data-chips-next]").is_visible()
    assert page.locator(".filters-wrap [data-chips-next]").is_hidden()  # the filters fit a desktop
    shoot(page, "list-1280")
    wrap.locator("[data-chips-next]").click()
    page.wait_for_function("document.querySelector('.chips').scrollLeft > 0")
    other = Listing.objects.get(title__startswith="다이슨 V10")  # a neighbour's, so the bar shows
    page.goto(f"{base}/listings/{other.pk}/")
    assert page.locator(".buybar").evaluate("el => getComputedStyle(el).position") == "static"
    shoot(page, "item-1280")
    page.goto(f"{base}/users/{other.seller_id}/")
    shoot(page, "profile-1280")
    page.context.close()


def photo_signature(path) -> tuple[float, ...]:
    from PIL import Image, ImageStat

    with Image.open(path) as image:
        return tuple(ImageStat.Stat(image.convert("RGB").resize((64, 64))).mean)


def which(stored, sources: dict[str, tuple[float, ...]]) -> str:
    """The source file a stored (re-encoded) photo was made from: the nearest mean colour."""
    mean = photo_signature(stored.image.path)
    return min(sources, key=lambda name: sum((a - b) ** 2 for a, b in zip(sources[name], mean, strict=True)))


@pytest.mark.timeout(240)
def test_sell_form_orders_and_keeps_photos(
    chromium, live_server, transactional_db, settings, tmp_path
) -> None:
    from playwright.sync_api import expect

    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo", "--no-photos", stdout=io.StringIO())
    from marketplace.demo.pictures import product_photo

    files, sources = [], {}
    for i, (category, title) in enumerate(
        (("furniture", "캠핑 의자 카키"), ("furniture", "캠핑 의자 카키 옆모습"), ("sports", "캠핑 테이블"))
    ):
        path = tmp_path / f"chair{i}.jpg"
        product_photo(category=category, title=title, shot=i).save(path, format="JPEG")
        files.append(str(path))
        sources[path.name] = photo_signature(path)
    base = live_server.url
    page = phone_page(chromium)
    login(page, base, "demo_seller", "nellm-seller-2024")
    page.goto(f"{base}/listings/new/")
    page.fill("#id_price", "4만5천원")
    page.fill("#id_description", "두 번 썼어요. 가방 포함.")
    page.set_input_files("#id_photos", files[:2])
    tiles = page.locator(".photo-tile")
    expect(tiles).to_have_count(2)
    order = page.locator("#id_photo_order")
    expect(order).to_have_value("n0,n1")
    # ◀ (phones, keyboards): the second photo becomes the cover; a drag puts it back; ◀ again.
    tiles.nth(1).get_by_role("button", name="chair1.jpg 앞으로 옮기기").click()
    expect(order).to_have_value("n1,n0")
    expect(tiles.first.locator(".photo-tile__cover")).to_be_visible()
    expect(tiles.first.locator(".photo-tile__cover")).to_have_text("대표 사진")
    expect(tiles.nth(1).locator(".photo-tile__cover")).to_be_hidden()
    page.drag_and_drop(".photo-tile >> nth=1", ".photo-tile >> nth=0")
    expect(order).to_have_value("n0,n1")
    tiles.nth(1).get_by_role("button", name="chair1.jpg 앞으로 옮기기").click()
    expect(order).to_have_value("n1,n0")
    assert page.locator("#id_neighborhood").input_value() == "잠실동"
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "form-previews-390")
    page.click("button:has-text('등록하기')")  # no title: an error, the photos stay, in order
    page.wait_for_selector(".field--kept")
    assert "고른 사진 2장은 그대로 두었어요." in page.content()
    assert page.locator(".field--kept input:checked").count() == 2
    shoot(page, "form-error-390")  # the error named at the top, the photos kept below it
    kept_order = order.input_value()
    assert kept_order.count("k:") == 2 and kept_order == ",".join(
        page.locator(".photo-tile").evaluate_all("tiles => tiles.map(t => t.dataset.token)")
    )
    # The kept photo is served and decodes (waited for: it loads after the page does).
    page.wait_for_function(
        "(() => { const i = document.querySelector('.field--kept img'); "
        "return i && i.complete && i.naturalWidth > 0; })()"
    )
    page.evaluate("document.querySelector('.field--kept').scrollIntoView()")
    shoot(page, "form-kept-390")
    page.fill("#id_title", "캠핑 의자 카키 2개")
    page.click("button:has-text('등록하기')")
    page.wait_for_url(re.compile(r".*/listings/\d+/$"))
    listing = Listing.objects.get(title="캠핑 의자 카키 2개")
    assert (listing.price, listing.photos.count()) == (45000, 2)
    assert [which(p, sources) for p in listing.photos.order_by("position", "id")] == [
        "chair1.jpg",
        "chair0.jpg",
    ]
    assert page.locator(".gallery img").count() == 2

    # Edit: a new photo goes first (◀ twice), the old two swap (▶ on the cover).
    page.goto(f"{base}/listings/{listing.pk}/edit/")
    expect(tiles).to_have_count(2)
    tiles.first.get_by_role("button", name=re.compile("뒤로 옮기기")).click()
    page.set_input_files("#id_photos", files[2])
    expect(tiles).to_have_count(3)
    tiles.nth(2).get_by_role("button", name="chair2.jpg 앞으로 옮기기").click()
    tiles.nth(1).get_by_role("button", name="chair2.jpg 앞으로 옮기기").click()
    expect(order).to_have_value(re.compile(r"^n0,e\d+,e\d+$"))
    page.evaluate("window.scrollTo(0, 0)")
    shoot(page, "form-edit-order-390")
    page.click("button:has-text('저장하기')")
    page.wait_for_url(f"{base}/listings/{listing.pk}/")
    assert [which(p, sources) for p in listing.photos.order_by("position", "id")] == [
        "chair2.jpg",
        "chair0.jpg",
        "chair1.jpg",
    ]
    page.context.close()
