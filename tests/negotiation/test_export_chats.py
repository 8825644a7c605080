"""`manage.py export_chats`: finished chats leave as dialogues in the dataset schema, to JSONL and
MongoDB; flagged chats never do; open chats and records the validator rejects are counted."""

from __future__ import annotations

import json
import os
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
from negotiation.models import ChatSession, Message
from tests.base import BaseTestCase, make_listing, make_user

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


class _ExportBase(BaseTestCase):
    def setUp(self) -> None:
        super().setUp()
        self.tmp = Path(tempfile.mkdtemp(prefix="nellm-export-"))
        self.addCleanup(lambda: [p.unlink() for p in self.tmp.iterdir()] and self.tmp.rmdir())
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


class ExportChatsTestCase(_ExportBase):
    def test_agreed_and_denied_chats_export_in_the_dataset_schema(self) -> None:
        agreed = self.chat(self.bob, AGREED_TURNS, state="agreed", agreed_price=31_000)
        failed = self.chat(self.charlie, DENIED_TURNS, state="failed")
        output = self.export()
        self.assertIn("Exported 2 dialogue(s).", output)
        by_id = {r["session_id"]: r for r in self.records()}
        self.assertEqual(set(by_id), {agreed.pk, failed.pk})
        accept, deny = by_id[agreed.pk], by_id[failed.pk]
        self.assertEqual(
            {k: accept[k] for k in CORE},
            {
                "title": "에어팟 프로 2세대",
                "description": self.listing.description,
                "price": 35_000,
                "result": "ACCEPT",
                "events": [
                    {"role": "구매자" if role == "buyer" else "판매자", "message": text}
                    for role, text in AGREED_TURNS[1:]  # the system notice is dropped
                ],
            },
        )
        self.assertEqual(deny["result"], "DENY")
        self.assertEqual([e["role"] for e in deny["events"]], ["구매자", "판매자"] * 2)
        self.assertEqual(deny["events"][-1]["message"], DENIED_TURNS[-1][1])
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
        checked = subprocess.run(
            [sys.executable, "-m", "mlcore", "validate-data", str(self.out)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)
        self.assertIn("OK: 1 file(s), 2 record(s), 2 valid", checked.stdout)

    def test_flagged_chats_never_leave_and_open_chats_are_counted(self) -> None:
        self.chat(self.bob, AGREED_TURNS, state="agreed", agreed_price=31_000)
        flagged = self.chat(
            self.charlie, [("buyer", "신고될 대화예요"), *DENIED_TURNS[1:]], state="failed", flagged=True
        )
        dave, erin = make_user("dave"), make_user("erin")
        self.chat(dave, AGREED_TURNS[:3], state="open")
        self.chat(erin, AGREED_TURNS[:2], state="waiting")
        output = self.export()
        self.assertIn("Exported 1 dialogue(s).", output)
        self.assertIn("2  not finished (open, waiting or closed)", output)
        self.assertIn("Flagged chats withheld: 1", output)
        text = self.out.read_text(encoding="utf-8")
        self.assertNotIn("신고될 대화예요", text)
        self.assertNotIn(flagged.pk, [r["session_id"] for r in self.records()])

    def test_rerunning_gives_the_same_file(self) -> None:
        self.chat(self.bob, AGREED_TURNS, state="agreed", agreed_price=31_000)
        self.chat(self.charlie, DENIED_TURNS, state="failed")
        self.export()
        first = self.out.read_bytes()
        self.export()
        self.assertEqual(self.out.read_bytes(), first)
        self.assertEqual(len(first.splitlines()), 2)
        self.assertEqual(self.out.stat().st_mode & 0o777, 0o600)  # confidential: owner only
        self.assertEqual([p.name for p in self.tmp.iterdir()], ["dialogues.jsonl"])  # no temp left

    def test_invalid_records_are_skipped_with_the_reason(self) -> None:
        # A final offer turned down mid-chat is a valid round (the buyer haggled on); a phone
        # number is personal data.
        mid_token = [
            *DENIED_TURNS[:2],
            ("buyer", "##<20000>##"),
            ("bot", "##<거절>## 그건 어려워요."),
            *DENIED_TURNS,
        ]
        self.chat(self.bob, mid_token, state="failed")
        phone = [("buyer", "연락주세요 010-1234-5678"), *DENIED_TURNS[1:]]
        self.chat(self.charlie, phone, state="failed")
        self.chat(make_user("dave"), AGREED_TURNS, state="agreed", agreed_price=31_000)
        output = self.export()
        self.assertIn("Exported 2 dialogue(s).", output)
        self.assertIn("Skipped: 1\n", output)
        self.assertIn("1  invalid: events[*].message: contains personal data", output)
        bob_record = next(r for r in self.records() if r["events"][2]["message"] == "##<20000>##")
        self.assertTrue(bob_record["events"][3]["message"].startswith("##<거절>##"))
        self.assertNotIn("010-1234-5678", self.out.read_text(encoding="utf-8"))

    def test_the_sellers_words_after_the_answer_are_left_out(self) -> None:
        after = [*AGREED_TURNS, ("seller", "내일 잠실역에서 뵐게요"), ("system", "예약중이 되었어요.")]
        self.chat(self.bob, after, state="agreed", agreed_price=31_000)
        self.export()
        (record,) = self.records()
        self.assertEqual(record["events"][-1]["message"], AGREED_TURNS[-1][1])

    def test_since_keeps_recent_chats_only(self) -> None:
        old = self.chat(self.bob, AGREED_TURNS, state="agreed", agreed_price=31_000)
        new = self.chat(self.charlie, DENIED_TURNS, state="failed")
        ChatSession.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=30))
        day = (timezone.localdate() - timedelta(days=1)).isoformat()
        self.export("--since", day)
        self.assertEqual([r["session_id"] for r in self.records()], [new.pk])
        with self.assertRaisesMessage(CommandError, "is not a date as YYYY-MM-DD"):
            self.export("--since", "2024-13-01")

    def test_no_finished_only_takes_closed_chats_that_ended_with_an_answer(self) -> None:
        # The deal was made, then the seller cancelled the reservation: the chat is closed but
        # its negotiation did end with the seller's acceptance.
        closed = self.chat(
            self.bob, [*AGREED_TURNS, ("system", "판매자가 예약을 취소했어요.")], state="closed"
        )
        self.chat(self.charlie, AGREED_TURNS[:3], state="open")
        self.assertIn("Exported 0 dialogue(s).", self.export())
        output = self.export("--no-finished-only")
        self.assertIn("1  not finished (no final-offer answer yet)", output)
        (record,) = self.records()
        self.assertEqual(
            (record["session_id"], record["result"], record["state"]), (closed.pk, "ACCEPT", "closed")
        )

    def test_mongo_without_a_uri_is_a_clear_error_and_writes_nothing(self) -> None:
        self.chat(self.bob, AGREED_TURNS, state="agreed", agreed_price=31_000)
        with override_settings(MONGODB_URI=""), self.assertRaisesMessage(CommandError, "No MongoDB URI"):
            self.export("--mongo")
        self.assertFalse(self.out.exists())
        with self.assertRaisesMessage(CommandError, "give --out PATH.jsonl and/or --mongo"):
            call_command("export_chats", stdout=StringIO())
        with self.assertRaisesMessage(CommandError, "does not exist"):
            call_command("export_chats", "--out", str(self.tmp / "no" / "x.jsonl"), stdout=StringIO())

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
        self.assertEqual(self.out.read_text(encoding="utf-8"), "previous export\n")

    def test_help_says_the_file_is_confidential(self) -> None:
        text = Command().create_parser("manage.py", "export_chats").format_help()
        self.assertIn("CONFIDENTIAL", text)
        self.assertIn("floor", text)


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

        output = self.export("--mongo")
        self.assertIn("0 inserted, 2 updated", output)
        self.assertEqual(self.collection.count_documents({}), 2)
        self.assertGreater(self.collection.find_one({"session_id": agreed.pk})["exported_at"], exported_at)

        ChatSession.objects.filter(pk=failed.pk).update(flagged=True)
        output = self.export("--mongo")
        self.assertIn("0 inserted, 1 updated, 1 flagged removed", output)
        self.assertEqual([d["session_id"] for d in self.collection.find()], [agreed.pk])


def test_chats_played_through_the_bot_export_as_stored(people, listing, monkeypatch, tmp_path, settings):
    """What the site really stores: the buyer's offer as `##<price>##`, the bot's answer token
    first. A chat with several denied final offers keeps each refused round and ends on the last."""
    monkeypatch.setattr(dispatch, "reply_enqueue", lambda *, message_id: None)
    settings.NELLM_CHAT_RATE_LIMIT = 10_000

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
    assert record["events"][-2] == {"role": "구매자", "message": "##<33000>##"}
    assert record["events"][-1]["message"].startswith("##<수락>##")
    assert "1  not finished (open, waiting or closed)" in stdout.getvalue()  # charlie goes on
    haggle.state = ChatSession.State.FAILED
    haggle.save(update_fields=["state"])
    call_command("export_chats", "--out", str(out), stdout=(stdout := StringIO()), stderr=StringIO())
    assert "Exported 2 dialogue(s)." in stdout.getvalue()
    records = {r["session_id"]: r for r in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    messages = [e["message"] for e in records[haggle.pk]["events"]]
    assert messages[0] == "##<12000>##" and messages[1].startswith("##<거절>##")
    assert records[haggle.pk]["result"] == "DENY" and messages[-1].startswith("##<거절>##")
