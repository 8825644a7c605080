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
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any

from mlcore.language import intents
from mlcore.language.facts import question_topic, reply
from mlcore.language.prices import parse_price
from mlcore.schema import ACCEPT, DENY, Act, final_offer_price

STATE_VERSION = 1
DEFAULT_DEADLINE = 12  # buyer messages; the original asked for a final price after 16 lines
MAX_FINAL_OFFERS = 3  # a third turned-down final offer ends the negotiation


class Style(StrEnum):
    FIRM = "firm"
    BALANCED = "balanced"
    FLEXIBLE = "flexible"


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
    # The most one message may win: this share of the zone still open (own offer - limit), so
    # the floor cannot be fished out in a few messages whatever the buyer's offers.
    max_concession: float


STYLES: dict[Style, StyleParams] = {
    Style.FIRM: StyleParams(
        beta=0.5,
        reciprocity=0.4,
        time_weight=0.5,
        final_keep=0.5,
        lowball=0.6,
        max_concession=0.15,
    ),
    Style.BALANCED: StyleParams(
        beta=1.0,
        reciprocity=0.7,
        time_weight=0.5,
        final_keep=0.25,
        lowball=0.5,
        max_concession=0.25,
    ),
    Style.FLEXIBLE: StyleParams(
        beta=2.5,
        reciprocity=1.0,
        time_weight=0.5,
        final_keep=0.0,
        lowball=0.35,
        max_concession=0.35,
    ),
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
        # A floor of 0 is the seller's choice (any price will do); the bot still haggles.
        if not 0 <= self.floor_price <= self.list_price:
            raise ValueError("floor_price must be between 0 and the list price")
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
    detail: str = ""  # the description's answer to the buyer's question, rephrased in 해요체
    topic: str = ""  # what an answer, greeting or refusal is about ("battery", "availability", …)
    missing: str = ""  # what the buyer asked that the description does not say ("박스")

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


# --- the Advisor ------------------------------------------------------------------------------


@dataclass
class AdvisorState:
    own_offer: int  # the seller's standing offer; starts at the list price
    own_offers: list[int] = field(default_factory=list)  # every price the seller has quoted
    buyer_offers: list[int] = field(default_factory=list)
    # Offers the seller took seriously (not refused lowballs): the reciprocity baseline.
    serious_offers: list[int] = field(default_factory=list)
    rounds: int = 0  # buyer messages seen
    price_rounds: int = 0  # buyer messages that named a price: the clock of the time tactic
    greeted: bool = False
    agreed: bool = False  # the seller agreed to its standing offer; the final offer is awaited
    closed: bool = False
    result: str | None = None  # ACCEPT | DENY once closed
    final_price: int | None = None
    final_offers: int = 0  # final offers turned down so far


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
        previous = max(s.serious_offers) if s.serious_offers else None
        if buyer_offer is not None and previous and buyer_offer > previous:
            ratio = previous / buyer_offer  # < 1: the buyer conceded by this factor
            reciprocal = s.own_offer * ratio**p.params.reciprocity
        w = p.params.time_weight
        raw = w * time_target + (1 - w) * reciprocal
        step = price_step(p.list_price)
        # The cap, rounded up to a natural amount so that rounding never concedes more.
        capped = math.ceil((s.own_offer - self.max_concession(limit)) / step) * step
        offer = natural_offer(max(raw, capped), floor=limit, ceiling=s.own_offer, step=step)
        # Rounding to a natural amount can swallow a small concession whole, so the seller
        # would answer a fair first offer by repeating the list price; a balanced or flexible
        # seller gives one step instead, as people do ("40만원은 어렵고 39만원까지 해드릴게요").
        if offer == s.own_offer and raw < s.own_offer and p.params.beta >= 1.0:
            offer = natural_offer(s.own_offer - step, floor=limit, ceiling=s.own_offer, step=step)
        return offer

    def max_concession(self, limit: int) -> float:
        """The most the seller gives in one message (one price step aside, see `next_offer`)."""
        return max(0, self.state.own_offer - limit) * self.policy.params.max_concession

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
        if intents.is_manipulation(message):
            return self._decision(Act.REFUSE, None, "manipulation", market=market, topic="injection")
        if intents.demands_floor(message):
            return self._decision(Act.REFUSE, None, "manipulation", market=market, topic="floor")
        if intents.claims_agreement(message):
            return self._decision(Act.REFUSE, None, "false_claim", market=market)
        if final is not None:
            return self._final(final, limit, market)
        if intents.is_abusive(message):
            return self._decision(Act.REFUSE, None, "abuse", market=market)
        offer = parse_price(message, list_price=p.list_price, standing=self.state.own_offer)
        if offer == 0 or (offer is None and intents.asks_free(message)):
            return self._decision(Act.REFUSE, None, "free_request", market=market)
        if offer is None:
            return self._no_price(message, limit, market)
        return self._offer(offer, limit, market)

    def _no_price(self, message: str, limit: int, market: Market | None) -> Decision:
        s = self.state
        nego = intents.talks_price(message)
        # "좋아요, 그 가격에 살게요" after the seller named a price: the buyer takes it.
        agrees = intents.takes_offer(message, price_named=bool(s.own_offers))
        if agrees and "?" not in message and (not nego or intents.takes_list_price(message)):
            if s.own_offer >= limit:
                return self._accept(s.own_offer, "buyer_agreed", market)
            return self._decision(Act.DENY, None, "better_standing_offer", market=market)
        if intents.asks_floor(message):  # "마지노선이 얼마예요?": invite an offer at the standing one
            return self._decision(Act.HOLD, s.own_offer, "floor_question", market=market, topic="floor")
        if intents.is_off_topic(message) and not nego:
            return self._decision(Act.REFUSE, None, "off_topic", market=market)
        if intents.asks_shipping_included(message):  # "택포로 해주시면 안 되나요?": the price holds
            return self._decision(Act.HOLD, s.own_offer, "shipping_included", market=market, topic="shipping")
        greeting = intents.is_greeting(message) and not s.greeted
        reason = "greeting" if greeting else "question"
        for topic, asks in (
            ("other_item", intents.asks_other_item),
            ("photo", intents.asks_photo),
            ("contact", intents.asks_contact),
        ):
            if asks(message) and not nego:  # what the site itself answers, not the description
                s.greeted = s.greeted or greeting
                return self._decision(Act.ANSWER, None, reason, market=market, topic=topic)
        if intents.asks_bundle(message):
            s.greeted = s.greeted or greeting
            return self._decision(Act.ANSWER, None, reason, market=market, topic="bundle")
        topic = question_topic(message)
        available = intents.asks_availability(message)
        if not nego and (topic or (intents.is_question(message) and not available)):
            s.greeted = s.greeted or greeting
            found = reply(message, self.description)
            return self._decision(
                Act.ANSWER,
                None,
                reason,
                market=market,
                detail=found.detail,
                topic=found.topic,
                missing=found.missing,
            )
        if available:
            s.greeted = s.greeted or greeting
            return self._decision(Act.ANSWER, None, reason, market=market, topic="availability")
        if not nego and (intents.is_thanks(message) or intents.is_goodbye(message)):
            topic = "bye" if intents.is_goodbye(message) else "thanks"
            if s.agreed and s.own_offer >= limit:  # after agreeing: the agreed price and next step
                return self._decision(Act.ACCEPT, s.own_offer, topic, market=market, topic=topic)
            return self._decision(Act.GREET, None, topic, market=market, topic=topic)
        if greeting and not nego:
            s.greeted = True
            return self._decision(Act.GREET, s.own_offer, "greeting", market=market, topic="hello")
        return self._decision(Act.HOLD, s.own_offer, "no_offer", market=market)

    def _offer(self, offer: int, limit: int, market: Market | None) -> Decision:
        s, p = self.state, self.policy
        if offer >= s.own_offer and s.own_offer >= limit:
            return self._accept(s.own_offer, "meets_own_offer", market, buyer_offer=offer)
        s.price_rounds += 1
        previous = max(s.buyer_offers) if s.buyer_offers else None
        serious = False
        try:
            if previous is not None and offer < previous:
                return self._decision(
                    Act.DENY, s.own_offer, "offer_lowered", market=market, buyer_offer=offer
                )
            if offer < p.list_price * p.params.lowball:
                return self._decision(Act.DENY, s.own_offer, "lowball", market=market, buyer_offer=offer)
            serious = True
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
            if serious:
                s.serious_offers.append(offer)

    def _final(self, offer: int, limit: int, market: Market | None) -> Decision:
        s, p = self.state, self.policy
        s.buyer_offers.append(offer)
        if offer >= p.list_price * p.params.lowball:
            s.serious_offers.append(offer)
        if offer >= s.own_offer and s.own_offer >= limit:
            # `##<수락>##` takes the buyer's own price (the protocol), never above the list price.
            return self._close(Act.FINAL_ACCEPT, min(offer, p.list_price), "meets_own_offer", market, offer)
        threshold = limit + (s.own_offer - limit) * p.params.final_keep
        if offer >= limit and offer >= threshold:
            return self._close(Act.FINAL_ACCEPT, offer, "final_offer_accepted", market, offer)
        s.final_offers += 1
        if s.final_offers >= MAX_FINAL_OFFERS:
            # Final offers stepping up one by one would find the floor; a few is what people send.
            return self._close(Act.FINAL_DENY, max(s.own_offer, limit), "final_offers_used", market, offer)
        s.price_rounds += 1
        counter = self.next_offer(offer, limit=limit)
        if counter < limit:
            return self._decision(
                Act.FINAL_DENY, None, "better_standing_offer", market=market, buyer_offer=offer
            )
        s.own_offer = counter
        return self._decision(Act.FINAL_DENY, counter, "final_offer_low", market=market, buyer_offer=offer)

    def _close_at_deadline(self, decision: Decision, market: Market | None) -> Decision:
        """The last round: honour a price already agreed, else take the buyer's best acceptable
        offer, else end with a final no. Never below the limit (floor or a better standing offer)."""
        s, p = self.state, self.policy
        limit = self._limit(market)
        if decision.act in ACCEPT_ACTS:
            return self._close(Act.FINAL_ACCEPT, decision.price, "deadline", market, decision.buyer_offer)
        if s.agreed and s.own_offer >= limit:  # a word given is kept, not bargained down
            return self._close(Act.FINAL_ACCEPT, s.own_offer, "deadline_agreed", market, decision.buyer_offer)
        best = max(s.buyer_offers, default=0)
        threshold = limit + (s.own_offer - limit) * p.params.final_keep
        if best >= limit and best >= threshold:
            price = min(best, max(s.own_offer, limit))
            return self._close(Act.FINAL_ACCEPT, price, "deadline", market, best)
        price = s.own_offer if s.own_offer >= limit else None
        return self._close(Act.FINAL_DENY, price, "deadline", market, decision.buyer_offer)

    def _accept(
        self, price: int, reason: str, market: Market | None, *, buyer_offer: int | None = None
    ) -> Decision:
        # Agreeing in free text fixes the seller's offer; the deal closes with the final offer.
        self.state.own_offer = min(self.state.own_offer, price)
        self.state.agreed = True
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
        topic: str = "",
        missing: str = "",
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
            topic=topic,
            missing=missing,
        )


def _state_from_dict(data: dict, policy: SellerPolicy) -> AdvisorState:
    known = {f.name for f in fields(AdvisorState)}
    state = AdvisorState(**{k: v for k, v in data.items() if k in known})
    # A stored state is trusted for bookkeeping only, never for the price bounds.
    state.own_offer = max(min(int(state.own_offer), policy.list_price), policy.floor_price)
    return state
