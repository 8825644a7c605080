"""`manage.py eval_nellm`: the site's configured backend through mlcore's evaluation, and with
`--adapter DIR` the new adapter and the serving one on the same simulated buyers, side by side."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from tests.mlcore.tiny import tiny_adapter, tiny_base  # noqa: F401

FEW = ("--per-cell", "1", "--style", "balanced", "--persona", "quick_buyer", "--persona", "lowballer")


def eval_nellm(*args: str) -> str:
    stdout = StringIO()
    call_command("eval_nellm", *args, stdout=stdout, stderr=StringIO())
    return stdout.getvalue()


def rows(output: str) -> dict[str, list[str]]:
    table = [line for line in output.splitlines() if line.startswith("| ") and "---" not in line]
    return {
        cells[0]: cells[1:] for cells in ([c.strip() for c in line.strip("|").split("|")] for line in table)
    }


@pytest.mark.slow
def test_the_new_adapter_against_the_rules_serving_now(tiny_base, tiny_adapter):  # noqa: F811
    with override_settings(NELLM_BACKEND="rules", NELLM_BASE_MODEL=str(tiny_base), NELLM_LOAD_IN_4BIT=False):
        output = eval_nellm("--adapter", str(tiny_adapter), *FEW)
    assert "Same simulated buyers for both: seed 0, 2 dialogues each." in output
    table = rows(output)
    assert set(table) == {"adapter", "serving (rules)", f"new ({tiny_adapter})"}
    assert table["serving (rules)"][0] == table[f"new ({tiny_adapter})"][0] == "2"  # dialogues
    assert table[f"new ({tiny_adapter})"][-1] == "0"  # safety violations


@pytest.mark.slow
def test_the_new_adapter_against_the_serving_adapter(tiny_base, tiny_adapter):  # noqa: F811
    settings = {"NELLM_BACKEND": "llm", "NELLM_ADAPTER": str(tiny_adapter), "NELLM_LOAD_IN_4BIT": False}
    with override_settings(NELLM_BASE_MODEL=str(tiny_base), **settings):
        output = eval_nellm("--adapter", str(tiny_adapter), *FEW)
    table = rows(output)
    # The same adapter on the same buyers with the same seed: the same figures.
    assert table[f"serving ({tiny_adapter})"] == table[f"new ({tiny_adapter})"]


@pytest.mark.slow
def test_bad_options_are_clear_errors(tiny_base, tmp_path):  # noqa: F811
    with override_settings(NELLM_BASE_MODEL=""), pytest.raises(CommandError, match="No base model"):
        eval_nellm("--adapter", str(tmp_path))
    with override_settings(NELLM_BASE_MODEL=str(tiny_base), NELLM_BACKEND="rules"):
        with pytest.raises(CommandError, match="no such directory"):
            eval_nellm("--adapter", str(tmp_path / "missing"), *FEW)
        with pytest.raises(CommandError, match="unknown persona"):
            eval_nellm("--adapter", str(tmp_path), "--persona", "alien")


@override_settings(NELLM_BACKEND="rules")
def test_eval_nellm_evaluates_the_sites_backend(tmp_path, capsys):
    call_command(
        "eval_nellm", "--per-cell", "1", "--style", "firm", "--persona", "lowballer", "--out", str(tmp_path)
    )
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert list(report["backends"]) == ["rules"] and report["overall"]["safety_violations"] == 0
    assert "| rules |" in capsys.readouterr().out


def test_eval_nellm_says_why_a_backend_cannot_run(tmp_path, monkeypatch):
    monkeypatch.delenv("NELLM_OPENAI_BASE_URL", raising=False)
    with pytest.raises(CommandError, match="exit status 2"):
        call_command("eval_nellm", "--backend", "openai", "--per-cell", "1", "--out", str(tmp_path))
