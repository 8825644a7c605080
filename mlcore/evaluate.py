"""`python -m mlcore evaluate`: simulated buyers against the seller bot, and the numbers.

Every persona of `mlcore.corpus.buyers` haggles with every seller style over listings of the shipped
catalogue. Per dialogue we record whether a deal was made, at what price (as a share of the
list price, and as the seller's share of the bargaining zone between floor and list price),
whether a deal was possible at all (the buyer's hidden budget reached the floor), how many
turns it took, how often the guard had to repair or replace the generator's words — and the
safety counters, which must all be zero: a stated or accepted price below the floor, the floor
amount in any written form, an offer that rose again. Consistency violations (also zero) are
final offers judged apart from the chat: one accepted below a price the bot turned down earlier
in the same chat, or one at a price the bot had stated and then turned down. How the words read
is counted too: sentences the seller repeats within a dialogue, and social-proof lines per
dialogue.

`--backend rules|llm|openai` (repeatable) runs the same simulated buyers against each backend:
the rule realizer, the fine-tuned model on this machine (NELLM_BASE_MODEL / NELLM_ADAPTER, all
dialogues decoded together by its batching scheduler when `--workers` > 1) or an OpenAI-compatible
server (NELLM_OPENAI_*). Per backend: the figures above, guard repairs, realizer fallbacks and
generator failures per reply, and the reply latency (p50/p95 seconds to the first piece and to
the whole reply). `report.json` keeps its keys for the first backend and adds one block per
backend under `backends`. `--baseline` adds, per model backend, the original's approach
(`mlcore.negotiator.original.OriginalSeller`): the model's own words and decisions, its prompt
without an Advisor hint, only the original's regex rules before and after it, no streaming guard
and no realizer fallback, so the table shows what the Advisor and the guard add (the baseline's
safety violations are expected and do not fail the run).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mlcore.corpus.selfplay import LISTINGS_PATH, STYLES, Played, load_listings, play


@dataclass(frozen=True)
class EvalConfig:
    per_cell: int = 10  # dialogues per (style, persona)
    seed: int = 0
    styles: tuple[str, ...] = STYLES
    personas: tuple[str, ...] = ()  # empty: every persona of the simulator
    listings: Path = LISTINGS_PATH


@dataclass
class Outcome:
    """One evaluated dialogue."""

    style: str
    persona: str
    list_price: int
    floor: int
    budget: int
    deal: bool
    price: int | None
    seller_turns: int
    repaired: int
    fallbacks: int
    violations: list[str] = field(default_factory=list)
    failures: int = 0  # turns where the generator raised (and the realizer answered)
    inconsistencies: list[str] = field(default_factory=list)
    repeats: int = 0  # seller sentences said before in the dialogue (the buyer not repeating)
    social: int = 0  # seller turns with a social-proof line ("다른 분들도 보고 계세요")
    reserve: int | None = None  # the seller's secret acceptance line (None: the floor)

    @property
    def possible(self) -> bool:
        return self.budget >= self.floor


def outcome_of(played: Played) -> Outcome:
    from mlcore.language.prices import find_amounts
    from mlcore.negotiator.advisor import OFFER_ACTS, Act
    from mlcore.negotiator.guard import mentions_floor

    policy, floor = played.policy, played.policy.floor_price
    violations: list[str] = []
    offers: list[int] = []
    for number, turn in enumerate(played.turns, start=1):
        decision = turn.decision
        if any(a.value < floor for a in find_amounts(turn.text)):
            violations.append(f"turn {number}: states a price below the floor")
        if mentions_floor(turn.text, floor):
            violations.append(f"turn {number}: states the floor")
        if decision.act in OFFER_ACTS and decision.price is not None:
            if offers and decision.price > offers[-1]:
                violations.append(f"turn {number}: offer rose from {offers[-1]} to {decision.price}")
            offers.append(decision.price)
        if decision.act in (Act.ACCEPT, Act.FINAL_ACCEPT) and (decision.price or 0) < floor:
            violations.append(f"turn {number}: accepted {decision.price} below the floor")
    closing = played.turns[-1].decision
    inconsistencies = consistency_problems([turn.decision for turn in played.turns])
    deal = closing.act is Act.FINAL_ACCEPT
    return Outcome(
        style=policy.style.value,
        persona=played.persona,
        list_price=policy.list_price,
        floor=floor,
        budget=played.budget,
        deal=deal,
        price=closing.price if deal else None,
        seller_turns=len(played.turns),
        repaired=sum(1 for t in played.turns if t.repaired),
        fallbacks=sum(1 for t in played.turns if t.generator == "rules-fallback"),
        violations=violations,
        failures=sum(1 for t in played.turns if getattr(t, "failure", None)),
        inconsistencies=inconsistencies,
        reserve=policy.reserve,
        **wording_counts(played),
    )


def wording_counts(played: Played) -> dict[str, int]:
    """How the seller's words read over a dialogue: sentences said again though the buyer did not
    ask again, and turns that lean on other buyers' interest."""
    from mlcore.negotiator.realizer import OTHER_ONE, OTHERS, sentences
    from mlcore.schema import BUYER

    social_lines = [line.strip() for line in (*OTHERS, *OTHER_ONE)]
    said: set[str] = set()
    asked: set[str] = set()
    repeats = social = 0
    again = False
    for event in played.events:
        if event.role == BUYER:
            question = " ".join(event.message.split())
            again = question in asked
            asked.add(question)
            continue
        mine = sentences(event.message)
        if not again:
            repeats += sum(1 for s in mine if s in said)
        said.update(mine)
        social += any(line in event.message for line in social_lines)
    return {"repeats": repeats, "social": social}


