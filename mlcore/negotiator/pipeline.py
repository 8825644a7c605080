"""The one negotiation pipeline: Advisor decides, a generator words it, the guard checks it.

Used alike by the terminal chat, `replay`, the corpus self-play generator and the site's worker.
The generator may be the rule realizer or a language model; either way only text the guard has
accepted is ever passed on, even while streaming.
"""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from mlcore.negotiator.advisor import Act, Advisor, Decision, Market, SellerPolicy
from mlcore.negotiator.guard import ANY_TOKEN, check, guard_reply, safe_wording
from mlcore.negotiator.realizer import realize
from mlcore.schema import BUYER, Event, Listing

log = logging.getLogger(__name__)


class Generator(Protocol):
    name: str  # "rules" or "llm"

    def stream(self, *, listing: Listing, history: Sequence[Event], decision: Decision) -> Iterator[str]: ...


_CHUNK = re.compile(r"\S+\s*")


def chunks(text: str, *, words: int = 3) -> Iterator[str]:
    """`text` in pieces of a few words, whitespace kept, so joining them gives `text` back."""
    parts = _CHUNK.findall(text)
    lead = text[: len(text) - len(text.lstrip())]
    if lead and parts:
        parts[0] = lead + parts[0]
    for i in range(0, len(parts), words):
        yield "".join(parts[i : i + words])


class RuleGenerator:
    """The default generator: the realizer's wording, streamed a few words at a time."""

    name = "rules"

    def __init__(self, *, seed: int | None = None) -> None:
        self.rng = random.Random(seed)

    def stream(self, *, listing: Listing, history: Sequence[Event], decision: Decision) -> Iterator[str]:
        yield from chunks(realize(decision, listing=listing, rng=self.rng, history=history))


@dataclass
class Turn:
    decision: Decision
    text: str  # final, guarded text
    generator: str  # "rules" | "llm" | "openai" | "rules-fallback"
    repaired: bool  # the guard changed the generator's words
    failure: str | None = None  # the generator raised (out of memory, a dead server): why

    def to_dict(self) -> dict[str, Any]:
        data = {
            "decision": self.decision.to_dict(),
            "text": self.text,
            "generator": self.generator,
            "repaired": self.repaired,
        }
        if self.failure:
            data["failure"] = self.failure
        return data


# A piece of streamed text is released at the end of a sentence or clause, so that an amount
# is never checked half-written ("3만" of "3만5천원").
_BOUNDARY = re.compile(r"[.!?~。\n]+\s+|,\s+")
# The answers to a final offer. Their token is the protocol's, fixed by the act; the corpus keeps
# the original's bare pair (`##<price>##`, `##<수락>##`), so a model learns nothing else there and
# its answer came out bare (an accepted deal without a word of the next step) or was replaced as
# empty. The realizer words them on every backend: the token exact, the counter's price, the
# next step.
FINAL_ACTS = frozenset({Act.FINAL_ACCEPT, Act.FINAL_DENY})


class Negotiator:
    def __init__(
        self,
        *,
        policy: SellerPolicy,
        listing: Listing,
        generator: Generator | None = None,
        state: dict | None = None,
        seed: int | None = None,
    ) -> None:
        self.policy = policy
        self.listing = listing
        self.generator: Generator = generator or RuleGenerator(seed=seed)
        self.final_wording: Generator = self.generator if generator is None else RuleGenerator(seed=seed)
        self.advisor = Advisor(policy, description=listing.description, state=state)
        self.seed = seed or 0

    def to_state(self) -> dict:
        return self.advisor.to_state()

    @property
    def closed(self) -> bool:
        return self.advisor.state.closed

    def respond(
        self,
        buyer_message: str,
        *,
        history: Sequence[Event] = (),
        market: Market | None = None,
        on_chunk: Callable[[str], None] | None = None,
    ) -> Turn:
        """Decide, word and guard one seller turn; `history` is the conversation before
        `buyer_message`.

        `on_chunk` receives only text the guard has accepted as a prefix of the reply. When the
        guard stops the generator midway, the rest is the realizer's wording (also guarded), and
        `Turn.text` is the whole text streamed, so the stored reply is what the buyer saw.
        """
        decision = self.advisor.decide(buyer_message, market=market)
        emit = on_chunk or (lambda _piece: None)
        seed = self.seed + self.advisor.state.rounds
        emitted = ""
        pending = ""
        # The generator sees the conversation up to and including the message it answers.
        conversation = [*history, Event(BUYER, buyer_message)]
        failed = False
        failure: str | None = None
        stream: Any = None
        emitting = False
        generator = self.final_wording if decision.act in FINAL_ACTS else self.generator
        try:
            stream = generator.stream(listing=self.listing, history=conversation, decision=decision)
            for piece in stream:
                pending += piece
                cut = _last_boundary(pending)
                if cut and not (
                    failed := bool(self._problems(emitted + pending[:cut], decision, partial=True))
                ):
                    emitting = True
                    emit(pending[:cut])
                    emitting = False
                    emitted, pending = emitted + pending[:cut], pending[cut:]
                if failed:
                    break
        except Exception as exc:
            if emitting:  # raised by `on_chunk`: the caller stopped the reply, no generator failure
                raise
            # A generator that raises (CUDA out of memory, a dead server, a timeout) must not
            # leave the chat waiting: its unsent words are dropped and the realizer finishes.
            log.warning("generator %s failed, falling back to the realizer: %s", generator.name, exc)
            failed, failure, pending = True, f"{type(exc).__name__}: {exc}"[:200], ""
        finally:
            close = getattr(stream, "close", None)
            if close:
                close()
        if not failed:
            final = emitted + pending
            result = guard_reply(
                final,
                decision=decision,
                policy=self.policy,
                listing=self.listing,
                seed=seed,
                history=conversation,
            )
            if result.text.startswith(emitted):
                if result.text[len(emitted) :]:
                    emit(result.text[len(emitted) :])
                name = generator.name if result.source != "realizer" else "rules-fallback"
                return Turn(decision=decision, text=result.text, generator=name, repaired=result.repaired)
        # The generator went wrong after a safe prefix: finish with the realizer's wording.
        fallback = safe_wording(
            decision, policy=self.policy, listing=self.listing, seed=seed, history=conversation
        )
        tail = fallback if not emitted else " " + ANY_TOKEN.sub("", fallback).strip()
        for piece in chunks(tail):
            emit(piece)
        text = emitted + tail if emitted and not self._problems(emitted + tail, decision) else fallback
        return Turn(decision=decision, text=text, generator="rules-fallback", repaired=True, failure=failure)

    def _problems(self, text: str, decision: Decision, *, partial: bool = False) -> list[str]:
        return check(text, decision=decision, policy=self.policy, partial=partial, listing=self.listing)


def _last_boundary(text: str) -> int:
    end = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
    return end
