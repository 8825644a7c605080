"""The guard: no reply reaches a buyer unless it agrees with the Advisor's decision.

Any candidate reply (a language model's, or the realizer's) is checked for every amount it
states, in any written form (`mlcore.language.prices.find_amounts`) and as bare digits. It is rejected
when it states a price below the floor, the floor itself, a price other than the decided one,
agrees to a deal the decision did not make, or carries role labels or protocol tokens the act
does not call for. Labels and stray tokens are repaired by cutting them out; anything about
prices falls back to the realizer's wording for the decision.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from mlcore.language.claims import reply_problems
from mlcore.language.prices import Amount, find_amounts, implied_prices
from mlcore.negotiator.advisor import ACCEPT_ACTS, Act, Decision, SellerPolicy
from mlcore.negotiator.realizer import realize
from mlcore.schema import ACCEPT_TOKEN, DENY_TOKEN, Event, Listing

ROLE_LABEL = re.compile(r"(?:^|(?<=\s))(?:구매자|판매자|buyer|seller|system|assistant|시스템)\s*[:：]", re.I)
ANY_TOKEN = re.compile(r"##<[^>\n]{0,20}>##")
# Agreement wording that only an accepting act may use.
AGREEMENT = re.compile(
    r"수락|거래\s*확정|확정(?:할게요|해요|입니다)|말씀하신\s*(?:가격|금액|대로)|그\s*가격(?:에|으로)\s*(?:드릴|팔|판매|거래)|"
    r"제안(?:하신|주신)\s*(?:가격|금액)(?:에|으로)|\bdeal\b|\baccept(?:ed)?\b|콜이요|낙찰",
    re.I,
)
_DIGITS = re.compile(r"\d[\d,]*")


@dataclass
class GuardResult:
    text: str
    repaired: bool  # the returned text differs from the candidate
    source: str  # "generator" (as written), "repair" (labels/tokens cut) or "realizer"
    problems: list[str] = field(default_factory=list)


def allowed_prices(decision: Decision, *, policy: SellerPolicy) -> set[int]:
    allowed = set()
    if decision.price is not None and decision.quote:
        allowed.add(decision.price)
    if decision.act not in ACCEPT_ACTS and policy.list_price != policy.floor_price:
        allowed.add(policy.list_price)  # public on the listing page; may be recalled when holding
    return {p for p in allowed if p != policy.floor_price}


def mentions_floor(text: str, floor: int, *, amounts: list[Amount] | None = None) -> bool:
    """The floor in digits (with or without thousands separators) or in any written form;
    `amounts` are the text's `find_amounts`, when the caller has them already."""
    for match in _DIGITS.finditer(text):
        digits = match.group().replace(",", "").rstrip(",")
        if digits and int(digits) == floor:
            return True
    return any(a.value == floor for a in (find_amounts(text) if amounts is None else amounts))


def price_problems(
    text: str, *, decision: Decision, policy: SellerPolicy, amounts: list[Amount] | None = None
) -> list[str]:
    problems: list[str] = []
    floor = policy.floor_price
    amounts = find_amounts(text) if amounts is None else amounts
    if mentions_floor(text, floor, amounts=amounts):
        problems.append("floor_amount")
    allowed = allowed_prices(decision, policy=policy)
    for amount in amounts:
        if amount.value < floor:
            problems.append(f"below_floor:{amount.value}")
        elif amount.value not in allowed and amount.value != floor:
            problems.append(f"wrong_price:{amount.value}")
    if decision.act not in ACCEPT_ACTS and (ACCEPT_TOKEN in text or AGREEMENT.search(text)):
        problems.append("accepts_without_decision")
    return problems + relative_price_problems(text, decision=decision, policy=policy)


# Bare agreement, with no price or a price only implied ("ㅇㅋ 그렇게 해요", "콜", "그 가격이면 좋아요"):
# under any act but an accepting one it tells the buyer a deal is made.
BARE_AGREEMENT = re.compile(
    r"ㅇㅋ|ㅇㅇ\s*(?:그렇게|그\s*가격)|오케이|오키|(?<![가-힣])콜(?![라센럼])|"
    r"그렇게\s*(?:해요|하죠|할게요|합시다|하시죠|해\s*드릴게요|드릴게요|하는\s*걸로)|"
    r"그\s*가격(?:이면|에|으로|도)?\s*(?:좋아요|좋습니다|괜찮아요|괜찮습니다|오케이|ok)|"
    r"(?:그\s*가격|그걸로|그렇게)\s*(?:할게요|갈게요|가요|가죠)",
    re.I,
)


def relative_price_problems(text: str, *, decision: Decision, policy: SellerPolicy) -> list[str]:
    """Prices a reply implies without writing them (반값, `20% 할인`, `3분의 2 가격`, `1할`, 무료),
    read against the list price and held to the same rule as written ones, and agreement words
    an act that accepts nothing must not use."""
    problems: list[str] = []
    floor = policy.floor_price
    allowed = allowed_prices(decision, policy=policy)
    for value in implied_prices(text, list_price=policy.list_price):
        if value < floor:
            problems.append(f"below_floor:{value}")
        elif value == floor:
            problems.append("floor_amount")
        elif value not in allowed:
            problems.append(f"wrong_price:{value}")
    if decision.act not in ACCEPT_ACTS and BARE_AGREEMENT.search(text):
        problems.append("agrees_without_decision")
    return problems