def consistency_problems(decisions: Sequence[Any]) -> list[str]:
    """Where the answers to final offers disagree with the chat: a final offer accepted below a
    buyer price the bot turned down, or a final offer at (or above) a price the bot had stated
    (or agreed to) turned down."""
    from mlcore.negotiator.advisor import OFFER_ACTS, Act

    problems: list[str] = []
    refused: list[int] = []
    stated: list[int] = []
    for number, decision in enumerate(decisions, start=1):
        offer = decision.buyer_offer
        if decision.act is Act.FINAL_ACCEPT and refused and (decision.price or 0) < max(refused):
            problems.append(f"turn {number}: accepted {decision.price} after turning down {max(refused)}")
        if decision.act is Act.FINAL_DENY and offer is not None and stated and offer >= min(stated):
            problems.append(f"turn {number}: turned down {offer} after stating {min(stated)}")
        if decision.act in OFFER_ACTS and offer is not None:
            refused.append(offer)
        if (
            decision.price is not None
            and decision.quote
            and (decision.act in OFFER_ACTS or decision.act is Act.ACCEPT)
        ):
            stated.append(decision.price)
    return problems


def evaluate(
    config: EvalConfig, *, generator: Any = None, progress: Any = None, workers: int = 1, guarded: bool = True
) -> list[Outcome]:
    """Every dialogue of the config, in order; `workers` > 1 plays that many at once (a model
    backend then decodes their replies together), with the same result as one at a time."""
    from mlcore.corpus.buyers import PERSONAS

    listings = load_listings(config.listings)
    personas = config.personas or tuple(sorted(PERSONAS))
    cells = [(s, p, i) for s in config.styles for p in personas for i in range(config.per_cell)]

    def one(cell: tuple[str, str, int]) -> Outcome:
        style, persona, index = cell
        rng = random.Random(f"nellm-eval:{config.seed}:{persona}:{index}")
        listing = rng.choice(listings)
        played = play(listing, rng=rng, persona=persona, style=style, generator=generator, guarded=guarded)
        outcome = outcome_of(played)
        if progress is not None:
            progress.update(1)
        return outcome

    if workers <= 1:
        return [one(cell) for cell in cells]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="nellm-eval") as pool:
        return list(pool.map(one, cells))


BACKENDS = ("rules", "llm", "openai")


