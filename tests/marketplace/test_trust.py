"""Issue 17's trust features through the public pages: 관심, 끌올, 판매완료 with the buyer named,
거래 후기 and 매너, 신고 (and the admin queue), 차단 (a blocked buyer cannot open a chat)."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from marketplace.models import Block, Like, Listing, Profile, Report, Review, Status
from marketplace.moderation import MODERATORS
from marketplace.services import report_handle
from negotiation import services
from negotiation.models import ChatSession
from tests.base import BaseTestCase, make_listing


def titles(response) -> list[str]:
    return [listing.title for listing in response.context["page"].object_list]


class LikeTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.listing = make_listing(self.alice, title="다이슨 청소기")
        self.url = reverse("listing_like", args=[self.listing.pk])

    def test_like_and_unlike_show_on_cards_and_my_likes(self) -> None:
        self.login(self.bob)
        self.client.post(self.url, {"liked": "1"})
        self.client.post(self.url, {"liked": "1"})  # twice is still one 관심
        self.assertEqual(Like.objects.filter(listing=self.listing).count(), 1)
        self.login(self.charlie)
        self.client.post(self.url, {"liked": "1"})
        index = self.client.get(reverse("listing_index"))
        self.assertEqual(index.context["page"].object_list[0].like_count, 2)
        self.assertContains(index, "관심 2")
        self.assertEqual(titles(self.client.get(reverse("my_likes"))), ["다이슨 청소기"])
        detail = self.client.get(self.listing.get_absolute_url())
        self.assertContains(detail, 'aria-pressed="true"')
        self.client.post(self.url, {"liked": "0"})
        self.assertEqual(titles(self.client.get(reverse("my_likes"))), [])
        self.assertEqual(Like.objects.filter(listing=self.listing).count(), 1)

    def test_needs_login_post_and_not_own_listing(self) -> None:
        self.assertEqual(self.client.post(self.url, {"liked": "1"}).status_code, 302)
        self.assertFalse(Like.objects.exists())
        self.login(self.bob)
        self.assertEqual(self.client.get(self.url).status_code, 405)
        self.login(self.alice)
        response = self.client.post(self.url, {"liked": "1"}, follow=True)
        self.assertContains(response, "내 판매글에는 관심을 누를 수 없어요.")
        self.assertFalse(Like.objects.exists())

    def test_hidden_listing_cannot_be_liked(self) -> None:
        Listing.objects.filter(pk=self.listing.pk).update(is_hidden=True)
        self.login(self.bob)
        self.assertEqual(self.client.post(self.url, {"liked": "1"}).status_code, 404)

    def test_in_place_toggle_answers_json_without_a_flash(self) -> None:
        self.login(self.bob)
        fetch = {"HTTP_X_REQUESTED_WITH": "fetch"}
        self.assertEqual(
            self.client.post(self.url, {"liked": "1"}, **fetch).json(), {"liked": True, "count": 1}
        )
        self.assertEqual(
            self.client.post(self.url, {"liked": "0"}, **fetch).json(), {"liked": False, "count": 0}
        )
        self.assertNotContains(self.client.get(self.listing.get_absolute_url()), "관심 목록에")
        self.login(self.alice)
        refused = self.client.post(self.url, {"liked": "1"}, **fetch)
        self.assertEqual(refused.status_code, 400)
        self.assertEqual(refused.json()["error"], "내 판매글에는 관심을 누를 수 없어요.")

    def test_offsite_next_is_ignored(self) -> None:
        self.login(self.bob)
        response = self.client.post(self.url, {"liked": "1", "next": "https://evil.example/"})
        self.assertRedirects(response, self.listing.get_absolute_url(), fetch_redirect_response=False)


class BumpTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        now = timezone.now()
        self.old = make_listing(self.alice, title="오래된 책상")
        Listing.objects.filter(pk=self.old.pk).update(created_at=now - timedelta(days=3))
        self.new = make_listing(self.bob, title="새 의자")
        Listing.objects.filter(pk=self.new.pk).update(created_at=now - timedelta(hours=1))
        self.url = reverse("listing_bump", args=[self.old.pk])

    def test_bump_moves_to_top_once_a_day(self) -> None:
        self.assertEqual(titles(self.client.get(reverse("listing_index"))), ["새 의자", "오래된 책상"])
        self.login(self.alice)
        self.client.post(self.url)
        self.assertEqual(titles(self.client.get(reverse("listing_index"))), ["오래된 책상", "새 의자"])
        again = self.client.post(self.url, follow=True)
        self.assertContains(again, "끌올은 하루에 한 번만 할 수 있어요.")
        self.assertContains(self.client.get(reverse("my_listings")), "오늘 끌올함")
        first = Listing.objects.get(pk=self.old.pk).bumped_at
        Listing.objects.filter(pk=self.old.pk).update(bumped_at=first - timedelta(days=1, minutes=1))
        self.client.post(self.url)
        self.assertGreater(Listing.objects.get(pk=self.old.pk).bumped_at, first)

    def test_only_the_seller_and_only_on_sale(self) -> None:
        self.login(self.bob)
        self.assertEqual(self.client.post(self.url).status_code, 404)
        self.login(self.alice)
        Listing.objects.filter(pk=self.old.pk).update(status=Status.SOLD)
        response = self.client.post(self.url, follow=True)
        self.assertContains(response, "판매중인 공개 판매글만 끌어올릴 수 있어요.")
        self.assertIsNone(Listing.objects.get(pk=self.old.pk).bumped_at)


class DealAndReviewTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.listing = make_listing(self.alice, title="캠핑 의자 2개", price=40000)
        self.bob_chat = ChatSession.objects.create(listing=self.listing, buyer=self.bob)
        ChatSession.objects.create(listing=self.listing, buyer=self.charlie)
        self.review_url = reverse("review_create", args=[self.listing.pk])

    def sell_to(self, buyer) -> None:
        self.login(self.alice)
        page = self.client.get(reverse("listing_sold", args=[self.listing.pk]))
        self.assertContains(page, "밥구매자")
        self.assertContains(page, "찰리")
        self.client.post(reverse("listing_sold", args=[self.listing.pk]), {"buyer": str(buyer.pk)})
        self.listing.refresh_from_db()

    def test_seller_names_the_buyer_and_both_review_once(self) -> None:
        self.sell_to(self.bob)
        self.assertEqual((self.listing.status, self.listing.buyer), (Status.SOLD, self.bob))
        self.assertContains(
            self.client.get(self.listing.get_absolute_url()), "밥구매자님과의 거래 후기 남기기"
        )
        self.client.post(self.review_url, {"rating": "good", "text": "시간 약속을 잘 지켰어요"})
        self.login(self.bob)
        self.client.post(self.review_url, {"rating": "bad", "text": "설명과 달랐어요"})
        twice = self.client.post(self.review_url, {"rating": "good"}, follow=True)
        self.assertContains(twice, "한 번씩 후기를 남길 수 있어요")
        reviews = {(r.author.username, r.target.username, r.rating) for r in Review.objects.all()}
        self.assertEqual(reviews, {("alice", "bob", "good"), ("bob", "alice", "bad")})
        profile = self.client.get(reverse("user_profile", args=[self.bob.pk]))
        self.assertContains(profile, "37.0°C")  # 36.5 + 0.5 for one 좋았어요
        self.assertContains(profile, "시간 약속을 잘 지켰어요")
        self.assertContains(profile, "36.5°C에서 시작")  # the rules are shown
        self.assertContains(self.client.get(reverse("user_profile", args=[self.alice.pk])), "35.0°C")

    def test_only_parties_of_a_finished_deal_may_review(self) -> None:
        self.login(self.bob)
        before = self.client.post(self.review_url, {"rating": "good"}, follow=True)
        self.assertContains(before, "거래를 마친 판매자와 구매자만")
        self.sell_to(self.bob)
        for outsider in (self.charlie, self.staff):
            self.login(outsider)
            self.client.post(self.review_url, {"rating": "bad", "text": "별로"})
        self.assertFalse(Review.objects.exists())
        self.assertEqual(self.client.get(self.review_url).status_code, 302)

    def test_sold_elsewhere_has_no_reviews_and_a_stranger_cannot_be_named(self) -> None:
        self.login(self.alice)
        url = reverse("listing_sold", args=[self.listing.pk])
        self.client.post(url, {"buyer": str(self.staff.pk)})  # never chatted
        self.listing.refresh_from_db()
        self.assertEqual(self.listing.status, Status.ON_SALE)
        self.client.post(url, {"buyer": "0"})
        self.listing.refresh_from_db()
        self.assertEqual((self.listing.status, self.listing.buyer), (Status.SOLD, None))
        self.login(self.bob)
        self.client.post(self.review_url, {"rating": "good"})
        self.assertFalse(Review.objects.exists())

    def test_the_agreed_buyer_is_told_they_won_and_is_the_default_buyer(self) -> None:
        ChatSession.objects.filter(pk=self.bob_chat.pk).update(state="agreed", agreed_price=36000)
        Listing.objects.filter(pk=self.listing.pk).update(status=Status.RESERVED)
        self.login(self.bob)
        page = self.client.get(self.listing.get_absolute_url())
        self.assertContains(page, "축하해요! 36,000원에 거래가 성사되어")
        self.assertContains(page, "채팅에서 약속 잡기")
        self.assertNotContains(page, "거래가 취소되면 다시 협상")
        self.login(self.charlie)
        page = self.client.get(self.listing.get_absolute_url())
        self.assertContains(page, "다른 분과 거래 중인 예약중 물건이에요")
        self.assertContains(page, "협상 이어하기")
        self.login(self.alice)
        self.client.post(reverse("listing_status", args=[self.listing.pk]), {"status": "sold"})
        self.listing.refresh_from_db()
        self.assertEqual(self.listing.buyer, self.bob)

    def test_finished_chats_offer_to_view_not_to_continue(self) -> None:
        for state in ("failed", "closed"):
            ChatSession.objects.filter(pk=self.bob_chat.pk).update(state=state)
            self.login(self.bob)
            page = self.client.get(self.listing.get_absolute_url())
            self.assertContains(page, "대화 보기")
            self.assertNotContains(page, "협상 이어하기")


class ReportTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.listing = make_listing(self.alice, title="짝퉁 의심 가방")
        self.chat = ChatSession.objects.create(listing=self.listing, buyer=self.bob)
        self.url = reverse("report_create")

    def test_report_a_listing_a_chat_and_a_user(self) -> None:
        self.login(self.bob)
        form = self.client.get(self.url, {"listing": self.listing.pk})
        self.assertContains(form, "사기가 의심돼요")
        self.client.post(
            self.url, {"listing": self.listing.pk, "reason": "fraud", "detail": "정품 인증 거부"}
        )
        self.client.post(self.url, {"chat": self.chat.pk, "reason": "abuse"})
        self.client.post(self.url, {"user": self.alice.pk, "reason": "no_show"})
        reports = list(Report.objects.order_by("pk").values_list("kind", "target_user__username", "reason"))
        self.assertEqual(
            reports, [("listing", "alice", "fraud"), ("chat", "alice", "abuse"), ("user", "alice", "no_show")]
        )
        self.login(self.alice)  # the seller reports the buyer of her chat
        self.client.post(self.url, {"chat": self.chat.pk, "reason": "spam"})
        self.assertEqual(Report.objects.latest("pk").target_user, self.bob)
        self.chat.refresh_from_db()
        self.assertTrue(self.chat.flagged)  # a reported chat stays out of the training data

    def test_bad_reports_are_refused(self) -> None:
        self.login(self.charlie)
        self.assertEqual(
            self.client.post(self.url, {"chat": self.chat.pk, "reason": "abuse"}).status_code, 404
        )
        self.assertEqual(self.client.get(self.url, {"listing": "abc"}).status_code, 404)
        empty = self.client.post(self.url, {"listing": self.listing.pk, "reason": ""})
        self.assertContains(empty, "신고 사유를 골라 주세요.")
        self.login(self.alice)
        own = self.client.post(self.url, {"user": self.alice.pk, "reason": "spam"}, follow=True)
        self.assertContains(own, "나 자신은 신고할 수 없어요.")
        self.assertFalse(Report.objects.exists())
        self.client.logout()
        self.assertEqual(self.client.post(self.url, {"user": self.bob.pk, "reason": "spam"}).status_code, 302)
        self.assertFalse(Report.objects.exists())

    def test_moderators_work_the_queue(self) -> None:
        on_listing = Report.objects.create(
            reporter=self.bob, target_user=self.alice, kind="listing", listing=self.listing, reason="fraud"
        )
        on_user = Report.objects.create(
            reporter=self.bob, target_user=self.alice, kind="user", reason="abuse"
        )
        self.staff.groups.add(Group.objects.get(name=MODERATORS))
        self.login(self.staff)
        changelist = reverse("admin:marketplace_report_changelist")
        self.assertContains(self.client.get(changelist, {"state__exact": "open"}), "판매글 신고")
        self.client.post(changelist, {"action": "hide_listing", "_selected_action": [on_listing.pk]})
        self.client.post(changelist, {"action": "warn_user", "_selected_action": [on_user.pk]})
        self.listing.refresh_from_db()
        self.assertTrue(self.listing.is_hidden)
        self.assertEqual(Profile.objects.get(user=self.alice).warnings, 1)
        self.client.post(changelist, {"action": "suspend_user", "_selected_action": [on_user.pk]})
        self.alice.refresh_from_db()
        self.assertFalse(self.alice.is_active)
        self.assertEqual(set(Report.objects.values_list("state", flat=True)), {"resolved"})
        self.assertEqual(self.client.get(reverse("user_profile", args=[self.alice.pk])).status_code, 404)
        Listing.objects.filter(pk=self.listing.pk).update(is_hidden=False)
        other = make_listing(self.alice, title="정지된 판매자의 다른 물건")
        self.client.logout()
        self.assertEqual(titles(self.client.get(reverse("listing_index"))), [])  # a suspended seller's leave
        self.assertEqual(self.client.get(other.get_absolute_url()).status_code, 404)


class BlockTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.listing = make_listing(self.alice, title="닌텐도 스위치")
        self.open_url = reverse("negotiation:open", args=[self.listing.pk])

    def test_a_blocked_buyer_cannot_open_a_chat(self) -> None:
        self.login(self.alice)
        self.client.post(reverse("user_block", args=[self.bob.pk]), {"blocked": "1"})
        self.assertTrue(Block.objects.filter(blocker=self.alice, blocked=self.bob).exists())
        self.login(self.bob)
        response = self.client.post(self.open_url, follow=True)
        self.assertContains(response, "판매자와 채팅할 수 없는 상태예요.")
        self.assertFalse(ChatSession.objects.exists())
        self.login(self.charlie)  # others are not affected
        self.client.post(self.open_url)
        self.assertEqual(ChatSession.objects.count(), 1)

    def test_a_suspended_sellers_listing_takes_no_new_chat_and_no_deal(self) -> None:
        earlier = services.session_open(listing=self.listing, buyer=self.charlie)
        report = Report.objects.create(reporter=self.bob, target_user=self.alice, kind="user", reason="fraud")
        report_handle(report=report, action="suspend")
        self.login(self.bob)
        self.client.post(self.open_url)
        self.assertFalse(ChatSession.objects.filter(buyer=self.bob).exists())
        # The listing left the market: an earlier chat's final offer makes no deal either.
        with self.assertRaises(services.ChatError) as refused:
            services.offer_submit(session_id=earlier.pk, user=self.charlie, price=self.listing.price)
        self.assertEqual(refused.exception.code, "hidden")
        self.assertFalse(ChatSession.objects.filter(state="agreed").exists())

    def test_a_block_stops_messages_in_an_earlier_chat_both_ways(self) -> None:
        chat = services.session_open(listing=self.listing, buyer=self.bob)
        self.login(self.alice)
        self.client.post(reverse("user_block", args=[self.bob.pk]), {"blocked": "1"})
        for user, text in ((self.bob, "3만원 되나요?"), (self.alice, "안녕하세요")):
            with self.assertRaises(services.ChatError) as refused:
                services.message_submit(session_id=chat.pk, user=user, text=text)
            self.assertEqual(refused.exception.code, "blocked")
        with self.assertRaises(services.ChatError):
            services.offer_submit(session_id=chat.pk, user=self.bob, price=30_000)
        self.assertFalse(chat.messages.filter(role__in=["buyer", "seller"]).exists())

    def test_blocking_the_seller_and_an_existing_chat(self) -> None:
        self.login(self.bob)
        self.client.post(self.open_url)
        self.client.post(reverse("user_block", args=[self.alice.pk]), {"blocked": "1"})
        response = self.client.post(self.open_url, follow=True)
        self.assertContains(response, "차단한 사용자와는 채팅할 수 없어요.")
        profile = self.client.get(reverse("user_profile", args=[self.alice.pk]))
        self.assertContains(profile, "차단 해제")
        self.client.post(reverse("user_block", args=[self.alice.pk]), {"blocked": "0"})
        self.assertRedirects(
            self.client.post(self.open_url),
            reverse("negotiation:detail", args=[ChatSession.objects.get().pk]),
        )

    def test_cannot_block_oneself(self) -> None:
        self.login(self.bob)
        response = self.client.post(reverse("user_block", args=[self.bob.pk]), {"blocked": "1"}, follow=True)
        self.assertContains(response, "나 자신은 차단할 수 없어요.")
        self.assertFalse(Block.objects.exists())


class ViewCountTests(BaseTestCase):
    def test_one_view_per_viewer_a_day_and_not_the_seller(self) -> None:
        listing = make_listing(self.alice)
        url = listing.get_absolute_url()
        self.client.get(url)
        self.client.get(url)  # the same anonymous visitor again
        self.login(self.bob)
        self.client.get(url)
        self.client.get(url)
        self.login(self.alice)
        page = self.client.get(url)
        self.assertEqual(Listing.objects.get(pk=listing.pk).view_count, 2)
        self.assertContains(page, "조회 2")
