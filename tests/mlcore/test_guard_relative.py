"""The guard reads prices a reply only implies (반값, N% 할인, N분의 M, N만원 빼드릴게요, 말씀하신
가격) and bare agreement words, and holds them to the decision like written prices."""

from __future__ import annotations

import pytest

from mlcore.language.prices import implied_prices
from mlcore.negotiator.advisor import Act, Decision, SellerPolicy
from mlcore.negotiator.guard import check, guard_reply
from mlcore.negotiator.pipeline import Negotiator
from mlcore.schema import Listing

POLICY = SellerPolicy(100_000, 80_000)
LISTING = Listing("전기 자전거", "작년에 샀어요. 배터리 효율 90%예요.", 100_000)
HOLD = Decision(act=Act.HOLD, price=95_000, quote=True)


@pytest.mark.parametrize(
    ("reply", "problem"),
    [
        ("네, 반값에 드릴게요", "below_floor:50000"),
        ("20% 할인해 드릴게요", "floor_amount"),  # 80,000: the floor itself
        ("3분의 2 가격에 드릴게요", "below_floor:66667"),
        ("1할 빼드릴게요", "wrong_price:90000"),
        ("10퍼 깎아드릴게요!", "wrong_price:90000"),
        ("반의 반 가격에 드릴게요", "below_floor:25000"),
        ("그냥 무료로 드릴게요", "below_floor:0"),
        ("5만원 빼드릴게요", "below_floor:50000"),
        ("말씀하신 가격에 드릴게요", "accepts_without_decision"),
        ("ㅇㅋ 그렇게 해요", "agrees_without_decision"),
        ("네 그럼 그렇게 하죠 ㅎㅎ", "agrees_without_decision"),
        ("콜! 쿨거래 해요", "agrees_without_decision"),
        ("그 가격이면 괜찮아요", "agrees_without_decision"),
        ("오케이 그걸로 할게요", "agrees_without_decision"),
    ],
)
def test_relative_prices_and_bare_agreement_fail_under_hold(reply, problem):
    assert problem in check(reply, decision=HOLD, policy=POLICY)
    result = guard_reply(reply, decision=HOLD, policy=POLICY, listing=LISTING)
    assert result.source == "realizer" and check(result.text, decision=HOLD, policy=POLICY) == []


@pytest.mark.parametrize(
    "reply",
    [
        "반값은 어려워요. 95,000원까지는 가능해요.",  # turned down in the same clause
        "20% 할인은 힘들어요, 95,000원 생각하고 있어요.",
        "무료 나눔은 안 돼요. 95,000원에 드릴게요.",
        "배터리 효율 90%예요. 95,000원이에요.",  # a percentage that is no price
    ],
)
def test_refused_relative_forms_and_plain_percentages_pass(reply):
    assert check(reply, decision=HOLD, policy=POLICY) == []


def test_a_relative_price_that_is_the_decided_one_passes():
    counter = Decision(act=Act.COUNTER, price=90_000, quote=True)
    assert check("1할 빼서 90,000원에 드릴게요.", decision=counter, policy=POLICY) == []
    assert "wrong_price:50000" not in check("1할 빼드릴게요.", decision=counter, policy=POLICY)
    accept = Decision(act=Act.ACCEPT, price=90_000, quote=True, buyer_offer=90_000)
    assert check("네 좋아요, 그렇게 해요! 90,000원에 드릴게요.", decision=accept, policy=POLICY) == []


def test_every_relative_form_is_read_not_only_the_last():
    assert implied_prices("반값은 아니어도 20% 할인해 드릴게요", list_price=100_000) == [50_000, 80_000]


class Saying:
    name = "llm"

    def __init__(self, text: str) -> None:
        self.text = text

    def stream(self, *, listing, history, decision):
        yield self.text


@pytest.mark.parametrize("reply", ["네, 반값에 드릴게요.", "ㅇㅋ 그렇게 해요.", "20% 할인해 드릴게요."])
def test_the_negotiator_never_streams_a_relative_agreement(reply):
    bot = Negotiator(policy=POLICY, listing=LISTING, generator=Saying(reply), seed=1)
    shown: list[str] = []
    turn = bot.respond("너무 비싸요. 좀 깎아주세요", on_chunk=shown.append)
    assert turn.decision.act not in (Act.ACCEPT, Act.FINAL_ACCEPT)
    assert turn.generator == "rules-fallback" and reply not in "".join(shown)
    assert check(turn.text, decision=turn.decision, policy=POLICY) == []
