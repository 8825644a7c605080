"""The Advisor: the seller's price strategy, decoupled from how its moves are worded.

He et al. 2018 ("Decoupling Strategy and Generation in Negotiation Dialogues") split a negotiator
into a strategy that picks a dialogue act with a price and a generator that words it; this module
is the strategy. Its concession tactic mixes two families from Faratin, Sierra & Jennings 1998
("Negotiation decision functions for autonomous agents"):

- time-dependent: target(t) = list - (list - floor) * (t / T) ** (1 / beta); beta < 1 is
  Boulware (holds near the list price until late), beta > 1 is Conceder;
- behaviour-dependent: relative tit-for-tat, the seller's offer shrinks by the ratio by which the
  buyer's offer grew, damped per style.

Invariants the tests check: the seller's offers never rise, it never offers or accepts below the
floor, it never quotes the floor amount itself, it never accepts less than a better standing
offer from another buyer, and every dialogue is closed within the deadline.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any

from mlcore.prices import find_amounts, parse_price
from mlcore.schema import ACCEPT, ACCEPT_TOKEN, DENY, DENY_TOKEN, final_offer_price

STATE_VERSION = 1
DEFAULT_DEADLINE = 12  # buyer messages; the original asked for a final price after 16 lines


class Style(StrEnum):
    FIRM = "firm"
    BALANCED = "balanced"
    FLEXIBLE = "flexible"


class Act(StrEnum):
    GREET = "greet"
    ANSWER = "answer"
    COUNTER = "counter"
    HOLD = "hold"
    ACCEPT = "accept"
    DENY = "deny"
    FINAL_ACCEPT = "final_accept"
    FINAL_DENY = "final_deny"
    REFUSE = "refuse"


# Acts whose price is the seller's own standing offer (the "offers never rise" sequence).
OFFER_ACTS = frozenset({Act.COUNTER, Act.HOLD, Act.DENY, Act.FINAL_DENY})
ACCEPT_ACTS = frozenset({Act.ACCEPT, Act.FINAL_ACCEPT})


@dataclass(frozen=True)
class StyleParams:
    beta: float  # Faratin's concession exponent: < 1 Boulware, > 1 Conceder
    reciprocity: float  # damping of the tit-for-tat ratio: 0 ignores the buyer, 1 mirrors it
    time_weight: float  # weight of the time tactic against tit-for-tat
    final_keep: float  # share of the gap (own offer - floor) a final offer must still cover
    lowball: float  # offers under this share of the list price are denied without concession


STYLES: dict[Style, StyleParams] = {
    Style.FIRM: StyleParams(beta=0.5, reciprocity=0.4, time_weight=0.5, final_keep=0.5, lowball=0.6),
    Style.BALANCED: StyleParams(beta=1.0, reciprocity=0.7, time_weight=0.5, final_keep=0.25, lowball=0.5),
    Style.FLEXIBLE: StyleParams(beta=2.5, reciprocity=1.0, time_weight=0.5, final_keep=0.0, lowball=0.35),
}


@dataclass(frozen=True)
class SellerPolicy:
    list_price: int
    floor_price: int
    style: Style = Style.BALANCED
    deadline: int | None = None  # in buyer messages; None means DEFAULT_DEADLINE

    def __post_init__(self) -> None:
        object.__setattr__(self, "style", Style(self.style))
        if self.list_price <= 0:
            raise ValueError("list_price must be positive")
        if not 0 < self.floor_price <= self.list_price:
            raise ValueError("floor_price must be positive and at most the list price")
        if self.deadline is not None and self.deadline < 1:
            raise ValueError("deadline must be at least one round")

    @property
    def rounds(self) -> int:
        return self.deadline or DEFAULT_DEADLINE

    @property
    def params(self) -> StyleParams:
        return STYLES[self.style]


@dataclass(frozen=True)
class Market:
    """What the site knows about the other chats on the same listing (1:n)."""

    best_other_offer: int | None = None
    active_buyers: int = 1  # buyers negotiating this listing now, this one included

    @property
    def others(self) -> int:
        return max(0, self.active_buyers - 1)


@dataclass
class Decision:
    act: Act
    price: int | None = None  # the price the act is about (own offer, or the accepted price)
    reason: str = ""
    quote: bool = False  # whether the reply may state `price` (never when it equals the floor)
    buyer_offer: int | None = None
    round: int = 0
    rounds_left: int = 0
    others_interested: int = 0  # other buyers negotiating now, as the site reported it
    closed: bool = False  # the dialogue is over after this move
    detail: str = ""  # a sentence of the description that answers the buyer's question

    def __post_init__(self) -> None:
        self.act = Act(self.act)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["act"] = self.act.value
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decision:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def price_step(price: int) -> int:
    """The natural rounding step for amounts at this scale, as Korean listings quote them."""
    if price < 30_000:
        return 500
    if price < 300_000:
        return 1_000
    return 10_000


def natural_offer(raw: float, *, floor: int, ceiling: int, step: int) -> int:
    """Round `raw` to the nearest step, strictly above the floor (the floor is never quoted)
    and at most `ceiling` (own offers never rise); `ceiling` itself is returned when nothing
    fits."""
    low = (floor // step + 1) * step
    value = max(math.floor(raw / step + 0.5) * step, low)
    return min(value, ceiling)


# --- understanding the buyer (rules: cheap, predictable, and testable) -------------------------

_MANIPULATION = re.compile(
    r"최저|최소\s*(?:가격|금액)|하한\s*가?|마지노선|바닥\s*가|"
    r"floor|minimum\s+price|lowest\s+(?:price|you)|reserve\s+price|bottom\s+price|"
    r"ignore\s+(?:all\s+)?(?:the\s+)?(?:previous|prior|above|earlier)|disregard|"
    r"(?:이전|앞의|위의)\s*(?:지시|명령|설정)|지시(?:를|는)?\s*무시|시스템\s*프롬프트|프롬프트|"
    r"system\s*prompt|\bprompt\b|jailbreak|developer\s+mode|개발자\s*모드|"
    r"\badmin\b|administrator|관리자|운영자|moderator|\bsudo\b|"
    r"(?:판매자|구매자|seller|buyer|system|assistant|시스템)\s*[:：]|\[\s*(?:system|시스템|admin)\s*\]",
    re.IGNORECASE,
)
# Claims that the seller already agreed to something: only the Advisor's own record counts.
_FALSE_CLAIM = re.compile(
    r"(?:seller|owner|you)\s+(?:already\s+)?(?:told|said|promised|agreed|offered)|"
    r"판매자\s*(?:님)?\s*(?:이|가|께서)\s*.{0,20}(?:했|하셨|준다|주신다|약속)|"
    r"(?:아까|이미|전에)\s*.{0,20}(?:하셨잖아|했잖아|준다고|주신다고|약속)",
    re.IGNORECASE,
)
_TOKEN_TYPED = re.compile(re.escape(ACCEPT_TOKEN) + "|" + re.escape(DENY_TOKEN) + r"|##<\s*[^\d\s]")
_ABUSE = re.compile(
    r"씨발|시발|ㅅㅂ|ㅆㅂ|개새|새끼|병신|ㅂㅅ|존나|좆|닥쳐|꺼져|미친놈|미친년|지랄|사기꾼|"
    r"\bfuck|\bshit\b|\bidiot\b|\bstupid\b|\bbitch\b|\basshole\b|\bscam(?:mer)?\b",
    re.IGNORECASE,
)
_FREE = re.compile(r"무료|나눔|공짜|그냥\s*주세요|\bfree\b|\bfor\s+nothing\b", re.IGNORECASE)
_OFF_TOPIC = re.compile(
    r"날씨|주식|코인|비트코인|정치|대통령|선거|숙제|과제|코딩|코드\s*(?:짜|작성)|번역|레시피|요리법|"
    r"\bpoem\b|\bweather\b|\bcode\b|\bpython\b|\btranslate\b|\brecipe\b|\bhomework\b|\bstock",
    re.IGNORECASE,
)
_NEGO = re.compile(
    r"네고|깎|할인|에누리|싸게|저렴|가격|얼마|더\s*내려|빼\s*주|\bnego|\bdiscount|cheaper|lower|price",
    re.IGNORECASE,
)
_AGREE = re.compile(
    r"좋아요|좋습니다|콜|오케이|\bok(?:ay)?\b|\bdeal\b|그렇게\s*(?:할게요|하죠|해요|해\s*주세요)|"
    r"그\s*가격(?:에|으로)\s*(?:살게요|구매|할게요|주세요)|살게요|구매할게요|입금할게요",
    re.IGNORECASE,
)
_THAT_PRICE = re.compile(r"그\s*가격")
_GREETING = re.compile(
    r"안녕|하이|반갑|저기요|실례|\bhello\b|\bhi\b|\bhey\b|구매\s*(?:하고|원)|관심", re.IGNORECASE
)
_QUESTION = re.compile(
    r"\?|까요|나요|인가요|있어요\?|어때요|언제|어디|몇|무슨|어떤|어떻게|상태|하자|기스|스크래치|흠집|"
    r"박스|구성|정품|보증|배터리|사용감|직거래|택배|배송|택포|\bcondition|\bwhen\b|\bwhere\b|\bhow\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?。])\s+|\n+")
_WORD = re.compile(r"[가-힣A-Za-z0-9]+")


def best_sentence(question: str, description: str) -> str:
    """The description sentence sharing most syllable bigrams with the question, skipping
    sentences that carry amounts (they could state a price the decision did not choose)."""
    grams = _bigrams(question)
    best, best_score = "", 0
    for sentence in _SENTENCE.split(description):
        sentence = sentence.strip()
        if not sentence or find_amounts(sentence):
            continue
        score = len(grams & _bigrams(sentence))
        if score > best_score:
            best, best_score = sentence, score
    return best[:120]


def _bigrams(text: str) -> set[str]:
    out: set[str] = set()
    for word in _WORD.findall(text.lower()):
        out.update(word[i : i + 2] for i in range(max(1, len(word) - 1)))
    return out


# --- the Advisor ------------------------------------------------------------------------------


@dataclass
class AdvisorState:
    own_offer: int  # the seller's standing offer; starts at the list price
    own_offers: list[int] = field(default_factory=list)  # every price the seller has quoted
    buyer_offers: list[int] = field(default_factory=list)
    rounds: int = 0  # buyer messages seen
    price_rounds: int = 0  # buyer messages that named a price: the clock of the time tactic
    greeted: bool = False
    closed: bool = False
    result: str | None = None  # ACCEPT | DENY once closed
    final_price: int | None = None


class Advisor:
    def __init__(self, policy: SellerPolicy, *, description: str = "", state: dict | None = None) -> None:
        self.policy = policy
        self.description = description
        self.state = AdvisorState(own_offer=policy.list_price)
        if state:
            self.state = _state_from_dict(state, policy)

    # Persistence: the site keeps this per chat session between turns in different workers.
    def to_state(self) -> dict[str, Any]:
        return {"version": STATE_VERSION, **asdict(self.state)}

    @classmethod
    def from_state(cls, state: dict, *, policy: SellerPolicy, description: str = "") -> Advisor:
        return cls(policy, description=description, state=state)

    # --- the strategy's pure functions ---

    def target(self, t: int) -> float:
        """Faratin's time-dependent target at negotiation round t of T."""
        p = self.policy
        horizon = max(1, p.rounds - 1)  # the last round is the closing one
        share = min(1.0, t / horizon) ** (1.0 / p.params.beta)
        return p.list_price - (p.list_price - p.floor_price) * share

    def next_offer(self, buyer_offer: int | None, *, limit: int) -> int:
        """The seller's next offer: the time target mixed with relative tit-for-tat."""
        s, p = self.state, self.policy
        time_target = self.target(s.price_rounds)
        reciprocal = float(s.own_offer)
        previous = max(s.buyer_offers) if s.buyer_offers else None
        if buyer_offer is not None and previous and buyer_offer > previous:
            ratio = previous / buyer_offer  # < 1: the buyer conceded by this factor
            reciprocal = s.own_offer * ratio**p.params.reciprocity
        w = p.params.time_weight
        raw = w * time_target + (1 - w) * reciprocal
        return natural_offer(raw, floor=limit, ceiling=s.own_offer, step=price_step(p.list_price))

    def _limit(self, market: Market | None) -> int:
        """The lowest price the seller may take: the floor, or a better standing offer."""
        best = market.best_other_offer if market else None
        return max(self.policy.floor_price, best or 0)

    # --- one buyer message -> one decision ---

    def decide(self, message: str, *, market: Market | None = None) -> Decision:
        s, p = self.state, self.policy
        if s.closed:
            act = Act.FINAL_ACCEPT if s.result == ACCEPT else Act.FINAL_DENY
            price = s.final_price if s.result == ACCEPT else s.own_offer
            return self._decision(act, price, "already_closed", market=market, closed=True)
        s.rounds += 1
        decision = self._decide(message, market)
        if not decision.closed and s.rounds >= p.rounds:
            decision = self._close_at_deadline(decision, market)
        if decision.act in OFFER_ACTS and decision.price is not None:
            s.own_offers.append(decision.price)
        return decision

    def _decide(self, message: str, market: Market | None) -> Decision:
        p = self.policy
        limit = self._limit(market)
        final = final_offer_price(message)
        if _TOKEN_TYPED.search(message) or _MANIPULATION.search(message):
            return self._decision(Act.REFUSE, None, "manipulation", market=market)
        if _FALSE_CLAIM.search(message):
            return self._decision(Act.REFUSE, None, "false_claim", market=market)
        if final is not None:
            return self._final(final, limit, market)
        if _ABUSE.search(message):
            return self._decision(Act.REFUSE, None, "abuse", market=market)
        offer = parse_price(message, list_price=p.list_price)
        if offer == 0 or (offer is None and _FREE.search(message)):
            return self._decision(Act.REFUSE, None, "free_request", market=market)
        if offer is None:
            return self._no_price(message, limit, market)
        return self._offer(offer, limit, market)

    def _no_price(self, message: str, limit: int, market: Market | None) -> Decision:
        s = self.state
        # "좋아요, 그 가격에 살게요": the buyer takes the standing offer.
        if _AGREE.search(message) and "?" not in message and not _NEGO.search(_THAT_PRICE.sub("", message)):
            if s.own_offer >= limit:
                return self._accept(s.own_offer, "buyer_agreed", market)
            return self._decision(Act.DENY, None, "better_standing_offer", market=market)
        if _OFF_TOPIC.search(message) and not _NEGO.search(message):
            return self._decision(Act.REFUSE, None, "off_topic", market=market)
        if _QUESTION.search(message) and not _NEGO.search(message):
            detail = best_sentence(message, self.description)
            return self._decision(Act.ANSWER, None, "question", market=market, detail=detail)
        if not s.greeted and _GREETING.search(message) and not _NEGO.search(message):
            s.greeted = True
            return self._decision(Act.GREET, s.own_offer, "greeting", market=market)
        return self._decision(Act.HOLD, s.own_offer, "no_offer", market=market)

    def _offer(self, offer: int, limit: int, market: Market | None) -> Decision:
        s, p = self.state, self.policy
        if offer >= s.own_offer and s.own_offer >= limit:
            return self._accept(s.own_offer, "meets_own_offer", market, buyer_offer=offer)
        s.price_rounds += 1
        previous = max(s.buyer_offers) if s.buyer_offers else None
        try:
            if previous is not None and offer < previous:
                return self._decision(
                    Act.DENY, s.own_offer, "offer_lowered", market=market, buyer_offer=offer
                )
            if offer < p.list_price * p.params.lowball:
                return self._decision(Act.DENY, s.own_offer, "lowball", market=market, buyer_offer=offer)
            counter = self.next_offer(offer, limit=limit)
            if offer >= counter and offer >= limit:
                return self._accept(offer, "meets_target", market, buyer_offer=offer)
            if counter < limit:  # only when a better standing offer arrived after our offer
                return self._decision(
                    Act.DENY, None, "better_standing_offer", market=market, buyer_offer=offer
                )
            if counter < s.own_offer:
                s.own_offer = counter
                return self._decision(Act.COUNTER, counter, "concession", market=market, buyer_offer=offer)
            return self._decision(Act.HOLD, s.own_offer, "at_limit", market=market, buyer_offer=offer)
        finally:
            s.buyer_offers.append(offer)

    def _final(self, offer: int, limit: int, market: Market | None) -> Decision:
        s, p = self.state, self.policy
        s.buyer_offers.append(offer)
        if offer >= s.own_offer and s.own_offer >= limit:
            return self._close(Act.FINAL_ACCEPT, min(offer, s.own_offer), "meets_own_offer", market, offer)
        threshold = limit + (s.own_offer - limit) * p.params.final_keep
        if offer >= limit and offer >= threshold:
            return self._close(Act.FINAL_ACCEPT, offer, "final_offer_accepted", market, offer)
        s.price_rounds += 1
        counter = self.next_offer(offer, limit=limit)
        if counter < limit:
            return self._decision(
                Act.FINAL_DENY, None, "better_standing_offer", market=market, buyer_offer=offer
            )
        s.own_offer = counter
        return self._decision(Act.FINAL_DENY, counter, "final_offer_low", market=market, buyer_offer=offer)

    def _close_at_deadline(self, decision: Decision, market: Market | None) -> Decision:
        """The last round: take the buyer's best acceptable offer, or end with a final no."""
        s, p = self.state, self.policy
        limit = self._limit(market)
        if decision.act in ACCEPT_ACTS:
            return self._close(Act.FINAL_ACCEPT, decision.price, "deadline", market, decision.buyer_offer)
        best = max(s.buyer_offers, default=0)
        threshold = limit + (s.own_offer - limit) * p.params.final_keep
        if best >= limit and best >= threshold:
            return self._close(Act.FINAL_ACCEPT, min(best, s.own_offer), "deadline", market, best)
        price = s.own_offer if s.own_offer >= limit else None
        return self._close(Act.FINAL_DENY, price, "deadline", market, decision.buyer_offer)

    def _accept(
        self, price: int, reason: str, market: Market | None, *, buyer_offer: int | None = None
    ) -> Decision:
        # Agreeing in free text fixes the seller's offer; the deal closes with the final offer.
        self.state.own_offer = min(self.state.own_offer, price)
        return self._decision(Act.ACCEPT, price, reason, market=market, buyer_offer=buyer_offer)

    def _close(
        self, act: Act, price: int | None, reason: str, market: Market | None, buyer_offer: int | None
    ) -> Decision:
        s = self.state
        s.closed = True
        s.result = ACCEPT if act is Act.FINAL_ACCEPT else DENY
        s.final_price = price if act is Act.FINAL_ACCEPT else None
        return self._decision(act, price, reason, market=market, buyer_offer=buyer_offer, closed=True)

    def _decision(
        self,
        act: Act,
        price: int | None,
        reason: str,
        *,
        market: Market | None,
        buyer_offer: int | None = None,
        closed: bool = False,
        detail: str = "",
    ) -> Decision:
        s, p = self.state, self.policy
        return Decision(
            act=act,
            price=price,
            reason=reason,
            quote=price is not None and price != p.floor_price,
            buyer_offer=buyer_offer,
            round=s.rounds,
            rounds_left=max(0, p.rounds - s.rounds),
            others_interested=market.others if market else 0,
            closed=closed,
            detail=detail,
        )


def _state_from_dict(data: dict, policy: SellerPolicy) -> AdvisorState:
    known = {f.name for f in fields(AdvisorState)}
    state = AdvisorState(**{k: v for k, v in data.items() if k in known})
    # A stored state is trusted for bookkeeping only, never for the price bounds.
    state.own_offer = max(min(int(state.own_offer), policy.list_price), policy.floor_price)
    return state
