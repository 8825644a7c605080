"""`python -m mlcore replay`: scripted buyers in, dataset-schema dialogues out, bad lines named."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from mlcore.schema import BUYER, SELLER
from tests.mlcore.cli import run_mlcore, run_python

ROOT = Path(__file__).resolve().parents[2]
LISTING = {
    "title": "캠핑 의자",
    "description": "두 번 사용했어요. 상태 좋아요.",
    "price": 35000,
    "floor_price": 28000,
}


def replay(tmp_path: Path, lines: list[str]) -> tuple[subprocess.CompletedProcess, list[dict]]:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_mlcore("replay", str(src), "--out", str(out))
    records = (
        [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()] if out.exists() else []
    )
    return result, records


def line(turns: list[str], **listing) -> str:
    return json.dumps({"listing": {**LISTING, **listing}, "buyer_turns": turns}, ensure_ascii=False)


def test_a_deal_in_the_dataset_schema(tmp_path):
    result, [dialogue] = replay(
        tmp_path, [line(["안녕하세요", "30000원 어때요?", "##<33000>##", "감사합니다"])]
    )
    assert result.returncode == 0, result.stderr
    assert set(dialogue) == {"title", "description", "price", "result", "events", "final_price"}
    assert (dialogue["result"], dialogue["final_price"], dialogue["price"]) == ("ACCEPT", 33000, 35000)
    events = dialogue["events"]
    assert [e["role"] for e in events] == [BUYER, SELLER] * 3  # closed: the last turn is not sent
    assert events[-1]["message"].startswith("##<수락>##") and events[-1]["act"] == "final_accept"
    assert all("act" in e and "price" in e for e in events if e["role"] == SELLER)
    assert all(set(e) == {"role", "message"} for e in events if e["role"] == BUYER)
    assert "replay: 1 dialogues (1 accepted, 0 denied), 0 bad lines" in result.stderr


def test_no_deal_is_deny_with_no_final_price(tmp_path):
    result, [dialogue] = replay(tmp_path, [line(["##<20000>##"], style="firm")])
    assert result.returncode == 0
    assert (dialogue["result"], dialogue["final_price"]) == ("DENY", None)
    assert dialogue["events"][-1]["act"] == "final_deny"


def test_bad_lines_are_named_and_the_rest_go_on(tmp_path):
    lines = [
        line(["30000원이요"]),
        "{not json",
        json.dumps({"listing": {"title": "x", "price": 1000}, "buyer_turns": ["hi"]}),
        line(["hi"], floor_price=50000),
        line([]),
        line(["hi"], style="greedy"),
        line(["31000원이요"]),
    ]
    result, records = replay(tmp_path, lines)
    assert result.returncode == 1
    assert len(records) == 2
    err = result.stderr
    assert "in.jsonl:2: not valid JSON" in err
    assert "in.jsonl:3: listing.floor_price must be an integer" in err
    assert "in.jsonl:4: floor_price must be between 0 and the list price" in err
    assert "in.jsonl:5: buyer_turns must be a non-empty list of strings" in err
    assert "in.jsonl:6: listing.style must be one of" in err
    assert "2 dialogues" in err and "5 bad lines" in err


def test_missing_input_file_is_a_clear_error(tmp_path):
    result = run_mlcore("replay", str(tmp_path / "nope.jsonl"))
    assert result.returncode == 2 and "cannot read" in result.stderr and "Traceback" not in result.stderr


def test_replay_imports_no_torch():
    code = "import sys, mlcore.replay, mlcore.chat; assert 'torch' not in sys.modules"
    done = run_python(code)
    assert done.returncode == 0, done.stderr


def test_an_implausible_list_price_is_a_bad_line(tmp_path):
    huge = {"listing": {"title": "x", "price": 10**12, "floor_price": 5}, "buyer_turns": ["안녕하세요"]}
    result, records = replay(tmp_path, [json.dumps(huge)])
    assert result.returncode != 0 and records == []
    assert "listing.price must be between 1 and 100,000,000 won" in result.stderr
