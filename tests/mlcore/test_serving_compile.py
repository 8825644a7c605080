"""The decode step's layers through `torch.compile` (`BatchScheduler(compile=True)`,
NELLM_COMPILE): the same greedy replies as the eager step, on the tiny GPT-NeoX (inductor's CPU
backend; one compile, for the 64-position cache bucket)."""

from __future__ import annotations

import pytest

from mlcore.llm.sampling import Sampling
from mlcore.llm.scheduler import BatchScheduler
from tests.mlcore.tiny import tiny_base  # noqa: F401 - a fixture

PROMPTS = [[5, 17, 99, 3, 44, 12], [7, 8, 9], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]]
LENGTHS = [12, 20, 7]  # one reply ends inside a run of 4 steps, the others join and leave apart


@pytest.fixture(scope="module")
def model(tiny_base):  # noqa: F811
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(tiny_base).eval()


def greedy_replies(model, *, compile: bool) -> tuple[list[list[int]], bool]:
    scheduler = BatchScheduler(model, eos_token_id=0, slots=4, max_length=128, compile=compile)
    try:
        with scheduler.paused():
            streams = [
                scheduler.submit(p, max_new_tokens=n, min_new_tokens=n, sampling=Sampling(do_sample=False))
                for p, n in zip(PROMPTS, LENGTHS, strict=True)
            ]
        return [list(s) for s in streams], scheduler.slots.compiled
    finally:
        scheduler.close()


@pytest.mark.slow
def test_the_compiled_step_decodes_the_eager_steps_tokens(model):
    eager, _ = greedy_replies(model, compile=False)
    compiled, still_compiled = greedy_replies(model, compile=True)
    assert still_compiled, "the compiled layers ran (no fallback to the eager ones)"
    assert compiled == eager and [len(r) for r in compiled] == LENGTHS


@pytest.mark.slow
@pytest.mark.parametrize(
    ("four_bit", "setting", "compiled"),
    [("0", "", None), ("1", "", False), ("1", "1", True), ("0", "0", False)],
    ids=["bf16-default", "4-bit-default", "on", "off"],
)
def test_the_site_compiles_the_step_on_a_gpu_in_bf16_unless_told(
    tiny_base,  # noqa: F811
    monkeypatch,
    four_bit,
    setting,
    compiled,
):
    import torch

    from mlcore.llm.generator import load_generator

    monkeypatch.setenv("NELLM_BASE_MODEL", str(tiny_base))
    monkeypatch.setenv("NELLM_LOAD_IN_4BIT", four_bit)  # no CUDA here: full precision either way
    monkeypatch.setenv("NELLM_COMPILE", setting)
    monkeypatch.delenv("NELLM_STEPS_PER_SYNC", raising=False)
    expected = torch.cuda.is_available() if compiled is None else compiled
    generator = load_generator()
    try:
        assert generator.scheduler.slots.compiled is expected
        assert generator.scheduler.steps_per_sync == (1 if four_bit == "1" else 8 if expected else 4)
    finally:
        generator.scheduler.close()
