"""`python -m mlcore replay IN.jsonl [--out OUT.jsonl]`: run scripted buyers against the bot.

Each input line is `{"listing": {"title", "description", "price", "floor_price", "style"?,
"deadline"?}, "buyer_turns": [str, …]}`; each output line is the dialogue in the dataset schema
plus `final_price`, with the Advisor's `act` and `price` on every seller event. Buyer turns left
after the dialogue closed are not sent. A bad line is reported on stderr by its number and the
other lines go on; the exit status is 1 if any line failed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from mlcore.negotiator.advisor import SellerPolicy, Style
from mlcore.negotiator.pipeline import Negotiator
from mlcore.negotiator.reserve import with_reserve
from mlcore.schema import ACCEPT, BUYER, DENY, MAX_PRICE, SELLER, Event, Listing


class BadLine(ValueError):
    pass


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("input", type=Path, help="JSONL of listings and buyer turns")
    parser.add_argument("--out", type=Path, default=None, help="output JSONL (default: stdout)")
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="wording seed (line number is added); also keys the listings' secret reserves",
    )


def parse_line(raw: str) -> tuple[SellerPolicy, Listing, list[str]]:
    try:
        record = json.loads(raw)
    except json.JSONDecodeError as error:
        raise BadLine(f"not valid JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(record, dict) or not isinstance(record.get("listing"), dict):
        raise BadLine('expected an object with a "listing" object')
    listing, turns = record["listing"], record.get("buyer_turns")
    for key, kind in (("title", str), ("price", int), ("floor_price", int)):
        if not isinstance(listing.get(key), kind) or isinstance(listing.get(key), bool):
            raise BadLine(f"listing.{key} must be {'a string' if kind is str else 'an integer'}")
    if not 0 < listing["price"] <= MAX_PRICE:
        raise BadLine(f"listing.price must be between 1 and {MAX_PRICE:,} won")
    description = listing.get("description", "")
    if not isinstance(description, str):
        raise BadLine("listing.description must be a string")
    style = listing.get("style", Style.BALANCED.value)
    if style not in {s.value for s in Style}:
        raise BadLine(f"listing.style must be one of firm, balanced, flexible (got {style!r})")
    deadline = listing.get("deadline")
    if deadline is not None and (not isinstance(deadline, int) or isinstance(deadline, bool)):
        raise BadLine("listing.deadline must be an integer")
    if not isinstance(turns, list) or not turns or not all(isinstance(t, str) for t in turns):
        raise BadLine("buyer_turns must be a non-empty list of strings")
    try:
        policy = SellerPolicy(listing["price"], listing["floor_price"], Style(style), deadline)
    except ValueError as error:
        raise BadLine(str(error)) from None
    return policy, Listing(title=listing["title"], description=description, price=listing["price"]), turns


def replay_dialogue(policy: SellerPolicy, listing: Listing, turns: list[str], *, seed: int) -> dict[str, Any]:
    bot = Negotiator(policy=policy, listing=listing, seed=seed)
    history: list[Event] = []
    events: list[dict[str, Any]] = []
    for message in turns:
        if bot.closed:
            break
        turn = bot.respond(message, history=history)
        history += [Event(BUYER, message), Event(SELLER, turn.text)]
        events.append({"role": BUYER, "message": message})
        events.append(
            {
                "role": SELLER,
                "message": turn.text,
                "act": turn.decision.act.value,
                "price": turn.decision.price,
            }
        )
    state = bot.advisor.state
    return {
        "title": listing.title,
        "description": listing.description,
        "price": listing.price,
        "result": ACCEPT if state.result == ACCEPT else DENY,
        "events": events,
        "final_price": state.final_price,
    }


def run(args: argparse.Namespace) -> int:
    try:
        lines = args.input.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        print(f"replay: cannot read {args.input}: {error.strerror}", file=sys.stderr)
        return 2
    out = args.out.open("w", encoding="utf-8") if args.out else sys.stdout
    done = accepted = failed = 0
    try:
        for number, raw in enumerate(tqdm(lines, desc="replay", unit="line", file=sys.stderr), start=1):
            if not raw.strip():
                continue
            try:
                policy, listing, turns = parse_line(raw)
            except BadLine as error:
                tqdm.write(f"replay: {args.input}:{number}: {error}", file=sys.stderr)
                failed += 1
                continue
            # One reserve per listing, whichever line (buyer) meets it.
            secret = f"replay:{args.seed}:{listing.title}:{listing.price}:{policy.floor_price}"
            policy = with_reserve(policy, secret=secret)
            dialogue = replay_dialogue(policy, listing, turns, seed=args.seed + number)
            out.write(json.dumps(dialogue, ensure_ascii=False) + "\n")
            done += 1
            accepted += dialogue["result"] == ACCEPT
    finally:
        if args.out:
            out.close()
    print(
        f"replay: {done} dialogues ({accepted} accepted, {done - accepted} denied), {failed} bad lines",
        file=sys.stderr,
    )
    return 1 if failed else 0
