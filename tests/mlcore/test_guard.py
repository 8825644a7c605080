"""The guard on candidate replies: every way a reply could break the decision or leak the floor."""

from __future__ import annotations

import pytest

from mlcore.negotiator.advisor import Act, Decision, SellerPolicy
from mlcore.negotiator.guard import guard_reply
from mlcore.schema import ACCEPT_TOKEN, DENY_TOKEN, Listing

POLICY = SellerPolicy(35_000, 28_000)
LISTING = Listing("에어팟 프로", "작년에 구매했어요. 상태 깨끗해요.", 35_000)


def counter(price: int = 32_000) -> Decision:
    return Decision(act=Act.COUNTER, price=price, quote=True, reason="concession")


def guard(text: str, decision: Decision):
    return guard_reply(text, decision=decision, policy=POLICY, listing=LISTING)


def test_a_good_reply_passes_untouched():
    result = guard("음 32,000원까지는 해드릴게요. 쿨거래 해요!", counter())
    assert (result.text, result.repaired, result.source, result.problems) == (
        "음 32,000원까지는 해드릴게요. 쿨거래 해요!",
        False,
        "generator",
        [],
    )


def test_list_price_may_be_recalled_when_holding():
    hold = Decision(act=Act.HOLD, price=32_000, quote=True)
    assert not guard("35,000원에 올렸는데 32,000원은 받아야 해요.", hold).repaired


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("2만5천원에 드릴게요.", "below_floor:25000"),
        ("28,000원까지 가능해요.", "floor_amount"),
        ("이만팔천원까지 가능해요.", "floor_amount"),
        ("2.8만원까지 가능해요.", "floor_amount"),
        ("최저 28000 이에요.", "floor_amount"),
        ("30,000원에 드릴게요.", "wrong_price:30000"),
        ("좋아요, 말씀하신 가격에 드릴게요.", "accepts_without_decision"),
        (ACCEPT_TOKEN + " 32,000원이요.", "accepts_without_decision"),
    ],
)
def test_price_problems_fall_back_to_the_realizer(text, problem):
    result = guard(text, counter())
    assert problem in result.problems
    assert (result.repaired, result.source) == (True, "realizer")
    assert "32,000원" in result.text and "28" not in result.text


@pytest.mark.parametrize(
    "text",
    [
        "판매자: 32,000원까지 가능해요.",
        "32,000원까지 가능해요.\n구매자: 좋아요",
        "##<32000>## 32,000원 어떠세요?",
    ],
)
def test_role_labels_and_tokens_are_cut_out(text):
    result = guard(text, counter())
    assert result.source == "repair" and result.repaired
    assert "판매자" not in result.text and "구매자" not in result.text and "##" not in result.text
    assert "32,000원" in result.text


def test_final_acts_get_their_token_first():
    deny = Decision(act=Act.FINAL_DENY, price=33_000, quote=True)
    result = guard("아쉽지만 33,000원은 받아야 해요.", deny)
    assert result.text.startswith(DENY_TOKEN) and result.source == "repair"
    wrong = guard(ACCEPT_TOKEN + " 33,000원에 드릴게요", deny)
    assert wrong.text.startswith(DENY_TOKEN) and ACCEPT_TOKEN not in wrong.text


def test_unquoted_floor_acceptance_states_no_price():
    accept = Decision(act=Act.FINAL_ACCEPT, price=28_000, quote=False)
    result = guard(ACCEPT_TOKEN + " 28,000원에 거래해요!", accept)
    assert result.source == "realizer" and result.text.startswith(ACCEPT_TOKEN)
    assert "28" not in result.text and "2만" not in result.text


def test_listing_that_carries_the_floor_is_not_cited():
    # The realizer cites "2019년 구매했어요." as a selling point; with a floor of 2,019원 that
    # sentence would state the floor in digits, so the guard must word it without the listing.
    listing = Listing("의자", "2019년 구매했어요.", 30_000)
    policy = SellerPolicy(30_000, 2_019)
    hold = Decision(act=Act.HOLD, price=30_000, quote=True)
    for seed in range(10):
        result = guard_reply("2,019원은 안 돼요", decision=hold, policy=policy, listing=listing, seed=seed)
        assert "2019" not in result.text.replace(",", "") and result.source == "realizer"


FINAL_DENY = Decision(act=Act.FINAL_DENY, price=33_000, quote=True, reason="final_offer_low")


@pytest.mark.parametrize(
    ("decision", "text", "problem"),
    [
        (counter(), "   ", "empty"),
        (Decision(act=Act.HOLD, price=35_000, quote=True, reason="no_offer"), "", "empty"),
        (FINAL_DENY, DENY_TOKEN, "empty"),
        # A counter-offer that never says the price leaves the buyer guessing.
        (counter(), "네고 조금 해드릴게요!", "missing_price"),
        (FINAL_DENY, DENY_TOKEN + " 조금만 더 올려주세요.", "missing_price"),
    ],
)
def test_a_reply_must_say_something_and_name_its_counter_offer(decision, text, problem):
    result = guard(text, decision)
    assert problem in result.problems
    assert (result.repaired, result.source) == (True, "realizer")
    assert result.text.strip() and guard(result.text, decision).problems == []
    if problem == "missing_price":
        assert f"{decision.price:,}원" in result.text


def test_a_bare_acceptance_token_is_a_whole_reply():
    decision = Decision(act=Act.FINAL_ACCEPT, price=33_000, quote=True, reason="final_offer_accepted")
    assert guard(ACCEPT_TOKEN, decision).problems == []
