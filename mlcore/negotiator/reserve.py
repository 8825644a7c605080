"""The seller's secret acceptance line: the lowest price the bot ever concedes to or accepts.

Were the bot to negotiate down to the floor itself, a few final offers from fresh accounts would
find it (the answers are a fixed function of the floor). Instead each listing gets a reserve
price drawn once, above the floor by a share of the bargaining zone that only the site knows
(derived from its secret key), the same width for every style, and raised a step for every new
account that probes the listing with turned-down final offers. Everything the bot says and
accepts is a function of the reserve, never of the floor, so the answers a prober collects
are the same for floors a few percent apart.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import secrets
from dataclasses import dataclass

from mlcore.negotiator.advisor import SellerPolicy


@dataclass(frozen=True)
class ReserveMargin:
    low: float  # shares of the zone (list price - floor) the reserve sits above the floor
    high: float


# Wide enough that the floor cannot be read off the bot's answers to within a few percent, and
# starting next to the floor, so that the buyers lost to it (budgets between the floor and the
# reserve) are as few as that width allows. The same for every style: a style holds the price by
# its concession curve, and the reserve only decides which buyers near the floor are lost. Over
# the simulated buyers every buyer a style lost who could pay the floor had a budget below the
# reserve (docs/evaluation/report.md). A top of 0.12 lost ~10% of them (89.1-90.6% deals when
# possible over seeds 0-2, under the 90% the product promises); 0.08 closes 90.6-91.8% over
# seeds 0-3 for ~0.7 points of the zone, and probing still raises it (PROBE_STEP).
MARGINS: dict[str, ReserveMargin] = {
    "firm": ReserveMargin(0.005, 0.08),
    "balanced": ReserveMargin(0.005, 0.08),
    "flexible": ReserveMargin(0.005, 0.08),
}
PROBE_STEP = 0.04  # each probing account raises the reserve by this share of the zone …
PROBE_CAP = 0.2  # … up to this much


def secret_share(secret: str) -> float:
    """A uniform number in [0, 1) that only the holder of `secret` can compute."""
    digest = hashlib.blake2b(secret.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def draw_reserve(list_price: int, floor: int, style: str, *, secret: str, probes: int = 0) -> int:
    """The reserve for a listing: strictly above the floor (when the floor is below the list
    price) and at most the list price; the same `secret` always gives the same reserve."""
    zone = list_price - floor
    if zone <= 0:
        return list_price
    margin = MARGINS[str(style)]
    share = margin.low + (margin.high - margin.low) * secret_share(secret)
    share += min(max(probes, 0) * PROBE_STEP, PROBE_CAP)
    return min(list_price, max(floor + 1, math.ceil(floor + zone * share)))


def with_reserve(policy: SellerPolicy, *, secret: str, probes: int = 0) -> SellerPolicy:
    """`policy` with its reserve drawn from `secret` (one per listing: every buyer of a listing
    meets the same reserve) and raised for `probes` probing accounts."""
    reserve = draw_reserve(policy.list_price, policy.floor_price, policy.style, secret=secret, probes=probes)
    return dataclasses.replace(policy, reserve=reserve)


def run_secret(command: str, seed: int | None) -> str:
    """The reserve's secret for a command-line run: fixed by `--seed`, else fresh each run."""
    return f"{command}:{seed}" if seed is not None else f"{command}:{secrets.token_hex(16)}"
