"""`python -m mlcore selfplay --n N --seed S --out PATH [--llm --model M]`: grow the corpus.

Self-play (the default): a persona-driven buyer (`mlcore.corpus.buyers`) against the Negotiator
seller (Advisor + realizer + guard, `mlcore.negotiator.pipeline`) on listings from the shipped catalogue. Each
dialogue gets its own random stream derived from (seed, index), so the same seed writes the same
bytes. With `--llm`, dialogues come from an OpenAI-compatible endpoint (`mlcore.corpus.llm_dialogues`).
Either way every dialogue passes `validate_record(strict=True)` before it is written; one that
does not is counted and, in self-play, replaced by a fresh attempt.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlcore import DATA_DIR
from mlcore.corpus.validate import CATALOGUE_DATE, Problem, validate_record
from mlcore.schema import ACCEPT, BUYER, DENY, SELLER, Dialogue, Event, Listing, canonical_events

LISTINGS_PATH = DATA_DIR / "listings.jsonl"
STYLES = ("firm", "balanced", "flexible")
FLOOR_SHARE = (0.7, 0.9)  # the seller's floor as a share of the list price
MAX_ATTEMPTS = 5
MAX_BUYER_TURNS = 11  # below the Advisor's default deadline, so the buyer always closes


def load_listings(path: str | Path = LISTINGS_PATH) -> list[Listing]:
    listings = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            listings.append(
                Listing(
                    row["title"],
                    row["description"],
                    int(row["price"]),
                    row.get("category", "other"),
                    listed_on=datetime.date.fromisoformat(row.get("listed_on", CATALOGUE_DATE)),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}:{number}: not a listing ({exc})") from exc
    if not listings:
        raise ValueError(f"{path}: no listings")
    return listings


def floor_for(listing: Listing, rng: random.Random) -> int:
    """A floor as a seller would set it: a round amount 70–90% of the list price."""
    from mlcore.negotiator.advisor import price_step

    step = price_step(listing.price)
    raw = listing.price * rng.uniform(*FLOOR_SHARE)
    return max(1, min(listing.price, int(raw // step) * step or step))


@dataclass
class Played:
    """One self-play negotiation: what was said, and the seller's turns behind its lines."""

    listing: Listing
    policy: Any  # mlcore.negotiator.advisor.SellerPolicy
    persona: str
    budget: int  # the buyer's hidden budget
    events: list[Event]
    turns: list[Any]  # mlcore.negotiator.pipeline.Turn, one per seller line

    @property
    def closing_act(self) -> str:
        return self.turns[-1].decision.act.value


def play(
    listing: Listing,
    *,
    rng: random.Random,
    persona: str | None = None,
    style: str | None = None,
    generator: Any = None,
    guarded: bool = True,
) -> Played:
    """A persona-driven buyer against the Negotiator (the realizer, or `generator`) until the
    answer to a final offer; `style` and `persona` are drawn from `rng` when not given.
    `guarded=False`: the seller is `generator` as the original NELLM ran it (`OriginalSeller`:
    no Advisor, no guard), for `evaluate --baseline`."""
    from mlcore.corpus.buyers import PERSONAS, BuyerSimulator
    from mlcore.negotiator.advisor import Market, SellerPolicy
    from mlcore.negotiator.pipeline import Negotiator
    from mlcore.negotiator.reserve import with_reserve

    persona = persona or rng.choice(sorted(PERSONAS))
    floor = floor_for(listing, rng)
    policy = SellerPolicy(listing.price, floor, style or rng.choice(STYLES))
    policy = with_reserve(policy, secret=f"selfplay:{rng.randrange(2**63)}")
    market = Market(active_buyers=rng.randint(2, 4)) if rng.random() < 0.2 else None
    seed = rng.randrange(2**31)
    if guarded:
        seller: Any = Negotiator(policy=policy, listing=listing, generator=generator, seed=seed)
    else:
        from mlcore.negotiator.original import OriginalSeller

        seller = OriginalSeller(policy=policy, listing=listing, generator=generator)
    buyer = BuyerSimulator(persona=persona, listing=listing, floor=floor, rng=rng)
    events: list[Event] = []
    turns: list[Any] = []
    for _ in range(MAX_BUYER_TURNS):
        if len(events) == 2 * (MAX_BUYER_TURNS - 1):
            buyer.planned_rounds = 0  # out of time: the next line is the final offer
        message = buyer.next_message()
        turn = seller.respond(message, history=tuple(events), market=market)
        events += [Event(BUYER, message), Event(SELLER, turn.text)]
        turns.append(turn)
        act = turn.decision.act.value
        buyer.observe(turn.text, act)
        # As on the site, a buyer may send another final offer after a `##<거절>##` with a counter;
        # the dialogue ends with a deal or with the last final offer the seller takes.
        if turn.decision.closed:
            break
    return Played(listing, policy, persona, buyer.budget, events, turns)


