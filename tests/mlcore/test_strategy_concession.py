"""The seller gives its margin away gradually: a refused lowball is no baseline for reciprocity,
and no single message wins more than a style's share of the zone still open. Through the
`chat` command as a user types it, and `Advisor.decide` over random buyer offer sequences."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from mlcore.negotiator.advisor import OFFER_ACTS, STYLES, Advisor, SellerPolicy, Style, price_step
from tests.mlcore.cli import run_mlcore


def seller_prices(stdout: str) -> list[int]:
    lines = [line for line in stdout.splitlines() if line.startswith("판매자:")]
    return [int(m.replace(",", "")) for line in lines for m in re.findall(r"(\d[\d,]*)원", line)]


def test_a_refused_lowball_does_not_make_the_next_offer_look_like_a_big_concession():
    done = run_mlcore(
        "chat",
        "--title",
        "에어팟",
        "--price",
        "40000",
        "--floor",
        "32000",
        input="1만원에 주세요\n2만원이요\n",
    )
    assert done.returncode == 0, done.stderr
    deny, counter = seller_prices(done.stdout)
    assert deny == 40_000
    # Before: 33,000원, one step above the floor after two messages.
    assert counter >= 40_000 - 0.25 * 8_000
    assert counter < 40_000  # the serious offer still gets a concession


def zone_bound(policy: SellerPolicy, k: int) -> float:
    """The least zone (offer - floor) left after k price messages: each message gives at most
    the style's share of the zone still open, or one price step where rounding would swallow a
    concession (balanced and flexible always, firm when its share is half a step or more)."""
    params = STYLES[policy.style]
    step = price_step(policy.list_price)
    zone = float(policy.list_price - policy.floor_price)
    for _ in range(k):
        given_up = zone * params.max_concession
        if params.beta >= 1.0 or given_up >= step / 2:
            given_up = max(given_up, step)
        zone -= given_up
    return max(zone, 0.0)


@settings(max_examples=150, deadline=None)
@given(
    list_price=st.integers(20, 2_000).map(lambda n: n * 1_000),
    floor_share=st.floats(0.3, 0.95),
    style=st.sampled_from(list(Style)),
    shares=st.lists(st.floats(0.0, 1.2), min_size=1, max_size=10),
    final=st.booleans(),
)
def test_the_zone_is_conceded_gradually_whatever_the_buyer_offers(
    list_price, floor_share, style, shares, final
):
    floor = max(1, int(list_price * floor_share))
    policy = SellerPolicy(list_price, floor, style)  # the default deadline
    advisor = Advisor(policy)
    for k, share in enumerate(shares[: policy.rounds - 2], start=1):
        offer = int(list_price * share)
        message = f"##<{offer}>##" if final and k == len(shares) else f"{offer}원에 주세요"
        d = advisor.decide(message)
        if d.closed:
            break
        if d.act in OFFER_ACTS and d.price is not None:
            assert d.price - floor >= zone_bound(policy, k) - 1e-6, (k, d)
            assert d.price > floor


def test_firm_gives_less_per_message_than_balanced_and_balanced_less_than_flexible():
    caps = [STYLES[s].max_concession for s in (Style.FIRM, Style.BALANCED, Style.FLEXIBLE)]
    assert caps == sorted(caps) and len(set(caps)) == 3
    # And it shows: the same buyer, the same offers, three sellers.
    last = {}
    for style in Style:
        advisor = Advisor(SellerPolicy(400_000, 300_000, style))
        for offer in (200_000, 300_000, 310_000, 320_000):
            d = advisor.decide(f"{offer}원 어때요?")
        last[style] = d.price
    assert last[Style.FIRM] > last[Style.BALANCED] > last[Style.FLEXIBLE] > 300_000
