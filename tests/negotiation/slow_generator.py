"""A test-only generator that writes slowly: the rules realizer's words, one every
NELLM_TEST_WORD_MS milliseconds (default 40). Plugged in through the generator registry's
`module:factory` point (NELLM_BACKEND="tests.negotiation.slow_generator:factory"), also in a
subprocess worker, so tests can catch a reply mid-way now that the site itself never waits."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

from mlcore.negotiator.pipeline import RuleGenerator

BACKEND = "tests.negotiation.slow_generator:factory"


class SlowRuleGenerator(RuleGenerator):
    name = "rules-slow"

    def __init__(self, word_seconds: float) -> None:
        # Seeded: the same wording each run (a reply of one clause would come out in one piece).
        super().__init__(seed=3)
        self.word_seconds = word_seconds

    def stream(self, **kwargs: Any) -> Iterator[str]:
        for piece in super().stream(**kwargs):
            words = piece.split(" ")
            for i, word in enumerate(words):
                time.sleep(self.word_seconds)
                yield word + (" " if i < len(words) - 1 else "")


def factory() -> SlowRuleGenerator:
    return SlowRuleGenerator(int(os.environ.get("NELLM_TEST_WORD_MS", "100")) / 1000)
