"""Moderators read chats in the admin (messages read-only) and flag them; flagged chats stay out
of the training export; moderators export the chats they select and read the export runs."""

from __future__ import annotations

import json
import shutil
import tempfile
from io import StringIO
from pathlib import Path

from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from negotiation import selectors
from negotiation.models import ChatSession, ExportRun, Message
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


@override_settings(NELLM_EXPORT_SETTLE_SECONDS=0, MONGODB_URI="")
class AdminExportRunsTestCase(BaseTestCase):
    """Moderators export the chats they select and read every run's record; nobody edits one."""

    def setUp(self) -> None:
        super().setUp()
        tmp = Path(tempfile.mkdtemp(prefix="nellm-admin-export-"))
        self.addCleanup(shutil.rmtree, tmp, ignore_errors=True)
        self.path = tmp / "exports" / "dialogues.jsonl"
        override = override_settings(NELLM_EXPORT_PATH=str(self.path))
        override.enable()
        self.addCleanup(override.disable)
        self.listing = make_listing(self.alice, price=35_000, floor_price=27_300)
        self.chats = []
        for buyer in (self.bob, self.charlie, make_user("dave")):
            chat = ChatSession.objects.create(listing=self.listing, buyer=buyer, state="failed")
            for role, text in (
                ("buyer", "만원에 주세요"),
                ("bot", "그 가격은 어려워요. 33,000원까지는 맞춰드릴 수 있어요."),
                ("buyer", "##<15000>##"),
                ("bot", "##<거절>## 아쉽지만 여기서 마무리할게요."),
            ):
                Message.objects.create(session=chat, role=role, text=text)
            self.chats.append(chat)
        self.moderator = make_user("mod", "모더레이터", is_staff=True)
        self.moderator.groups.add(Group.objects.get(name="moderators"))

    def test_moderators_group_may_read_runs_and_export(self) -> None:
        perms = set(Group.objects.get(name="moderators").permissions.values_list("codename", flat=True))
        self.assertLessEqual({"view_exportrun", "export_chats"}, perms)
        self.assertNotIn("add_exportrun", perms)
        self.assertNotIn("change_exportrun", perms)
        self.assertNotIn("delete_exportrun", perms)

    def test_export_selected_chats_from_the_admin(self) -> None:
        self.login(self.moderator)
        changelist = reverse("admin:negotiation_chatsession_changelist")
        first, second, _ = self.chats
        ChatSession.objects.filter(pk=second.pk).update(flagged=True)
        response = self.client.post(
            changelist, {"action": "export_selected", "_selected_action": [first.pk, second.pk]}, follow=True
        )
        run = ExportRun.objects.get()
        self.assertContains(response, f"1개 대화를 내보냈어요 (실행 #{run.pk}). 제외: 신고됨 1")
        self.assertEqual((run.trigger, run.status, run.complete), ("admin", "succeeded", False))
        self.assertEqual(list(run.sessions.all()), [first])
        self.assertEqual(run.excluded, {"flagged": 1})
        lines = [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines()]
        self.assertEqual([r["session_id"] for r in lines], [first.pk])
        self.assertEqual(lines[0]["events"][-1], {"role": "판매자", "message": "##<거절>##"})

        runs = self.client.get(reverse("admin:negotiation_exportrun_changelist"))
        self.assertContains(runs, "관리자 선택")
        self.assertNotContains(runs, "exportrun/add/")
        page = self.client.get(reverse("admin:negotiation_exportrun_change", args=[run.pk]))
        self.assertContains(page, "flagged")
        self.assertNotContains(page, 'name="error"')  # read-only

        # A selection is no starting point: the next incremental run still takes every chat.
        call_command("export_chats", "--out", str(self.path), stdout=StringIO(), stderr=StringIO())
        self.assertEqual(ExportRun.objects.latest("pk").exported, 2)

    def test_staff_without_the_permission_gets_no_export_action(self) -> None:
        staff = make_user("plainstaff", is_staff=True)
        staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_chatsession"]))
        self.login(staff)
        changelist = reverse("admin:negotiation_chatsession_changelist")
        self.assertNotContains(self.client.get(changelist), "export_selected")
        self.client.post(changelist, {"action": "export_selected", "_selected_action": [self.chats[0].pk]})
        self.assertFalse(ExportRun.objects.exists())
        self.assertFalse(self.path.exists())
        self.assertEqual(self.client.get(reverse("admin:negotiation_exportrun_changelist")).status_code, 403)
