"""The last rounds: questions do not use up the buyer's rounds, the bot asks for the final offer
instead of closing by itself, a deal is only ever the answer to the buyer's own final offer, and
a price the bot stated or agreed to is the price it closes at. Through `python -m mlcore chat`,
`python -m mlcore replay`, `Negotiator.respond` and `Advisor.decide`."""

from __future__ import annotations

import json
import random
import re

from mlcore.negotiator.advisor import ACCEPT_ACTS, OFFER_ACTS, Act, Advisor, Market, SellerPolicy, Style
from mlcore.negotiator.pipeline import Negotiator
from mlcore.schema import ACCEPT_TOKEN, DENY_TOKEN, Listing, final_offer_price
from tests.mlcore.cli import run_mlcore

DESCRIPTION = "2022년 구매, 배터리 효율 90%, 케이스에 잔기스 있어요. 충전 케이블 포함."
QUESTIONS = [
    "배터리 어때요?",
    "상태는요?",
    "박스 있어요?",
    "직거래 가능해요?",
    "택배 되나요?",
    "언제 사셨어요?",
    "정품이에요?",
    "하자 있나요?",
    "케이블도 주시나요?",
    "기스는 어느 정도예요?",
]


def chat(*lines: str, seed: str = "3") -> list[str]:
    done = run_mlcore(
        "chat",
        "--title",
        "에어팟",
        "--price",
        "40000",
        "--floor",
        "30000",
        "--seed",
        seed,
        "--description",
        DESCRIPTION,
        input="\n".join(lines) + "\n",
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_ten_questions_and_a_thank_you_make_no_deal_and_close_nothing():
    # Before: the 12th message of any kind was the deadline, and "감사합니다, 생각해 볼게요" after a
    # price mention became `##<수락>##` at that price; without one, the chat ended for good.
    for prelude in ([], ["3만원이면 살게요"]):
        out = chat("안녕하세요", *QUESTIONS, *prelude, "감사합니다, 생각해 볼게요")
        seller = [line for line in out if line.startswith("판매자:")]
        assert len(seller) == 12 + len(prelude)
        assert not any(ACCEPT_TOKEN in line or DENY_TOKEN in line for line in seller), seller[-2:]
        assert not any(line.startswith("[거래") for line in out)  # the chat is still open


def test_a_price_agreed_is_the_price_the_final_offer_closes_at():
    out = chat(*QUESTIONS, "3만원 어때요", "3만5천원 가능할까요", "네 좋아요 그 가격에 살게요", "##<37000>##")
    seller = [line for line in out if line.startswith("판매자:")]
    agreed = re.search(r"(\d[\d,]*)원", seller[-2])
    assert agreed, seller[-2]
    price = int(agreed.group(1).replace(",", ""))
    if price <= 37_000:
        assert seller[-1].startswith(f"판매자: {ACCEPT_TOKEN}"), seller[-1]
    out = chat(
        *QUESTIONS, "3만원 어때요", "3만5천원 가능할까요", "네 좋아요 그 가격에 살게요", f"##<{price}>##"
    )
    assert f"거래 성사: {price:,}원" in out[-1]


def test_the_buyer_is_asked_for_the_final_offer_when_the_price_rounds_are_up():
    listing = Listing("에어팟", DESCRIPTION, 40_000)
    for seed in range(6):
        bot = Negotiator(policy=SellerPolicy(40_000, 30_000, deadline=3), listing=listing, seed=seed)
        lines = [
            "안녕하세요",
            "배터리 어때요?",
            "상태는요?",
            "3만원 어때요",
            "박스 있어요?",
            "언제 사셨어요?",
        ]
        texts = [bot.respond(m).text for m in lines]
        assert all("마무리" not in t for t in texts), texts  # one price round; questions are free
        last = bot.respond("3만2천원이요")  # one round before the deadline
        assert "가격 제안" in last.text and "최종 가격" in last.text, last.text
        assert last.decision.ask_final and not bot.closed
        closing = bot.respond(f"##<{last.decision.price}>##")  # the buyer, told in time, sends it
        assert closing.decision.act is Act.FINAL_ACCEPT and closing.decision.closed


def test_replay_makes_no_deal_without_the_buyers_final_offer(tmp_path):
    line = {
        "listing": {"title": "에어팟", "description": DESCRIPTION, "price": 40_000, "floor_price": 30_000},
        "buyer_turns": ["3만8천원이요", "네 좋아요 그 가격에 살게요", *QUESTIONS, "감사합니다 들어가세요"],
    }
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    done = run_mlcore("replay", str(source), "--out", str(out))
    assert done.returncode == 0, done.stderr
    dialogue = json.loads(out.read_text(encoding="utf-8"))
    acts = [e["act"] for e in dialogue["events"] if "act" in e]
    assert len(acts) == len(line["buyer_turns"])
    assert "final_accept" not in acts and dialogue["result"] == "DENY" and dialogue["final_price"] is None


def buyer_message(kind: str, price: int) -> str:
    return {
        "offer": f"{price}원 어때요?",
        "final": f"##<{price}>##",
        "agree": "좋아요 그 가격에 살게요",
        "question": "배터리 어때요?",
        "thanks": "감사합니다 생각해 볼게요",
    }[kind]


def test_deals_only_answer_final_offers_and_never_undercut_a_standing_offer_unless_promised():
    """3,000 seeded random dialogues where other buyers' final offers come and go while this chat
    runs (the site reports the best one each turn). A deal is always the answer to a final offer;
    it is at a price the bot stated to this buyer, or at least the limit of that moment."""
    kinds = ["offer", "offer", "final", "agree", "question", "thanks"]
    for seed in range(3_000):
        rng = random.Random(seed)
        floor = rng.randint(20, 35) * 1_000
        advisor = Advisor(SellerPolicy(40_000, floor, rng.choice(list(Style)), reserve=floor + 500))
        stated: list[int] = []
        for _ in range(30):
            if advisor.state.closed:
                break
            best_other = rng.choice([None, rng.randint(20, 40) * 1_000])
            message = buyer_message(rng.choice(kinds), rng.randint(10, 45) * 1_000)
            d = advisor.decide(message, market=Market(best_other_offer=best_other, active_buyers=2))
            if d.act is Act.FINAL_ACCEPT:
                assert min(final_offer_price(message) or 0, 40_000) == d.price, (seed, message, d)
                assert d.price >= floor + 500
                assert d.price >= min([*stated, max(floor, best_other or 0)]), (seed, d)
            if (d.act in OFFER_ACTS or d.act in ACCEPT_ACTS) and d.price is not None:
                stated.append(d.price)
            assert d.closed == (final_offer_price(message) is not None and advisor.state.closed), (seed, d)


def test_an_agreed_price_holds_when_a_better_standing_offer_arrives():
    advisor = Advisor(SellerPolicy(40_000, 30_000, Style.FLEXIBLE, deadline=4))
    advisor.decide("36000원 어때요?")
    agreed = advisor.decide("좋아요 그 가격에 살게요")
    assert agreed.act is Act.ACCEPT and not agreed.closed
    better = Market(best_other_offer=39_000, active_buyers=2)
    advisor.decide("배터리 어때요?", market=better)
    reminder = advisor.decide("감사합니다", market=better)
    assert (reminder.act, reminder.price, reminder.closed) == (Act.ACCEPT, agreed.price, False)
    closing = advisor.decide(f"##<{agreed.price}>##", market=better)
    assert (closing.act, closing.price, closing.closed) == (Act.FINAL_ACCEPT, agreed.price, True)
