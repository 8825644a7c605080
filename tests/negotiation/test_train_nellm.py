"""`manage.py train_nellm` trains on corpus dialogues plus the site's finished chats, and the site's
generator registry loads the trained adapter as the "llm" backend."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from mlcore.llm.generator import LLMGenerator
from mlcore.negotiator.advisor import SellerPolicy
from mlcore.negotiator.pipeline import Negotiator
from mlcore.schema import Listing
from negotiation import generators
from negotiation.models import ChatSession, ExportRun, Message
from tests.mlcore.tiny import tiny_adapter, tiny_base, train_args, write_dialogues  # noqa: F401

from .conftest import FLOOR

pytestmark = pytest.mark.slow

AGREED_TURNS = [
    ("buyer", "안녕하세요 3만원에 가능할까요?"),
    ("bot", "안녕하세요! 3만원은 조금 어렵고 33,000원이면 드릴게요."),
    ("buyer", "##<31000>##"),
    ("bot", "##<수락>## 좋아요, 31,000원에 거래할게요! 감사합니다."),
]


def options(base, data, out) -> list[str]:
    """The options of `python -m mlcore train` in the tiny-model tests, less the command name."""
    return train_args(base=base, data=data, out=out, steps=2)[1:]


def train_nellm(*args: str) -> str:
    stdout = StringIO()
    call_command("train_nellm", *args, stdout=stdout, stderr=StringIO())
    return stdout.getvalue()


@pytest.mark.django_db
def test_train_nellm_adds_the_sites_finished_chats(tiny_base, tmp_path, people, listing):  # noqa: F811
    session = ChatSession.objects.create(
        listing=listing, buyer=people["bob"], state="agreed", agreed_price=31_000
    )
    for role, text in AGREED_TURNS:
        Message.objects.create(session=session, role=role, text=text)
    ChatSession.objects.create(listing=listing, buyer=people["charlie"], state="open")  # not finished
    data = write_dialogues(tmp_path / "corpus.jsonl", 6)

    output = train_nellm(*options(tiny_base, data, tmp_path / "with-site"))
    assert "Site chats: 1 exported for training" in output
    assert "eval loss" in output and "Adapter saved in" in output
    summary = json.loads((tmp_path / "with-site" / "summary.json").read_text())
    assert summary["dialogues"] == 7 and summary["steps"] == 2
    assert len(summary["config"]["data"]) == 2
    exported = Path(summary["config"]["data"][1])
    assert not exported.exists(), "the exported chats (with floor prices) are deleted after training"
    assert not ExportRun.objects.exists(), "a private copy does not advance the incremental export"

    output = train_nellm(*options(tiny_base, data, tmp_path / "corpus-only"), "--no-site-chats")
    assert "Site chats" not in output
    assert json.loads((tmp_path / "corpus-only" / "summary.json").read_text())["dialogues"] == 6


@pytest.mark.django_db
def test_train_nellm_from_export_reads_the_latest_successful_export(
    tiny_base,  # noqa: F811
    tmp_path,
    people,
    listing,
    settings,
):
    settings.NELLM_EXPORT_SETTLE_SECONDS = 0
    data = write_dialogues(tmp_path / "corpus.jsonl", 6)
    with pytest.raises(CommandError, match="No successful export with a file yet"):
        train_nellm(*options(tiny_base, data, tmp_path / "none"), "--from-export")
    session = ChatSession.objects.create(
        listing=listing, buyer=people["bob"], state="agreed", agreed_price=31_000
    )
    for role, text in AGREED_TURNS:
        Message.objects.create(session=session, role=role, text=text)
    out = tmp_path / "x.jsonl"
    call_command("export_chats", "--out", str(out), stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError):  # a later failed run is not "the latest successful export"
        call_command("export_chats", "--out", str(tmp_path / "gone" / "y.jsonl"), stdout=StringIO())
    run = ExportRun.objects.filter(status="succeeded").get()

    output = train_nellm(*options(tiny_base, data, tmp_path / "from-export"), "--from-export")
    assert f"Export run #{run.pk}" in output and str(out) in output
    assert "Site chats" not in output  # the export is the site's part
    summary = json.loads((tmp_path / "from-export" / "summary.json").read_text())
    assert summary["dialogues"] == 7
    assert summary["config"]["data"][-1] == str(out)
    assert out.exists()  # the export is the operator's file: training leaves it alone
    assert ExportRun.objects.count() == 2

    out.unlink()
    with pytest.raises(CommandError, match="no longer there"):
        train_nellm(*options(tiny_base, data, tmp_path / "again"), "--from-export")


@pytest.mark.django_db
def test_train_nellm_refuses_bad_options_cleanly(tiny_base, tmp_path):  # noqa: F811
    data = write_dialogues(tmp_path / "corpus.jsonl", 2)
    with pytest.raises(CommandError, match="base_model is required"):
        train_nellm("--data", str(data), "--out", str(tmp_path / "x"), "--no-site-chats")
    with pytest.raises(CommandError, match="peft must be"):
        train_nellm(*options(tiny_base, data, tmp_path / "x"), "--peft", "adapterx")
    assert not (tmp_path / "x").exists()


@pytest.mark.django_db
def test_train_nellm_passes_the_loop_and_batching_options_through(tiny_base, tmp_path):  # noqa: F811
    data = write_dialogues(tmp_path / "corpus.jsonl", 4)
    out = tmp_path / "plain"
    output = train_nellm(*options(tiny_base, data, out), "--no-site-chats", "--loop", "plain")
    assert "plain loop" in output and "real tokens/s" in output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["loop"] == "plain" and summary["recipe"]["packing"] is False


def test_the_registry_loads_the_llm_backend_from_the_environment(tiny_base, tiny_adapter, monkeypatch):  # noqa: F811
    monkeypatch.setenv("NELLM_BASE_MODEL", str(tiny_base))
    monkeypatch.setenv("NELLM_ADAPTER", str(tiny_adapter))
    monkeypatch.setenv("NELLM_LOAD_IN_4BIT", "0")
    with override_settings(NELLM_BACKEND="llm"):
        generators.reset()
        generator = generators.get_generator()
        assert isinstance(generator, LLMGenerator) and generator.name == "llm"
        assert generators.get_generator() is generator  # one model per process
        policy = SellerPolicy(35_000, FLOOR)
        bot = Negotiator(policy=policy, listing=Listing("스피커", "상태 좋아요", 35_000), generator=generator)
        turn = bot.respond("3만원에 주세요")
        assert turn.generator in {"llm", "rules-fallback"}
        assert "27,300" not in turn.text and "27300" not in turn.text
    generators.reset()


def test_the_llm_backend_without_a_base_model_fails_clearly(monkeypatch):
    monkeypatch.delenv("NELLM_BASE_MODEL", raising=False)
    with override_settings(NELLM_BACKEND="llm"):
        generators.reset()
        with pytest.raises(RuntimeError, match="NELLM_BASE_MODEL"):
            generators.get_generator()
    generators.reset()
