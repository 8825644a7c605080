"""`python -m mlcore merge-adapter BASE ADAPTER OUT`: the LoRA adapter folded into the base model.

vLLM has no LoRA support for GPT-NeoX, so the adapter `python -m mlcore train` writes cannot be
served beside the base there. Merging adds each LoRA update into its weight (W + BA·scale) and
writes a plain checkpoint (safetensors, the adapter's tokenizer) that `vllm serve OUT` loads as
any causal LM; `NELLM_BASE_MODEL=OUT` with no adapter serves the same model locally.

The merge runs in full or half precision on the CPU by default (it needs the base's size in RAM,
~26 GB for 12.8B in bf16, and no GPU): a 4-bit base cannot be merged exactly, so load the base
unquantized here even when training used QLoRA.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

DTYPES = ("bfloat16", "float16", "float32")


def merge_adapter(
    base: str, adapter: Path, out: Path, *, dtype: str = "bfloat16", device: str = "cpu"
) -> Path:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if not (adapter / "adapter_config.json").exists():
        raise FileNotFoundError(
            f"{adapter}: no adapter_config.json (the folder `python -m mlcore train` wrote)"
        )
    model = AutoModelForCausalLM.from_pretrained(base, dtype=getattr(torch, dtype), device_map=device)
    merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    out.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(out, safe_serialization=True)
    tokenizer_source = adapter if (adapter / "tokenizer_config.json").exists() else base
    AutoTokenizer.from_pretrained(tokenizer_source).save_pretrained(out)
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = __doc__.splitlines()[0]
    parser.add_argument("base", help="the base model: a local directory or a hub id")
    parser.add_argument("adapter", type=Path, help="the adapter directory `python -m mlcore train` wrote")
    parser.add_argument("out", type=Path, help="where the merged model is written")
    parser.add_argument("--dtype", choices=DTYPES, default="bfloat16")
    parser.add_argument("--device", default="cpu", help="where to merge (cpu, cuda, auto)")


def run(args: argparse.Namespace) -> int:
    try:
        out = merge_adapter(args.base, args.adapter, args.out, dtype=args.dtype, device=args.device)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Wrote the merged model to {out}. Serve it with:\n  vllm serve {out} --served-model-name nellm")
    return 0
