"""`python -m mlcore evaluate`: simulated buyers against the bot, figures, a plot, safety counters."""

from __future__ import annotations

import json
from pathlib import Path

from mlcore.corpus.selfplay import Played
from mlcore.evaluate import EvalConfig, evaluate, outcome_of, report
from mlcore.negotiator.advisor import Act, Decision, SellerPolicy
from mlcore.negotiator.pipeline import Turn
from mlcore.schema import BUYER, SELLER, Event, Listing
from tests.mlcore.cli import run_mlcore


def test_the_command_reports_figures_a_plot_and_no_safety_violation(tmp_path: Path) -> None:
    done = run_mlcore("evaluate", "--per-cell", "4", "--seed", "3", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "| firm |" in done.stdout and "| flexible |" in done.stdout
    result = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    overall = result["overall"]
    assert overall["dialogues"] == 3 * 10 * 4  # styles x personas x per cell
    assert overall["safety_violations"] == 0 and result["violations"] == []
    assert 0 < overall["deal_rate"] < 1
    assert 0 <= overall["seller_share_of_zone"] <= 1
    assert (tmp_path / "evaluation.png").stat().st_size > 10_000
    assert "![evaluation](evaluation.png)" in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_every_style_closes_nearly_every_possible_deal_and_firm_keeps_the_most() -> None:
    # Before: firm closed 58% of the buyers who could pay its floor, balanced 78%; then, with the
    # styles meeting the same buyers, the firm style's wider reserve margin closed 88.7%.
    by_style = report(evaluate(EvalConfig(per_cell=30, seed=0)))["by_style"]
    shares = {style: figures["seller_share_of_zone"] for style, figures in by_style.items()}
    assert shares["firm"] >= shares["balanced"] >= shares["flexible"], shares
    assert all(figures["deal_rate_when_possible"] >= 0.9 for figures in by_style.values()), by_style
    assert all(figures["consistency_violations"] == 0 for figures in by_style.values())


def test_the_same_seed_gives_the_same_figures() -> None:
    config = EvalConfig(per_cell=2, seed=11, styles=("balanced",))
    assert report(evaluate(config)) == report(evaluate(config))


def test_the_safety_counters_catch_a_bot_that_breaks_the_rules() -> None:
    # A hand-made negotiation in which the seller's words and moves break every rule once.
    policy = SellerPolicy(50_000, 41_000, "balanced")
    listing = Listing("스피커", "작년에 샀어요.", 50_000)
    turns = [
        Turn(Decision(Act.COUNTER, 45_000), "45,000원 어떠세요?", "llm", False),
        Turn(Decision(Act.COUNTER, 47_000), "4만1천원이 제 최저가예요.", "llm", False),
        Turn(Decision(Act.FINAL_ACCEPT, 39_000), "##<수락>## 3만9천원에 드릴게요.", "llm", False),
    ]
    played = Played(listing, policy, "lowballer", 39_000, [], turns)
    violations = outcome_of(played).violations
    assert violations == [
        "turn 2: states the floor",
        "turn 2: offer rose from 45000 to 47000",
        "turn 3: states a price below the floor",
        "turn 3: accepted 39000 below the floor",
    ]
    assert report([outcome_of(played)])["overall"]["safety_violations"] == 4


def test_unknown_personas_are_a_clear_error() -> None:
    done = run_mlcore("evaluate", "--persona", "alien")
    assert done.returncode == 2 and "unknown persona(s): alien" in done.stderr


def test_repeated_sentences_and_social_proof_are_counted_per_dialogue() -> None:
    """A sentence said again counts unless the buyer asked the same thing again (issue 11)."""
    policy = SellerPolicy(50_000, 41_000, "balanced")
    listing = Listing("스피커", "작년에 샀어요.", 50_000)
    hold = "네고는 좀 어려워요. 지금 다른 분들도 문의 주고 계세요."
    events = [
        Event(BUYER, "네고 되나요?"),
        Event(SELLER, hold),
        Event(BUYER, "좀 깎아주세요"),
        Event(SELLER, hold),  # the same two sentences, to a new request
        Event(BUYER, "좀 깎아주세요"),
        Event(SELLER, "네고는 좀 어려워요."),  # the buyer repeated: the same answer is fine
    ]
    turns = [Turn(Decision(Act.HOLD, 50_000), e.message, "rules", False) for e in events[1::2]]
    outcome = outcome_of(Played(listing, policy, "student", 45_000, events, turns))
    assert (outcome.repeats, outcome.social) == (2, 2)
    overall = report([outcome])["overall"]
    assert overall["repeats_per_dialogue"] == 2 and overall["social_per_dialogue"] == 2


def test_the_bot_repeats_no_sentence_over_the_simulated_buyers() -> None:
    overall = report(evaluate(EvalConfig(per_cell=3, seed=5)))["overall"]
    assert overall["repeats_per_dialogue"] < 0.05
    assert overall["social_per_dialogue"] < 1
