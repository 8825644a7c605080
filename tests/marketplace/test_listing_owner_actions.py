from __future__ import annotations

from django.urls import reverse

from marketplace.models import Listing, Status
from tests.base import BaseTestCase, make_listing


class OwnerActionTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.listing = make_listing(self.alice, price=50000, floor_price=42000)
        self.login(self.alice)

    def test_edit_changes_fields_and_status(self) -> None:
        url = reverse("listing_edit", args=[self.listing.pk])
        form = self.client.get(url)
        self.assertContains(form, 'value="42000"')
        response = self.client.post(
            url,
            {
                "title": "새 제목",
                "category": "books",
                "price": "60000",
                "floor_price": "55000",
                "style": "flexible",
                "description": "설명 수정",
                "status": "reserved",
            },
        )
        self.assertRedirects(response, self.listing.get_absolute_url())
        self.listing.refresh_from_db()
        self.assertEqual(
            (self.listing.title, self.listing.price, self.listing.floor_price, self.listing.status),
            ("새 제목", 60000, 55000, Status.RESERVED),
        )

    def test_lowering_price_below_the_floor_is_refused(self) -> None:
        response = self.client.post(
            reverse("listing_edit", args=[self.listing.pk]),
            {
                "title": "t",
                "category": "books",
                "price": "30000",
                "floor_price": "42000",
                "style": "firm",
                "description": "d",
                "status": "on_sale",
            },
        )
        self.assertContains(response, "최저 수락 가격은 판매 가격보다 높을 수 없어요.")
        self.listing.refresh_from_db()
        self.assertEqual(self.listing.price, 50000)

    def test_hide_and_unhide(self) -> None:
        url = reverse("listing_hide", args=[self.listing.pk])
        self.assertRedirects(self.client.post(url, {"hidden": "1"}), reverse("my_listings"))
        self.listing.refresh_from_db()
        self.assertTrue(self.listing.is_hidden)
        self.client.post(url, {"hidden": "0"})
        self.listing.refresh_from_db()
        self.assertFalse(self.listing.is_hidden)
        self.assertEqual(self.client.get(url).status_code, 405)

    def test_status_quick_change_validates(self) -> None:
        url = reverse("listing_status", args=[self.listing.pk])
        self.client.post(url, {"status": "sold"})
        self.listing.refresh_from_db()
        self.assertEqual(self.listing.status, Status.SOLD)
        response = self.client.post(url, {"status": "stolen"}, follow=True)
        self.assertContains(response, "알 수 없는 판매 상태예요.")
        self.listing.refresh_from_db()
        self.assertEqual(self.listing.status, Status.SOLD)

    def test_delete_asks_then_deletes(self) -> None:
        url = reverse("listing_delete", args=[self.listing.pk])
        self.assertContains(self.client.get(url), "판매글을 삭제할까요?")
        self.assertRedirects(self.client.post(url), reverse("my_listings"))
        self.assertFalse(Listing.objects.filter(pk=self.listing.pk).exists())

    def test_my_listings_shows_own_listings_with_floor_and_hidden_ones(self) -> None:
        make_listing(self.alice, title="숨긴 물건", is_hidden=True)
        make_listing(self.bob, title="밥의 물건")
        response = self.client.get(reverse("my_listings"))
        self.assertContains(response, "최저 42,000원")
        self.assertContains(response, "숨긴 물건")
        self.assertNotContains(response, "밥의 물건")

    def test_my_listings_needs_login(self) -> None:
        self.client.logout()
        url = reverse("my_listings")
        self.assertRedirects(self.client.get(url), f"{reverse('login')}?next={url}")
