"""The self-play buyer that the strategy is trained and evaluated against speaks proper Korean
and listens: amounts take the particles of a word ending in 원 (이면, 으로, 은, 이에요), and when
the seller asks for the final offer the buyer sends it. Through `python -m mlcore selfplay`."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from mlcore.corpus.buyers import BuyerSimulator
from mlcore.negotiator.advisor import SellerPolicy
from mlcore.negotiator.pipeline import Negotiator
from mlcore.schema import Listing, final_offer_price
from tests.mlcore.cli import run_mlcore

# 원 ends in a consonant: "29,000원이면", never "29000원면" (nor 원는 / 원로 / 원가 / 원를 / 원예요).
WRONG_PARTICLE = re.compile(r"(?<=[\d만천백])원(?:면|는|로|가|를|와|예요|야)(?![가-힣])")


def dialogues(tmp_path: Path, *args: str) -> list[dict]:
    out = tmp_path / "g.jsonl"
    done = run_mlcore("selfplay", "--out", str(out), *args)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_amounts_take_the_particles_of_a_word_ending_in_won(tmp_path):
    records = dialogues(tmp_path, "--n", "120", "--seed", "11")
    said = [e["message"] for r in records for e in r["events"]]
    assert any(re.search(r"\d원이면", m) for m in said)  # the form that was wrong is exercised
    wrong = [m for m in said if WRONG_PARTICLE.search(m)]
    assert not wrong, wrong[:5]


def test_the_buyer_sends_the_final_offer_when_the_seller_asks_for_it():
    """The simulator's own surface: whatever its plan, the seller's call for the final offer
    ("이제 마무리해야 해서요, … 최종 가격 보내주세요") is answered with one."""
    listing = Listing("에어팟 프로", "케이스에 잔기스 있어요.", 40_000)
    asked = 0
    for seed in range(20):
        buyer = BuyerSimulator("polite_haggler", listing, 30_000, random.Random(seed))
        buyer.planned_rounds = 99  # it would haggle on unless told
        bot = Negotiator(policy=SellerPolicy(40_000, 30_000, deadline=3), listing=listing, seed=seed)
        for _ in range(12):
            line = buyer.next_message()
            turn = bot.respond(line)
            if final_offer_price(line) is not None:
                break
            buyer.observe(turn.text, turn.decision.act.value)
            if turn.decision.ask_final:
                asked += 1
                assert final_offer_price(buyer.next_message()) is not None
                break
    assert asked >= 10


def test_the_buyer_never_sends_a_final_offer_above_its_budget():
    """Before: a quick buyer's "오늘 가져갈게요", taken by the bot as agreeing to the list price,
    was followed by a final offer at the list price above the buyer's hidden budget, so the
    evaluation's deals could beat the budgets they are measured against."""
    listing = Listing("닌텐도 스위치", "보호필름 붙여서 썼어요.", 290_000)
    over = finals = 0
    for seed in range(30):
        buyer = BuyerSimulator("quick_buyer", listing, 240_000, random.Random(seed))
        bot = Negotiator(policy=SellerPolicy(290_000, 240_000, "firm"), listing=listing, seed=seed)
        for _ in range(8):
            line = buyer.next_message()
            turn = bot.respond(line)
            offer = final_offer_price(line)
            if offer is not None:
                finals += 1
                over += offer > buyer.budget
            if turn.decision.closed:
                break
            buyer.observe(turn.text, turn.decision.act.value)
    assert finals >= 30 and over == 0, (finals, over)
