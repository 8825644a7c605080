"""`python -m mlcore fact-check`: every listing asked about every attribute; no answer contradicts
its listing or promises what the site cannot do, and the shipped report is the command's output."""

from __future__ import annotations

import json
from pathlib import Path

from mlcore.negotiator.factcheck import Answer, FactConfig, check_all, report
from tests.mlcore.cli import ROOT, run_mlcore

SHIPPED = ROOT / "docs" / "evaluation" / "facts.json"


def test_the_command_checks_catalogue_and_demo_and_finds_no_contradiction(tmp_path: Path):
    result = run_mlcore("fact-check", "--seeds", "1", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    payload = json.loads((tmp_path / "facts.json").read_text(encoding="utf-8"))
    assert set(payload["by_source"]) == {"catalogue", "demo"}
    assert payload["overall"]["contradictions"] == 0 and payload["overall"]["promises"] == 0
    assert payload["overall"]["unsupported"] == 0
    assert payload["overall"]["agreement"] == 1.0
    # What the listings state is answered from them; what they do not is mostly passed on.
    assert payload["overall"]["stated_answered"] >= 0.95
    assert payload["overall"]["unstated_asked_seller"] >= 0.5
    assert "| attribute |" in (tmp_path / "facts.md").read_text(encoding="utf-8")


def test_a_contradiction_fails_the_command_and_is_listed(tmp_path: Path, monkeypatch):
    answer = Answer(
        source="demo",
        title="아이패드",
        attribute="condition",
        question="기스 있나요?",
        stated=True,
        outcome="description",
        states_fact=True,
        contradictions=["모서리에 생활기스 조금 있습니다"],
        unsupported=[],
        promises=[],
        reply="기스 없어요",
    )
    result = report([answer])
    assert result["overall"]["contradictions"] == 1 and result["overall"]["agreement"] == 0.0
    assert result["problems"][0]["reply"] == "기스 없어요"


def test_bad_arguments_get_a_clear_error():
    result = run_mlcore("fact-check", "--seeds", "0")
    assert result.returncode == 2 and "--seeds" in result.stderr


def test_the_shipped_report_is_the_commands_output():
    shipped = json.loads(SHIPPED.read_text(encoding="utf-8"))
    fresh = report(check_all(FactConfig(seeds=shipped["config"]["seeds"])))
    assert shipped["overall"] == fresh["overall"], (
        "fact check changed: run `python -m mlcore fact-check --out docs/evaluation`"
    )
