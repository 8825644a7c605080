"""The chat pages: open or resume by POST, who may see a chat, the buyer's list, the seller's
reservation cancel, and the listing page's button."""

from __future__ import annotations

from django.urls import reverse

from marketplace.models import Status
from negotiation.models import ChatSession
from tests.base import BaseTestCase, make_listing

FLOOR = 27_300


class ChatViewsTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.listing = make_listing(self.alice, price=35_000, floor_price=FLOOR)
        self.open_url = reverse("negotiation:open", args=[self.listing.pk])

    def test_open_creates_once_and_resumes(self) -> None:
        self.login(self.bob)
        first = self.client.post(self.open_url)
        session = ChatSession.objects.get()
        self.assertRedirects(first, reverse("negotiation:detail", args=[session.pk]))
        self.client.post(self.open_url)
        self.assertEqual(ChatSession.objects.count(), 1)

    def test_open_needs_post_and_login(self) -> None:
        self.assertEqual(self.client.post(self.open_url).status_code, 302)
        self.login(self.bob)
        self.assertEqual(self.client.get(self.open_url).status_code, 405)
        self.assertEqual(ChatSession.objects.count(), 0)

    def test_no_chat_on_own_or_unavailable_listing(self) -> None:
        self.login(self.alice)
        response = self.client.post(self.open_url, follow=True)
        self.assertContains(response, "내 판매글에는 가격 협상을 열 수 없어요")
        self.login(self.bob)
        for status in (Status.RESERVED, Status.SOLD):
            self.listing.status = status
            self.listing.save()
            response = self.client.post(self.open_url, follow=True)
            self.assertContains(response, "판매중인 상품만")
        self.assertEqual(ChatSession.objects.count(), 0)

    def test_page_for_buyer_seller_staff_only(self) -> None:
        session = ChatSession.objects.create(listing=self.listing, buyer=self.bob)
        url = reverse("negotiation:detail", args=[session.pk])
        for user, status in ((self.bob, 200), (self.alice, 200), (self.staff, 200), (self.charlie, 404)):
            self.login(user)
            self.assertEqual(self.client.get(url).status_code, status, user.username)

    def test_floor_never_in_the_page(self) -> None:
        session = ChatSession.objects.create(listing=self.listing, buyer=self.bob)
        self.login(self.bob)
        response = self.client.get(reverse("negotiation:detail", args=[session.pk]))
        self.assertContains(response, "가격 제안")
        self.assertContains(response, f'data-ws-path="/ws/chat/{session.pk}/"')
        body = response.content.decode()
        for form in ("27300", "27,300"):
            self.assertNotIn(form, body)
        for key in response.context.keys():  # noqa: SIM118 (a ContextList iterates contexts)
            value = response.context[key]
            self.assertFalse(hasattr(value, "floor_price") or hasattr(value, "listing"), key)

    def test_listing_button_opens_then_resumes(self) -> None:
        self.login(self.bob)
        page = self.client.get(self.listing.get_absolute_url())
        self.assertContains(page, f'action="{self.open_url}"')
        self.assertContains(page, "csrfmiddlewaretoken")
        self.client.post(self.open_url)
        page = self.client.get(self.listing.get_absolute_url())
        self.assertContains(page, "협상 이어하기")

    def test_my_chats(self) -> None:
        ChatSession.objects.create(listing=self.listing, buyer=self.bob)
        other = make_listing(self.charlie, title="닌텐도 스위치")
        ChatSession.objects.create(listing=other, buyer=self.alice)
        self.login(self.bob)
        response = self.client.get(reverse("negotiation:list"))
        self.assertContains(response, self.listing.title)
        self.assertNotContains(response, "닌텐도 스위치")
        self.login(self.alice)
        response = self.client.get(reverse("negotiation:list"))
        self.assertContains(response, "닌텐도 스위치")
        self.assertContains(response, "밥구매자")

    def test_seller_cancels_reservation_from_the_chat(self) -> None:
        session = ChatSession.objects.create(
            listing=self.listing, buyer=self.bob, state="agreed", agreed_price=35_000
        )
        self.listing.status = Status.RESERVED
        self.listing.save()
        url = reverse("negotiation:reservation_cancel", args=[session.pk])
        self.login(self.bob)
        self.client.post(url)
        self.listing.refresh_from_db()
        self.assertEqual(self.listing.status, Status.RESERVED)
        self.login(self.alice)
        self.client.post(url)
        self.listing.refresh_from_db()
        session.refresh_from_db()
        self.assertEqual((self.listing.status, session.state), (Status.ON_SALE, "closed"))
