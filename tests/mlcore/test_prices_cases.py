"""The price case set: realistic marketplace messages with the price each one proposes.

`data/price_cases.jsonl` has one `{"text", "list_price", "expected"}` a line, the same shape as
the shared evaluation file; every case must parse exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlcore.language.prices import parse_price

CASES_PATH = Path(__file__).parent / "data" / "price_cases.jsonl"
CASES = [json.loads(line) for line in CASES_PATH.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_case_set_is_large_and_varied() -> None:
    expected = [case["expected"] for case in CASES]
    assert len(CASES) >= 500
    assert expected.count(None) >= 150
    assert expected.count(0) >= 10
    assert len({case["text"] for case in CASES}) > 0.95 * len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[f"{i}:{c['text'][:30]}" for i, c in enumerate(CASES)])
def test_case(case: dict) -> None:
    assert parse_price(case["text"], list_price=case["list_price"]) == case["expected"]