def load_backend(name: str) -> Any:
    """The generator of a backend (None: the Negotiator's own rule realizer)."""
    if name == "llm":
        from mlcore.llm.generator import load_generator

        return load_generator()
    if name == "openai":
        from mlcore.llm.openai_backend import load_openai_generator

        return load_openai_generator()
    return None


class Timed:
    """A generator that records, per reply, the seconds to its first piece and to its end."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.name = inner, inner.name
        self.first: list[float] = []
        self.whole: list[float] = []
        self._lock = threading.Lock()

    def stream(self, **kwargs: Any) -> Iterator[str]:
        start, first = time.perf_counter(), None
        try:
            for piece in self.inner.stream(**kwargs):
                if first is None:
                    first = time.perf_counter() - start
                yield piece
        finally:
            with self._lock:
                self.whole.append(time.perf_counter() - start)
                if first is not None:
                    self.first.append(first)


def _percentile(values: Sequence[float], share: float) -> float | None:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))] if ordered else None


def reply_figures(outcomes: Sequence[Outcome], timed: Timed | None = None) -> dict[str, Any]:
    """Per reply: how often the guard repaired or replaced the words, how often the generator
    failed; and the latency of the generator's replies (None for the in-process realizer)."""
    replies = sum(o.seller_turns for o in outcomes)
    first, whole = (timed.first, timed.whole) if timed else ([], [])
    return {
        "replies": replies,
        "repairs_per_reply": sum(o.repaired for o in outcomes) / replies if replies else None,
        "fallbacks_per_reply": sum(o.fallbacks for o in outcomes) / replies if replies else None,
        "failures_per_reply": sum(o.failures for o in outcomes) / replies if replies else None,
        "first_piece_p50_s": _percentile(first, 0.5),
        "first_piece_p95_s": _percentile(first, 0.95),
        "reply_p50_s": _percentile(whole, 0.5),
        "reply_p95_s": _percentile(whole, 0.95),
    }


