"""The oracle beside each style (issue 11): the most of the zone any seller could keep against the
same simulated buyers, charging each exactly their hidden budget, at the style's own deal rate."""

from __future__ import annotations

from pathlib import Path

from mlcore.evaluate import EvalConfig, Outcome, evaluate, oracle_share, report, summarize
from tests.mlcore.cli import run_mlcore


def outcome(budget: int, *, deal: bool, price: int | None = None, reserve: int | None = None) -> Outcome:
    # List price 200,000원 over a floor of 100,000원: a budget of 150,000원 is half the zone.
    return Outcome("firm", "student", 200_000, 100_000, budget, deal, price, 5, 0, 0, reserve=reserve)


def test_the_oracle_charges_the_highest_budgets_exactly_their_budget() -> None:
    outcomes = [
        outcome(200_000, deal=True, price=180_000),
        outcome(150_000, deal=True, price=140_000),
        outcome(120_000, deal=False, reserve=125_000),
        outcome(90_000, deal=False),  # could not pay the floor: no seller's deal, nor the oracle's
    ]
    figures = summarize(outcomes)
    assert figures["deal_rate_when_possible"] == 2 / 3
    # Two deals of three possible: the oracle takes 200,000 and 150,000 (shares 1.0 and 0.5).
    assert figures["oracle_share_of_zone"] == 0.75
    assert figures["seller_share_of_zone"] == (0.8 + 0.4) / 2
    assert oracle_share(outcomes, 0.9) == (1.0 + 0.5 + 0.2) / 3  # round(0.9 * 3) = 3 buyers
    assert oracle_share(outcomes, None) is None
    assert figures["possible_below_reserve"] == 1 / 3


def test_no_style_keeps_more_than_the_oracle_and_every_style_meets_the_same_buyers() -> None:
    outcomes = evaluate(EvalConfig(per_cell=6, seed=4))
    by_style = report(outcomes)["by_style"]
    for figures in by_style.values():
        assert figures["seller_share_of_zone"] <= figures["oracle_share_of_zone"] + 1e-9, by_style
    # Paired: the styles differ only in how they sell, so their figures compare like for like.
    buyers = {
        style: [(o.persona, o.list_price, o.floor, o.budget) for o in outcomes if o.style == style]
        for style in by_style
    }
    assert buyers["firm"] == buyers["balanced"] == buyers["flexible"]
    assert len({figures["oracle_share_of_zone_at_target"] for figures in by_style.values()}) == 1


def test_the_report_states_the_targets_beside_the_oracle(tmp_path: Path) -> None:
    done = run_mlcore("evaluate", "--per-cell", "3", "--seed", "2", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "## The targets: ≥ 90.0% deals when possible, ≥ 60.0% share of zone" in markdown
    assert "| oracle share (same deals) |" in markdown
    assert "of the zone at 90.0% deals is" in markdown and "but not the secret reserve" in markdown
