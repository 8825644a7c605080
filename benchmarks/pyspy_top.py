"""Where a process's CPU went, from a py-spy raw (collapsed) recording (`bench_scale.py --profile DIR`).

    .venv/bin/python benchmarks/pyspy_top.py DIR/haggle-daphne0.txt [--top 40] [--match negotiation/]

Prints each function's share of all samples: inclusive (the function or anything it called was
running) and self (the function itself was the innermost frame). Line numbers are dropped, so a
function counts once per stack however many of its lines appear. `--match` keeps only functions
whose file contains the text (e.g. `negotiation/` for the project's own frames).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<name>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def frames(stack: str) -> list[str]:
    out = []
    for frame in stack.split(";"):
        match = _FRAME.match(frame)
        out.append(f"{match['name']} ({match['file']})" if match else frame)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recording", type=Path)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--match", default="", help="only functions whose file contains this")
    args = parser.parse_args()
    inclusive: Counter[str] = Counter()
    self_: Counter[str] = Counter()
    total = 0
    for line in args.recording.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        total += n
        names = frames(stack)
        for name in set(names):
            inclusive[name] += n
        self_[names[-1]] += n
    print(f"{args.recording.name}: {total} samples")
    print(f"{'incl %':>7} {'self %':>7}  function")
    for name, n in inclusive.most_common():
        if args.match and args.match not in name:
            continue
        print(f"{100 * n / total:7.1f} {100 * self_[name] / total:7.1f}  {name}")
        args.top -= 1
        if not args.top:
            break


if __name__ == "__main__":
    main()