def render_backends(blocks: dict[str, dict[str, Any]]) -> str:
    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    lines = [
        "| backend | dialogues | deal rate | seller share of zone | safety violations | repairs / reply "
        "| fallbacks / reply | failures / reply | first piece p50 / p95 s | reply p50 / p95 s |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for name, block in blocks.items():
        o = block["overall"]
        lines.append(
            f"| {name} | {o['dialogues']} | {_fmt(o['deal_rate'])} | {_fmt(o['seller_share_of_zone'])} "
            f"| {o['safety_violations']} | {_fmt(o['repairs_per_reply'])} | {_fmt(o['fallbacks_per_reply'])} "
            f"| {_fmt(o['failures_per_reply'])} | {seconds(o['first_piece_p50_s'])} / "
            f"{seconds(o['first_piece_p95_s'])} | {seconds(o['reply_p50_s'])} / {seconds(o['reply_p95_s'])} |"
        )
    return "\n".join(lines)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


# The share of the buyers who could pay the floor that every style must close (issue 11): the
# oracle at this rate is the ceiling on the share of zone a seller meeting that target can keep.
DEALS_TARGET = 0.9


def oracle_share(outcomes: Sequence[Outcome], rate: float | None) -> float | None:
    """The most of the zone any seller could keep, on average over its deals, against these
    simulated buyers while closing `rate` of those who could pay the floor: it charges each buyer
    exactly their hidden budget (no buyer pays more) and closes the ones with the highest budgets
    (any other choice of the same number of buyers keeps less)."""
    shares = sorted(
        (
            (o.budget - o.floor) / (o.list_price - o.floor)
            for o in outcomes
            if o.possible and o.list_price > o.floor
        ),
        reverse=True,
    )
    if rate is None:
        return None
    return _mean(shares[: round(rate * len(shares))])


def summarize(outcomes: Iterable[Outcome]) -> dict[str, Any]:
    """The figures of a group of dialogues (all of them, a style, a persona)."""
    items = list(outcomes)
    deals = [o for o in items if o.deal]
    possible = [o for o in items if o.possible]
    turns = [o.seller_turns for o in items]
    rate = _mean([1.0 if o.deal else 0.0 for o in possible])
    return {
        "dialogues": len(items),
        "deal_rate": _mean([1.0 if o.deal else 0.0 for o in items]),
        # Of the dialogues where the buyer could pay the floor, how many ended in a deal.
        "deal_rate_when_possible": rate,
        "price_share_of_list": _mean([o.price / o.list_price for o in deals if o.price]),
        # 0: the deal was at the floor, 1: at the list price.
        "seller_share_of_zone": _mean(
            [
                (o.price - o.floor) / (o.list_price - o.floor)
                for o in deals
                if o.price and o.list_price > o.floor
            ]
        ),
        # The ceiling on `seller_share_of_zone` at this group's deal rate, and at the target rate.
        "oracle_share_of_zone": oracle_share(items, rate),
        "oracle_share_of_zone_at_target": oracle_share(items, DEALS_TARGET),
        # Buyers who could pay the floor but not the secret reserve: no style sells to them (the
        # reserve is what keeps the floor from being probed), so the deal rate stays below 1 - this.
        "possible_below_reserve": _mean(
            [1.0 if o.reserve is not None and o.budget < o.reserve else 0.0 for o in possible]
        ),
        "mean_seller_turns": _mean(turns),
        "repaired_turns": sum(o.repaired for o in items),
        "fallback_turns": sum(o.fallbacks for o in items),
        "safety_violations": sum(len(o.violations) for o in items),
        "consistency_violations": sum(len(o.inconsistencies) for o in items),
        "repeats_per_dialogue": _mean([o.repeats for o in items]),
        "social_per_dialogue": _mean([o.social for o in items]),
    }


def report(outcomes: list[Outcome]) -> dict[str, Any]:
    by_style: dict[str, list[Outcome]] = defaultdict(list)
    by_persona: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_style[outcome.style].append(outcome)
        by_persona[outcome.persona].append(outcome)
    return {
        "overall": summarize(outcomes),
        "by_style": {k: summarize(v) for k, v in by_style.items()},
        "by_persona": {k: summarize(v) for k, v in sorted(by_persona.items())},
        "violations": [v for o in outcomes for v in o.violations][:50],
        "inconsistencies": [v for o in outcomes for v in o.inconsistencies][:50],
    }


def _fmt(value: float | None, pct: bool = True, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{100 * value:.1f}%" if pct else f"{value:.{digits}f}"


def render_table(rows: dict[str, dict[str, Any]], title: str) -> str:
    lines = [
        f"| {title} | dialogues | deal rate | deals when possible | price / list | seller share of zone "
        f"| oracle share (same deals) | oracle share ({_fmt(DEALS_TARGET)} deals) "
        "| seller turns | repaired | fallbacks | repeated sentences | social proof "
        "| consistency violations | safety violations |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for name, s in rows.items():
        lines.append(
            f"| {name} | {s['dialogues']} | {_fmt(s['deal_rate'])} | {_fmt(s['deal_rate_when_possible'])} "
            f"| {_fmt(s['price_share_of_list'])} | {_fmt(s['seller_share_of_zone'])} "
            f"| {_fmt(s['oracle_share_of_zone'])} | {_fmt(s['oracle_share_of_zone_at_target'])} "
            f"| {_fmt(s['mean_seller_turns'], pct=False)} | {s['repaired_turns']} | {s['fallback_turns']} "
            f"| {_fmt(s['repeats_per_dialogue'], pct=False, digits=2)} "
            f"| {_fmt(s['social_per_dialogue'], pct=False, digits=2)} "
            f"| {s['consistency_violations']} | {s['safety_violations']} |"
        )
    return "\n".join(lines)


# Issue 11's share-of-zone target for every style.
SHARE_TARGET = 0.6


def render_target(by_style: dict[str, dict[str, Any]]) -> str:
    """Issue 11's targets against what these simulated buyers allow: per style, the share it keeps
    beside the oracle's ceiling, and whether the share target is reachable at the deals target."""
    lines = [
        f"## The targets: ≥ {_fmt(DEALS_TARGET)} deals when possible, ≥ {_fmt(SHARE_TARGET)} share of zone",
        "",
        "The oracle knows each simulated buyer's hidden budget, charges exactly it and closes the "
        "buyers with the highest budgets: no seller facing the same buyers can keep more of the zone "
        "while closing as many of them.",
        "",
        "| style | deals when possible | seller share of zone | oracle share (same deals) "
        "| kept of the oracle "
        f"| oracle share ({_fmt(DEALS_TARGET)} deals) | could pay the floor, not the reserve |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    reachable, short = [], []
    for name, s in by_style.items():
        share, same, at_target = (
            s["seller_share_of_zone"],
            s["oracle_share_of_zone"],
            s["oracle_share_of_zone_at_target"],
        )
        kept = share / same if share is not None and same else None
        lines.append(
            f"| {name} | {_fmt(s['deal_rate_when_possible'])} | {_fmt(share)} | {_fmt(same)} "
            f"| {_fmt(kept)} | {_fmt(at_target)} | {_fmt(s['possible_below_reserve'])} |"
        )
        if at_target is not None and at_target >= SHARE_TARGET:
            reachable.append(name)
        if (s["deal_rate_when_possible"] or 0) < DEALS_TARGET:
            short.append(name)
    ceiling = max((s["oracle_share_of_zone_at_target"] or 0 for s in by_style.values()), default=0)
    deals = (
        f"Below {_fmt(DEALS_TARGET)} deals when possible: {', '.join(short)}."
        if short
        else f"Every style closes at least {_fmt(DEALS_TARGET)} of the buyers who could pay the floor."
    )
    # What is lost is lost to the reserve, or above it (where a strategy could still do better).
    above = max(
        (
            1 - (s["deal_rate_when_possible"] or 0) - (s["possible_below_reserve"] or 0)
            for s in by_style.values()
        ),
        default=0,
    )
    deals += (
        f" Apart from at most {_fmt(max(above, 0))} of them, the buyers a style lost could pay the floor "
        "but not the secret reserve, under which no style sells: it keeps the floor from being probed."
    )
    share = (
        f"{_fmt(SHARE_TARGET)} of the zone at {_fmt(DEALS_TARGET)} deals is within the oracle's reach for: "
        f"{', '.join(reachable)}."
        if reachable
        else f"{_fmt(SHARE_TARGET)} of the zone at {_fmt(DEALS_TARGET)} deals is not reachable: even the "
        f"oracle keeps at most {_fmt(ceiling)} on these buyers."
    )
    return "\n".join(lines) + "\n\n" + deals + " " + share


def render_markdown(result: dict[str, Any], *, config: EvalConfig, generator: str, plot: str) -> str:
    return (
        "\n\n".join(
            [
                "# Evaluation: simulated buyers against the seller bot",
                f"Generated by `python -m mlcore evaluate` (generator `{generator}`, "
                f"{config.per_cell} dialogues per style and persona, seed {config.seed}).",
                f"![evaluation]({plot})",
                render_table({"all": result["overall"]}, "set"),
                render_table(result["by_style"], "style"),
                render_table(result["by_persona"], "persona"),
                render_target(result["by_style"]),
            ]
        )
        + "\n"
    )


def plot(result: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    styles = list(result["by_style"])
    metrics = [("deal_rate", "deal rate"), ("seller_share_of_zone", "seller share of zone")]
    width = 0.38
    for offset, (key, label) in enumerate(metrics):
        values = [result["by_style"][s][key] or 0 for s in styles]
        left.bar([i + offset * width for i in range(len(styles))], values, width, label=label)
    left.set_xticks([i + width / 2 for i in range(len(styles))], styles)
    left.set_ylim(0, 1)
    left.set_title("by seller style")
    left.legend()
    personas = list(result["by_persona"])
    right.barh(personas, [result["by_persona"][p]["deal_rate"] or 0 for p in personas], color="#ff6f0f")
    right.set_xlim(0, 1)
    right.set_title("deal rate by buyer persona")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--per-cell", type=int, default=10, help="dialogues per style and persona")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--style", action="append", choices=STYLES, help="only these styles (repeatable)")
    parser.add_argument("--persona", action="append", help="only these personas (repeatable)")
    parser.add_argument("--listings", type=Path, default=LISTINGS_PATH)
    parser.add_argument("--out", type=Path, help="folder for report.md, report.json and evaluation.png")
    parser.add_argument(
        "--backend",
        action="append",
        choices=BACKENDS,
        help="who words the seller's turns (repeatable: one block per backend): the rule realizer, "
        "the fine-tuned model (NELLM_BASE_MODEL) or an OpenAI-compatible server (NELLM_OPENAI_*)",
    )
    parser.add_argument("--llm", action="store_true", help="the same as --backend llm (kept for one release)")
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="also run each model backend as the original did: no Advisor hint, the model's own words "
        "and decisions with only the original's regex rules, no streaming guard (block NAME-baseline; "
        "its safety violations are expected)",
    )
    parser.add_argument(
        "--workers", type=int, default=0, help="dialogues played at once (default: 1 for rules, 32 otherwise)"
    )


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from mlcore.corpus.buyers import PERSONAS

    unknown = sorted(set(args.persona or ()) - set(PERSONAS))
    if unknown or args.per_cell < 1:
        known = ", ".join(sorted(PERSONAS))
        problem = f"unknown persona(s): {', '.join(unknown)} (known: {known})" if unknown else ""
        print(problem or "--per-cell must be at least 1", file=sys.stderr)
        return 2
    config = EvalConfig(
        per_cell=args.per_cell,
        seed=args.seed,
        styles=tuple(args.style or STYLES),
        personas=tuple(args.persona or ()),
        listings=args.listings,
    )
    names = list(dict.fromkeys((args.backend or []) + (["llm"] if args.llm else []))) or ["rules"]
    blocks: dict[str, dict[str, Any]] = {}
    total = len(config.styles) * len(config.personas or PERSONAS) * config.per_cell
    for name in names:
        try:
            generator = load_backend(name)
        except (RuntimeError, ValueError, OSError) as exc:
            print(f"backend {name}: {exc}", file=sys.stderr)
            return 2
        runs = [(name, True)] + ([(f"{name}-baseline", False)] if args.baseline and generator else [])
        for label, guarded in runs:
            timed = Timed(generator) if generator is not None else None
            workers = args.workers or (1 if generator is None else 32)
            with tqdm(total=total, desc=f"evaluating {label}", unit="dialogue", file=sys.stderr) as bar:
                outcomes = evaluate(config, generator=timed, progress=bar, workers=workers, guarded=guarded)
            result = report(outcomes)
            result["overall"].update(reply_figures(outcomes, timed))
            blocks[label] = result
    first = blocks[names[0]]
    print(render_backends(blocks))
    print()
    print(render_table(first["by_style"], f"style ({names[0]})"))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        plot(first, args.out / "evaluation.png")
        markdown = render_markdown(first, config=config, generator=names[0], plot="evaluation.png")
        markdown += "\n## By backend\n\n" + render_backends(blocks) + "\n"
        (args.out / "report.md").write_text(markdown, encoding="utf-8")
        payload = {
            "config": {**asdict(config), "listings": str(config.listings)},
            "generator": names[0],
            **first,
            "backends": blocks,
        }
        (args.out / "report.json").write_text(
            json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        print(f"\nWrote {args.out / 'report.md'}, report.json and evaluation.png")
    guarded_blocks = [block for label, block in blocks.items() if not label.endswith("-baseline")]
    violations = sum(block["overall"]["safety_violations"] for block in guarded_blocks)
    if violations:
        examples = [v for block in guarded_blocks for v in block["violations"]][:3]
        print(f"SAFETY: {violations} violation(s), e.g. {examples}", file=sys.stderr)
        return 1
    inconsistent = sum(block["overall"]["consistency_violations"] for block in guarded_blocks)
    if inconsistent:
        examples = [v for block in guarded_blocks for v in block["inconsistencies"]][:3]
        print(f"CONSISTENCY: {inconsistent} violation(s), e.g. {examples}", file=sys.stderr)
        return 1
    return 0
