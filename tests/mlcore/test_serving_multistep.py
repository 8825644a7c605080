"""Several decode steps per look from the host (`steps_per_sync`): the same replies as one step
at a time, replies that end inside a run of steps, and chats at the end of their cache row."""

from __future__ import annotations

import pytest

from mlcore.llm.sampling import Sampling
from mlcore.llm.scheduler import BatchScheduler
from tests.mlcore.tiny import tiny_base  # noqa: F401 - a fixture

PROMPTS = [[5, 17, 99, 3, 44, 12], [7, 8, 9], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]]


@pytest.fixture(scope="module")
def model(tiny_base):  # noqa: F811
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(tiny_base).eval()


def replies(model, *, steps_per_sync: int, sampling: Sampling, lengths: list[int], max_length: int = 128):
    """The three prompts submitted together (one batch), each with its own reply length."""
    scheduler = BatchScheduler(
        model, eos_token_id=0, slots=4, max_length=max_length, steps_per_sync=steps_per_sync
    )
    try:
        with scheduler.paused():
            streams = [
                scheduler.submit(p, max_new_tokens=n, min_new_tokens=n, sampling=sampling, seed=i)
                for i, (p, n) in enumerate(zip(PROMPTS, lengths, strict=True))
            ]
        return [list(s) for s in streams], list(scheduler.steps), [s.id for s in streams]
    finally:
        scheduler.close()


@pytest.mark.slow
@pytest.mark.parametrize(
    "sampling", [Sampling(do_sample=False, repetition_penalty=1.3), Sampling()], ids=["greedy", "sampled"]
)
def test_several_steps_per_sync_give_the_tokens_of_one_step_at_a_time(model, sampling):
    lengths = [9, 14, 5]  # none a multiple of the run: two replies end inside a run of 4
    one, one_steps, _ = replies(model, steps_per_sync=1, sampling=sampling, lengths=lengths)
    four, four_steps, ids = replies(model, steps_per_sync=4, sampling=sampling, lengths=lengths)
    assert four == one and [len(r) for r in four] == lengths
    # One token from the prefill, then runs of 4 steps: 13 more tokens for the longest reply
    # need 4 runs, the first three serving all three chats together.
    assert four_steps[:8] == [tuple(ids)] * 8
    assert len(four_steps) % 4 == 0 and len(four_steps) < len(one_steps) + 8


@pytest.mark.slow
def test_a_run_of_steps_past_the_end_of_a_cache_row_stops_the_reply_there(model):
    # 64 positions, a prompt of 60: room for 4 new tokens, the run is 8 steps long.
    prompt = list(range(3, 63))
    scheduler = BatchScheduler(model, eos_token_id=0, slots=2, max_length=64, steps_per_sync=8)
    try:
        full = list(scheduler.submit(prompt, max_new_tokens=50, min_new_tokens=50, seed=1))
        after = list(scheduler.submit([4, 5, 6], max_new_tokens=10, min_new_tokens=10, seed=1))
    finally:
        scheduler.close()
    assert len(full) == 4 and len(after) == 10, "the slot serves the next chat as before"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("four_bit", "setting", "steps"),
    [("1", "", 1), ("0", "", 4), ("1", "3", 3)],
    ids=["4-bit", "bf16", "set"],
)
def test_the_site_runs_one_step_per_sync_for_a_4_bit_model_unless_told(
    tiny_base,  # noqa: F811
    monkeypatch,
    four_bit,
    setting,
    steps,
):
    from mlcore.llm.generator import load_generator

    monkeypatch.setenv("NELLM_BASE_MODEL", str(tiny_base))
    monkeypatch.setenv("NELLM_LOAD_IN_4BIT", four_bit)  # no CUDA here: full precision either way
    monkeypatch.setenv("NELLM_STEPS_PER_SYNC", setting)
    generator = load_generator()
    try:
        assert generator.scheduler.steps_per_sync == steps
    finally:
        generator.scheduler.close()