def form_problems(text: str, *, decision: Decision, partial: bool = False) -> list[str]:
    problems: list[str] = []
    if ROLE_LABEL.search(text):
        problems.append("role_label")
    wanted = {Act.FINAL_ACCEPT: ACCEPT_TOKEN, Act.FINAL_DENY: DENY_TOKEN}.get(decision.act)
    tokens = ANY_TOKEN.findall(text)
    if any(t != wanted for t in tokens) or len(tokens) > 1:
        problems.append("protocol_token")
    started = text.lstrip().startswith(wanted) if wanted else True
    if not started and not (partial and wanted.startswith(text.lstrip())):
        problems.append("missing_token")
    return problems


def content_problems(text: str, *, decision: Decision, amounts: list[Amount] | None = None) -> list[str]:
    """What a whole reply must carry: some words, and the price of a counter-offer (the one
    thing the buyer needs from it)."""
    words = ANY_TOKEN.sub("", text).strip()
    if not words and decision.act is not Act.FINAL_ACCEPT:  # `##<수락>##` alone says it all
        return ["empty"]
    quoted = decision.act in (Act.COUNTER, Act.FINAL_DENY) and decision.quote and decision.price is not None
    amounts = find_amounts(text) if amounts is None else amounts
    if quoted and decision.price not in {a.value for a in amounts}:
        return ["missing_price"]
    return []


def fact_problems(text: str, *, listing: Listing) -> list[str]:
    """Item facts the listing contradicts ("기스도 없어서" where it says "모서리 생활기스") or does
    not state, and promises the site cannot keep (photos, calls, a trade method the listing does
    not name, a later answer where no question reaches the seller)."""
    year = listing.listed_on.year if listing.listed_on else None
    whole = f"{listing.title}. {listing.description}"
    return reply_problems(text, listing_text=whole, relay=listing.seller_relay, year=year)


def check(
    text: str,
    *,
    decision: Decision,
    policy: SellerPolicy,
    partial: bool = False,
    listing: Listing | None = None,
) -> list[str]:
    """Every problem with `text` as (a prefix of, when `partial`) the reply to `decision`;
    with `listing`, its item facts and promises are checked too (`fact_problems`)."""
    amounts = find_amounts(text)  # parsed once: this runs on every streamed prefix
    problems = price_problems(text, decision=decision, policy=policy, amounts=amounts)
    problems += form_problems(text, decision=decision, partial=partial)
    if listing is not None:
        # A streamed prefix is checked up to its last full sentence: "기스," may yet go on
        # "…찍힘 다 없어요" or "…조금 있어요".
        whole = text if not partial else text[: _last_sentence_end(text)]
        problems += fact_problems(whole, listing=listing)
    return problems if partial else problems + content_problems(text, decision=decision, amounts=amounts)


_SENTENCE_END = re.compile(r"[.!?~。\n]+")


def _last_sentence_end(text: str) -> int:
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    return ends[-1] if ends else 0


def repair(text: str, *, decision: Decision) -> str:
    """Cut role labels and stray protocol tokens, and put the act's token first."""
    text = ROLE_LABEL.sub("", text)
    text = ANY_TOKEN.sub("", text)
    text = re.sub(r"[ \t]{2,}", " ", text).strip()
    wanted = {Act.FINAL_ACCEPT: ACCEPT_TOKEN, Act.FINAL_DENY: DENY_TOKEN}.get(decision.act)
    return f"{wanted} {text}".strip() if wanted else text


def safe_wording(
    decision: Decision,
    *,
    policy: SellerPolicy,
    listing: Listing,
    seed: int = 0,
    history: Sequence[Event] = (),
) -> str:
    """The realizer's wording for the decision, checked like any other candidate."""
    for attempt in range(8):
        text = realize(decision, listing=listing, rng=random.Random(seed + attempt), history=history)
        if not check(text, decision=decision, policy=policy, listing=listing):
            return text
    # The listing itself can carry a bad amount into every grounded phrasing: say it bare.
    bare = Listing(title="물건", description="", price=listing.price, seller_relay=listing.seller_relay)
    for attempt in range(8):
        text = realize(decision, listing=bare, rng=random.Random(seed + attempt), history=history)
        if not check(text, decision=decision, policy=policy, listing=listing):
            return text
    token = {Act.FINAL_ACCEPT: ACCEPT_TOKEN + " ", Act.FINAL_DENY: DENY_TOKEN + " "}.get(decision.act, "")
    return token + "죄송해요, 다시 한번 말씀해 주시겠어요?"


def guard_reply(
    text: str,
    *,
    decision: Decision,
    policy: SellerPolicy,
    listing: Listing,
    seed: int = 0,
    history: Sequence[Event] = (),
) -> GuardResult:
    problems = check(text, decision=decision, policy=policy, listing=listing)
    if not problems:
        return GuardResult(text=text, repaired=False, source="generator", problems=[])
    wrong = price_problems(text, decision=decision, policy=policy) + fact_problems(text, listing=listing)
    if not wrong:
        fixed = repair(text, decision=decision)
        if fixed and not check(fixed, decision=decision, policy=policy, listing=listing):
            return GuardResult(text=fixed, repaired=True, source="repair", problems=problems)
    fallback = safe_wording(decision, policy=policy, listing=listing, seed=seed, history=history)
    return GuardResult(text=fallback, repaired=True, source="realizer", problems=problems)
