"""`manage.py eval_nellm` evaluates the site's configured backend with mlcore's evaluation."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings


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
