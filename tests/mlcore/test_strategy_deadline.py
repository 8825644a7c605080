"""The last rounds: the buyer is told in time to send the final offer, a price the seller agreed
to is the price it closes at, and a deadline close never takes less than a better standing
offer from another buyer. Through `python -m mlcore chat`, `Negotiator.respond` and
`Advisor.decide`."""

from __future__ import annotations

import random
import re

from mlcore.negotiator.advisor import ACCEPT_ACTS, Act, Advisor, Market, SellerPolicy, Style
from mlcore.negotiator.pipeline import Negotiator
from mlcore.schema import ACCEPT_TOKEN, Listing
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
]


def test_a_price_agreed_before_the_deadline_is_the_price_closed_at():
    lines = [
        *QUESTIONS,
        "3만원 어때요",
        "3만5천원 가능할까요",
        "네 좋아요 그 가격에 살게요",
        "네 지금 가격 제안 보낼게요",
    ]
    done = run_mlcore(
        "chat",
        "--title",
        "에어팟",
        "--price",
        "40000",
        "--floor",
        "30000",
        "--seed",
        "3",
        "--description",
        DESCRIPTION,
        input="\n".join(lines) + "\n",
    )
    assert done.returncode == 0, done.stderr
    seller = [line for line in done.stdout.splitlines() if line.startswith("판매자:")]
    assert len(seller) == 12
    agreed = re.search(r"(\d[\d,]*)원", seller[10])
    assert agreed, seller[10]
    # Before: the 12th message got "##<수락>## 35,000원", below the 37,000원 agreed.
    assert seller[11].startswith(f"판매자: {ACCEPT_TOKEN} {agreed.group(1)}원"), seller[11]
    assert f"거래 성사: {agreed.group(1)}원" in done.stdout


def test_one_round_before_the_deadline_the_buyer_is_asked_for_the_final_offer():
    listing = Listing("에어팟", DESCRIPTION, 40_000)
    for seed in range(6):
        bot = Negotiator(policy=SellerPolicy(40_000, 30_000, deadline=6), listing=listing, seed=seed)
        texts = [
            bot.respond(m).text
            for m in ["안녕하세요", "배터리 어때요?", "3만원 어때요", "상태는요?", "3만2천원이요"]
        ]
        assert all("마무리" not in t for t in texts[:-1])
        assert "마무리" in texts[-1] and "가격 제안" in texts[-1] and "최종 가격" in texts[-1], texts[-1]
        assert not bot.closed
        closing = bot.respond("##<33000>##")  # the buyer, told in time, sends it
        assert closing.decision.closed


def buyer_message(kind: str, price: int) -> str:
    return {
        "offer": f"{price}원 어때요?",
        "final": f"##<{price}>##",
        "agree": "좋아요 그 가격에 살게요",
        "question": "배터리 어때요?",
    }[kind]


def test_the_deadline_never_takes_less_than_a_better_standing_offer():
    """3,000 seeded random dialogues where other buyers' offers come and go while this chat runs
    (the site reports the best one each turn). The reviewer's sweep found 14 of 3,000 closing
    below a better standing offer; it takes a rise at the last round, which a shrinking search
    rarely hits, hence a plain seeded sweep."""
    kinds = ["offer", "offer", "final", "agree", "question"]
    for seed in range(3_000):
        rng = random.Random(seed)
        floor = rng.randint(20, 35) * 1_000
        advisor = Advisor(SellerPolicy(40_000, floor, rng.choice(list(Style))))
        while not advisor.state.closed:
            best_other = rng.choice([None, rng.randint(20, 40) * 1_000])
            message = buyer_message(rng.choice(kinds), rng.randint(10, 45) * 1_000)
            d = advisor.decide(message, market=Market(best_other_offer=best_other, active_buyers=2))
            if d.act in ACCEPT_ACTS:
                assert d.price is not None and d.price >= max(floor, best_other or 0), (seed, d)
        assert advisor.state.rounds <= advisor.policy.rounds


def test_a_better_standing_offer_that_arrives_after_agreeing_is_not_undercut_at_the_deadline():
    advisor = Advisor(SellerPolicy(40_000, 30_000, Style.FLEXIBLE, deadline=4))
    advisor.decide("36000원 어때요?")
    agreed = advisor.decide("좋아요 그 가격에 살게요")
    assert agreed.act is Act.ACCEPT
    advisor.decide("배터리 어때요?", market=Market(best_other_offer=39_000, active_buyers=2))
    closing = advisor.decide("네", market=Market(best_other_offer=39_000, active_buyers=2))
    assert closing.closed
    assert closing.act is Act.FINAL_DENY or closing.price >= 39_000
