"""Many chats, one model: the batching scheduler over the tiny GPT-NeoX, and what the Negotiator
does when a generator fails. Assertions are on the batches the scheduler formed, never on time."""

from __future__ import annotations

import threading

import pytest

from mlcore.llm.generator import GenerationConfig, LLMGenerator
from mlcore.llm.scheduler import BatchScheduler, Prefill
from mlcore.negotiator.advisor import SellerPolicy, Style
from mlcore.negotiator.guard import check, mentions_floor
from mlcore.negotiator.pipeline import Negotiator
from mlcore.schema import Listing
from tests.mlcore.tiny import tiny_base  # noqa: F401 - a fixture

LISTING = Listing("블루투스 스피커", "작년에 샀어요. 상태 좋아요. 충전 케이블 포함이에요.", 35_000)
CHATS = [  # (floor, the buyer's message): each chat has its own floor and its own decision
    (27_300, "3만원에 주세요"),
    (31_000, "2만원은요?"),
    (25_000, "26000원이면 바로 살게요"),  # (a final offer's answer is the realizer's, no decode)
]


@pytest.fixture(scope="module")
def model(tiny_base):  # noqa: F811
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(tiny_base).eval()


@pytest.fixture
def scheduler(model):
    scheduler = BatchScheduler(model, eos_token_id=0, slots=4, max_length=256)
    yield scheduler
    scheduler.close()


@pytest.fixture(scope="module")
def generator(tiny_base):  # noqa: F811
    gen = LLMGenerator(base_model=str(tiny_base), config=GenerationConfig(max_new_tokens=24, seed=5, slots=4))
    yield gen
    gen.scheduler.close()


def wait_until(condition, *, what: str, tries: int = 2000) -> None:
    """Wait (not time) for another thread to reach a state."""
    event = threading.Event()
    for _ in range(tries):
        if condition():
            return
        event.wait(0.005)
    raise AssertionError(f"never happened: {what}")


@pytest.mark.slow
def test_the_slot_cache_gives_the_models_own_logits(model):
    import torch

    from mlcore.llm.slots import SlotModel

    slots = SlotModel(model, slots=3, max_length=64)
    first, second = [5, 17, 99, 3, 44, 12], [7, 8, 9]
    logits = slots.prefill([2, 0], [first, second])
    with torch.no_grad():
        expected = [model(torch.tensor([p])).logits[0, -1] for p in (first, second)]
    assert torch.allclose(logits[0], expected[0], atol=1e-4) and torch.allclose(
        logits[1], expected[1], atol=1e-4
    )
    # One decode step for both chats at once, each at its own position; slot 1 stays idle.
    step = slots.decode(torch.tensor([11, 0, 13]), torch.tensor([len(second), 0, len(first)]), longest=7)
    with torch.no_grad():
        longer = model(torch.tensor([[*first, 13]])).logits[0, -1]
        shorter = model(torch.tensor([[*second, 11]])).logits[0, -1]
    assert torch.allclose(step[2], longer, atol=1e-4) and torch.allclose(step[0], shorter, atol=1e-4)


@pytest.mark.slow
def test_requests_made_together_decode_in_one_batch_and_match_their_solo_replies(scheduler):
    prompts = [[5, 6, 7, n] for n in (1, 2, 3)]
    with scheduler.paused():
        streams = [
            scheduler.submit(p, max_new_tokens=12, min_new_tokens=12, seed=n) for n, p in enumerate(prompts)
        ]
    together = [list(s) for s in streams]
    ids = tuple(s.id for s in streams)
    assert scheduler.prefills[0].requests == ids, "the three prompts ran through one prefill"
    # 1 token from the prefill, 11 from steps of all three (a step may be queued before the
    # scheduler reads that the replies are done: its tokens are dropped).
    assert list(scheduler.steps)[:11] == [ids] * 11
    # A seeded reply is the same whoever shares its batch: no request reads another's cache row.
    alone = [
        list(scheduler.submit(p, max_new_tokens=12, min_new_tokens=12, seed=n)) for n, p in enumerate(prompts)
    ]
    assert together == alone and len({tuple(t) for t in together}) == 3


@pytest.mark.slow
def test_a_request_arriving_mid_batch_joins_the_next_step(scheduler):
    long = scheduler.submit([1, 2, 3], max_new_tokens=150, min_new_tokens=150)
    tokens = iter(long)
    next(tokens), next(tokens)  # the long reply is being decoded
    with scheduler.paused():
        assert scheduler.running == 1
        short = scheduler.submit([4, 5], max_new_tokens=5, min_new_tokens=5)
    assert len(list(short)) == 5
    joined = next(p for p in scheduler.prefills if p.requests == (short.id,))
    assert joined.running == (long.id,), "it joined while the long reply was decoding"
    assert (long.id, short.id) in scheduler.steps
    assert scheduler.running == 1, "the short reply finished and left; the long one goes on"
    long.close()
    wait_until(lambda: scheduler.running == 0, what="the closed stream leaves the batch")
    assert long.generated < 150


