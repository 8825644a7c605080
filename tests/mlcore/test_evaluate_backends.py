"""`python -m mlcore evaluate --backend …`: the same simulated buyers against each backend, one
block per backend with repairs, fallbacks, failures and latency; safety counters stay at zero."""

from __future__ import annotations

import json
import os
import threading
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.mlcore.cli import run_mlcore
from tests.mlcore.test_openai_backend import Server

TODAY = {  # the keys `overall` had before backends: kept for every backend
    "dialogues",
    "deal_rate",
    "deal_rate_when_possible",
    "price_share_of_list",
    "seller_share_of_zone",
    "mean_seller_turns",
    "repaired_turns",
    "fallback_turns",
    "safety_violations",
}


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Server)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    Server.seen, Server.script = [], ["ok"]
    Server.reply = "안녕하세요! 상태 좋아요. 가격은 2만원에 드릴게요."  # often below the floor
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


def evaluate(tmp_path: Path, base_url: str, *backends: str):
    env = {
        **os.environ,
        "NELLM_OPENAI_BASE_URL": base_url,
        "NELLM_OPENAI_MODEL": "m",
        "NELLM_OPENAI_TIMEOUT": "2",
    }
    flags = [f for b in backends for f in ((b,) if b.startswith("--") else ("--backend", b))]
    args = ["evaluate", *flags, "--per-cell", "1", "--style", "balanced", "--out", str(tmp_path)]
    done = run_mlcore(*args, "--persona", "lowballer", "--persona", "quick_buyer", env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads((tmp_path / "report.json").read_text(encoding="utf-8")), done.stdout


def test_each_backend_gets_a_block_with_todays_keys_and_its_reply_figures(tmp_path, server):
    report, stdout = evaluate(tmp_path, server, "rules", "openai")
    assert set(report["backends"]) == {"rules", "openai"}
    assert report["generator"] == "rules" and set(report["overall"]) >= TODAY
    rules, openai = report["backends"]["rules"]["overall"], report["backends"]["openai"]["overall"]
    assert set(rules) >= TODAY and set(openai) >= TODAY
    assert rules["dialogues"] == openai["dialogues"] == 2, "the same simulated buyers"
    assert rules["safety_violations"] == openai["safety_violations"] == 0
    assert rules["fallbacks_per_reply"] == 0 and rules["reply_p50_s"] is None
    # One request per reply, but for the answers to final offers: the realizer words those.
    assert 0 < len(Server.seen) < openai["replies"]
    assert openai["fallbacks_per_reply"] > 0, "the guard replaced the server's below-floor words"
    assert 0 < openai["first_piece_p50_s"] <= openai["reply_p95_s"]
    assert "| openai |" in stdout and "| rules |" in stdout
    assert "## By backend" in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_a_dead_server_is_counted_as_failures_not_violations(tmp_path):
    report, _ = evaluate(tmp_path, "http://127.0.0.1:9/v1", "openai")
    overall = report["backends"]["openai"]["overall"]
    # Every reply the server was asked for failed (the final answers are the realizer's).
    assert 0.5 < overall["failures_per_reply"] == overall["fallbacks_per_reply"] < 1.0
    assert overall["safety_violations"] == 0 and overall["first_piece_p50_s"] is None


def test_the_baseline_shows_what_the_guard_prevents(tmp_path, server):
    # Words the original's regex rules do not read (no digits), far below any floor.
    Server.reply = "네 좋아요, 5백원에 드릴게요."
    report, stdout = evaluate(tmp_path, server, "openai", "--baseline")
    guarded, baseline = (
        report["backends"]["openai"]["overall"],
        report["backends"]["openai-baseline"]["overall"],
    )
    # Every reply the server wrote was replaced (the final answers are the realizer's anyway).
    assert guarded["safety_violations"] == 0 and 0.5 < guarded["fallbacks_per_reply"] < 1.0
    assert baseline["safety_violations"] > 0, "without the guard the below-floor words reach the buyer"
    assert any("below the floor" in v for v in report["backends"]["openai-baseline"]["violations"])
    assert "| openai-baseline |" in stdout
