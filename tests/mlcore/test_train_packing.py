"""Padding-free training: packed rows keep the seller-only labels and each example's own positions
and attention; batches sized by tokens; the recipe chosen from the model and the GPU (a pure
function, no GPU needed); resuming a run; the plain padded loop still reachable as the baseline."""

from __future__ import annotations

import argparse
import json

import pytest

from mlcore.__main__ import main
from mlcore.llm.dataset import IGNORE_INDEX, TokenBatchSampler
from mlcore.llm.recipe import GIB, ModelShape, choose_recipe
from mlcore.llm.train import TrainConfig, add_arguments, config_from_options, load_for_training, model_shape
from tests.mlcore.tiny import CORPUS, train_args, write_dialogues

POLYGLOT_1_3B = ModelShape(params=1_331_000_000, layers=24, hidden=2048, vocab=30080)
POLYGLOT_12_8B = ModelShape(params=12_900_000_000, layers=40, hidden=5120, vocab=30080)


def _examples(tokenizer, count: int) -> list[dict[str, list[int]]]:
    from mlcore.corpus.validate import load_dialogues
    from mlcore.llm.dataset import encode_dialogues

    return encode_dialogues(load_dialogues([CORPUS])[:count], tokenizer, max_length=256).examples


@pytest.mark.slow
def test_packed_labels_equal_unpacked_token_by_token_and_positions_restart(tiny_base):
    from transformers import AutoTokenizer, DataCollatorWithFlattening

    examples = _examples(AutoTokenizer.from_pretrained(tiny_base), 5)
    batch = DataCollatorWithFlattening(separator_id=IGNORE_INDEX)(examples)
    assert batch["input_ids"].shape[0] == 1 and "attention_mask" not in batch  # one row, no padding
    assert batch["labels"][0].tolist() == [t for e in examples for t in e["labels"]]
    assert batch["input_ids"][0].tolist() == [t for e in examples for t in e["input_ids"]]
    # Seller-only: the system text and listing open every example, so its first label was masked anyway.
    assert all(e["labels"][0] == IGNORE_INDEX for e in examples)
    assert any(t != IGNORE_INDEX for t in batch["labels"][0].tolist())
    assert batch["position_ids"][0].tolist() == [i for e in examples for i in range(len(e["input_ids"]))]


@pytest.mark.slow
def test_a_packed_row_scores_each_example_as_if_it_were_alone(tiny_base):
    """Correct attention boundaries: logits of the packed row, cut per example, equal each example's own."""
    import torch
    from transformers import AutoTokenizer, DataCollatorWithFlattening

    examples = _examples(AutoTokenizer.from_pretrained(tiny_base), 3)
    config = TrainConfig(base_model=str(tiny_base))
    recipe = choose_recipe(model_shape(str(tiny_base)), gpu_bytes=None, batch_tokens=config.tokens_per_batch)
    model = load_for_training(config, recipe, "sdpa").eval()  # as training loads it, dropout off
    batch = DataCollatorWithFlattening(separator_id=IGNORE_INDEX)(examples)
    with torch.no_grad():
        packed = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"]).logits[0]
        start = 0
        for example in examples:
            alone = model(input_ids=torch.tensor([example["input_ids"]])).logits[0]
            assert torch.allclose(packed[start : start + len(alone)], alone, atol=1e-4)
            start += len(alone)
        # Sanity: a row without restarting positions (one long sequence) does differ.
        run_on = model(input_ids=batch["input_ids"]).logits[0]
    assert not torch.allclose(run_on[start - len(alone) :], alone, atol=1e-4)


def test_token_batches_hold_every_example_once_within_the_budget():
    lengths = [300, 20, 512, 100, 90, 250, 7, 400, 33, 512]
    sampler = TokenBatchSampler(lengths, max_tokens=512, seed=3)
    first = list(sampler)
    assert sorted(i for batch in first for i in batch) == list(range(len(lengths)))
    assert all(sum(lengths[i] for i in batch) <= 512 for batch in first)
    sampler.set_epoch(1)
    second = list(sampler)
    assert len(second) == len(first) == len(sampler)  # the Trainer sizes its schedule from len()
    assert sorted(map(sorted, second)) == sorted(map(sorted, first)) and second != first
    with pytest.raises(ValueError, match="below the longest example"):
        TokenBatchSampler(lengths, max_tokens=400)


