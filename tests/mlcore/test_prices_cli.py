"""`python -m mlcore parse-price TEXT --list-price N` prints one JSON object and exits 0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlcore.__main__ import main
from tests.mlcore.cli import run_mlcore, run_python

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["3만5천원에 돼요?", "--list-price", "50000"], 35000),
        (["5천원만 빼주세요", "--list-price", "50000"], 45000),
        (["반값이면 살게요", "--list-price", "30000"], 15000),
        (["2019년식인가요?", "--list-price", "300000"], None),
        (["35,000원"], 35000),
        (["10% 할인"], None),  # relative, and no list price to resolve it against
    ],
)
def test_parse_price_command_prints_json(capsys, argv: list[str], expected: int | None) -> None:
    assert main(["parse-price", *argv]) == 0
    assert capsys.readouterr().out == json.dumps({"price": expected}) + "\n"


def test_parse_price_command_runs_as_a_module_without_torch() -> None:
    code = (
        "import runpy, sys; sys.argv = ['mlcore', 'parse-price', '삼만오천원', '--list-price', '40000'];"
        "import mlcore.__main__ as m; rc = m.main(sys.argv[1:]);"
        "assert 'torch' not in sys.modules and 'django' not in sys.modules; sys.exit(rc)"
    )
    done = run_python(code)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"price": 35000}


def test_parse_price_command_exits_zero_via_python_dash_m() -> None:
    done = run_mlcore("parse-price", "##<18000>##", "--list-price", "20000")
    assert done.returncode == 0, done.stderr
    assert done.stdout == '{"price": 18000}\n'


def test_parse_price_command_rejects_a_non_numeric_list_price(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["parse-price", "3만원", "--list-price", "abc"])
    assert exit_info.value.code == 2
    assert "list-price" in capsys.readouterr().err
