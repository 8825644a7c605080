"""The Advisor: the seller's price strategy, decoupled from how its moves are worded.

He et al. 2018 ("Decoupling Strategy and Generation in Negotiation Dialogues") split a negotiator
into a strategy that picks a dialogue act with a price and a generator that words it; this module
is the strategy. Its concession tactic mixes two families from Faratin, Sierra & Jennings 1998
("Negotiation decision functions for autonomous agents"):

- time-dependent: target(t) = list - (list - floor) * (t / T) ** (1 / beta); beta < 1 is
  Boulware (holds near the list price until late), beta > 1 is Conceder;
- behaviour-dependent: relative tit-for-tat, the seller's offer shrinks by the ratio by which the
  buyer's offer grew, damped per style.

The strategy works down to the seller's secret reserve (`mlcore.negotiator.reserve`), never to
the floor itself, so that its answers cannot be probed for the floor. Free-text offers and final
offers are judged by one rule: a final offer is accepted exactly when the same price typed in the
chat at that point would be, and a price the bot has stated stays available to that buyer.

Invariants the tests check: the seller's offers never rise, it never offers or accepts below the
floor (nor below the reserve, unless it stated that price before), it never quotes the floor
amount itself, it concedes nothing below a better standing final offer of another buyer, and a
deal (`final_accept`) is only ever the answer to the buyer's own final offer. Questions and
greetings do not use up the buyer's rounds; once the price rounds are up, the bot concedes no
more and asks for the final offer instead of closing the chat by itself.
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
# Buyer messages naming a price before the bot asks for the final offer and concedes no more; the
# original asked for a final price after 16 lines (8 of the buyer's).
DEFAULT_DEADLINE = 8
MAX_FINAL_OFFERS = 3  # a third turned-down final offer ends the negotiation


class Style(StrEnum):
    FIRM = "firm"
    BALANCED = "balanced"
    FLEXIBLE = "flexible"


# Acts whose price is the seller's own standing offer (the "offers never rise" sequence).
OFFER_ACTS = frozenset({Act.COUNTER, Act.HOLD, Act.DENY, Act.FINAL_DENY})
ACCEPT_ACTS = frozenset({Act.ACCEPT, Act.FINAL_ACCEPT})
ACCEPTING = frozenset({"meets_own_offer", "meets_target", "last_chance"})  # `_judge`'s yes


@dataclass(frozen=True)
class StyleParams:
    beta: float  # Faratin's concession exponent: < 1 Boulware, > 1 Conceder
    reciprocity: float  # damping of the tit-for-tat ratio: 0 ignores the buyer, 1 mirrors it
    time_weight: float  # weight of the time tactic against tit-for-tat
    # On the buyer's last chance (one more no ends the chat), the share of the gap (own offer -
    # reserve) an offer must still cover to be taken.
    final_keep: float
    lowball: float  # offers under this share of the list price are denied without concession
    # The most one message may win: this share of the zone still open (own offer - limit).
    max_concession: float


STYLES: dict[Style, StyleParams] = {
    Style.FIRM: StyleParams(
        beta=0.5,
        reciprocity=0.4,
        time_weight=0.5,
        final_keep=0.0,  # the firm style holds through its Boulware curve instead
        lowball=0.6,
        max_concession=0.2,
    ),
    Style.BALANCED: StyleParams(
        beta=1.0,
        reciprocity=0.7,
        time_weight=0.5,
        final_keep=0.0,
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
    deadline: int | None = None  # in buyer messages naming a price; None means DEFAULT_DEADLINE
    # The secret acceptance line (`mlcore.negotiator.reserve.draw_reserve`); None: the floor.
    reserve: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "style", Style(self.style))
        if self.list_price <= 0:
            raise ValueError("list_price must be positive")
        # A floor of 0 is the seller's choice (any price will do); the bot still haggles.
        if not 0 <= self.floor_price <= self.list_price:
            raise ValueError("floor_price must be between 0 and the list price")
        if self.deadline is not None and self.deadline < 1:
            raise ValueError("deadline must be at least one round")
        if self.reserve is not None and not self.floor_price <= self.reserve <= self.list_price:
            raise ValueError("reserve must be between the floor and the list price")

    @property
    def rounds(self) -> int:
        return self.deadline or DEFAULT_DEADLINE

    @property
    def params(self) -> StyleParams:
        return STYLES[self.style]

    @property
    def limit(self) -> int:
        """The lowest price the strategy works towards: the reserve, or the floor without one."""
        return self.floor_price if self.reserve is None else self.reserve


@dataclass(frozen=True)
class Market:
    """What the site knows about the other chats on the same listing (1:n)."""

    # The best standing final offer (`##<price>##`) of another buyer, never a free-text number.
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
    ask_final: bool = False  # the price rounds are (nearly) up: the reply asks for the final offer
    # Another buyer's standing final offer is above this buyer's offer (said without its amount).
    higher_offer: bool = False

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
    # Buyer messages that named a price: the clock of the time tactic and of the deadline.
    price_rounds: int = 0
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

    def seller_stated(self, price: int) -> None:
        """The seller named `price` to the buyer in person: their word binds the bot, whose own
        offer from then on never stands above it (a buyer agreeing to it gets it). The caller
        builds the policy with a floor at most `price`, so a seller going below their own floor
        is honoured too. A higher price changes nothing: the bot's offers never rise."""
        s = self.state
        if s.closed or price >= s.own_offer:
            return
        s.own_offer = max(price, 0)
        s.own_offers.append(s.own_offer)

    # --- the strategy's pure functions ---

    def target(self, t: int) -> float:
        """Faratin's time-dependent target at negotiation round t of T."""
        p = self.policy
        horizon = max(1, p.rounds - 1)  # the last round is the closing one
        share = min(1.0, t / horizon) ** (1.0 / p.params.beta)
        return p.list_price - (p.list_price - p.limit) * share

    def aim(self, buyer_offer: int | None, *, limit: int) -> float:
        """Where the seller would go next, before rounding: the time target mixed with relative
        tit-for-tat, conceding at most `max_concession`. An offer at or above it is accepted."""
        s, p = self.state, self.policy
        time_target = self.target(s.price_rounds)
        reciprocal = float(s.own_offer)
        previous = max(s.serious_offers) if s.serious_offers else None
        if buyer_offer is not None and previous and buyer_offer > previous:
            ratio = previous / buyer_offer  # < 1: the buyer conceded by this factor
            reciprocal = s.own_offer * ratio**p.params.reciprocity
        w = p.params.time_weight
        raw = w * time_target + (1 - w) * reciprocal
        return max(raw, s.own_offer - self.max_concession(limit), limit)

    def next_offer(self, buyer_offer: int | None, *, limit: int) -> int:
        """The seller's next offer: `aim` rounded to a natural amount, above the limit, never
        above the standing offer."""
        s, p = self.state, self.policy
        aim = self.aim(buyer_offer, limit=limit)
        step = price_step(p.list_price)
        # The cap, rounded up to a natural amount so that rounding never concedes more.
        capped = math.ceil((s.own_offer - self.max_concession(limit)) / step) * step
        offer = natural_offer(max(aim, capped), floor=limit, ceiling=s.own_offer, step=step)
        # Rounding to a natural amount can swallow a concession whole, so the seller would answer
        # every offer by repeating its price; it gives one step instead, as people do ("40만원은
        # 어렵고 39만원까지 해드릴게요") — a firm seller only once the aim is half a step lower.
        gives_step = aim < s.own_offer if p.params.beta >= 1.0 else aim <= s.own_offer - step / 2
        if offer == s.own_offer and gives_step:
            offer = natural_offer(s.own_offer - step, floor=limit, ceiling=s.own_offer, step=step)
        return offer

    def max_concession(self, limit: int) -> float:
        """The most the seller gives in one message (one price step aside, see `next_offer`)."""
        return max(0, self.state.own_offer - limit) * self.policy.params.max_concession

    def _limit(self, market: Market | None) -> int:
        """The lowest price the seller concedes to: the reserve, or another buyer's better
        standing final offer (prices already stated to this buyer stay available regardless)."""
        best = market.best_other_offer if market else None
        return max(self.policy.limit, min(best or 0, self.policy.list_price))

    # --- one buyer message -> one decision ---

    def decide(self, message: str, *, market: Market | None = None) -> Decision:
        s = self.state
        if s.closed:
            act = Act.FINAL_ACCEPT if s.result == ACCEPT else Act.FINAL_DENY
            price = s.final_price if s.result == ACCEPT else s.own_offer
            return self._decision(act, price, "already_closed", market=market, closed=True)
        s.rounds += 1
        decision = self._decide(message, market)
        # Out of (or nearly out of) price rounds: ask for the final offer, never close by itself.
        decision.ask_final = (
            not decision.closed
            and decision.act in OFFER_ACTS
            and decision.rounds_left <= 1
            and s.price_rounds > 0
        )
        best = market.best_other_offer if market else None
        decision.higher_offer = (
            decision.act not in ACCEPT_ACTS
            and decision.buyer_offer is not None
            and best is not None
            and best > decision.buyer_offer
        )
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
            return self._accept(s.own_offer, "buyer_agreed", market)  # a stated price stays available
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
            if s.agreed:  # after agreeing: the agreed price and the next step, the final offer
                return self._decision(Act.ACCEPT, s.own_offer, topic, market=market, topic=topic)
            return self._decision(Act.GREET, None, topic, market=market, topic=topic)
        if greeting and not nego:
            s.greeted = True
            return self._decision(Act.GREET, s.own_offer, "greeting", market=market, topic="hello")
        return self._decision(Act.HOLD, s.own_offer, "no_offer", market=market)

    def _judge(self, offer: int, limit: int) -> tuple[str, int]:
        """What the seller does with `offer`, typed in the chat or sent as the final offer alike:
        (one of ACCEPTING, the price to accept) or ("offer_lowered" | "lowball" | "concession" |
        "at_limit", the seller's offer). Counts the price round and moves the seller's standing
        offer on a concession."""
        s, p = self.state, self.policy
        if offer >= s.own_offer:  # a price the seller stated stays available to this buyer
            return "meets_own_offer", s.own_offer
        s.price_rounds += 1
        previous = max(s.buyer_offers) if s.buyer_offers else None
        s.buyer_offers.append(offer)
        if previous is not None and offer < previous:
            return "offer_lowered", s.own_offer
        if offer < p.list_price * p.params.lowball:
            return "lowball", s.own_offer
        # Against the serious offers before this one: the reciprocity baseline.
        aim, counter = self.aim(offer, limit=limit), self.next_offer(offer, limit=limit)
        s.serious_offers.append(offer)
        if (
            s.final_offers >= MAX_FINAL_OFFERS - 1
            and offer >= limit + (s.own_offer - limit) * p.params.final_keep
        ):
            # One more no ends the chat: the seller takes an offer at its reserve or above (less
            # the share of the gap a style may keep back).
            return "last_chance", offer
        if s.price_rounds > p.rounds:  # past the deadline: no more concessions, only the final offer
            return "at_limit", s.own_offer
        if offer >= min(aim, counter) and offer >= limit:
            return "meets_target", offer
        if counter < s.own_offer and counter >= limit:
            s.own_offer = counter
            return "concession", counter
        return "at_limit", s.own_offer

    def _offer(self, offer: int, limit: int, market: Market | None) -> Decision:
        reason, price = self._judge(offer, limit)
        if reason in ACCEPTING:
            return self._accept(price, reason, market, buyer_offer=offer)
        act = {"concession": Act.COUNTER, "at_limit": Act.HOLD}.get(reason, Act.DENY)
        return self._decision(act, price, reason, market=market, buyer_offer=offer)

    def _final(self, offer: int, limit: int, market: Market | None) -> Decision:
        s, p = self.state, self.policy
        reason, price = self._judge(offer, limit)
        if reason in ACCEPTING:
            # `##<수락>##` takes the buyer's own price (the protocol), never above the list price.
            return self._close(Act.FINAL_ACCEPT, min(offer, p.list_price), reason, market, offer)
        s.final_offers += 1
        if s.final_offers >= MAX_FINAL_OFFERS:
            # Final offers stepping up one by one would find the reserve; a few is what people send.
            return self._close(Act.FINAL_DENY, s.own_offer, "final_offers_used", market, offer)
        return self._decision(Act.FINAL_DENY, price, reason, market=market, buyer_offer=offer)

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
            rounds_left=max(0, p.rounds - s.price_rounds),
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
