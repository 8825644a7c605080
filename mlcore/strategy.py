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

from mlcore.facts import question_topic, reply
from mlcore.prices import parse_price
from mlcore.schema import ACCEPT, ACCEPT_TOKEN, DENY, DENY_TOKEN, final_offer_price

STATE_VERSION = 1
DEFAULT_DEADLINE = 12  # buyer messages; the original asked for a final price after 16 lines
MAX_FINAL_OFFERS = 3  # a third turned-down final offer ends the negotiation


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


# --- understanding the buyer (rules: cheap, predictable, and testable) -------------------------

# Prompt injection, role play and claims of authority: refused, whatever else the message says.
_INJECTION = re.compile(
    r"ignore\s+(?:all\s+)?(?:the\s+)?(?:previous|prior|above|earlier)|disregard|"
    r"(?:이전|앞의|앞|위의|위|기존)\s*(?:의\s*)?(?:지시|명령|설정|규칙)|"
    r"(?:지시|명령|규칙|설정|프롬프트)(?:를|은|는|을|들)?\s*(?:모두\s*|다\s*|전부\s*)?무시|"
    r"시스템\s*프롬프트|프롬프트|system\s*prompt|\bprompt\b|jailbreak|developer\s+mode|개발자\s*모드|"
    r"\badmin\b|administrator|관리자|운영자|moderator|\bsudo\b|"
    r"(?:판매자|구매자|seller|buyer|system|assistant|시스템)\s*[:：]|\[\s*(?:system|시스템|admin)\s*\]|"
    r"(?:너는|넌|당신은)\s*(?:이제|지금|앞으로|오늘)|(?:이제|지금|앞으로)\s*부터\s*(?:너는|넌|당신은|너|당신)|"
    r"역할\s*(?:극|놀이|을|를|바꿔)|인\s*척\s*(?:해|하)|처럼\s*(?:행동|대답|말)해|연기해|"
    r"you\s+are\s+now|act\s+as|pretend|role\s*-?\s*play|"
    r"출력\s*(?:해|하|해줘|해\s*주)|프린트\s*해|설정(?:된|값)|\bjson\b|\bprint\b",
    re.IGNORECASE,
)
# Asking for the floor. A demand to reveal it is refused; a plain question ("마지노선이 얼마예요?")
# is what real buyers ask, and gets what a real seller says: "얼마 생각하세요?".
_FLOOR_ASK = re.compile(
    r"최저|최소\s*(?:가격|금액)|하한\s*가?|마지노선|바닥\s*가|한계\s*가격|"
    r"(?:얼마|어디|몇)\s*까지\s*(?:만\s*)?(?:깎|깍|빼|해|되|돼|가능|네고|내려|할인|드|맞춰|주)|"
    r"최대\s*(?:얼마|몇|로)\s*(?:까지)?\s*(?:깎|깍|빼|할인|네고|내려|해|되|돼)?|제일\s*싸게|"
    r"floor|minimum\s+price|lowest\s+(?:price|you)|reserve\s+price|bottom\s+(?:price|line)|"
    r"how\s+(?:low|much\s+lower)",
    re.IGNORECASE,
)
_REVEAL = re.compile(
    r"알려|말해|말씀해\s*주|공개|보여|밝혀|솔직하게|까놓고|\btell\b|\bshow\b|\breveal\b|\bgive\s+me\b",
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
    r"씨발|시발|ㅅㅂ|ㅆㅂ|개새|새끼|병신|ㅂㅅ|ㅄ|존나|좆|닥쳐|닥치|꺼져|꺼지|미친놈|미친년|미쳤|지랄|ㅈㄹ|"
    r"사기꾼|사기\s*(?:치|냐|네)|도둑|양심\s*(?:없|어디|좀|챙)|장난\s*(?:하|치|함)|등신|또라이|돌았|"
    r"제정신|바가지|눈탱이|뒤질|ㅗ|"
    r"\bfuck|\bshit\b|\bidiot\b|\bstupid\b|\bbitch\b|\basshole\b|\bscam(?:mer)?\b|\bripoff\b",
    re.IGNORECASE,
)
_FREE = re.compile(r"무료|나눔|공짜|그냥\s*주세요|\bfree\b|\bfor\s+nothing\b", re.IGNORECASE)
_OFF_TOPIC = re.compile(
    r"날씨|주식|코인|비트코인|정치|대통령|선거|숙제|과제|코딩|코드\s*(?:짜|작성)|번역|레시피|요리법|"
    r"\bpoem\b|\bweather\b|\bcode\b|\bpython\b|\btranslate\b|\brecipe\b|\bhomework\b|\bstock",
    re.IGNORECASE,
)
_NEGO = re.compile(
    r"네고|깎|깍|할인|에누리|에눌|싸게|저렴|가격|얼마(?!나)|더\s*내려|빼\s*주|"
    r"\bnego|\bdiscount|cheaper|lower|price",
    re.IGNORECASE,
)
# Taking the seller's standing offer in words. Plain buying words ("살게요") take it at any time;
# bare assent ("좋아요", "그걸로 할게요") only once the seller has named a price to assent to.
_BUY = re.compile(
    r"그\s*가격(?:에|으로)\s*(?:살게요|구매|할게요|주세요|갈게요|거래)|"
    r"살게요|사겠습니다|구매할게요|구매하겠습니다|입금할게요|거래할게요|가져갈게요|데려갈게요",
    re.IGNORECASE,
)
_AGREE = re.compile(
    r"좋아요|좋습니다|좋네요|콜(?!라)|오케이|ㅇㅋ|\bok(?:ay)?\b|\bdeal\b|알겠습니다|알겠어요|"
    r"그렇게\s*(?:할게요|하죠|해요|해\s*주세요|하겠습니다|주세요)|"
    r"그(?:걸|거|것)?\s*(?:로|으로)\s*(?:할게요|하겠습니다|해요|하죠|살게요|주세요|갈게요)",
    re.IGNORECASE,
)
_THAT_PRICE = re.compile(r"그\s*가격")
_GREETING = re.compile(
    r"안녕|하이|ㅎㅇ|반갑|방가|저기요|실례|\bhello\b|\bhi\b|\bhey\b|구매\s*(?:하고|원)|관심|"
    r"문의\s*(?:드려요|드립니다|드릴게요|요|합니다|해요)|연락\s*드(?:려요|렸어요|립니다)",
    re.IGNORECASE,
)
# Asking for shipping to be included in the price (택포): a price request, not a trade question.
_SHIPPING_INCLUDED = re.compile(
    r"택포|택배비\s*(?:포함|까지|빼)|배송비\s*(?:포함|까지|빼|무료)|무료\s*배송|무배"
)
_AVAILABLE = re.compile(
    r"(?:아직|지금|현재)\s*(?:도\s*)?(?:판매\s*중|팔|파시|있|남아|거래\s*(?:가능|되)|구매\s*가능|살\s*수)|"
    r"판매\s*(?:중|하시는\s*거)\s*(?:이신가요|인가요|이에요|이죠|이세요|맞|인지|\?)|판매\s*중\s*\?|"
    r"(?<!직)(?<!택배\s)구매\s*(?:가능|되나|할\s*수)|(?<!직)거래\s*(?:가능|되나)(?:한가요|할까요|하신가요|해요|요)?\s*\?|"
    r"팔렸|팔려(?:요)?\s*[?？]|파나요|파시나요|판매\s*(?:됐|되었|완료)|예약\s*(?:중|됐|되었)|살\s*수\s*있|\bstill\s+(?:available|for\s+sale)\b|"
    r"\bis\s+(?:it|this)\s+available\b",
    re.IGNORECASE,
)
_THANKS = re.compile(
    r"감사(?:합니다|해요|드려요|드립니다)|고마워|고맙|ㄳ|ㄱㅅ|\bthanks?\b|\bthank\s+you\b", re.I
)
_BYE = re.compile(
    r"안녕히|다음에\s*(?:올게요|연락|살게요|봬요|뵐게요)|수고하세요|수고하셨|좋은\s*하루|들어가세요|"
    r"생각해\s*(?:보고|볼게요|보겠습니다)|고민해\s*(?:보고|볼게요|보겠습니다)|있다가\s*연락|나중에\s*연락|"
    r"\bbye\b|\bgoodbye\b|\bsee\s+you\b",
    re.IGNORECASE,
)
_BUNDLE = re.compile(
    r"(?:두|세|네|여러|2|3|4)\s*개\s*(?:사면|살게|구매|같이|다|한꺼번에)|(?:같이|함께|한꺼번에)\s*(?:사면|구매|살게)|"
    r"묶음|일괄|세트로|다른\s*(?:물건|상품|것|거)\s*(?:도|이랑|하고|랑)|\bbundle\b",
    re.IGNORECASE,
)
_QUESTION = re.compile(
    r"\?|까요|나요|인가요|있어요\?|어때요|언제|어디|몇|무슨|어떤|어떻게|상태|하자|기스|스크래치|흠집|"
    r"박스|구성|정품|보증|배터리|사용감|직거래|택배|배송|택포|궁금|\bcondition|\bwhen\b|\bwhere\b|\bhow\b",
    re.IGNORECASE,
)


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
        if _TOKEN_TYPED.search(message) or _INJECTION.search(message):
            return self._decision(Act.REFUSE, None, "manipulation", market=market, topic="injection")
        if _FLOOR_ASK.search(message) and _REVEAL.search(message):
            return self._decision(Act.REFUSE, None, "manipulation", market=market, topic="floor")
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
        nego = _NEGO.search(_THAT_PRICE.sub("", message))
        # "좋아요, 그 가격에 살게요" after the seller named a price: the buyer takes it.
        agrees = _BUY.search(message) or (s.own_offers and _AGREE.search(message))
        if agrees and "?" not in message and not nego:
            if s.own_offer >= limit:
                return self._accept(s.own_offer, "buyer_agreed", market)
            return self._decision(Act.DENY, None, "better_standing_offer", market=market)
        if _FLOOR_ASK.search(message):  # "마지노선이 얼마예요?": invite an offer at the standing one
            return self._decision(Act.HOLD, s.own_offer, "floor_question", market=market, topic="floor")
        if _OFF_TOPIC.search(message) and not nego:
            return self._decision(Act.REFUSE, None, "off_topic", market=market)
        if _SHIPPING_INCLUDED.search(message):  # "택포로 해주시면 안 되나요?": the price holds
            return self._decision(Act.HOLD, s.own_offer, "shipping_included", market=market, topic="shipping")
        greeting = bool(_GREETING.search(message)) and not s.greeted
        reason = "greeting" if greeting else "question"
        if _BUNDLE.search(message):
            s.greeted = s.greeted or greeting
            return self._decision(Act.ANSWER, None, reason, market=market, topic="bundle")
        topic = question_topic(message)
        available = bool(_AVAILABLE.search(message))
        if not nego and (topic or (_QUESTION.search(message) and not available)):
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
        if not nego and (_THANKS.search(message) or _BYE.search(message)):
            topic = "bye" if _BYE.search(message) else "thanks"
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
