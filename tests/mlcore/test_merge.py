"""`python -m mlcore merge-adapter`: the merged checkpoint gives the adapter's own logits and loads
as a plain model (what `vllm serve` and NELLM_BASE_MODEL without an adapter need)."""

from __future__ import annotations

import pytest

from mlcore.__main__ import main
from tests.mlcore.tiny import tiny_adapter, tiny_base  # noqa: F401 - fixtures

pytestmark = pytest.mark.slow


def test_the_merged_model_speaks_like_base_plus_adapter(tiny_base, tiny_adapter, tmp_path, capsys):  # noqa: F811
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    out = tmp_path / "merged"
    assert main(["merge-adapter", str(tiny_base), str(tiny_adapter), str(out), "--dtype", "float32"]) == 0
    assert f"vllm serve {out}" in capsys.readouterr().out
    assert not (out / "adapter_config.json").exists() and (out / "tokenizer_config.json").exists()
    ids = torch.tensor([[5, 17, 99, 3, 44, 12]])
    base = AutoModelForCausalLM.from_pretrained(tiny_base)
    with torch.no_grad():
        expected = PeftModel.from_pretrained(base, str(tiny_adapter)).eval()(ids).logits
        merged = AutoModelForCausalLM.from_pretrained(out).eval()(ids).logits
        plain = AutoModelForCausalLM.from_pretrained(tiny_base).eval()(ids).logits
    assert torch.allclose(merged, expected, atol=1e-4)
    assert not torch.allclose(merged, plain, atol=1e-4), "the adapter changed something"


def test_a_folder_without_an_adapter_is_a_clear_error(tiny_base, tmp_path, capsys):  # noqa: F811
    assert main(["merge-adapter", str(tiny_base), str(tmp_path), str(tmp_path / "out")]) == 2
    assert "adapter_config.json" in capsys.readouterr().err
