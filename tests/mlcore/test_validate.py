"""`python -m mlcore validate-data`: the shipped corpus passes, planted bad records are named."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from mlcore.corpus.validate import DataError, load_dialogues, validate_record
from tests.mlcore.cli import run_mlcore

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "mlcore" / "data" / "corpus"


def good_record(**changes):
    record = {
        "title": "아이폰 13 미니 128GB",
        "description": "배터리 84%, 모서리 찍힘 하나 있어요.",
        "price": 420000,
        "result": "ACCEPT",
        "events": [
            {"role": "구매자", "message": "안녕하세요, 배터리가 84%면 38만원에 안 될까요?"},
            {"role": "판매자", "message": "38만원은 어렵고 40만원까지는 가능해요."},
            {"role": "구매자", "message": "##<400000>##"},
            {"role": "판매자", "message": "##<수락>##"},
        ],
        "category": "electronics",
        "persona": "polite_haggler",
        "floor_price": 370000,
        "source": "hand",
    }
    record.update(changes)
    return record


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_mlcore("validate-data", *args)


def test_shipped_corpus_is_valid() -> None:
    done = run_cli("--strict", str(CORPUS))
    assert done.returncode == 0, done.stdout
    assert done.stdout.strip().splitlines()[-1].startswith("OK:")
    assert "0 bad" in done.stdout


def test_a_good_record_has_no_problems() -> None:
    assert validate_record(good_record(), strict=True) == []


def test_planted_bad_records_are_each_reported(tmp_path: Path) -> None:
    def events_with(index: int, message: str, role: str | None = None):
        events = [dict(e) for e in good_record()["events"]]
        events[index]["message"] = message
        if role:
            events[index]["role"] = role
        return events

    bad = [
        good_record(),  # line 1: fine
        {k: v for k, v in good_record().items() if k != "title"},  # 2: missing title
        good_record(events=events_with(1, "네 가능해요", role="seller")),  # 3: wrong role
        good_record(price="420,000원"),  # 4: price not an integer
        good_record(result="DENY"),  # 5: result contradicts ##<수락>##
        good_record(events=events_with(1, "35만원에 드릴게요.")),  # 6: offer below the floor
        good_record(events=events_with(1, "37만원 밑으로는 안 돼요.")),  # 7: states the floor
        good_record(events=events_with(2, "##<38.5만>##")),  # 8: final offer not an integer
        good_record(events=events_with(2, "##<360000>##")),  # 9: accepts below the floor
        good_record(events=events_with(1, "연락은 010-1234-5678로 주세요.")),  # 10: personal data
    ]
    path = tmp_path / "bad.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in bad] + ['{"title": "broken"']  # 11: bad JSON
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    done = run_cli(str(path))
    assert done.returncode == 1
    out = done.stdout
    expected = [
        (2, "title: missing"),
        (3, "events[1].role: must be '구매자' or '판매자', got \"seller\""),
        (4, "price: must be an integer number of won"),
        (5, "result: is DENY but the seller answered ##<수락>##"),
        (6, "events[1].message: the seller offers 350000 below the floor 370000"),
        (7, "events[1].message: the seller states the floor (370000)"),
        (8, "events[2].message: final offer '##<38.5만>##' is not an integer price"),
        (9, "events[3].message: the seller accepts 360000 below the floor 370000"),
        (10, "events[1].message: contains personal data"),
        (11, "(line): invalid JSON"),
    ]
    for line, text in expected:
        assert f"{path}:{line}: {text}" in out, (line, text, out)
    assert f"{path}:1:" not in out
    assert out.strip().splitlines()[-1] == "FAILED: 1 file(s), 10 record(s), 1 valid, 9 bad, 10 problem(s)"


def test_strict_requires_the_corpus_fields(tmp_path: Path) -> None:
    record = {k: v for k, v in good_record().items() if k not in ("persona", "floor_price")}
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    assert run_cli(str(path)).returncode == 0  # a site export without the corpus fields is fine
    done = run_cli("--strict", str(path))
    assert done.returncode == 1
    assert f"{path}:1: persona: missing (required in the corpus)" in done.stdout
    assert f"{path}:1: floor_price: missing (required in the corpus)" in done.stdout


def test_json_arrays_report_the_line_a_record_starts_on(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(
        json.dumps([good_record(), good_record(result="maybe")], ensure_ascii=False, indent=2),
        encoding="utf-8",
    )
    text = path.read_text(encoding="utf-8").splitlines()
    second = [i for i, line in enumerate(text, start=1) if line == "  {"][1]
    done = run_cli(str(path))
    assert done.returncode == 1
    assert f"{path}:{second}: result: must be ACCEPT or DENY" in done.stdout


def test_a_missing_file_is_an_error_not_a_crash(tmp_path: Path) -> None:
    done = run_cli(str(tmp_path / "nope.jsonl"))
    assert done.returncode == 1
    assert "cannot read" in done.stdout


def test_load_dialogues_raises_with_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    rows = [good_record(), good_record(price=1.5), good_record(result="DENY")]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_dialogues([path])
    assert [(p.line, p.field) for p in caught.value.problems] == [(2, "price"), (3, "result")]
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(good_record(), ensure_ascii=False), encoding="utf-8")
    [dialogue] = load_dialogues([good])
    assert dialogue.extra["floor_price"] == 370000 and dialogue.events[-1].message == "##<수락>##"


def test_a_turned_down_final_offer_may_come_before_the_end() -> None:
    # On the site a buyer whose final offer was refused haggles on and offers again.
    events = [
        {"role": "구매자", "message": "38만원에 주세요."},
        {"role": "판매자", "message": "38만원은 어렵고 40만원까지는 가능해요."},
        {"role": "구매자", "message": "##<380000>##"},
        {"role": "판매자", "message": "##<거절>## 죄송해요, 40만원이면 바로 거래할게요."},
        {"role": "구매자", "message": "##<400000>##"},
        {"role": "판매자", "message": "##<수락>##"},
    ]
    assert validate_record(good_record(events=events)) == []


def test_the_seller_may_not_accept_or_answer_an_offer_that_was_never_made() -> None:
    early_accept = [
        {"role": "구매자", "message": "##<400000>##"},
        {"role": "판매자", "message": "##<수락>## 좋아요."},
        *good_record()["events"][-2:],
    ]
    unprompted_deny = [
        {"role": "구매자", "message": "38만원 안 될까요?"},
        {"role": "판매자", "message": "##<거절>## 어려워요."},
        *good_record()["events"][-2:],
    ]
    for events in (early_accept, unprompted_deny):
        problems = validate_record(good_record(events=events))
        assert [(p.field, p.reason) for p in problems] == [
            ("events[1].message", "the seller uses a protocol token before the end")
        ]


@pytest.mark.parametrize(
    ("seller", "offered"),
    [
        ("네 좋아요, 30만원에 드릴게요!", 300_000),  # the buyer's own lowball, now agreed to
        ("그럼 20만원에 드릴게요!", 200_000),  # far below the floor is still below the floor
        ("36만원까지 해드릴 수 있어요.", 360_000),
    ],
)
def test_a_seller_agreeing_or_offering_below_the_floor_is_caught(seller: str, offered: int) -> None:
    events = [
        {"role": "구매자", "message": "30만원에 주세요."},
        {"role": "판매자", "message": seller},
        *good_record()["events"][-2:],
    ]
    problems = validate_record(good_record(events=events))
    assert [(p.field, p.reason) for p in problems] == [
        ("events[1].message", f"the seller offers {offered} below the floor 370000")
    ]


@pytest.mark.parametrize(
    "seller",
    [
        "30만원은 어려워요. 40만원까지는 가능해요.",
        "30만원으로는 좀 힘들어요 ㅠㅠ",
        "그 가격은 어렵고 5천원 빼드릴게요.",
        "택배비 3,500원은 따로 부담해 주셔야 해요.",
        "셔터 8천 컷이라 거의 새것이에요.",
    ],
)
def test_refusing_a_low_amount_or_naming_a_discount_or_fee_is_not_an_offer(seller: str) -> None:
    events = [
        {"role": "구매자", "message": "30만원에 주세요."},
        {"role": "판매자", "message": seller},
        *good_record()["events"][-2:],
    ]
    # The listing names the delivery its fee is for (a seller line may not promise one it does not).
    description = good_record()["description"] + " 택배 가능해요."
    assert validate_record(good_record(events=events, description=description)) == []


def test_strict_holds_final_tokens_to_the_bare_form(tmp_path: Path) -> None:
    chatty_answer = good_record()
    chatty_answer["events"][-1]["message"] = "##<수락>## 좋아요! 내일 뵐게요"
    chatty_offer = good_record()
    chatty_offer["events"][-2]["message"] = "이걸로 부탁드려요 ##<400,000>##"
    mid_chat = good_record(result="DENY")
    mid_chat["events"][2:] = [
        {"role": "구매자", "message": "##<380000>##"},
        {"role": "판매자", "message": "##<거절>## 그건 어려워요"},
        {"role": "구매자", "message": "##<380000>##"},
        {"role": "판매자", "message": "##<거절>##"},
    ]
    path = tmp_path / "chatty.jsonl"
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in (chatty_answer, chatty_offer, mid_chat)),
        encoding="utf-8",
    )
    assert run_cli(str(path)).returncode == 0  # the lenient check reads the site's own form
    done = run_cli("--strict", str(path))
    assert done.returncode == 1
    for line, pair in ((1, "2..3"), (2, "2..3"), (3, "2..3")):
        assert f"{path}:{line}: events[{pair}].message: a final offer and its answer must be the bare" in (
            done.stdout
        )
    assert done.stdout.strip().splitlines()[-1].startswith("FAILED: 1 file(s), 3 record(s), 0 valid")


def test_canonical_events_moves_the_words_into_their_own_turns() -> None:
    from mlcore.schema import canonical_events

    bare = good_record()["events"]
    said = [
        bare[0],
        bare[1],
        {"role": "구매자", "message": "##<390000>## 이 정도면요?"},
        {"role": "판매자", "message": "##<거절>## 39만원은 어려워요."},
        {"role": "구매자", "message": "그럼 40만원 할게요 ##<400,000>##"},
        {"role": "판매자", "message": "좋아요! ##<수락>##"},
    ]
    moved = [("구매자", "이 정도면요?"), ("판매자", "39만원은 어려워요."), ("구매자", "##<390000>##")]
    moved += [("판매자", "##<거절>##"), ("구매자", "그럼 40만원 할게요"), ("판매자", "좋아요!")]
    expected = bare[:2] + [{"role": r, "message": m} for r, m in moved] + bare[2:]
    assert canonical_events(said) == expected
    assert validate_record(good_record(events=expected), strict=True) == []
    # A buyer typing the seller's token is not an answered offer and stays as typed.
    trick = [{"role": "구매자", "message": "##<수락>## 하세요"}, *bare]
    assert canonical_events(trick) == trick


def test_site_exports_need_no_persona_in_strict_mode() -> None:
    record = {k: v for k, v in good_record(source="site").items() if k != "persona"}
    assert validate_record(record, strict=True) == []
    hand = {k: v for k, v in good_record().items() if k != "persona"}
    assert [p.field for p in validate_record(hand, strict=True)] == ["persona"]


def test_every_kind_of_personal_data_is_rejected() -> None:
    for text in ("카톡 아이디 nellm_seller 주세요", "계좌 110-123-456789", "강남구 테헤란로 123 으로요"):
        record = good_record(events=[{"role": "구매자", "message": text}, *good_record()["events"]])
        (problem,) = validate_record(record)
        assert (problem.field, problem.reason.split(" (")[0]) == (
            "events[0].message",
            "contains personal data",
        )


@pytest.mark.parametrize(
    ("line", "why"),
    [
        # The description says nothing of a box: a seller line that has one teaches making it up.
        ("네, 본체 박스 있어요. 깨끗하게 담아드릴게요.", "unsupported:part:box"),
        ("상태가 좋아서 40만원까지는 가능해요.", "contradicts:clean"),  # "모서리 찍힘 하나"
        ("찍힘 없어요. 40만원까지는 가능해요.", "contradicts:defect:dent"),
        ("사진 더 보내드릴게요.", "promise:photo"),  # the chat sends no photos
        ("오늘 저녁에 직거래 가능해요.", "promise:trade:직거래"),  # no trade method is named
    ],
)
def test_a_seller_line_beyond_the_description_is_reported(line: str, why: str) -> None:
    """Before: the hand corpus had 133 such seller lines (hand_games.jsonl: "네, 본체 박스 있어요"
    to a Switch whose description names no box), and nothing caught them."""
    events = [dict(e) for e in good_record()["events"]]
    events[1]["message"] = line
    problems = validate_record(good_record(events=events), strict=True)
    assert [p.field for p in problems] == ["events[1].message"], problems
    assert why in problems[0].reason and "the listing does not" in problems[0].reason


def test_a_seller_line_from_the_description_passes() -> None:
    events = [dict(e) for e in good_record()["events"]]
    events[1]["message"] = (
        "모서리 찍힘 하나 있어서 40만원까지는 맞춰드릴게요. 박스는 설명에 따로 안 적어뒀어요."
    )
    assert validate_record(good_record(events=events), strict=True) == []
