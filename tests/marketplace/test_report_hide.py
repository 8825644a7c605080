"""The report queue's "hide" acts on what was reported, never on the reporter: a seller who
reports the buyer of a chat on her listing keeps the listing; a buyer's report of that chat
hides it (its seller is the one reported); a report about a user has nothing to hide."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.urls import reverse

from marketplace.models import Listing, Report
from marketplace.moderation import MODERATORS
from negotiation.models import ChatSession
from tests.base import BaseTestCase, make_listing


class ReportHideTests(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.listing = make_listing(self.alice, title="캠핑 의자")
        self.chat = ChatSession.objects.create(listing=self.listing, buyer=self.bob)
        self.staff.groups.add(Group.objects.get(name=MODERATORS))
        self.changelist = reverse("admin:marketplace_report_changelist")

    def report_through_the_site(self, reporter, **target: object) -> Report:
        self.login(reporter)
        self.client.post(reverse("report_create"), {**target, "reason": "abuse"})
        return Report.objects.latest("pk")

    def hide(self, report: Report):
        self.login(self.staff)
        return self.client.post(
            self.changelist, {"action": "hide_listing", "_selected_action": [report.pk]}, follow=True
        )

    def test_the_seller_reporting_a_buyer_keeps_her_listing(self) -> None:
        report = self.report_through_the_site(self.alice, chat=self.chat.pk)
        self.assertEqual(report.target_user, self.bob)
        page = self.hide(report)
        self.assertFalse(Listing.objects.get(pk=self.listing.pk).is_hidden)
        self.assertContains(page, "신고 대상의 판매글이 없어 숨길 수 없어요")
        report.refresh_from_db()
        self.assertEqual((report.state, report.action), ("open", ""))  # still to be handled

    def test_a_buyer_reporting_the_seller_in_a_chat_hides_the_listing(self) -> None:
        report = self.report_through_the_site(self.bob, chat=self.chat.pk)
        self.hide(report)
        self.assertTrue(Listing.objects.get(pk=self.listing.pk).is_hidden)
        report.refresh_from_db()
        self.assertEqual((report.state, report.action), ("resolved", "판매글 숨김"))

    def test_a_user_report_has_nothing_to_hide(self) -> None:
        report = self.report_through_the_site(self.bob, user=self.alice.pk)
        self.hide(report)
        self.assertFalse(Listing.objects.get(pk=self.listing.pk).is_hidden)
        report.refresh_from_db()
        self.assertEqual(report.state, "open")