def play_one(listing: Listing, *, rng: random.Random, persona: str | None = None) -> dict[str, Any]:
    """One self-play dialogue as a corpus record (not yet validated), in the original's exact
    form: the realizer's words beside a final token become a turn of their own."""
    played = play(listing, rng=rng, persona=persona)
    dialogue = Dialogue(
        title=listing.title,
        description=listing.description,
        price=listing.price,
        result=ACCEPT if played.closing_act == "final_accept" else DENY,
        events=played.events,
        extra={
            "category": listing.category or "other",
            "persona": played.persona,
            "floor_price": played.policy.floor_price,
            "source": "generated",
            "generator": "selfplay",
            "style": played.policy.style.value,
        },
    )
    record = dialogue.to_dict()
    record["events"] = canonical_events(record["events"])
    return record


def generate_selfplay(
    listings: list[Listing], *, n: int, seed: int, progress: Any = None
) -> tuple[list[dict[str, Any]], list[Problem]]:
    """`n` valid records, and the problems of the attempts that were thrown away."""
    records: list[dict[str, Any]] = []
    rejected: list[Problem] = []
    for index in range(n):
        for attempt in range(MAX_ATTEMPTS):
            rng = random.Random(f"nellm-selfplay:{seed}:{index}:{attempt}")
            record = play_one(rng.choice(listings), rng=rng)
            problems = validate_record(record, strict=True)
            if not problems:
                records.append(record)
                break
            rejected.extend(p.located(f"dialogue {index} attempt {attempt}", None) for p in problems)
        if progress is not None:
            progress.update(1)
    return records, rejected


def write_jsonl(records: list[dict[str, Any]], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def summarize(records: list[dict[str, Any]]) -> str:
    results = Counter(r["result"] for r in records)
    personas = Counter(r["persona"] for r in records)
    turns = [len(r["events"]) for r in records]
    n = len(records) or 1
    lines = [
        f"dialogues: {len(records)}  ACCEPT {results['ACCEPT']}  DENY {results['DENY']}"
        f" ({100 * results['DENY'] / n:.1f}% DENY)",
        f"events per dialogue: min {min(turns, default=0)}  mean {sum(turns) / n:.1f}"
        f"  max {max(turns, default=0)}",
        "personas: " + ", ".join(f"{k} {v}" for k, v in sorted(personas.items())),
    ]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n", type=int, required=True, help="dialogues to generate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True, help="JSONL file to write")
    parser.add_argument("--listings", type=Path, default=LISTINGS_PATH, help="catalogue of listings (JSONL)")
    parser.add_argument(
        "--llm", action="store_true", help="generate through OPENAI_BASE_URL instead of self-play"
    )
    parser.add_argument("--model", default="gpt-4o-mini", help="model name for --llm")
    parser.add_argument(
        "--deny-share", type=float, default=0.3, help="share of DENY dialogues asked of the LLM"
    )


def run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    if args.n < 1:
        print("--n must be at least 1", file=sys.stderr)
        return 2
    try:
        listings = load_listings(args.listings)
    except (OSError, ValueError) as exc:
        print(f"cannot read listings: {exc}", file=sys.stderr)
        return 2
    with tqdm(total=args.n, desc="llm" if args.llm else "self-play", unit="dialogue", file=sys.stderr) as bar:
        if args.llm:
            from mlcore.corpus.llm_dialogues import LLMConfig, generate_llm

            try:
                config = LLMConfig.from_env(model=args.model, deny_share=args.deny_share)
            except ValueError as exc:
                print(str(exc), file=sys.stderr)
                return 2
            records, skipped = generate_llm(
                config, listings, n=args.n, seed=args.seed, floor_for=floor_for, progress=bar
            )
            rejected_line = "skipped: " + (
                ", ".join(f"{k} {v}" for k, v in sorted(skipped.items())) or "none"
            )
        else:
            records, rejected = generate_selfplay(listings, n=args.n, seed=args.seed, progress=bar)
            rejected_line = f"attempts rejected by validation: {len({p.path for p in rejected})}"
    write_jsonl(records, args.out)
    print(summarize(records))
    print(rejected_line)
    print(f"wrote {len(records)} dialogues to {args.out}")
    return 0 if records else 1
