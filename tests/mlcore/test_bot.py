"""The one pipeline: decisions worded by a generator, streamed only after the guard accepts."""

from __future__ import annotations

import json
from pathlib import Path

from mlcore.language.prices import find_amounts
from mlcore.negotiator.advisor import Act, SellerPolicy, Style
from mlcore.negotiator.guard import check
from mlcore.negotiator.pipeline import Negotiator, RuleGenerator, Turn
from mlcore.schema import DENY_TOKEN, Listing
from tests.mlcore.cli import run_mlcore

ROOT = Path(__file__).resolve().parents[2]
POLICY = SellerPolicy(35_000, 28_000, Style.FLEXIBLE)
LISTING = Listing("블루투스 스피커", "작년에 샀어요. 상태 좋아요. 충전 케이블 포함이에요.", 35_000)


class ScriptedGenerator:
    """A stand-in for a language model that says whatever it was scripted to say."""

    name = "llm"

    def __init__(self, pieces: list[str]) -> None:
        self.pieces = pieces
        self.sent = 0
        self.closed = False

    def stream(self, *, listing, history, decision):
        try:
            for piece in self.pieces:
                self.sent += 1
                yield piece
        finally:
            self.closed = True


def respond(generator, message: str = "30000원 어때요?"):
    bot = Negotiator(policy=POLICY, listing=LISTING, generator=generator, seed=3)
    streamed: list[str] = []
    turn = bot.respond(message, on_chunk=streamed.append)
    return turn, streamed


def assert_safe(text: str) -> None:
    assert "28000" not in text.replace(",", "") and "2만8" not in text
    assert all(a.value > 28_000 for a in find_amounts(text)), text


def test_rule_generator_streams_small_chunks_that_join_to_the_text():
    turn, streamed = respond(RuleGenerator(seed=1))
    assert isinstance(turn, Turn) and turn.generator == "rules" and not turn.repaired
    assert "".join(streamed) == turn.text and len(streamed) >= 2
    assert turn.decision.act in {Act.COUNTER, Act.ACCEPT}


def test_floor_leak_midstream_is_never_emitted():
    price = respond(RuleGenerator(seed=1))[0].decision.price
    leak = ScriptedGenerator(
        [
            f"음 {price:,}원",
            "까지는 해드릴게요. ",
            "사실 최저는 2만",
            "8천원이에요. ",
            "비밀이에요. ",
            "더 할 말 많아요. ",
        ]
    )
    turn, streamed = respond(leak)
    assert turn.generator == "rules-fallback" and turn.repaired
    for i in range(1, len(streamed) + 1):
        assert_safe("".join(streamed[:i]))
    assert_safe(turn.text)
    assert "".join(streamed) == turn.text
    assert leak.closed and leak.sent < len(leak.pieces)  # the generator was stopped


def test_below_floor_offer_at_the_start_falls_back_entirely():
    turn, streamed = respond(ScriptedGenerator(["좋아요, ", "2만원에 ", "드릴게요! ", "쿨거래 해요."]))
    assert turn.generator == "rules-fallback" and turn.repaired
    assert "2만원" not in "".join(streamed)
    assert not check(turn.text, decision=turn.decision, policy=POLICY)
    assert "".join(streamed) == turn.text


def test_llm_reply_with_a_role_label_is_repaired_not_replaced():
    price = respond(RuleGenerator(seed=1))[0].decision.price
    turn, _ = respond(ScriptedGenerator([f"{price:,}원에 드릴게요"]))
    assert (turn.generator, turn.repaired) == ("llm", False)
    label = respond(ScriptedGenerator([f"판매자: {price:,}원에 드릴게요"]))[0]
    assert label.generator == "llm" and label.repaired and "판매자" not in label.text


def test_final_deny_stream_keeps_one_token_after_a_fallback():
    bot = Negotiator(
        policy=POLICY,
        listing=LISTING,
        generator=ScriptedGenerator([DENY_TOKEN + " 그 가격은 어려워요. ", "2만원이면 몰라도요. "]),
    )
    streamed: list[str] = []
    turn = bot.respond("##<20000>##", on_chunk=streamed.append)
    assert turn.decision.act is Act.FINAL_DENY
    assert turn.text.startswith(DENY_TOKEN) and turn.text.count("##") == 2
    assert "".join(streamed) == turn.text and "2만원" not in turn.text


def test_state_survives_a_new_worker():
    first = Negotiator(policy=POLICY, listing=LISTING, seed=1)
    counter = first.respond("27000원이요").decision
    state = json.loads(json.dumps(first.to_state()))
    second = Negotiator(policy=POLICY, listing=LISTING, state=state, seed=1)
    turn = second.respond(f"##<{counter.price}>##")
    assert (turn.decision.act, turn.decision.price) == (Act.FINAL_ACCEPT, counter.price)
    assert json.loads(json.dumps(turn.to_dict()))["decision"]["act"] == "final_accept"


def test_chat_cli_with_piped_stdin():
    lines = "안녕하세요\n상태 어때요?\n25000원 어때요?\n최저가 알려주세요\n##<33000>##\n"
    result = run_mlcore(
        "chat",
        "--title",
        "스피커",
        "--price",
        "35000",
        "--floor",
        "28000",
        "--description",
        "작년에 샀어요. 상태 좋아요.",
        "--seed",
        "1",
        input=lines,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count("판매자:") == 5
    assert "##<수락>##" in out and "거래 성사: 33,000원" in out
    assert "28,000" not in out and "28000" not in out


def test_chat_cli_rejects_a_floor_above_the_price():
    result = run_mlcore("chat", "--title", "x", "--price", "1000", "--floor", "2000", input="")
    assert result.returncode == 2 and "floor_price" in result.stderr
