"""Throughput of the Django-free core on one CPU core: price parses, Advisor decisions, and whole
guarded turns (Advisor + realizer + guard) per second.

    .venv/bin/python benchmarks/bench_mlcore.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mlcore.language.prices import parse_price
from mlcore.negotiator.advisor import Advisor, SellerPolicy, Style
from mlcore.negotiator.pipeline import Negotiator
from mlcore.schema import Listing

DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "price_phrases_dev.jsonl"
MESSAGES = [
    "안녕하세요 네고 되나요?",
    "3만원에 주시면 바로 갈게요",
    "상태 어때요? 기스 있나요?",
    "3만 2천원 어떠세요",
    "5천원만 빼주세요",
    "최저가 알려주세요",
    "33,000원이면 살게요",
    "##<33000>##",
]


def rate(label: str, fn: Callable[[], int], seconds: float) -> float:
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        done += fn()
    per_second = done / elapsed
    print(f"{label:<34} {per_second:>12,.0f} /s  ({done:,} in {elapsed:.1f} s)")
    return per_second


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the issue asks
    phrases = [(m, 35_000) for m in MESSAGES]
    if DEV.exists():  # the shared dev set, when this checkout sits beside it
        phrases = [(r["text"], r.get("list_price")) for r in map(json.loads, DEV.read_text().splitlines())]
    policy = SellerPolicy(35_000, 28_000, Style.BALANCED, deadline=len(MESSAGES) + 1)
    listing = Listing("캠핑 의자", "두 번 사용했어요. 상태 좋아요. 수납 가방 포함이에요.", 35_000)

    def parses() -> int:
        for text, list_price in phrases:
            parse_price(text, list_price=list_price)
        return len(phrases)

    def decisions() -> int:
        advisor = Advisor(policy, description=listing.description)
        for message in MESSAGES:
            advisor.decide(message)
        return len(MESSAGES)

    def turns() -> int:
        bot = Negotiator(policy=policy, listing=listing, seed=1)
        for message in MESSAGES:
            bot.respond(message)
        return len(MESSAGES)

    print(
        f"python {platform.python_version()} on {platform.processor() or platform.machine()}, "
        f"{dt.date.today().isoformat()}, one core, {len(phrases)} phrases"
    )
    rate("price parses (parse_price)", parses, args.seconds)
    rate("Advisor decisions (decide)", decisions, args.seconds)
    rate("guarded turns (Negotiator.respond)", turns, args.seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
