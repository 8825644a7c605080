"""The chats on a listing follow its sale status, whoever changes it: the seller's pages, the
edit form, a moderator's admin action."""

from __future__ import annotations

from django.urls import reverse

from marketplace.models import Status
from negotiation import services
from negotiation.models import ChatSession, Message
from tests.base import BaseTestCase, make_listing

State = ChatSession.State


class ListingStatusFollowTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.listing = make_listing(self.alice, price=50_000, floor_price=41_300)
        self.bob_chat = services.session_open(listing=self.listing, buyer=self.bob)
        self.charlie_chat = services.session_open(listing=self.listing, buyer=self.charlie)
        self.client.force_login(self.alice)

    def states(self) -> tuple[str, str]:
        self.bob_chat.refresh_from_db()
        self.charlie_chat.refresh_from_db()
        return self.bob_chat.state, self.charlie_chat.state

    def last_system(self, chat: ChatSession) -> str:
        return Message.objects.filter(session=chat, role="system").latest("pk").text

    def set_status(self, status: str) -> None:
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(reverse("listing_status", args=[self.listing.pk]), {"status": status})
        self.listing.refresh_from_db()
        self.assertEqual(self.listing.status, status)

    def test_reserving_by_hand_puts_open_chats_on_hold_and_on_sale_resumes_them(self) -> None:
        self.set_status(Status.RESERVED)
        self.assertEqual(self.states(), (State.WAITING, State.WAITING))
        self.assertIn("예약중", self.last_system(self.bob_chat))
        self.set_status(Status.ON_SALE)
        self.assertEqual(self.states(), (State.OPEN, State.OPEN))
        self.assertIn("다시 가격을 협상", self.last_system(self.charlie_chat))

    def test_selling_ends_the_open_chats_but_keeps_the_agreed_deal(self) -> None:
        ChatSession.objects.filter(pk=self.bob_chat.pk).update(state=State.AGREED, agreed_price=45_000)
        self.set_status(Status.SOLD)
        self.assertEqual(self.states(), (State.AGREED, State.CLOSED))
        self.assertIn("판매가 완료", self.last_system(self.charlie_chat))
        self.assertEqual(self.bob_chat.agreed_price, 45_000)

    def test_cancelling_a_reservation_from_my_listings_reopens_the_waiting_chats(self) -> None:
        ChatSession.objects.filter(pk=self.bob_chat.pk).update(state=State.AGREED, agreed_price=45_000)
        ChatSession.objects.filter(pk=self.charlie_chat.pk).update(state=State.WAITING)
        self.listing.status = Status.RESERVED
        self.listing.save()
        self.set_status(Status.ON_SALE)
        self.assertEqual(self.states(), (State.CLOSED, State.OPEN))
        self.assertIn("예약을 취소", self.last_system(self.bob_chat))

    def test_the_edit_form_changes_status_through_the_same_path(self) -> None:
        form = {
            "title": self.listing.title,
            "description": self.listing.description,
            "category": self.listing.category,
            "price": "50000",
            "floor_price": "41300",
            "style": self.listing.style,
            "status": Status.RESERVED,
        }
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(reverse("listing_edit", args=[self.listing.pk]), form)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.states(), (State.WAITING, State.WAITING))

    def test_a_moderator_marking_it_sold_ends_the_chats(self) -> None:
        self.client.force_login(self.staff)
        self.staff.is_superuser = True
        self.staff.save()
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(
                reverse("admin:marketplace_listing_changelist"),
                {"action": "mark_sold", "_selected_action": [self.listing.pk]},
            )
        self.listing.refresh_from_db()
        self.assertEqual(self.listing.status, Status.SOLD)
        self.assertEqual(self.states(), (State.CLOSED, State.CLOSED))
