"""`python -m mlcore fact-check`: does the bot say only what the listing says?

For every listing of the shipped catalogue (mlcore/data/listings.jsonl) and of the demo data
(marketplace/demo/listings.json), buyers ask about each attribute a listing may state —
condition, defects, battery, age, parts, trade method — whether or not this listing states it.
Each question is answered by a fresh bot, as on the site (questions the description cannot
answer go to the seller), with several seeds so that every phrasing gets its turn. An answer is

- *from the description* when it states what the listing says on the attribute;
- *asked the seller* when it says the description does not say and passes the question on;
- a *contradiction* when it states an item fact the listing contradicts (`mlcore.language.claims`),
  *unsupported* when it states one the listing does not, or a *promise* the site cannot keep
  (photos, calls, a trade method the listing does not name).

Agreement is the share of answers that are from the description or asked the seller, with none
of these. All three must be 0 (the command fails if not). The bot's realizer and guard use the
same claim reader, so this measures the realizer's answers against that reader: the independent
evidence is the unit and property tests over real and generated descriptions.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mlcore.corpus.selfplay import LISTINGS_PATH, load_listings
from mlcore.schema import Listing

DEMO_PATH = Path(__file__).resolve().parents[2] / "marketplace" / "demo" / "listings.json"

# attribute -> (question, the claim kinds whose presence in the listing means it states it)
QUESTIONS: dict[str, list[tuple[str, tuple[str, ...]]]] = {
    "condition": [
        ("상태 어때요?", ("clean", "defect:")),
        ("기스 있나요?", ("defect:scratch",)),
        ("찍힘 있어요?", ("defect:dent",)),
    ],
    "defects": [
        ("하자 있나요?", ("defect:",)),
        ("고장난 데 있어요?", ("defect:fault",)),
        ("쏠림 있나요?", ("defect:drift",)),
    ],
    "battery": [("배터리 성능 몇 퍼예요?", ("battery",))],
    "age": [("언제 사셨어요?", ("bought", "months")), ("얼마나 쓰셨어요?", ("bought", "months"))],
    "parts": [
        ("박스 있나요?", ("part:box",)),
        ("충전기 있어요?", ("part:charger",)),
        ("케이스도 주시나요?", ("part:case",)),
    ],
    "trade": [("택배 되나요?", ("trade:택배",)), ("직거래 가능해요?", ("trade:직거래",))],
}


@dataclass(frozen=True)
class FactConfig:
    seeds: int = 3  # bots per question: the realizer's phrasings vary by seed
    catalogue: Path = LISTINGS_PATH
    demo: Path | None = DEMO_PATH


@dataclass
class Answer:
    source: str  # "catalogue" | "demo"
    title: str
    attribute: str
    question: str
    stated: bool  # the listing states what was asked
    outcome: str  # "description" | "asked_seller" | "other"
    states_fact: bool  # the reply states the listing's own fact on what was asked
    contradictions: list[str]
    unsupported: list[str]  # item facts the listing does not state
    promises: list[str]
    reply: str

    @property
    def agrees(self) -> bool:
        return self.outcome != "other" and not (self.contradictions or self.unsupported or self.promises)


def load_demo(path: Path) -> list[Listing]:
    rows = json.loads(path.read_text(encoding="utf-8"))["listings"]
    return [Listing(r["title"], r["description"], int(r["price"]), r.get("category", "")) for r in rows]


def stated_kinds(listing: Listing) -> set[str]:
    from mlcore.language.claims import claims, trade_methods

    text = f"{listing.title}. {listing.description}"
    kinds = {c.kind for c in claims(text, year=listing.listed_on.year if listing.listed_on else None)}
    return kinds | {f"trade:{method}" for method in trade_methods(text)}


def ask(listing: Listing, *, source: str, seeds: int) -> list[Answer]:
    from mlcore.language.claims import contradictions, judge, promises
    from mlcore.negotiator.advisor import SellerPolicy
    from mlcore.negotiator.pipeline import Negotiator
    from mlcore.negotiator.realizer import asks_seller

    relayed = Listing(
        listing.title,
        listing.description,
        listing.price,
        listing.category,
        listing.listed_on,
        seller_relay=True,
    )
    whole = f"{listing.title}. {listing.description}"
    kinds = stated_kinds(listing)
    policy = SellerPolicy(listing.price, listing.price * 4 // 5)
    answers = []
    for attribute, questions in QUESTIONS.items():
        for question, wanted in questions:
            stated = any(kind.startswith(w) for kind in kinds for w in wanted)
            for seed in range(seeds):
                turn = Negotiator(policy=policy, listing=relayed, seed=seed).respond(question)
                decision = turn.decision
                outcome = (
                    "asked_seller" if asks_seller(decision) else "description" if decision.detail else "other"
                )
                answers.append(
                    Answer(
                        source=source,
                        title=listing.title,
                        attribute=attribute,
                        question=question,
                        stated=stated,
                        outcome=outcome,
                        states_fact=_states(turn.text, whole, wanted),
                        contradictions=[v.why for v in contradictions(turn.text, whole)],
                        unsupported=[
                            v.claim.kind for v in judge(turn.text, whole) if v.status == "unsupported"
                        ],
                        promises=promises(turn.text, listing_text=whole, relay=True),
                        reply=turn.text,
                    )
                )
    return answers


def _states(reply: str, whole: str, wanted: tuple[str, ...]) -> bool:
    from mlcore.language.claims import judge
    from mlcore.language.facts import TRADE, trade_methods

    if any(w.startswith("trade:") for w in wanted):  # the listing's methods, or the only one
        return any(re.search(TRADE[method], reply) for method in trade_methods(whole))
    return any(v.status == "agrees" and v.claim.kind.startswith(wanted) for v in judge(reply, whole))


def check_all(config: FactConfig, *, progress: Any = None) -> list[Answer]:
    sets = [("catalogue", load_listings(config.catalogue))]
    if config.demo is not None and config.demo.exists():
        sets.append(("demo", load_demo(config.demo)))
    answers: list[Answer] = []
    for source, listings in sets:
        for listing in listings:
            answers += ask(listing, source=source, seeds=config.seeds)
            if progress is not None:
                progress.update(1)
    return answers


def _rate(items: list[Answer], keep: Any) -> float | None:
    return sum(1 for a in items if keep(a)) / len(items) if items else None


def summarize(items: Iterable[Answer]) -> dict[str, Any]:
    items = list(items)
    stated = [a for a in items if a.stated]
    unstated = [a for a in items if not a.stated]
    return {
        "answers": len(items),
        "agreement": _rate(items, lambda a: a.agrees),
        "contradictions": sum(len(a.contradictions) for a in items),
        "unsupported": sum(len(a.unsupported) for a in items),
        "promises": sum(len(a.promises) for a in items),
        "asked_seller": _rate(items, lambda a: a.outcome == "asked_seller"),
        # Stated in the listing: answered from it (asking the seller there is a miss, not a lie).
        "stated": len(stated),
        "stated_answered": _rate(stated, lambda a: a.outcome == "description"),
        "stated_fact_said": _rate(stated, lambda a: a.states_fact),
        "unstated": len(unstated),
        "unstated_asked_seller": _rate(unstated, lambda a: a.outcome == "asked_seller"),
    }


def report(answers: list[Answer]) -> dict[str, Any]:
    by_attribute: dict[str, list[Answer]] = defaultdict(list)
    by_source: dict[str, list[Answer]] = defaultdict(list)
    for a in answers:
        by_attribute[a.attribute].append(a)
        by_source[a.source].append(a)
    bad = [a for a in answers if a.contradictions or a.unsupported or a.promises]
    return {
        "overall": summarize(answers),
        "by_source": {k: summarize(v) for k, v in by_source.items()},
        "by_attribute": {k: summarize(v) for k, v in by_attribute.items()},
        "problems": [asdict(a) for a in bad][:50],
        "other": [
            {"title": a.title, "question": a.question, "reply": a.reply}
            for a in answers
            if a.outcome == "other"
        ][:20],
    }


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def render_table(rows: dict[str, dict[str, Any]], title: str) -> str:
    lines = [
        f"| {title} | answers | agreement | contradictions | unsupported | promises | asked the seller "
        "| stated: answered from the description | stated: says the listing's fact "
        "| not stated: asked the seller |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for name, s in rows.items():
        lines.append(
            f"| {name} | {s['answers']} | {_pct(s['agreement'])} | {s['contradictions']} "
            f"| {s['unsupported']} | {s['promises']} "
            f"| {_pct(s['asked_seller'])} | {_pct(s['stated_answered'])} ({s['stated']}) "
            f"| {_pct(s['stated_fact_said'])} "
            f"| {_pct(s['unstated_asked_seller'])} ({s['unstated']}) |"
        )
    return "\n".join(lines)


def render_markdown(result: dict[str, Any], *, config: FactConfig) -> str:
    return (
        "\n\n".join(
            [
                "# Fact consistency: the bot's answers against the listings",
                "Generated by `python -m mlcore fact-check --out docs/evaluation` "
                f"({config.seeds} seeds per question, rule realizer, questions passed to the seller as on "
                "the site). Every listing of the catalogue and the demo data is asked about each "
                "attribute, stated or not; `mlcore/negotiator/factcheck.py` has the questions and verdicts.",
                render_table({"all": result["overall"]}, "set"),
                render_table(result["by_source"], "listings"),
                render_table(result["by_attribute"], "attribute"),
            ]
        )
        + "\n"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seeds", type=int, default=3, help="bots (phrasings) per question")
    parser.add_argument("--listings", type=Path, default=LISTINGS_PATH, help="catalogue (JSONL)")
    parser.add_argument("--demo", type=Path, default=DEMO_PATH, help="demo data (JSON); absent: skipped")
    parser.add_argument("--out", type=Path, help="folder for facts.md and facts.json")


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    if args.seeds < 1:
        print("--seeds must be at least 1", file=sys.stderr)
        return 2
    config = FactConfig(seeds=args.seeds, catalogue=args.listings, demo=args.demo)
    with tqdm(desc="fact-check", unit="listing", file=sys.stderr) as bar:
        answers = check_all(config, progress=bar)
    result = report(answers)
    print(render_table({"all": result["overall"]}, "set"))
    print()
    print(render_table(result["by_attribute"], "attribute"))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "facts.md").write_text(render_markdown(result, config=config), encoding="utf-8")
        payload = {"config": {"seeds": config.seeds}, **result}
        (args.out / "facts.json").write_text(
            json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8"
        )
        print(f"\nWrote {args.out / 'facts.md'} and facts.json")
    overall = result["overall"]
    if overall["contradictions"] or overall["unsupported"] or overall["promises"]:
        print(
            f"FACTS: {overall['contradictions']} contradiction(s), {overall['promises']} promise(s)",
            file=sys.stderr,
        )
        return 1
    return 0
