"""`python -m mlcore selfplay`: self-play between the buyer simulator and the Negotiator."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

from mlcore.corpus.buyers import PERSONAS, BuyerSimulator, description_arguments
from mlcore.corpus.selfplay import load_listings
from mlcore.corpus.validate import CATEGORIES, validate_record
from mlcore.schema import Listing

ROOT = Path(__file__).resolve().parents[2]


def generate(out: Path, *args: str, hash_seed: str = "0") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlcore", "selfplay", "--out", str(out), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONHASHSEED": hash_seed},
    )


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.jsonl", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    first = generate(a, "--n", "25", "--seed", "7", hash_seed="1")
    assert first.returncode == 0, first.stderr
    assert generate(b, "--n", "25", "--seed", "7", hash_seed="2").returncode == 0
    assert generate(c, "--n", "25", "--seed", "8").returncode == 0
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    records = [json.loads(line) for line in a.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 25
    assert all(validate_record(r, strict=True) == [] for r in records)
    assert {r["source"] for r in records} == {"generated"}
    assert "dialogues: 25" in first.stdout and "wrote 25 dialogues" in first.stdout
    assert "self-play" in first.stderr  # the tqdm bar


def test_shipped_generated_part_is_the_commands_output(tmp_path: Path) -> None:
    out = tmp_path / "g.jsonl"
    assert generate(out, "--n", "170", "--seed", "1").returncode == 0
    shipped = ROOT / "mlcore" / "data" / "corpus" / "generated.jsonl"
    assert out.read_bytes() == shipped.read_bytes(), (
        "self-play changed: run `python -m mlcore selfplay --n 170 --seed 1 --out "
        "mlcore/data/corpus/generated.jsonl`, then regenerate the data card"
    )
    records = [json.loads(line) for line in shipped.read_text(encoding="utf-8").splitlines()]
    deny = sum(r["result"] == "DENY" for r in records) / len(records)
    assert 0.2 <= deny <= 0.35  # enough turned-down dialogues to learn from, as deals go up
    assert {r["persona"] for r in records} == set(PERSONAS)


def test_catalogue_covers_every_category() -> None:
    listings = load_listings()
    assert len(listings) >= 40
    assert {item.category for item in listings} == set(CATEGORIES)
    assert min(item.price for item in listings) >= 1_000 and max(item.price for item in listings) <= 2_000_000


def test_buyer_personas_speak_their_part() -> None:
    listing = Listing(
        "아이폰 13 미니", "배터리 성능 84%, 모서리 찍힘 있어요. 구형 모델이에요.", 420000, "electronics"
    )
    assert description_arguments(listing.description)  # scratches, battery, old model
    free = BuyerSimulator("free_asker", listing, 370000, random.Random(1))
    assert "나눔" in free.next_message()
    quick = BuyerSimulator("quick_buyer", listing, 370000, random.Random(1))
    quick.next_message()
    quick.next_message()
    assert quick.next_message().endswith(f"##<{quick.final_offer()}>##")
    # The budget is hidden from the seller and never exceeds the list price.
    for persona in PERSONAS:
        buyer = BuyerSimulator(persona, listing, 370000, random.Random(3))
        assert 0 < buyer.offer <= buyer.budget <= listing.price


def test_bad_catalogue_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "listings.jsonl"
    path.write_text('{"title": "x"}\n', encoding="utf-8")
    done = generate(tmp_path / "o.jsonl", "--n", "2", "--listings", str(path))
    assert done.returncode == 2
    assert f"{path}:1: not a listing" in done.stderr
