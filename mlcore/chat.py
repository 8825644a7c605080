"""`python -m mlcore chat`: negotiate with the bot in the terminal (stdin may be piped)."""

from __future__ import annotations

import argparse
import sys

from mlcore.negotiator.advisor import SellerPolicy, Style
from mlcore.negotiator.pipeline import Negotiator
from mlcore.negotiator.reserve import run_secret, with_reserve
from mlcore.schema import BUYER, SELLER, Event, Listing


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--title", required=True)
    parser.add_argument("--price", type=int, required=True, help="list price in won")
    parser.add_argument("--floor", type=int, required=True, help="the seller's private floor in won")
    parser.add_argument("--style", choices=[s.value for s in Style], default=Style.BALANCED.value)
    parser.add_argument("--description", default="")
    parser.add_argument(
        "--deadline", type=int, default=None, help="price rounds before the bot asks for the final offer"
    )
    parser.add_argument("--seed", type=int, default=None)


def run(args: argparse.Namespace) -> int:
    try:
        policy = SellerPolicy(args.price, args.floor, Style(args.style), args.deadline)
        policy = with_reserve(policy, secret=run_secret("chat", args.seed))
    except ValueError as error:
        print(f"chat: {error}", file=sys.stderr)
        return 2
    listing = Listing(title=args.title, description=args.description, price=args.price)
    bot = Negotiator(policy=policy, listing=listing, seed=args.seed)
    history: list[Event] = []
    interactive = sys.stdin.isatty()
    print(f"[{listing.title}] {listing.price:,}원 — 구매자로 대화해 보세요")
    print("(최종 제안은 ##<가격>## 형식, 끝내기: Ctrl-D)")
    while not bot.closed:
        if interactive:
            print(f"{BUYER}: ", end="", flush=True)
        line = sys.stdin.readline()
        if not line:
            break
        message = line.strip()
        if not message:
            continue
        if not interactive:
            print(f"{BUYER}: {message}")
        print(f"{SELLER}: ", end="", flush=True)
        turn = bot.respond(message, history=history, on_chunk=lambda piece: print(piece, end="", flush=True))
        print()
        history += [Event(BUYER, message), Event(SELLER, turn.text)]
    state = bot.advisor.state
    if state.closed:
        outcome = f"거래 성사: {state.final_price:,}원" if state.final_price is not None else "거래 불발"
        print(f"[{outcome}]")
    return 0
