"""The conversation template: hints read from the seller's words, and the inference prompt."""

from __future__ import annotations

import pytest

from mlcore.llm.template import (
    SYSTEM,
    Hint,
    dialogue_hints,
    hint_from_decision,
    hint_from_seller_message,
    render_prompt,
)
from mlcore.negotiator.advisor import Act, Decision
from mlcore.schema import Event, Listing

ANSWER = "[전략: answer]"
LISTING = Listing("닌텐도 스위치 OLED", "조이콘 쏠림 없어요. 독 뒷면 잔기스 있어요.", 290000, "games")
FLOOR = 250000


def hint(message: str, **context) -> str:
    return str(hint_from_seller_message(message, listing=LISTING, floor=FLOOR, **context))


@pytest.mark.parametrize(
    ("message", "context", "expected"),
    [
        ("고민해봤는데 27만원까지 해드릴게요.", {"buyer_offer": 240000}, "[전략: counter 270000]"),
        # The buyer's own number, quoted back, is not the seller's offer.
        ("24만원은 어렵고 27만 5천원 어떠세요?", {"buyer_offer": 240000}, "[전략: counter 275000]"),
        (
            "죄송해요, 270,000원에서 더 내리기는 어려워요.",
            {"buyer_offer": 255000, "own_offer": 270000},
            "[전략: hold 270000]",
        ),
        ("좋아요! 26만원에 드릴게요.", {"buyer_offer": 260000, "own_offer": 270000}, "[전략: accept 260000]"),
        ("##<수락>##", {"buyer_offer": 265000}, "[전략: final_accept 265000]"),
        (
            "##<수락>## 감사합니다",
            {"buyer_offer": FLOOR},
            "[전략: final_accept]",
        ),  # the floor is never in a hint
        ("##<거절>## 죄송해요. 26만원까지는 가능해요.", {"buyer_offer": 200000}, "[전략: final_deny 260000]"),
        ("##<거절>## 죄송해요, 그 가격은 어려워요.", {"buyer_offer": 200000}, "[전략: final_deny]"),
        ("그 가격은 너무 많이 깎으신 것 같아요.", {"buyer_offer": 150000}, "[전략: deny]"),
        ("죄송해요, 나눔은 안 하고 있어요.", {}, "[전략: refuse]"),
        ("안녕하세요~ 아직 판매 중이에요.", {"first": True}, "[전략: greet]"),
        # An answer's hint carries the description's facts it says back (issue 11).
        ("조이콘 쏠림 없어요. 더 궁금한 거 있으면 말씀 주세요.", {}, f"{ANSWER} [근거: 조이콘 쏠림 없어요.]"),
        ("배터리는 설명에 따로 안 적어뒀어요.", {}, f"{ANSWER} [근거: 설명에 없음]"),
    ],
)
def test_hint_from_the_sellers_words(message: str, context: dict, expected: str) -> None:
    assert hint(message, **context) == expected


def test_hints_follow_the_dialogue() -> None:
    events = [
        Event("구매자", "안녕하세요! 잔기스 있으면 24만원 안 될까요?"),
        Event("판매자", "24만원은 어렵고 27만원까지 가능해요."),
        Event("구매자", "26만원이면 바로 갈게요"),
        Event("판매자", "27만원에서 더는 어려워요."),
        Event("구매자", "##<270000>##"),
        Event("판매자", "##<수락>##"),
    ]
    hints = dialogue_hints(events, listing=LISTING, floor=FLOOR)
    assert [str(h) if h else None for h in hints] == [
        None,
        "[전략: counter 270000]",
        None,
        "[전략: hold 270000]",
        None,
        "[전략: final_accept 270000]",
    ]


def test_prompt_layout_and_decision_hint() -> None:
    history = [
        Event("구매자", "24만원 안 될까요?"),
        Event("판매자", "27만원까지 가능해요."),
        {"role": "구매자", "message": "26만원은요?"},
    ]
    decision = Decision(act=Act.COUNTER, price=265000, quote=True)
    prompt = render_prompt(LISTING, history, decision, floor=FLOOR, eos_token="</s>")
    assert prompt == (
        f"{SYSTEM}\n\n제목: 닌텐도 스위치 OLED\n상품 설명: 조이콘 쏠림 없어요. 독 뒷면 잔기스 있어요.\n"
        "상품 가격: 290000원\n"
        "\n구매자: 24만원 안 될까요?"
        "\n[전략: counter 270000]\n판매자: 27만원까지 가능해요.</s>"
        "\n구매자: 26만원은요?"
        "\n[전략: counter 265000]\n판매자:"
    )
    unquoted = Decision(act=Act.ACCEPT, price=FLOOR, quote=False)
    assert render_prompt(LISTING, history, unquoted).endswith("\n[전략: accept]\n판매자:")


def test_hint_parse_round_trip_and_unknown_acts() -> None:
    assert Hint.parse("[전략: hold 270000]") == Hint("hold", 270000)
    assert Hint.parse("[전략: answer]") == Hint("answer")
    with pytest.raises(ValueError, match="unknown act"):
        Hint("bribe", 1)


def test_agreeing_to_the_standing_offer_is_an_accept() -> None:
    events = [
        Event("구매자", "25만5천원 안 될까요?"),
        Event("판매자", "27만원까지 해드릴게요."),
        Event("구매자", "네 그렇게 할게요. 감사합니다!"),
        Event("판매자", "좋아요! 270,000원에 드릴게요. 최종 가격으로 제안 보내주세요."),
    ]
    hints = dialogue_hints(events, listing=LISTING, floor=FLOOR)
    assert [str(h) for h in hints if h] == ["[전략: counter 270000]", "[전략: accept 270000]"]


def test_an_answers_hint_at_inference_carries_the_facts_the_reply_may_use() -> None:
    from mlcore.negotiator.advisor import Advisor, SellerPolicy

    advisor = Advisor(SellerPolicy(290000, 250000), description=LISTING.description)
    known = hint_from_decision(advisor.decide("조이콘 쏠림 있나요?"))
    assert str(known) == "[전략: answer] [근거: 조이콘 쏠림 없어요.]"
    unknown = hint_from_decision(advisor.decide("배터리 몇 퍼예요?"))
    assert str(unknown) == f"{ANSWER} [근거: 설명에 없음]"
    assert Hint.parse(str(known)) == known
    assert str(hint_from_decision(advisor.decide("3만원에 주세요"))).startswith("[전략: deny")
