from __future__ import annotations

from django.urls import reverse

from marketplace.models import Listing, Status
from tests.base import BaseTestCase, make_listing

VALID_EDIT = {
    "title": "탈취",
    "category": "other",
    "price": "1",
    "floor_price": "0",
    "style": "flexible",
    "description": "x",
    "status": "sold",
}


class OthersListingTests(BaseTestCase):
    """A buyer (or staff, on the site) cannot touch someone else's listing."""

    def setUp(self) -> None:
        super().setUp()
        self.listing = make_listing(self.alice, price=50000, floor_price=42000)

    def assert_untouched(self) -> None:
        listing = Listing.objects.get(pk=self.listing.pk)
        self.assertEqual(
            (listing.title, listing.price, listing.status, listing.is_hidden),
            (self.listing.title, 50000, Status.ON_SALE, False),
        )

    def test_buyer_cannot_edit_delete_hide_or_change_status(self) -> None:
        for user in (self.bob, self.staff):
            self.login(user)
            pk = self.listing.pk
            with self.subTest(user=user.username):
                self.assertEqual(self.client.get(reverse("listing_edit", args=[pk])).status_code, 404)
                self.assertEqual(
                    self.client.post(reverse("listing_edit", args=[pk]), VALID_EDIT).status_code, 404
                )
                self.assertEqual(self.client.get(reverse("listing_delete", args=[pk])).status_code, 404)
                self.assertEqual(self.client.post(reverse("listing_delete", args=[pk])).status_code, 404)
                self.assertEqual(
                    self.client.post(reverse("listing_hide", args=[pk]), {"hidden": "1"}).status_code, 404
                )
                self.assertEqual(
                    self.client.post(reverse("listing_status", args=[pk]), {"status": "sold"}).status_code,
                    404,
                )
                self.assert_untouched()

    def test_anonymous_is_sent_to_login_and_nothing_changes(self) -> None:
        pk = self.listing.pk
        for name in ("listing_edit", "listing_delete", "listing_hide", "listing_status"):
            with self.subTest(name=name):
                response = self.client.post(reverse(name, args=[pk]), {**VALID_EDIT, "hidden": "1"})
                self.assertEqual(response.status_code, 302)
                self.assertTrue(response["Location"].startswith(reverse("login")))
        self.assert_untouched()

    def test_buyer_detail_has_no_owner_controls(self) -> None:
        self.login(self.bob)
        response = self.client.get(self.listing.get_absolute_url())
        self.assertNotContains(response, reverse("listing_edit", args=[self.listing.pk]))
        self.assertNotContains(response, reverse("listing_delete", args=[self.listing.pk]))

    def test_csrf_is_enforced(self) -> None:
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        client.force_login(self.alice)
        response = client.post(reverse("listing_hide", args=[self.listing.pk]), {"hidden": "1"})
        self.assertEqual(response.status_code, 403)
        self.assertContains(response, "접근할 수 없어요", status_code=403)
        self.assert_untouched()
