from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from marketplace.models import Listing, Status
from tests.base import BaseTestCase, make_listing


def titles(response) -> list[str]:
    return [listing.title for listing in response.context["page"].object_list]


class IndexTests(BaseTestCase):
    url = reverse("listing_index")

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        now = timezone.now()
        rows = [
            ("아이패드 에어4", "electronics", 420000, "배터리 87%", 1),
            ("캠핑 텐트", "sports", 130000, "폴대와 팩 포함, 아이패드 거치대 덤", 2),
            ("노스페이스 패딩", "clothing", 160000, "두 시즌 착용", 3),
            ("해리포터 전권", "books", 60000, "책등 바램", 4),
            ("숨긴 아이패드", "electronics", 100000, "비공개", 5),
        ]
        for title, category, price, description, age in rows:
            listing = make_listing(
                cls.alice,
                title=title,
                category=category,
                price=price,
                description=description,
                is_hidden=title.startswith("숨긴"),
            )
            Listing.objects.filter(pk=listing.pk).update(created_at=now - timedelta(hours=age))
        make_listing(cls.bob, title="팔린 책장", category="furniture", price=20000, status=Status.SOLD)
        Listing.objects.filter(title="팔린 책장").update(created_at=now - timedelta(hours=6))

    def test_newest_first_hidden_excluded(self) -> None:
        response = self.client.get(self.url)
        self.assertEqual(
            titles(response), ["아이패드 에어4", "캠핑 텐트", "노스페이스 패딩", "해리포터 전권", "팔린 책장"]
        )
        self.assertContains(response, "420,000원")
        self.assertContains(response, "1시간 전")
        self.assertContains(response, "판매완료")

    def test_search_title_and_description(self) -> None:
        self.assertEqual(
            titles(self.client.get(self.url, {"q": "아이패드"})), ["아이패드 에어4", "캠핑 텐트"]
        )
        self.assertEqual(titles(self.client.get(self.url, {"q": "텐트 거치대"})), ["캠핑 텐트"])
        self.assertEqual(titles(self.client.get(self.url, {"q": "없는물건"})), [])

    def test_category_and_price_range(self) -> None:
        self.assertEqual(titles(self.client.get(self.url, {"category": "electronics"})), ["아이패드 에어4"])
        response = self.client.get(self.url, {"min_price": "60,000", "max_price": "160000"})
        self.assertEqual(titles(response), ["캠핑 텐트", "노스페이스 패딩", "해리포터 전권"])

    def test_sort_cheapest(self) -> None:
        response = self.client.get(self.url, {"sort": "cheapest"})
        self.assertEqual(titles(response)[:2], ["팔린 책장", "해리포터 전권"])

    def test_bad_parameters_are_ignored_not_500s(self) -> None:
        for params in (
            {"min_price": "abc"},
            {"sort": "drop table"},
            {"category": "cars"},
            {"page": "x"},
            {"page": "999"},
            {"max_price": "-5"},
            {"q": "x" * 500},
        ):
            with self.subTest(params=params):
                self.assertEqual(self.client.get(self.url, params).status_code, 200)

    def test_pagination_keeps_filters(self) -> None:
        for i in range(21):
            make_listing(self.charlie, title=f"문구 세트 {i}", category="other", price=1000 + i)
        response = self.client.get(self.url, {"category": "other"})
        self.assertEqual(len(titles(response)), 20)
        self.assertContains(response, "?category=other&amp;page=2")
        page2 = self.client.get(self.url, {"category": "other", "page": 2})
        self.assertEqual(titles(page2), ["문구 세트 0"])

    def test_search_is_escaped(self) -> None:
        response = self.client.get(self.url, {"q": "<script>alert(1)</script>"})
        self.assertNotContains(response, "<script>alert(1)</script>")
        self.assertContains(response, "&lt;script&gt;")

    def test_english_query_finds_the_korean_name(self) -> None:
        self.assertEqual(titles(self.client.get(self.url, {"q": "iPad"})), ["아이패드 에어4", "캠핑 텐트"])
        self.assertEqual(titles(self.client.get(self.url, {"q": "northface"})), ["노스페이스 패딩"])

    def test_more_sorts_and_available_only(self) -> None:
        priciest = titles(self.client.get(self.url, {"sort": "priciest"}))
        self.assertEqual(priciest[:2], ["아이패드 에어4", "노스페이스 패딩"])
        available = titles(self.client.get(self.url, {"available": "on"}))
        self.assertNotIn("팔린 책장", available)
        self.assertEqual(len(available), 4)
        tent = Listing.objects.get(title="캠핑 텐트")
        tent.likes.create(user=self.bob)
        self.assertEqual(titles(self.client.get(self.url, {"sort": "popular"}))[0], "캠핑 텐트")
        page = self.client.get(self.url)
        for label in ("최신순", "낮은 가격순", "높은 가격순", "관심순", "거래 가능만 보기"):
            self.assertContains(page, label)

    def test_neighbourhood_shown_and_filtered(self) -> None:
        Listing.objects.filter(title="캠핑 텐트").update(neighborhood="망원동")
        page = self.client.get(self.url)
        self.assertContains(page, "망원동 · ")
        self.assertContains(page, '<option value="망원동"')
        self.assertEqual(titles(self.client.get(self.url, {"dong": "망원동"})), ["캠핑 텐트"])
