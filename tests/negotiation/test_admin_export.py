"""Moderators read chats in the admin (messages read-only) and flag them; flagged chats stay out
of the training export."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.urls import reverse

from negotiation import selectors
from negotiation.models import ChatSession, Message
from tests.base import BaseTestCase, make_listing, make_user


class AdminExportTestCase(BaseTestCase):
    def setUp(self) -> None:
        self.listing = make_listing(self.alice, title="에어팟 프로 2세대")
        self.chat = ChatSession.objects.create(
            listing=self.listing, buyer=self.bob, state="agreed", agreed_price=30_000
        )
        Message.objects.create(session=self.chat, role="buyer", text="3만원에 주세요")
        Message.objects.create(session=self.chat, role="bot", text="##<수락>## 좋아요!")
        self.admin_user = make_user("root", "관리자", is_staff=True, is_superuser=True)

    def test_moderators_group_may_view_and_flag_chats(self) -> None:
        perms = set(Group.objects.get(name="moderators").permissions.values_list("codename", flat=True))
        self.assertLessEqual({"view_chatsession", "change_chatsession", "view_message"}, perms)

    def test_admin_lists_filters_searches_and_flags(self) -> None:
        self.login(self.admin_user)
        changelist = reverse("admin:negotiation_chatsession_changelist")
        self.assertContains(self.client.get(changelist, {"state": "agreed"}), "에어팟")
        self.assertNotContains(self.client.get(changelist, {"state": "failed"}), "에어팟")
        self.assertContains(self.client.get(changelist, {"q": "3만원에"}), "에어팟")
        page = self.client.get(reverse("admin:negotiation_chatsession_change", args=[self.chat.pk]))
        self.assertContains(page, "3만원에 주세요")
        self.assertNotContains(page, 'name="messages-0-text"')  # read-only inline
        self.assertEqual(len(selectors.exportable_sessions()), 1)
        self.client.post(changelist, {"action": "flag", "_selected_action": [self.chat.pk]})
        self.chat.refresh_from_db()
        self.assertTrue(self.chat.flagged)
        self.assertEqual(len(selectors.exportable_sessions()), 0)

    def test_dialogue_in_the_dataset_schema(self) -> None:
        record = selectors.session_dialogue(session=self.chat)
        self.assertEqual(record["result"], "ACCEPT")
        self.assertEqual([e["role"] for e in record["events"]], ["구매자", "판매자"])
