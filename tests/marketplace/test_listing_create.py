from __future__ import annotations

from django.urls import reverse

from marketplace.models import Listing, Status
from tests.base import BaseTestCase


class ListingCreateTests(BaseTestCase):
    url = reverse("listing_create")

    def data(self, **overrides: object) -> dict:
        data = {
            "title": "캠핑 의자 2개 일괄",
            "category": "sports",
            "price": "45,000",
            "floor_price": "",
            "style": "firm",
            "description": "두 번 썼어요. 가방 포함.",
        }
        data.update(overrides)
        return data

    def test_anonymous_is_sent_to_login(self) -> None:
        response = self.client.get(self.url)
        self.assertRedirects(response, f"{reverse('login')}?next={self.url}")

    def test_create_with_default_floor_of_80_percent(self) -> None:
        self.login(self.alice)
        response = self.client.post(self.url, self.data())
        listing = Listing.objects.get(title="캠핑 의자 2개 일괄")
        self.assertRedirects(response, listing.get_absolute_url())
        self.assertEqual(listing.seller, self.alice)
        self.assertEqual(listing.price, 45000)
        self.assertEqual(listing.floor_price, 36000)
        self.assertEqual(listing.status, Status.ON_SALE)
        self.assertEqual(listing.style, "firm")

    def test_explicit_floor_is_kept(self) -> None:
        self.login(self.alice)
        self.client.post(self.url, self.data(price="45000", floor_price="41000원"))
        self.assertEqual(Listing.objects.get().floor_price, 41000)

    def test_prices_written_as_people_write_them(self) -> None:
        self.login(self.alice)
        self.client.post(self.url, self.data(title="a", price="45만원", floor_price="40만"))
        self.client.post(self.url, self.data(title="b", price="3만5천원", floor_price=""))
        self.assertEqual(
            dict(Listing.objects.values_list("title", "price")),
            {"a": 450000, "b": 35000},
        )
        self.assertEqual(Listing.objects.get(title="a").floor_price, 400000)

    def test_new_listing_takes_the_sellers_neighbourhood(self) -> None:
        self.alice.profile.neighborhood = "잠실동"
        self.alice.profile.save()
        self.login(self.alice)
        self.assertContains(self.client.get(self.url), 'value="잠실동"')
        self.client.post(self.url, self.data(neighborhood="잠실동"))
        self.client.post(self.url, self.data(title="다른 동네", neighborhood="석촌동"))
        self.assertEqual(
            dict(Listing.objects.values_list("title", "neighborhood")),
            {"캠핑 의자 2개 일괄": "잠실동", "다른 동네": "석촌동"},
        )

    def test_floor_may_equal_price_or_be_zero(self) -> None:
        self.login(self.alice)
        self.client.post(self.url, self.data(title="a", floor_price="45000"))
        self.client.post(self.url, self.data(title="b", floor_price="0"))
        self.assertEqual(dict(Listing.objects.values_list("title", "floor_price")), {"a": 45000, "b": 0})

    def test_bad_prices_are_form_errors_not_500s(self) -> None:
        self.login(self.alice)
        cases = [
            ({"price": "아주 싸게"}, "price", "금액을 알아볼 수 없어요."),
            ({"price": "-100"}, "price", "금액은 0원 이상이어야 해요."),
            ({"price": "1000000000"}, "price", "금액은 1억원 이하여야 해요."),
            ({"price": ""}, "price", "금액을 입력해 주세요."),
            ({"floor_price": "50000"}, "floor_price", "최저 수락 가격은 판매 가격보다 높을 수 없어요."),
            ({"floor_price": "-1"}, "floor_price", "금액은 0원 이상이어야 해요."),
            ({"title": ""}, "title", "제목을 입력해 주세요."),
            ({"category": "cars"}, "category", None),
        ]
        for overrides, field, message in cases:
            with self.subTest(overrides=overrides):
                response = self.client.post(self.url, self.data(**overrides))
                self.assertEqual(response.status_code, 200)
                self.assertIn(field, response.context["form"].errors)
                if message:
                    self.assertContains(response, message)
        self.assertFalse(Listing.objects.exists())

    def test_errors_are_named_at_the_top_and_the_tab_title_is_plain(self) -> None:
        self.login(self.alice)
        response = self.client.post(self.url, self.data(price="비쌈", description=""))
        body = response.content.decode()
        title = body[body.index("<title>") : body.index("</title>")]
        self.assertNotIn("<script", title)
        top = body[body.index('class="form-errors"') : body.index('class="field ')]
        self.assertIn("입력한 내용을 확인해 주세요", top)
        self.assertIn('<a href="#id_price">판매 가격</a>', top)
        self.assertIn('<a href="#id_description">상품 설명</a>', top)
        self.assertNotIn("제목", top)

    def test_form_shows_the_secret_floor_hint_to_the_seller(self) -> None:
        self.login(self.alice)
        response = self.client.get(self.url)
        self.assertContains(response, "최저 수락 가격")
        self.assertContains(response, "구매자에게는 보이지 않아요")
        self.assertNotContains(response, 'name="status"')  # new listings are on sale
