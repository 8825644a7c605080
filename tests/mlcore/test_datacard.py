"""`python -m mlcore data-card`: prints the card and writes CARD.md with its plot."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.mlcore.cli import run_mlcore, run_python

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "mlcore" / "data" / "corpus"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_mlcore("data-card", *args)


def test_card_of_the_shipped_corpus(tmp_path: Path) -> None:
    done = run_cli(str(CORPUS), "--out", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    records = [
        json.loads(line) for path in sorted(CORPUS.glob("*.jsonl")) for line in path.open(encoding="utf-8")
    ]
    deny = sum(r["result"] == "DENY" for r in records)
    assert f"**{len(records)} dialogues**" in out
    assert f"DENY {deny} (" in out
    for heading in (
        "## Per source",
        "## Per category",
        "## Per persona",
        "## Turns and lengths",
        "## Prices",
    ):
        assert heading in out
    assert "Seller turns that name a price" in out
    card = (tmp_path / "CARD.md").read_text(encoding="utf-8")
    assert "![card](card.png)" in card
    assert (tmp_path / "card.png").read_bytes().startswith(b"\x89PNG")
    generated = sum(r["source"] == "generated" for r in records)
    assert f"| generated | {generated} |" in card


def test_shipped_card_is_current(tmp_path: Path) -> None:
    """mlcore/data/CARD.md is the command's output for the shipped corpus, not a hand edit."""
    done = run_cli("mlcore/data/corpus", "--out", str(tmp_path))
    assert done.returncode == 0
    shipped = (ROOT / "mlcore" / "data" / "CARD.md").read_text(encoding="utf-8")
    assert shipped == (tmp_path / "CARD.md").read_text(encoding="utf-8"), (
        "the corpus changed: run `python -m mlcore data-card mlcore/data/corpus --out mlcore/data`"
    )


def test_bad_data_is_refused_with_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"title": "x"}\n', encoding="utf-8")
    done = run_cli(str(path))
    assert done.returncode == 1
    assert f"{path}:1: description: missing" in done.stdout


def test_light_commands_do_not_import_torch() -> None:
    code = (
        "import sys, contextlib, io\n"
        "from mlcore.__main__ import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['data-card', 'mlcore/data/corpus'])\n"
        "    main(['validate-data', 'mlcore/data/corpus'])\n"
        "print(sorted(m for m in ('torch', 'transformers', 'datasets') if m in sys.modules))\n"
    )
    done = run_python(code)
    assert done.stdout.strip() == "[]", done.stderr