@pytest.mark.slow
def test_a_reader_gets_its_first_token_at_once_and_the_rest_in_chunks(model):
    # A flush interval longer than any reply: the reader is woken for the first token and once
    # more at the end, not once a token.
    scheduler = BatchScheduler(model, eos_token_id=0, slots=2, max_length=128, flush_interval=3600)
    try:
        stream = scheduler.submit([3, 1, 4, 1, 5], max_new_tokens=12, min_new_tokens=12, seed=3)
        chunks = list(stream.chunks())
        alone = list(scheduler.submit([3, 1, 4, 1, 5], max_new_tokens=12, min_new_tokens=12, seed=3))
    finally:
        scheduler.close()
    assert [len(c) for c in chunks] == [1, 11]
    assert [t for c in chunks for t in c] == alone, "iterating gives the same tokens one by one"


@pytest.mark.slow
def test_arrivals_while_others_decode_share_one_prefill(model):
    scheduler = BatchScheduler(model, eos_token_id=0, slots=4, max_length=256, join_window=3600)
    try:
        long = scheduler.submit([1, 2, 3], max_new_tokens=200, min_new_tokens=200)
        tokens = iter(long)
        next(tokens)  # decoding: nothing was waiting, so it started at once
        first = scheduler.submit([4, 5], max_new_tokens=3, min_new_tokens=3)
        with scheduler.paused():
            assert scheduler.waiting == 1, "one arrival waits for others to join it"
        rest = [scheduler.submit([6, 7, n], max_new_tokens=3, min_new_tokens=3) for n in (8, 9)]
        # Three waiting fill the three free slots: they join without waiting out the window.
        assert [len(list(s)) for s in (first, *rest)] == [3, 3, 3]
        joined = [p for p in scheduler.prefills if first.id in p.requests]
        assert joined == [Prefill((first.id, *(s.id for s in rest)), (long.id,))]
        long.close()
    finally:
        scheduler.close()


@pytest.mark.slow
def test_concurrent_chats_are_served_in_one_batch_and_each_is_guarded_on_its_own(generator):
    policies = [SellerPolicy(LISTING.price, floor, Style.BALANCED) for floor, _ in CHATS]
    bots = [
        Negotiator(policy=p, listing=LISTING, generator=generator, seed=i) for i, p in enumerate(policies)
    ]
    shown: list[list[str]] = [[] for _ in CHATS]
    turns: list = [None] * len(CHATS)

    def chat(index: int) -> None:
        turns[index] = bots[index].respond(CHATS[index][1], on_chunk=shown[index].append)

    steps_before = len(generator.scheduler.steps)
    with generator.scheduler.paused():
        threads = [threading.Thread(target=chat, args=(i,)) for i in range(len(CHATS))]
        for thread in threads:
            thread.start()
        wait_until(lambda: generator.scheduler.waiting == len(CHATS), what="every chat submitted")
    for thread in threads:
        thread.join(timeout=120)
    steps = list(generator.scheduler.steps)[steps_before:]
    assert len(steps[0]) == len(CHATS), "the three chats decoded in one forward pass"
    for (floor, _), policy, turn, pieces in zip(CHATS, policies, turns, shown, strict=True):
        assert turn.generator in {"llm", "rules-fallback"}
        assert check(turn.text, decision=turn.decision, policy=policy) == [], "guarded against its own floor"
        assert not mentions_floor(turn.text, floor)
        assert "".join(pieces) == turn.text, "each buyer saw exactly their own stored reply"


@pytest.mark.slow
def test_a_failing_model_falls_back_to_the_realizer_and_the_scheduler_survives(generator, monkeypatch):
    policy = SellerPolicy(LISTING.price, 27_300, Style.BALANCED)

    def out_of_memory(*args, **kwargs):
        raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(generator.scheduler.slots, "decode", out_of_memory)
    monkeypatch.setattr(generator.scheduler.slots, "prefill", out_of_memory)
    bot = Negotiator(policy=policy, listing=LISTING, generator=generator, seed=1)
    shown: list[str] = []
    turn = bot.respond("3만원에 주세요", on_chunk=shown.append)
    assert turn.generator == "rules-fallback" and "out of memory" in turn.failure
    assert turn.to_dict()["failure"] == turn.failure
    assert check(turn.text, decision=turn.decision, policy=policy) == [] and "".join(shown) == turn.text
    monkeypatch.undo()
    assert generator.scheduler.running == 0
    again = bot.respond("31000원은요?")
    assert again.failure is None and again.generator in {"llm", "rules-fallback"}


@pytest.mark.slow
def test_greedy_batched_replies_equal_transformers_generate(model, scheduler):
    import torch

    from mlcore.llm.sampling import Sampling

    prompts = [[5, 17, 99, 3, 44, 12], [7, 8, 9], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]]
    greedy = Sampling(do_sample=False, repetition_penalty=1.3)
    with scheduler.paused():
        streams = [
            scheduler.submit(p, max_new_tokens=10, min_new_tokens=10, sampling=greedy) for p in prompts
        ]
    batched = [list(s) for s in streams]
    for prompt, tokens in zip(prompts, batched, strict=True):
        with torch.no_grad():
            out = model.generate(
                torch.tensor([prompt]),
                attention_mask=torch.ones(1, len(prompt), dtype=torch.long),
                max_new_tokens=10,
                min_new_tokens=10,
                do_sample=False,
                repetition_penalty=1.3,
                eos_token_id=0,
                pad_token_id=0,
            )
        assert tokens == out[0, len(prompt) :].tolist()
