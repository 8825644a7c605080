"""`manage.py export_chats`: finished chats leave as dialogues in the original's schema, to JSONL and
MongoDB, incrementally and idempotently, curated and masked; each run is an ExportRun row and a
failed one marks nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from datetime import datetime, timedelta
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import timezone

from negotiation import dispatch, replies, services
from negotiation.management.commands.export_chats import Command
from negotiation.models import ChatSession, ExportRun, Message
from tests.base import BaseTestCase, make_listing, make_user
from tests.mlcore.cli import run_mlcore

FLOOR = 27_300
ROOT = Path(__file__).resolve().parents[2]
CORE = {"title", "description", "price", "result", "events"}
AGREED_TURNS = [
    ("system", "판매자를 대신해 낼름 봇이 가격을 협상해 드려요."),
    ("buyer", "안녕하세요 3만원에 가능할까요?"),
    ("bot", "안녕하세요! 3만원은 조금 어렵고 33,000원이면 드릴게요."),
    ("buyer", "##<31000>##"),
    ("bot", "##<수락>## 좋아요, 31,000원에 거래할게요! 감사합니다."),
]
DENIED_TURNS = [
    ("buyer", "만원에 주세요"),
    ("bot", "그 가격은 어려워요. 33,000원까지는 맞춰드릴 수 있어요."),
    ("buyer", "##<15000>##"),
    ("bot", "##<거절>## 아쉽지만 여기서 마무리할게요. 33,000원이 제 최선이었어요."),
]


@override_settings(NELLM_EXPORT_SETTLE_SECONDS=0, NELLM_EXPORT_MIN_BUYER_TURNS=2)
class _ExportBase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.tmp = Path(tempfile.mkdtemp(prefix="nellm-export-"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        self.out = self.tmp / "dialogues.jsonl"
        self.listing = make_listing(self.alice, price=35_000, floor_price=FLOOR, title="에어팟 프로 2세대")

    def chat(self, buyer, turns, *, state: str, flagged: bool = False, **fields) -> ChatSession:
        listing = fields.pop("listing", self.listing)
        session = ChatSession.objects.create(
            listing=listing, buyer=buyer, state=state, flagged=flagged, **fields
        )
        for role, text in turns:
            Message.objects.create(session=session, role=role, text=text)
        return session

    def export(self, *args: str) -> str:
        stdout, stderr = StringIO(), StringIO()
        call_command("export_chats", "--out", str(self.out), *args, stdout=stdout, stderr=stderr)
        return stdout.getvalue()

    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.out.read_text(encoding="utf-8").splitlines()]

    def backdate(self, session: ChatSession, days: int) -> None:
        Message.objects.filter(session=session).update(created_at=timezone.now() - timedelta(days=days))


class ExportChatsTestCase(_ExportBase):
    def test_agreed_and_denied_chats_export_in_the_original_schema(self) -> None:
        agreed = self.chat(self.bob, AGREED_TURNS, state="agreed", agreed_price=31_000)
        failed = self.chat(self.charlie, DENIED_TURNS, state="failed")
        output = self.export()
        self.assertIn("Exported 2 dialogue(s) (ACCEPT 1, DENY 1).", output)
        self.assertIn("CONFIDENTIAL", Command.help)
        by_id = {r["session_id"]: r for r in self.records()}
        accept, deny = by_id[agreed.pk], by_id[failed.pk]
        seller, buyer = "판매자", "구매자"
        self.assertEqual(
            {k: accept[k] for k in CORE},
            {
                "title": "에어팟 프로 2세대",
                "description": self.listing.description,
                "price": 35_000,
                "result": "ACCEPT",
                "events": [  # the system notice is dropped; the bot's words beside the token move
                    {"role": buyer, "message": AGREED_TURNS[1][1]},
                    {"role": seller, "message": AGREED_TURNS[2][1]},
                    {"role": seller, "message": "좋아요, 31,000원에 거래할게요! 감사합니다."},
                    {"role": buyer, "message": "##<31000>##"},
                    {"role": seller, "message": "##<수락>##"},
                ],
            },
        )
        self.assertEqual(deny["result"], "DENY")
        self.assertEqual(
            deny["events"][-3:],
            [
                {"role": seller, "message": "아쉽지만 여기서 마무리할게요. 33,000원이 제 최선이었어요."},
                {"role": buyer, "message": "##<15000>##"},
                {"role": seller, "message": "##<거절>##"},
            ],
        )
        self.assertEqual(
            {k: accept[k] for k in ("category", "floor_price", "source", "listing_id", "style", "state")},
            {
                "category": "electronics",
                "floor_price": FLOOR,
                "source": "site",
                "listing_id": self.listing.pk,
                "style": "balanced",
                "state": "agreed",
            },
        )
        self.assertEqual((accept["agreed_price"], deny["agreed_price"]), (31_000, None))
        last = agreed.messages.order_by("-id").first()
        self.assertEqual(accept["finished_at"], last.created_at.isoformat())
        self.assertEqual(accept["created_at"], agreed.created_at.isoformat())
        run = ExportRun.objects.get()
        self.assertEqual(
            (run.status, run.trigger, run.exported, run.outcomes, run.complete, run.path, run.error),
            ("succeeded", "command", 2, {"ACCEPT": 1, "DENY": 1}, True, str(self.out.resolve()), ""),
        )
        self.assertEqual(set(run.sessions.values_list("pk", flat=True)), {agreed.pk, failed.pk})
        self.assertIsNone(run.since)
        self.assertIn(f"Recorded as export run #{run.pk}.", output)
        checked = subprocess.run(
            [sys.executable, "-m", "mlcore", "validate-data", "--strict", str(self.out)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)
        self.assertIn("OK: 1 file(s), 2 record(s), 2 valid", checked.stdout)

    def test_a_second_run_adds_nothing_and_a_later_one_only_the_new_chats(self) -> None:
        first_chat = self.chat(self.bob, AGREED_TURNS, state="agreed", agreed_price=31_000)
        self.export()
        first = self.out.read_bytes()
        output = self.export()
        self.assertIn("Exported 0 dialogue(s) (none).", output)
        self.assertIn("0 added, 0 changed", output)
        self.assertEqual(self.out.read_bytes(), first)
        one, two = ExportRun.objects.order_by("pk")
        self.assertEqual(two.since, one.until)
        self.assertEqual((two.status, two.exported, two.sessions.count()), ("succeeded", 0, 0))
        later = self.chat(self.charlie, DENIED_TURNS, state="failed")
        output = self.export()
        self.assertIn("Exported 1 dialogue(s) (DENY 1).", output)
        self.assertIn("1 added, 0 changed", output)
        self.assertEqual([r["session_id"] for r in self.records()], [first_chat.pk, later.pk])
        self.assertEqual(list(ExportRun.objects.latest("pk").sessions.all()), [later])

    def test_rerunning_everything_gives_the_same_file(self) -> None:
        self.chat(self.bob, AGREED_TURNS, state="agreed", agreed_price=31_000)
        self.chat(self.charlie, DENIED_TURNS, state="failed")
        self.export("--all")
        first = self.out.read_bytes()
        output = self.export("--all")
        self.assertIn("Exported 2 dialogue(s)", output)
        self.assertIn("0 added, 0 changed", output)
        self.assertEqual(self.out.read_bytes(), first)
        self.assertEqual(len(first.splitlines()), 2)
        self.assertEqual(self.out.stat().st_mode & 0o777, 0o600)  # confidential: owner only
        self.assertEqual([p.name for p in self.tmp.iterdir()], ["dialogues.jsonl"])  # no temp left

    def test_dry_run_counts_and_writes_nothing(self) -> None:
        self.chat(self.bob, AGREED_TURNS, state="agreed", agreed_price=31_000)
        self.chat(self.charlie, DENIED_TURNS, state="failed", flagged=True)
        output = self.export("--dry-run")
        self.assertIn("Would export 1 dialogue(s) (ACCEPT 1).", output)
        self.assertIn("1  flagged", output)
        self.assertIn("Dry run: nothing written, no run recorded.", output)
        self.assertFalse(self.out.exists())
        self.assertFalse(ExportRun.objects.exists())
        self.assertIn("Exported 1 dialogue(s)", self.export())  # the dry run marked nothing

    def test_curation_leaves_out_and_counts_by_reason(self) -> None:
        kept = self.chat(self.bob, AGREED_TURNS, state="agreed", agreed_price=31_000)
        self.chat(
            self.charlie, [("buyer", "신고될 대화예요"), *DENIED_TURNS[1:]], state="failed", flagged=True
        )
        dave, erin, frank, gina, hana = (make_user(n) for n in ("dave", "erin", "frank", "gina", "hana"))
        takeover = [*DENIED_TURNS[:2], ("seller", "제가 직접 답할게요. 3만원 어떠세요?"), *DENIED_TURNS[2:]]
        self.chat(dave, takeover, state="failed")
        self.chat(erin, DENIED_TURNS[2:], state="failed")  # one buyer turn: the final offer alone
        abusive = [("buyer", "사기꾼 아니에요? 만원에 줘요"), *DENIED_TURNS[1:]]
        self.chat(frank, abusive, state="failed")
        self.chat(gina, AGREED_TURNS[:3], state="open")
        # What the seller types after the deal arranges the hand-over: cut, and no takeover.
        after = [*AGREED_TURNS, ("seller", "내일 잠실역에서 뵐게요"), ("system", "예약중이 되었어요.")]
        other_item = make_listing(self.alice, price=self.listing.price, floor_price=self.listing.floor_price)
        handover = self.chat(hana, after, state="agreed", agreed_price=31_000, listing=other_item)
        self.chat(make_user("ivan"), [*AGREED_TURNS[:3], ("buyer", "##<31000>##")], state="open")
        output = self.export()
        self.assertIn("Exported 2 dialogue(s) (ACCEPT 2).", output)
        expected = {
            "flagged": 1,
            "taken over by the seller": 1,
            "fewer than 2 buyer turns": 1,
            "abusive": 1,
        }
        self.assertEqual(ExportRun.objects.get().excluded, expected)  # open chats have no answer yet
        for reason, count in expected.items():
            self.assertIn(f"{count:>6}  {reason}", output)
        text = self.out.read_text(encoding="utf-8")
        for left_out in ("신고될 대화예요", "제가 직접 답할게요", "사기꾼", "잠실역"):
            self.assertNotIn(left_out, text)
        self.assertEqual(sorted(r["session_id"] for r in self.records()), [kept.pk, handover.pk])
        with override_settings(NELLM_EXPORT_MIN_BUYER_TURNS=3):
            self.assertIn("4  fewer than 3 buyer turns", self.export("--all", "--dry-run"))

    def test_open_chats_with_an_answer_are_counted_as_not_finished(self) -> None:
        self.chat(
            self.bob,
            [*AGREED_TURNS[:3], ("buyer", "##<20000>##"), ("bot", "##<거절>## 어려워요")],
            state="open",
        )
        output = self.export()
        self.assertIn("1  not finished (open, waiting or closed)", output)

    def test_personal_data_is_masked_and_prices_model_numbers_sizes_are_not(self) -> None:
        turns = [
            ("buyer", "아이폰 13 128GB 27인치 모니터랑 같이 3만5천원 안 될까요? 010-1234-5678"),
            ("bot", "3만5천원은 어렵고 33,000원까지 맞춰드릴게요."),
            ("buyer", "연락처 01012345678, 공일공 일이삼사 오륙칠팔 이에요"),
            ("bot", "네 채팅으로 말씀해 주세요."),
            (
                "buyer",
                "메일 buyer.kim@naver.com 카톡 아이디 kim_buyer99 오픈채팅 https://open.kakao.com/o/sAbC12",
            ),
            ("bot", "알겠습니다."),
            (
                "buyer",
                "신한 110-123-456789 로 보낼게요. 서울시 강남구 테헤란로 123, 101동 1203호로 보내주세요",
            ),
            ("bot", "네 확인했어요."),
            ("buyer", "##<33000>## 카톡 nellm_01 로 연락 주세요"),
            ("bot", "##<수락>## 좋아요! 33,000원에 거래할게요."),
        ]
        self.chat(self.bob, turns, state="agreed", agreed_price=33_000)
        output = self.export()
        self.assertIn("Exported 1 dialogue(s)", output)
        (record,) = self.records()
        messages = [e["message"] for e in record["events"]]
        self.assertEqual(
            messages,
            [
                "아이폰 13 128GB 27인치 모니터랑 같이 3만5천원 안 될까요? [전화번호]",
                "3만5천원은 어렵고 33,000원까지 맞춰드릴게요.",
                "연락처 [전화번호], [전화번호] 이에요",
                "네 채팅으로 말씀해 주세요.",
                "메일 [이메일] 카톡 아이디 [카카오톡] 오픈채팅 [카카오톡]",
                "알겠습니다.",
                "신한 [계좌번호] 로 보낼게요. [주소]로 보내주세요",
                "네 확인했어요.",
                "카톡 [카카오톡] 로 연락 주세요",
                "좋아요! 33,000원에 거래할게요.",
                "##<33000>##",
                "##<수락>##",
            ],
        )
        self.assertEqual(
            ExportRun.objects.get().masked,
            {"[전화번호]": 3, "[이메일]": 1, "[카카오톡]": 3, "[계좌번호]": 1, "[주소]": 1},
        )
        self.assertIn(
            "Personal data masked: [계좌번호] 1, [이메일] 1, [전화번호] 3, [주소] 1, [카카오톡] 3", output
        )
        text = self.out.read_text(encoding="utf-8")
        for secret in (
            "1234",
            "kim_buyer99",
            "naver",
            "테헤란로",
            "456789",
            "nellm_01",
            "sAbC12",
            "일이삼사",
        ):
            self.assertNotIn(secret, text)

    def test_personal_data_in_the_listing_is_masked_too(self) -> None:
        listing = make_listing(
            self.alice,
            title="다이슨 V15 27인치",
            description="연락은 010-9876-5432 로 주세요. 35,000원",
            price=35_000,
        )
        self.chat(self.bob, AGREED_TURNS, state="agreed", agreed_price=31_000, listing=listing)
        self.export()
        (record,) = self.records()
        self.assertEqual(
            (record["title"], record["description"]),
            ("다이슨 V15 27인치", "연락은 [전화번호] 로 주세요. 35,000원"),
        )
        self.assertEqual(ExportRun.objects.get().masked, {"[전화번호]": 1})

    def test_since_and_until_pick_chats_by_when_they_ended(self) -> None:
        old = self.chat(self.bob, AGREED_TURNS, state="agreed", agreed_price=31_000)
        new = self.chat(self.charlie, DENIED_TURNS, state="failed")
        self.backdate(old, days=30)
        day = (timezone.localdate() - timedelta(days=1)).isoformat()
        self.export("--since", day)
        self.assertEqual([r["session_id"] for r in self.records()], [new.pk])
        run = ExportRun.objects.get()
        self.assertFalse(run.complete)  # a --since run is no starting point for the next one
        self.assertIn("Exported 1 dialogue(s)", self.export("--until", day))  # the default start: none yet
        self.assertEqual(sorted(r["session_id"] for r in self.records()), [old.pk, new.pk])
        with self.assertRaisesMessage(CommandError, "is not a date as YYYY-MM-DD"):
            self.export("--since", "2024-13-01")
        with self.assertRaises(CommandError):
            self.export("--since", day, "--all")

    def test_a_failed_run_records_its_error_and_marks_nothing(self) -> None:
        self.chat(self.bob, AGREED_TURNS, state="agreed", agreed_price=31_000)
        self.out.write_text("", encoding="utf-8")
        self.out.chmod(0o600)
        previous = self.out.read_bytes()
        with (
            mock.patch("negotiation.export.os.replace", side_effect=PermissionError(13, "Permission denied")),
            self.assertRaisesMessage(CommandError, "Permission denied"),
        ):
            self.export()
        run = ExportRun.objects.get()
        self.assertEqual((run.status, run.exported, run.sessions.count()), ("failed", 0, 0))
        self.assertIn("Permission denied", run.error)
        self.assertIsNotNone(run.finished_at)
        self.assertEqual(self.out.read_bytes(), previous)
        self.assertEqual([p.name for p in self.tmp.iterdir()], ["dialogues.jsonl"])  # no temp left
        # The next run starts where the last success did (none): the chat is not lost.
        self.assertIn("Exported 1 dialogue(s)", self.export())
        self.assertEqual(len(self.records()), 1)

    def test_an_unwritable_out_path_fails_the_run(self) -> None:
        self.chat(self.bob, AGREED_TURNS, state="agreed", agreed_price=31_000)
        blocker = self.tmp / "not-a-dir"
        blocker.write_text("x", encoding="utf-8")
        with self.assertRaisesMessage(CommandError, "does not exist"):
            call_command(
                "export_chats", "--out", str(blocker / "x.jsonl"), stdout=StringIO(), stderr=StringIO()
            )
        run = ExportRun.objects.get()
        self.assertEqual((run.status, run.sessions.count()), ("failed", 0))
        self.assertIn("does not exist", run.error)
        self.assertIn("Exported 1 dialogue(s)", self.export())

    def test_a_file_that_is_not_an_export_is_never_overwritten(self) -> None:
        self.chat(self.bob, AGREED_TURNS, state="agreed", agreed_price=31_000)
        corpus = (ROOT / "mlcore" / "data" / "corpus" / "hand_books.jsonl").read_text(encoding="utf-8")
        self.out.write_text(corpus, encoding="utf-8")
        with self.assertRaisesMessage(CommandError, "is not a line of an export"):
            self.export()
        self.assertEqual(self.out.read_text(encoding="utf-8"), corpus)
        self.assertEqual(ExportRun.objects.get().status, "failed")

    def test_a_chat_flagged_after_export_leaves_the_file(self) -> None:
        agreed = self.chat(self.bob, AGREED_TURNS, state="agreed", agreed_price=31_000)
        failed = self.chat(self.charlie, DENIED_TURNS, state="failed")
        self.export()
        ChatSession.objects.filter(pk=failed.pk).update(flagged=True)
        self.assertIn("0 added, 0 changed, 1 flagged removed", self.export())
        self.assertEqual([r["session_id"] for r in self.records()], [agreed.pk])

    def test_no_finished_only_takes_closed_chats_that_ended_with_an_answer(self) -> None:
        # The deal was made, then the seller cancelled the reservation: the chat is closed but
        # its negotiation did end with the seller's acceptance.
        closed = self.chat(
            self.bob, [*AGREED_TURNS, ("system", "판매자가 예약을 취소했어요.")], state="closed"
        )
        self.chat(self.charlie, AGREED_TURNS[:3], state="open")
        self.assertIn("Exported 0 dialogue(s)", self.export())
        output = self.export("--all", "--no-finished-only")
        self.assertIn("Exported 1 dialogue(s)", output)
        (record,) = self.records()
        self.assertEqual(
            (record["session_id"], record["result"], record["state"]), (closed.pk, "ACCEPT", "closed")
        )

    def test_mongo_without_a_uri_is_a_clear_error_and_writes_nothing(self) -> None:
        self.chat(self.bob, AGREED_TURNS, state="agreed", agreed_price=31_000)
        with override_settings(MONGODB_URI=""), self.assertRaisesMessage(CommandError, "No MongoDB URI"):
            self.export("--mongo")
        self.assertFalse(self.out.exists())
        self.assertEqual(ExportRun.objects.get().status, "failed")
        with self.assertRaisesMessage(CommandError, "give --out PATH.jsonl and/or --mongo"):
            call_command("export_chats", stdout=StringIO())

    def test_unreachable_mongo_is_a_clear_error_without_the_password(self) -> None:
        self.out.write_text("previous export\n", encoding="utf-8")
        with (
            mock.patch("negotiation.export.MONGO_TIMEOUT_MS", 200),
            self.assertRaises(CommandError) as caught,
        ):
            self.export("--mongo", "--mongo-uri", "mongodb://nellm:s3cret@127.0.0.1:9/")
        message = str(caught.exception)
        self.assertIn("Cannot reach MongoDB at mongodb://nellm:***@127.0.0.1:9/", message)
        self.assertNotIn("s3cret", message)
        self.assertNotIn("s3cret", ExportRun.objects.get().error)
        self.assertEqual(self.out.read_text(encoding="utf-8"), "previous export\n")

    def test_help_says_the_file_is_confidential(self) -> None:
        text = Command().create_parser("manage.py", "export_chats").format_help()
        self.assertIn("CONFIDENTIAL", text)
        self.assertIn("floor", text)
        for option in ("--since", "--until", "--all", "--dry-run"):
            self.assertIn(option, text)


class ExportScheduleTestCase(_ExportBase):
    def test_beat_runs_the_export_daily_at_the_configured_time(self) -> None:
        from celery.schedules import crontab

        entry = settings.CELERY_BEAT_SCHEDULE["negotiation-export-chats"]
        self.assertEqual(entry["task"], "negotiation.tasks.chats_export_daily")
        self.assertEqual(entry["schedule"], crontab(hour=4, minute=0))
        self.assertEqual(settings.CELERY_TIMEZONE, settings.TIME_ZONE)
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "from django.conf import settings; import django; django.setup();"
                "print(settings.CELERY_BEAT_SCHEDULE['negotiation-export-chats']['schedule'])",
            ],
            cwd=ROOT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "nellm_site.settings", "NELLM_EXPORT_AT": "03:30"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.assertIn("<crontab: 30 3 * * *", done.stdout, done.stderr)
        bad = subprocess.run(
            [sys.executable, "-c", "import django; django.setup()"],
            cwd=ROOT,
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "nellm_site.settings", "NELLM_EXPORT_AT": "25:00"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.assertIn("NELLM_EXPORT_AT must be HH:MM", bad.stderr)

    def test_the_task_exports_incrementally_to_the_configured_file(self) -> None:
        from negotiation import tasks

        self.chat(self.bob, AGREED_TURNS, state="agreed", agreed_price=31_000)
        path = self.tmp / "daily" / "dialogues.jsonl"
        with override_settings(NELLM_EXPORT_PATH=str(path), MONGODB_URI=""):
            self.assertEqual(tasks.chats_export_daily.apply().get(), 1)
            self.assertEqual(tasks.chats_export_daily.apply().get(), 0)
        self.assertEqual(len(path.read_text(encoding="utf-8").splitlines()), 1)
        self.assertEqual(list(ExportRun.objects.values_list("trigger", flat=True)), ["beat", "beat"])


@pytest.mark.mongo
@pytest.mark.skipif(
    not os.environ.get("MONGODB_URI"), reason="MONGODB_URI is not set: no MongoDB server here"
)
class ExportChatsMongoTestCase(_ExportBase):
    """Against the real server at MONGODB_URI, in a throwaway database."""

    def setUp(self) -> None:
        super().setUp()
        import pymongo

        self.db_name = f"nellm_test_{uuid.uuid4().hex[:12]}"
        override = override_settings(MONGODB_URI=os.environ["MONGODB_URI"], MONGODB_DB=self.db_name)
        override.enable()
        self.addCleanup(override.disable)
        client = pymongo.MongoClient(settings.MONGODB_URI, serverSelectionTimeoutMS=3000, tz_aware=True)
        self.addCleanup(client.close)
        self.addCleanup(client.drop_database, self.db_name)
        self.collection = client[self.db_name]["dialogues"]

    def test_upserts_by_session_id_idempotently_and_removes_flagged_chats(self) -> None:
        agreed = self.chat(self.bob, AGREED_TURNS, state="agreed", agreed_price=31_000)
        failed = self.chat(self.charlie, DENIED_TURNS, state="failed")
        output = self.export("--mongo")
        self.assertIn(f"MongoDB {self.db_name}.dialogues: 2 inserted, 0 updated, 0 flagged removed", output)
        doc = self.collection.find_one({"session_id": agreed.pk}, {"_id": 0})
        (line,) = [r for r in self.records() if r["session_id"] == agreed.pk]
        exported_at = doc.pop("exported_at")
        self.assertLessEqual(abs(exported_at - timezone.now()), timedelta(minutes=1))
        for key in ("created_at", "finished_at"):  # BSON keeps milliseconds
            stored, written = doc.pop(key), datetime.fromisoformat(line.pop(key))
            self.assertLess(abs(stored - written), timedelta(milliseconds=1))
        self.assertEqual(doc, line)
        self.assertEqual(doc["floor_price"], FLOOR)
        indexes = self.collection.index_information()
        self.assertTrue(indexes["session_id_1"]["unique"])
        self.assertIn("finished_at_1", indexes)

        self.assertIn("0 inserted, 0 updated", self.export("--mongo"))  # incremental: nothing new
        output = self.export("--mongo", "--all")
        self.assertIn("0 inserted, 2 updated", output)
        self.assertEqual(self.collection.count_documents({}), 2)
        self.assertGreater(self.collection.find_one({"session_id": agreed.pk})["exported_at"], exported_at)

        ChatSession.objects.filter(pk=failed.pk).update(flagged=True)
        output = self.export("--mongo", "--all")
        self.assertIn("0 inserted, 1 updated, 1 flagged removed", output)
        self.assertEqual([d["session_id"] for d in self.collection.find()], [agreed.pk])


def test_chats_played_through_the_bot_export_as_stored(people, listing, monkeypatch, tmp_path, settings):
    """What the site really stores (the buyer's offer as `##<price>##`, the bot's answer token
    first, words after it) leaves in the original's form. A chat with several denied final offers
    keeps each refused round and ends on the last."""
    monkeypatch.setattr(dispatch, "reply_enqueue", lambda *, message_id: None)
    settings.NELLM_CHAT_RATE_LIMIT = 10_000
    settings.NELLM_EXPORT_SETTLE_SECONDS = 0

    def turn(session: ChatSession, user, *, text: str = "", price: int | None = None) -> None:
        if price is None:
            message = services.message_submit(session_id=session.pk, user=user, text=text)
        else:
            message = services.offer_submit(session_id=session.pk, user=user, price=price)
        replies.reply_generate(message_id=message.pk)

    deal = services.session_open(listing=listing, buyer=people["bob"])
    turn(deal, people["bob"], text="안녕하세요 3만원에 가능할까요?")
    turn(deal, people["bob"], price=33_000)
    haggle = services.session_open(listing=listing, buyer=people["charlie"])
    turn(haggle, people["charlie"], price=12_000)
    turn(haggle, people["charlie"], price=12_000)
    out = tmp_path / "site.jsonl"
    stdout = StringIO()
    call_command("export_chats", "--out", str(out), stdout=stdout, stderr=StringIO())
    (record,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert (record["session_id"], record["result"], record["agreed_price"]) == (deal.pk, "ACCEPT", 33_000)
    stored = deal.messages.filter(role="bot").last().text
    assert stored.startswith("##<수락>##") and len(stored) > len("##<수락>##")  # the site's own form
    assert record["events"][-3:] == [
        {"role": "판매자", "message": stored.removeprefix("##<수락>##").strip()},
        {"role": "구매자", "message": "##<33000>##"},
        {"role": "판매자", "message": "##<수락>##"},
    ]
    assert "1  not finished (open, waiting or closed)" in stdout.getvalue()  # charlie goes on
    haggle.state = ChatSession.State.FAILED
    haggle.save(update_fields=["state"])
    # Its last answer came before the first run's end: only a full run takes it now.
    call_command("export_chats", "--out", str(out), "--all", stdout=(stdout := StringIO()), stderr=StringIO())
    assert "Exported 2 dialogue(s) (ACCEPT 1, DENY 1)." in stdout.getvalue()
    records = {r["session_id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    messages = [e["message"] for e in records[haggle.pk]["events"]]
    assert "##<12000>##" in messages and messages.count("##<거절>##") == 2
    assert records[haggle.pk]["result"] == "DENY" and messages[-2:] == ["##<12000>##", "##<거절>##"]
    done = run_mlcore("validate-data", "--strict", str(out))
    assert done.returncode == 0, done.stdout
