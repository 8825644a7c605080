"""The original NELLM's approach (shared/REFERENCE.md), for `evaluate --baseline` only.

The model decides and words each turn itself: its prompt is the original's template without any
Advisor hint (`render_prompt(decision=None)`), and what it does is read from its own words
(`hint_from_seller_message`, the same reading that labels training data). Around it only the
original's rules, none of this product's Advisor, streaming guard or realizer fallback:

* before generation, a forced prefix: a canned refusal when the buyer offers less than the floor
  or less than its own earlier offer; on a final offer `##<P>##`, `##<거절>##` below the last
  price either side named (the list price before any) and `##<수락>##` at or above the seller's
  lowest quote, the model choosing only in between (a reply with neither token is a refusal);
* after generation, regular expressions: role labels cut, and every price above the seller's
  current level (its lowest quote so far) rewritten down to that level.

Nothing stops the model from stating or agreeing to a price below the floor in free text: the
baseline's safety violations are what the Advisor and the guard prevent. Two differences from the
original, both in the baseline's favour: the floor is the seller's own (the original's was 40% of
the list price) and prices are read with this product's parser (the original's crashed or misread
many forms). The model does not see the forced prefix (generators take no prefix); its words
follow it. A generator that raises shows "Out of Memory", as the original showed every error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from mlcore.language.prices import find_amounts, format_won, parse_price
from mlcore.llm.template import hint_from_seller_message
from mlcore.negotiator.advisor import Act, Decision, SellerPolicy
from mlcore.negotiator.guard import ROLE_LABEL
from mlcore.negotiator.pipeline import Turn
from mlcore.schema import ACCEPT_TOKEN, BUYER, DENY_TOKEN, Event, Listing, final_offer_price

REFUSAL = "그 가격은 어렵습니다."
ERROR_TEXT = "Out of Memory"


class OriginalSeller:
    """A seller turn as the original made one; the same `respond` as `Negotiator`."""

    def __init__(self, *, policy: SellerPolicy, listing: Listing, generator: Any) -> None:
        self.policy, self.listing, self.generator = policy, listing, generator
        self.level = listing.price  # the seller's lowest quote so far
        self.last_named = listing.price  # the last price either side named
        self.buyer_offer: int | None = None  # the buyer's last offer
        self.buyer_named: list[int] = []
        self.rounds = 0
        self.closed = False

    def respond(
        self,
        buyer_message: str,
        *,
        history: Sequence[Event] = (),
        market: Any = None,
        on_chunk: Callable[[str], None] | None = None,
    ) -> Turn:
        self.rounds += 1
        conversation = [*history, Event(BUYER, buyer_message)]
        final = final_offer_price(buyer_message)
        if final is not None:
            turn = self._final(final, conversation)
        else:
            turn = self._chat(buyer_message, conversation)
        (on_chunk or (lambda _piece: None))(turn.text)
        return turn

    def _words(self, conversation: list[Event]) -> tuple[str, str | None]:
        """The model's reply, no hint in its prompt, role labels cut; and why it failed, if it did."""
        try:
            raw = "".join(self.generator.stream(listing=self.listing, history=conversation, decision=None))
        except Exception as exc:  # the original showed every error as "Out of Memory"
            return ERROR_TEXT, f"{type(exc).__name__}: {exc}"[:200]
        return ROLE_LABEL.sub("", raw).strip(), None

    def _final(self, price: int, conversation: list[Event]) -> Turn:
        self.closed = True
        failure = None
        if price < self.last_named:
            text, accepted = DENY_TOKEN, False
        elif price >= self.level:
            text, accepted = ACCEPT_TOKEN, True
        else:  # between the two the model chooses, by the token it writes
            words, failure = self._words(conversation)
            accepted = ACCEPT_TOKEN in words and DENY_TOKEN not in words
            text = self._rewritten(words)
        act = Act.FINAL_ACCEPT if accepted else Act.FINAL_DENY
        decision = Decision(
            act, price=price, quote=accepted, buyer_offer=price, round=self.rounds, closed=True
        )
        return Turn(decision, text, self.generator.name, repaired=False, failure=failure)

    def _chat(self, message: str, conversation: list[Event]) -> Turn:
        offer = parse_price(message, list_price=self.listing.price, standing=self.level)
        lower = offer is not None and (
            offer < self.policy.floor_price or (self.buyer_offer is not None and offer < self.buyer_offer)
        )
        words, failure = self._words(conversation)
        text = self._rewritten(f"{REFUSAL} {words}" if lower else words)
        hint = hint_from_seller_message(
            text,
            listing=self.listing,
            floor=None,  # the original's model knew no floor: every price it wrote is its offer
            buyer_offer=offer,
            own_offer=self.level if self.level < self.listing.price else None,
            buyer_named=self.buyer_named,
        )
        if offer is not None:
            self.buyer_offer, self.last_named = offer, offer
            self.buyer_named.append(offer)
        if hint.price is not None:
            self.last_named = hint.price
            if hint.act in ("counter", "hold", "greet"):
                self.level = min(self.level, hint.price)
        decision = Decision(
            Act(hint.act),
            price=hint.price,
            quote=hint.price is not None,
            buyer_offer=offer,
            round=self.rounds,
        )
        return Turn(decision, text, self.generator.name, repaired=text != words, failure=failure)

    def _rewritten(self, text: str) -> str:
        """The original's one rule after the fact: a price above the seller's level comes down to it."""
        for amount in sorted(find_amounts(text), key=lambda a: a.start, reverse=True):
            if amount.value > self.level:
                text = text[: amount.start] + format_won(self.level) + text[amount.end :]
        return text
