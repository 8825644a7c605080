"""A generator that raises (CUDA out of memory, a dead server) ends in the realizer's guarded
wording, recorded as a fallback, never in a chat left waiting."""

from __future__ import annotations

import pytest

from mlcore.negotiator.advisor import SellerPolicy, Style
from mlcore.negotiator.guard import check
from mlcore.negotiator.pipeline import Negotiator
from mlcore.schema import Listing

POLICY = SellerPolicy(35_000, 28_000, Style.BALANCED)
LISTING = Listing("블루투스 스피커", "작년에 샀어요. 상태 좋아요.", 35_000)


class Failing:
    name = "llm"

    def __init__(self, pieces: list[str], *, on_call: bool = False) -> None:
        self.pieces, self.on_call, self.closed = pieces, on_call, False

    def stream(self, *, listing, history, decision):
        if self.on_call:
            raise ConnectionError("server at 127.0.0.1:9 refused the connection")
        return self._pieces()

    def _pieces(self):
        try:
            yield from self.pieces
            raise RuntimeError("CUDA out of memory")
        finally:
            self.closed = True


@pytest.mark.parametrize(
    ("generator", "kept"),
    [
        (Failing([]), ""),  # fails before the first piece
        (Failing([], on_call=True), ""),  # fails before it streams at all
        (Failing(["안녕하세요! ", "상태 좋은 "]), "안녕하세요! "),  # after a safe prefix, already shown
    ],
)
def test_a_failing_generator_falls_back_and_says_why(generator, kept):
    bot = Negotiator(policy=POLICY, listing=LISTING, generator=generator, seed=2)
    shown: list[str] = []
    turn = bot.respond("3만원에 주세요", on_chunk=shown.append)
    assert turn.generator == "rules-fallback" and turn.repaired
    assert turn.failure and ("out of memory" in turn.failure or "refused" in turn.failure)
    assert "".join(shown) == turn.text and turn.text.startswith(kept) and len(turn.text) > len(kept)
    assert check(turn.text, decision=turn.decision, policy=POLICY) == []
    assert generator.on_call or generator.closed
    assert turn.to_dict()["failure"] == turn.failure


def test_what_the_caller_raises_while_streaming_is_no_generator_failure():
    """The site stops a reply from its `on_chunk` (the chat changed, the seller took over): that
    must reach the site as raised, not turn into a realizer fallback that streams on."""

    class Stop(Exception):
        pass

    calls: list[str] = []

    def on_chunk(piece: str) -> None:  # stops once: a fallback must not stream on after it
        calls.append(piece)
        if len(calls) == 1:
            raise Stop

    generator = Failing(["안녕하세요! 상태 좋아요. ", "3만5천원이에요. "])
    bot = Negotiator(policy=POLICY, listing=LISTING, generator=generator, seed=1)
    with pytest.raises(Stop):
        bot.respond("안녕하세요, 상태 어떤가요?", on_chunk=on_chunk)
    assert len(calls) == 1 and generator.closed  # nothing streamed after the stop; closed anyway
