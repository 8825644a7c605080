"""`evaluate --baseline` runs a model as the original NELLM did: no Advisor hint in its prompt, its
own words and decisions, only the original's regex rules around them, no streaming guard. What
the Advisor and the guard prevent shows up in the baseline's figures."""

from __future__ import annotations

import json
import os

import pytest

from mlcore.evaluate import EvalConfig, evaluate
from mlcore.llm.template import render_prompt
from mlcore.negotiator.advisor import Act, SellerPolicy, Style
from mlcore.negotiator.original import REFUSAL, OriginalSeller
from mlcore.schema import ACCEPT_TOKEN, BUYER, DENY_TOKEN, SELLER, Event, Listing
from tests.mlcore.cli import run_mlcore
from tests.mlcore.tiny import tiny_base  # noqa: F401 - a fixture

LISTING = Listing("블루투스 스피커", "작년에 샀어요. 상태 좋아요.", 35_000)
CONFIG = EvalConfig(per_cell=2, styles=("balanced",), personas=("lowballer", "quick_buyer"))


class Scripted:
    """A model that always writes `reply`, recording the decisions it was given."""

    name = "llm"

    def __init__(self, reply: str) -> None:
        self.reply, self.decisions = reply, []

    def stream(self, *, listing, history, decision):
        self.decisions.append(decision)
        yield from (self.reply[i : i + 3] for i in range(0, len(self.reply), 3))


def seller(reply: str) -> tuple[OriginalSeller, Scripted]:
    model = Scripted(reply)
    return OriginalSeller(
        policy=SellerPolicy(35_000, 28_000, Style.BALANCED), listing=LISTING, generator=model
    ), model


def test_the_prompt_has_no_hint_and_the_model_decides_from_its_own_words():
    history = [
        Event(BUYER, "3만원에 주세요"),
        Event(SELLER, "33,000원까지 해드릴게요."),
        Event(BUYER, "31000원은요?"),
    ]
    prompt = render_prompt(LISTING, history, None)
    assert "[전략" not in prompt and prompt.endswith("\n판매자:")
    bot, model = seller("32,000원에 드릴게요.")
    turn = bot.respond("31000원은요?", history=history[:-1])
    assert model.decisions == [None], "no Advisor decision reaches the model"
    assert (turn.decision.act, turn.decision.price) == (Act.COUNTER, 32_000)


def test_the_original_rules_before_and_after_the_model():
    bot, _ = seller("45,000원은 받아야 해요.")
    first = bot.respond("2만원에 주세요")
    # Below the floor: the canned refusal first; a price above the level comes down to it.
    assert first.text == f"{REFUSAL} 35,000원은 받아야 해요." and first.repaired
    bot, model = seller("네 좋아요, 2만5천원에 드릴게요.")
    counter = bot.respond("2만9천원에 주세요")
    assert (counter.decision.act, counter.decision.price) == (Act.COUNTER, 25_000), (
        "below the floor, unchecked"
    )
    # At or above its own lowest quote the final is accepted without asking the model.
    assert bot.respond("##<25000>##").text == ACCEPT_TOKEN and len(model.decisions) == 1


@pytest.mark.parametrize(
    ("reply", "act"),
    [
        (f"{ACCEPT_TOKEN} 감사합니다", Act.FINAL_ACCEPT),
        (DENY_TOKEN, Act.FINAL_DENY),
        ("음...", Act.FINAL_DENY),
    ],
)
def test_a_final_offer_between_the_last_price_named_and_the_quote_is_the_models_choice(reply, act):
    def haggled() -> tuple[OriginalSeller, Scripted]:
        bot, _ = seller("음, 생각해 볼게요.")
        bot.respond("3만원에 주세요")  # the buyer named 30,000 last; the seller quoted only the list price
        bot.generator = model = Scripted(reply)
        return bot, model

    bot, model = haggled()
    assert bot.respond("##<29000>##").text == DENY_TOKEN and model.decisions == [], "below 30,000: forced"
    bot, model = haggled()
    assert bot.respond("##<35000>##").text == ACCEPT_TOKEN and model.decisions == [], "the quote: forced"
    bot, model = haggled()
    assert bot.respond("##<31000>##").decision.act is act and model.decisions == [None]
    # With no haggling, the last price named is the list price: even 90% of it is refused.
    fresh, _ = seller(reply)
    assert fresh.respond("##<31500>##").decision.act is Act.FINAL_DENY


def test_without_advisor_and_guard_agreements_below_the_floor_reach_the_buyer():
    words = "네 좋아요, 5천원에 드릴게요."
    guarded = evaluate(CONFIG, generator=Scripted(words))
    baseline = evaluate(CONFIG, generator=Scripted(words), guarded=False)
    assert sum(len(o.violations) for o in guarded) == 0
    violations = [v for o in baseline for v in o.violations]
    assert any("accepted" in v and "below the floor" in v for v in violations)
    assert all(o.fallbacks == 0 for o in baseline), "no realizer fallback in the original's approach"


@pytest.mark.slow
def test_the_tiny_model_runs_both_ways_through_the_command(tmp_path, tiny_base):  # noqa: F811
    env = {
        **os.environ,
        "NELLM_BASE_MODEL": str(tiny_base),
        "NELLM_LOAD_IN_4BIT": "0",
        "NELLM_BATCH_SLOTS": "4",
    }
    args = ["evaluate", "--backend", "llm", "--baseline", "--per-cell", "1", "--style", "firm"]
    done = run_mlcore(
        *args, "--persona", "quick_buyer", "--workers", "2", "--out", str(tmp_path), env=env, timeout=600
    )
    assert done.returncode == 0, done.stderr  # the baseline's violations do not fail the run
    blocks = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["backends"]
    guarded, baseline = blocks["llm"]["overall"], blocks["llm-baseline"]["overall"]
    assert guarded["safety_violations"] == 0 and guarded["dialogues"] == baseline["dialogues"] == 1
    assert baseline["fallbacks_per_reply"] == 0 and baseline["first_piece_p50_s"] is not None
    assert "| llm-baseline |" in done.stdout
