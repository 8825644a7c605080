from __future__ import annotations

from django.urls import reverse

from marketplace.models import Status
from tests.base import BaseTestCase, make_listing

BUTTON = "가격 협상하기"


class DetailTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.listing = make_listing(
            self.alice, title="갤럭시 버즈2", price=95000, description="케이스 포함\n찍힘 하나"
        )

    def test_page_shows_listing_seller_and_price(self) -> None:
        response = self.client.get(self.listing.get_absolute_url())
        self.assertContains(response, "갤럭시 버즈2")
        self.assertContains(response, "95,000원")
        self.assertContains(response, "앨리스상점")
        self.assertContains(response, "<p>케이스 포함<br>찍힘 하나</p>", html=True)
        self.assertContains(response, "전자기기")

    def test_negotiate_button_for_buyers_and_anonymous_only_on_sale(self) -> None:
        self.assertContains(self.client.get(self.listing.get_absolute_url()), BUTTON)
        self.login(self.bob)
        response = self.client.get(self.listing.get_absolute_url())
        self.assertContains(response, BUTTON)
        self.assertTemplateUsed(response, "marketplace/_negotiate_button.html")
        self.login(self.alice)
        self.assertNotContains(self.client.get(self.listing.get_absolute_url()), BUTTON)
        self.login(self.bob)
        for status, badge in ((Status.RESERVED, "예약중"), (Status.SOLD, "판매완료")):
            self.listing.status = status
            self.listing.save()
            response = self.client.get(self.listing.get_absolute_url())
            self.assertNotContains(response, BUTTON)
            self.assertContains(response, badge)

    def test_hidden_listing_is_for_seller_and_staff_only(self) -> None:
        self.listing.is_hidden = True
        self.listing.save()
        url = self.listing.get_absolute_url()
        self.assertEqual(self.client.get(url).status_code, 404)
        self.login(self.bob)
        response = self.client.get(url)
        self.assertEqual(response.status_code, 404)
        self.assertContains(response, "페이지를 찾을 수 없어요", status_code=404)
        self.login(self.alice)
        self.assertContains(self.client.get(url), "숨김")
        self.login(self.staff)
        self.assertEqual(self.client.get(url).status_code, 200)

    def test_missing_listing_is_404(self) -> None:
        self.assertEqual(self.client.get(reverse("listing_detail", args=[987654])).status_code, 404)

    def test_user_without_profile_does_not_break_the_page(self) -> None:
        from tests.base import make_user

        nobody = make_user("nobody")
        listing = make_listing(nobody, title="프로필 없는 판매자")
        response = self.client.get(listing.get_absolute_url())
        self.assertContains(response, "판매자")
        self.assertNotContains(response, "nobody")
