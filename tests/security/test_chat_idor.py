"""Every chat URL with an id is for the chat's buyer, the listing's seller and staff only: an
outsider gets a 404 and changes nothing, and "my chats" lists only the user's own."""

from __future__ import annotations

from django.urls import reverse

from marketplace.models import Status
from negotiation import services
from tests.base import BaseTestCase, make_listing


class ChatIdorTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.listing = make_listing(cls.alice, title="닌텐도 스위치 OLED")
        cls.session = services.session_open(listing=cls.listing, buyer=cls.bob)

    def test_outsider_gets_404_everywhere(self) -> None:
        self.listing.status = Status.RESERVED
        self.listing.save()
        self.login(self.charlie)
        self.assertEqual(
            self.client.get(reverse("negotiation:detail", args=[self.session.pk])).status_code, 404
        )
        cancel = reverse("negotiation:reservation_cancel", args=[self.session.pk])
        self.assertEqual(self.client.post(cancel).status_code, 404)
        self.listing.refresh_from_db()
        self.assertEqual(self.listing.status, Status.RESERVED)
        body = self.client.get(reverse("negotiation:list")).content.decode()
        self.assertNotIn("닌텐도 스위치 OLED", body)

    def test_the_buyer_cannot_cancel_the_sellers_reservation(self) -> None:
        self.listing.status = Status.RESERVED
        self.listing.save()
        self.login(self.bob)
        self.client.post(reverse("negotiation:reservation_cancel", args=[self.session.pk]))
        self.listing.refresh_from_db()
        self.assertEqual(self.listing.status, Status.RESERVED)

    def test_buyer_seller_and_staff_see_it(self) -> None:
        for user in (self.bob, self.alice, self.staff):
            self.login(user)
            self.assertEqual(
                self.client.get(reverse("negotiation:detail", args=[self.session.pk])).status_code, 200
            )

    def test_anonymous_is_sent_to_login(self) -> None:
        response = self.client.get(reverse("negotiation:detail", args=[self.session.pk]))
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("login"), response["Location"])