@pytest.mark.parametrize(
    ("shape", "gpu_gib", "precision", "checkpointing"),
    [
        (POLYGLOT_1_3B, 141, "bf16", False),  # H200: bf16, plenty of room
        (POLYGLOT_1_3B, 24, "bf16", False),
        (POLYGLOT_1_3B, 16, "bf16", True),  # the activations of 8k tokens need checkpointing
        (POLYGLOT_12_8B, 24, "4bit", True),  # KULLM 12.8B on a 24 GB card
        (POLYGLOT_12_8B, 48, "4bit", True),
        (POLYGLOT_12_8B, 80, "bf16", True),
        (POLYGLOT_12_8B, 141, "bf16", False),
    ],
)
def test_recipe_is_chosen_from_model_size_and_gpu_memory(shape, gpu_gib, precision, checkpointing):
    recipe = choose_recipe(shape, gpu_bytes=gpu_gib * GIB, batch_tokens=8192)
    assert (recipe.precision, recipe.gradient_checkpointing) == (precision, checkpointing), recipe.reason
    assert recipe.estimated_bytes <= recipe.budget_bytes
    assert ("QLoRA" if precision == "4bit" else "LoRA bf16") in recipe.describe()


def test_every_recipe_choice_can_be_forced_and_says_so():
    forced = choose_recipe(
        POLYGLOT_1_3B, gpu_bytes=141 * GIB, batch_tokens=8192, load_in_4bit=True, gradient_checkpointing=True
    )
    assert (forced.precision, forced.gradient_checkpointing) == ("4bit", True)
    assert "4-bit forced" in forced.reason and "checkpointing forced on" in forced.reason
    unfit = choose_recipe(POLYGLOT_12_8B, gpu_bytes=24 * GIB, batch_tokens=8192, load_in_4bit=False)
    assert unfit.precision == "bf16" and "may not fit" in unfit.reason
    cpu = choose_recipe(POLYGLOT_1_3B, gpu_bytes=None, batch_tokens=8192, load_in_4bit=True)
    assert (cpu.precision, cpu.gradient_checkpointing) == ("fp32", False) and "ignored" in cpu.reason


def test_recipe_options_are_unset_unless_given():
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    chosen = config_from_options(vars(parser.parse_args(["--base-model", "m"])))
    assert chosen.load_in_4bit is None and chosen.gradient_checkpointing is None
    assert chosen.tokens_per_batch == 8 * 1024
    forced = config_from_options(
        vars(parser.parse_args(["--base-model", "m", "--no-load-in-4bit", "--gradient-checkpointing"]))
    )
    assert forced.load_in_4bit is False and forced.gradient_checkpointing is True
    with pytest.raises(ValueError, match="loop must be"):
        config_from_options({"base_model": "m", "loop": "fast"})
    with pytest.raises(ValueError, match="batch_tokens must be at least max_length"):
        config_from_options({"base_model": "m", "batch_tokens": 100})


@pytest.mark.slow
def test_resume_from_a_checkpoint_continues_the_step_count(tiny_base, tmp_path):
    data = write_dialogues(tmp_path / "d.jsonl", 10)
    out = tmp_path / "run"
    first = [
        *train_args(base=tiny_base, data=data, out=out, steps=2),
        "--save-steps",
        "2",
        "--val-share",
        "0",
    ]
    assert main(first) == 0
    assert (out / "checkpoint-2" / "trainer_state.json").is_file()
    again = [*train_args(base=tiny_base, data=data, out=out, steps=3), "--val-share", "0", "--resume", "last"]
    assert main(again) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["steps"] == 3 and summary["resumed_from"] == "last"
    # Steps 1-2 come from the checkpoint's history; only step 3 was trained again.
    assert [step for step, _ in summary["loss_curve"]["train"]] == [1, 2, 3]
    assert main([*again[:-1], str(tmp_path / "no-checkpoint")]) == 2


@pytest.mark.slow
def test_the_plain_padded_loop_stays_reachable_as_the_baseline(tiny_base, tmp_path):
    data = write_dialogues(tmp_path / "d.jsonl", 6)
    out = tmp_path / "plain"
    assert main([*train_args(base=tiny_base, data=data, out=out, steps=1), "--loop", "plain"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["loop"] == "plain" and summary["recipe"]["packing"] is False
    assert summary["recipe"]["batch"] == "2 examples" and summary["tokens"] > 0
