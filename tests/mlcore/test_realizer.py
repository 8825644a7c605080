"""The rule realizer's Korean: varied, grounded in the listing, and always passing the guard."""

from __future__ import annotations

import random
import re

import pytest

from mlcore.negotiator.advisor import Act, Decision, SellerPolicy
from mlcore.negotiator.guard import check
from mlcore.negotiator.realizer import PHRASES, realize
from mlcore.schema import ACCEPT_TOKEN, DENY_TOKEN, Listing

LISTING = Listing(
    "닌텐도 스위치", "작년 여름에 구매했어요. 상태 깨끗하고 풀박스예요. 케이스 같이 드려요.", 250_000
)
POLICY = SellerPolicy(250_000, 200_000)

DECISIONS = [
    Decision(act=Act.GREET, price=250_000, quote=True),
    Decision(act=Act.ANSWER, detail="상태 깨끗하고 풀박스예요."),
    Decision(act=Act.ANSWER),
    Decision(act=Act.COUNTER, price=240_000, quote=True, rounds_left=5),
    Decision(act=Act.COUNTER, price=230_000, quote=True, rounds_left=1),
    Decision(act=Act.HOLD, price=250_000, quote=True),
    Decision(act=Act.DENY, price=240_000, quote=True),
    Decision(act=Act.ACCEPT, price=235_000, quote=True),
    Decision(act=Act.FINAL_ACCEPT, price=235_000, quote=True),
    Decision(act=Act.FINAL_DENY, price=230_000, quote=True),
    Decision(act=Act.FINAL_DENY, price=230_000, quote=True, closed=True),
    Decision(act=Act.REFUSE, reason="free_request"),
    Decision(act=Act.REFUSE, reason="abuse"),
    Decision(act=Act.REFUSE, reason="off_topic"),
    Decision(act=Act.REFUSE, reason="manipulation"),
    Decision(act=Act.REFUSE, reason="manipulation", topic="floor"),
    Decision(act=Act.ANSWER, reason="greeting", topic="availability"),
    Decision(act=Act.ANSWER, topic="bundle"),
    Decision(act=Act.ANSWER, topic="battery"),
    Decision(act=Act.GREET, reason="thanks", topic="thanks"),
    Decision(act=Act.GREET, reason="bye", topic="bye"),
    Decision(act=Act.ACCEPT, price=235_000, quote=True, reason="thanks", topic="thanks"),
    Decision(act=Act.HOLD, price=240_000, quote=True, reason="floor_question", topic="floor"),
    Decision(act=Act.HOLD, price=200_000, quote=False, reason="floor_question", topic="floor"),
]


def test_every_act_has_at_least_five_phrasings():
    assert {a.value for a in Act} <= {key.split("_unquoted")[0] for key in PHRASES} | {"refuse"}
    assert all(len(options) >= 5 for options in PHRASES.values())


@pytest.mark.parametrize(
    "decision", DECISIONS, ids=lambda d: f"{d.act.value}-{d.topic or d.reason or d.price}-{d.quote}"
)
def test_every_wording_passes_the_guard_and_varies(decision):
    texts = {realize(decision, listing=LISTING, rng=random.Random(seed)) for seed in range(40)}
    assert len(texts) >= 4
    for text in texts:
        assert not check(text, decision=decision, policy=POLICY, listing=LISTING), text  # facts, promises too
        # Polite endings (해요체 or 합니다), maybe followed by the ㅎㅎ / :) / ~ sellers add.
        assert re.sub(r"[\s.!?~:)^ㅎㅋㅠ]+$", "", text).endswith(("요", "다")), text


def test_holding_cites_the_listing():
    hold = Decision(act=Act.HOLD, price=250_000, quote=True)
    texts = [realize(hold, listing=LISTING, rng=random.Random(seed)) for seed in range(30)]
    assert any("작년 여름에 구매했어요" in t or "풀박스" in t for t in texts)


def test_final_acts_start_with_the_protocol_token():
    accept = realize(Decision(act=Act.FINAL_ACCEPT, price=235_000, quote=True), listing=LISTING)
    deny = realize(Decision(act=Act.FINAL_DENY, price=240_000, quote=True), listing=LISTING)
    assert accept.startswith(ACCEPT_TOKEN) and "235,000원" in accept
    assert deny.startswith(DENY_TOKEN) and "240,000원" in deny


def test_unquoted_prices_are_not_stated():
    for act in (Act.HOLD, Act.ACCEPT, Act.FINAL_ACCEPT, Act.FINAL_DENY):
        for seed in range(10):
            text = realize(
                Decision(act=act, price=200_000, quote=False), listing=LISTING, rng=random.Random(seed)
            )
            assert "200,000" not in text and "20만" not in text


def test_marketplace_vocabulary():
    words = " ".join(t for options in PHRASES.values() for t in options)
    for word in ("네고", "쿨거래", "직거래"):
        assert word in words


def test_taekpo_and_meeting_place_only_when_the_description_says_so():
    hold = Decision(act=Act.HOLD, price=250_000, quote=True)
    shipped = Listing("닌텐도 스위치", "택포 가격이에요. 강남역 직거래도 돼요.", 250_000)
    said = " ".join(realize(hold, listing=shipped, rng=random.Random(s)) for s in range(60))
    assert "택포" in said and "강남역" in said
    plain = " ".join(realize(hold, listing=LISTING, rng=random.Random(s)) for s in range(60))
    assert "택포" not in plain and "역에서" not in plain


def test_others_interested_is_said_only_when_true():
    lone = Decision(act=Act.HOLD, price=250_000, quote=True)
    crowd = Decision(act=Act.HOLD, price=250_000, quote=True, others_interested=2)
    assert not any("다른 분" in realize(lone, listing=LISTING, rng=random.Random(s)) for s in range(20))
    assert all(
        "다른 분" in t or "몇 분 더" in t
        for t in (realize(crowd, listing=LISTING, rng=random.Random(s)) for s in range(20))
    )


@pytest.mark.parametrize("relay", [False, True])
@pytest.mark.parametrize(
    # An answer's detail is the description's own words: a bare listing has none to give.
    "decision",
    [d for d in DECISIONS if not d.detail],
    ids=lambda d: f"{d.act.value}-{d.topic or d.reason or d.price}-{d.quote}",
)
def test_a_bare_listing_gets_no_made_up_fact_and_no_promise(decision, relay):
    """A listing that says nothing: no phrasing may state an item fact or offer what the site
    cannot do (issue 11)."""
    bare = Listing("물건", "", LISTING.price, seller_relay=relay)
    for seed in range(20):
        text = realize(decision, listing=bare, rng=random.Random(seed))
        assert not check(text, decision=decision, policy=POLICY, listing=bare), text
