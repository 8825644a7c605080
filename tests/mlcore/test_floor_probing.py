"""The floor cannot be probed: two fresh accounts sending three final offers each get answers
that do not tell floors a few percent apart from one another. Through `python -m mlcore replay`,
where two lines on the same listing are two buyers meeting the same secret reserve."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from mlcore.negotiator.advisor import Act, Advisor, SellerPolicy, Style
from mlcore.negotiator.reserve import draw_reserve, with_reserve
from tests.mlcore.cli import run_mlcore

LIST_PRICE = 35_000
FLOORS = (27_300, 27_900)  # 2.2% apart
# Final offers between and around the two floors, where the answers would differ if they
# depended on the floor (before: flexible took 27,800원 at once over a floor of 27,300원 only).
ACCOUNTS = (["##<27800>##", "##<28800>##", "##<29800>##"], ["##<28300>##", "##<29300>##", "##<30300>##"])
LISTINGS = 60


def transcripts(tmp_path: Path, floor: int, style: str) -> Counter[tuple]:
    lines = [
        {
            "listing": {
                "title": f"블루투스 스피커 {i}",
                "price": LIST_PRICE,
                "floor_price": floor,
                "style": style,
            },
            "buyer_turns": turns,
        }
        for i in range(LISTINGS)
        for turns in ACCOUNTS
    ]
    source, out = tmp_path / f"in-{floor}.jsonl", tmp_path / f"out-{floor}.jsonl"
    source.write_text("\n".join(json.dumps(line, ensure_ascii=False) for line in lines), encoding="utf-8")
    done = run_mlcore("replay", str(source), "--out", str(out))
    assert done.returncode == 0, done.stderr
    dialogues = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    answers = [tuple((e["act"], e["price"]) for e in d["events"] if "act" in e) for d in dialogues]
    return Counter(tuple(answers[i : i + 2]) for i in range(0, len(answers), 2))


@pytest.mark.parametrize("style", [s.value for s in Style])
def test_two_accounts_with_three_final_offers_each_cannot_tell_floors_apart(tmp_path, style):
    low, high = (transcripts(tmp_path, floor, style) for floor in FLOORS)
    # Most of what a prober sees over a floor of 28,300원 is seen over 27,300원 just as well.
    shared = sum(n for answers, n in high.items() if answers in low)
    assert shared >= 0.3 * LISTINGS, (style, low, high)


def test_the_reserve_is_drawn_once_per_listing_and_kept_secret():
    first = draw_reserve(LIST_PRICE, 27_300, "flexible", secret="listing-7")
    assert first == draw_reserve(LIST_PRICE, 27_300, "flexible", secret="listing-7")
    drawn = {draw_reserve(LIST_PRICE, 27_300, "flexible", secret=f"listing-{i}") for i in range(200)}
    # Spread over most of its band (0.5-8% of the zone above the floor), so that a prober who
    # finds the reserve knows the floor only to within several percent of the zone.
    assert min(drawn) > 27_300 and max(drawn) - min(drawn) > 0.06 * (LIST_PRICE - 27_300)
    assert draw_reserve(LIST_PRICE, LIST_PRICE, "firm", secret="x") == LIST_PRICE


def test_probing_accounts_raise_the_reserve():
    base = draw_reserve(LIST_PRICE, 27_300, "balanced", secret="s")
    raised = [draw_reserve(LIST_PRICE, 27_300, "balanced", secret="s", probes=n) for n in range(1, 12)]
    assert base < raised[0] < raised[1] and raised == sorted(raised) and raised[-1] <= LIST_PRICE


def test_a_reply_at_the_lowest_price_is_worded_as_any_other():
    # Before: a reply whose price was the floor switched to wording without a price. With the
    # reserve in between, no price the bot quotes or takes is ever the floor itself.
    for i in range(50):
        policy = with_reserve(SellerPolicy(LIST_PRICE, 27_300, Style.FLEXIBLE), secret=str(i))
        advisor = Advisor(policy)
        for offer in (27_000, 27_300, 27_500, 28_000, 28_500, 29_000, 29_500, 30_000):
            d = advisor.decide(f"{offer}원이요")
            assert d.price is None or (d.quote and d.price > 27_300), d
            if d.act is Act.ACCEPT:
                break
