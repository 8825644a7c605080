"""`python -m mlcore train`: a tiny GPT-NeoX trains a few steps on corpus dialogues, on the CPU, and
leaves an adapter, its tokenizer, a JSON summary with train and eval losses, and a loss plot."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import pytest

from mlcore.__main__ import main
from tests.mlcore.tiny import ROOT, train_args, write_dialogues

pytestmark = pytest.mark.slow


def test_train_saves_adapter_tokenizer_summary_and_plot(tiny_adapter):
    for name in ("adapter_config.json", "adapter_model.safetensors", "tokenizer.json", "loss.png"):
        assert (tiny_adapter / name).is_file(), name
    assert (tiny_adapter / "loss.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    adapter = json.loads((tiny_adapter / "adapter_config.json").read_text())
    assert adapter["peft_type"] == "LORA"
    assert (adapter["r"], adapter["lora_alpha"], adapter["lora_dropout"]) == (16, 32, 0.1)
    assert adapter["target_modules"] == ["query_key_value"]

    summary = json.loads((tiny_adapter / "summary.json").read_text())
    assert summary["steps"] == 3
    assert summary["dialogues"] == 12
    assert summary["train_examples"] > 0 and summary["validation_examples"] > 0
    assert summary["train_examples"] + summary["validation_examples"] == 12
    assert math.isfinite(summary["final_train_loss"]) and summary["final_train_loss"] > 0
    assert math.isfinite(summary["eval_loss"]) and summary["eval_loss"] > 0
    assert [step for step, _ in summary["loss_curve"]["train"]] == [1, 2, 3]
    assert summary["loss_curve"]["eval"], "evaluated during training, not only at the end"
    assert summary["duration_s"] > 0


def test_training_moves_the_lora_weights(tiny_adapter):
    """LoRA's B matrices start at zero: after training they must not be."""
    from safetensors.torch import load_file

    weights = load_file(str(tiny_adapter / "adapter_model.safetensors"))
    lora_b = [t for name, t in weights.items() if "lora_B" in name]
    assert len(lora_b) == 2  # one per layer's query_key_value
    assert all(t.abs().sum() > 0 for t in lora_b)


def test_prefix_tuning_trains_too(tiny_base, tmp_path, capsys):
    data = write_dialogues(tmp_path / "d.jsonl", 8)
    args = train_args(base=tiny_base, data=data, out=tmp_path / "prefix", steps=1)
    assert main([*args, "--peft", "prefix", "--num-virtual-tokens", "4", "--no-load-in-4bit"]) == 0
    summary = json.loads((tmp_path / "prefix" / "summary.json").read_text())
    assert summary["peft"] == "prefix" and summary["steps"] == 1
    assert json.loads((tmp_path / "prefix" / "adapter_config.json").read_text())["num_virtual_tokens"] == 4
    out = capsys.readouterr().out
    assert "eval loss" in out and "train loss" in out  # the closing summary


def test_without_a_validation_split_it_trains_and_says_so(tiny_base, tmp_path):
    data = write_dialogues(tmp_path / "d.jsonl", 4)
    args = train_args(base=tiny_base, data=data, out=tmp_path / "run", steps=1)
    assert main([*args, "--val-share", "0"]) == 0
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["validation_examples"] == 0 and summary["eval_loss"] is None
    assert summary["train_examples"] == 4


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--peft", "ia3"], "peft must be 'lora' or 'prefix'"),
        (["--val-share", "1.5"], "val_share must be in [0, 1)"),
        (["--max-steps", "0"], "train for max_steps > 0"),
    ],
)
def test_bad_options_are_refused_before_anything_is_written(tiny_base, tmp_path, capsys, extra, message):
    data = write_dialogues(tmp_path / "d.jsonl", 2)
    out = tmp_path / "never"
    assert main([*train_args(base=tiny_base, data=data, out=out), *extra]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_missing_data_or_model_is_a_clear_error(tiny_base, tmp_path, capsys):
    data = write_dialogues(tmp_path / "d.jsonl", 2)
    assert main(train_args(base=tiny_base, data=tmp_path / "nope.jsonl", out=tmp_path / "o")) == 2
    assert "nope.jsonl" in capsys.readouterr().err
    assert main(train_args(base=tmp_path / "no-model", data=data, out=tmp_path / "o")) == 2
    assert "no-model" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_importing_train_and_generate_loads_no_torch():
    code = (
        "import sys, mlcore.llm.train, mlcore.llm.generator\n"
        "print(sorted(m for m in ('torch', 'transformers', 'peft') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
