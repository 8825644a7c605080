"""Training throughput on one GPU: the plain padded loop (the old `python -m mlcore train`) against
the packed loop, side by side, on random-init GPT-NeoX models of Polyglot-Ko's shapes.

    python benchmarks/bench_train.py --selfplay dialogues.jsonl [--shapes 1.3b 12.8b] [--steps 30]
        [--out DIR] [--work DIR]

Weights cannot be downloaded: each shape is built from its config with random weights and saved
like a hub checkpoint, with a byte-level BPE trained on the data, so the real loading code
(4-bit quantisation included) reads it. Data: the shipped corpus plus `--selfplay` (1,500 self-play
dialogues, `python -m mlcore selfplay --n 1500 --seed 7 --out FILE`); batch 8, max length 1024,
no gradient accumulation. Every run goes through `mlcore.llm.train.train` with the same options as
`python -m mlcore train`; the figures are its summary's (real tokens/s after the first step, peak
memory, MFU). Before the runs, one batch is scored padded and packed to show that packing changes
no loss. Writes `bench_train.json` and a loss plot per shape into --out (default $OUT or ./bench-out).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mlcore.llm import train as mltrain  # noqa: E402
from mlcore.llm.recipe import GIB, choose_recipe  # noqa: E402

SHAPES = {  # Polyglot-Ko's published configs (rotary on half of each head, vocab 30080)
    "1.3b": {"hidden_size": 2048, "num_hidden_layers": 24, "num_attention_heads": 16},
    "12.8b": {"hidden_size": 5120, "num_hidden_layers": 40, "num_attention_heads": 40},
    "tiny": {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2},  # smoke runs on a CPU
}
RUNS = {
    "1.3b": [
        ("plain, QLoRA 4-bit (old default)", ["--loop", "plain"]),
        ("plain, LoRA bf16", ["--loop", "plain", "--no-load-in-4bit"]),
        ("packed, 8 examples a batch", ["--batch-by", "examples"]),
        ("packed, 8,192 tokens a batch", []),
        ("packed, 8,192 tokens a batch, SDPA", ["--attn-implementation", "sdpa"]),
    ],
    "12.8b": [
        ("plain, QLoRA 4-bit (old default)", ["--loop", "plain"]),
        ("packed, QLoRA 4-bit, 8,192 tokens a batch", ["--load-in-4bit"]),
        ("packed, QLoRA 4-bit, 8 examples a batch", ["--load-in-4bit", "--batch-by", "examples"]),
        # what the recipe picks on a 24-48 GB card, and what it picks on this one
        ("packed, QLoRA 4-bit + checkpointing", ["--load-in-4bit", "--gradient-checkpointing"]),
        ("packed, recipe chosen for the GPU", []),
    ],
}
RUNS["tiny"] = RUNS["1.3b"]
PACKAGES = ("torch", "transformers", "peft", "accelerate", "bitsandbytes", "tokenizers", "triton")


def versions() -> dict[str, str]:
    import torch

    found = {"python": platform.python_version(), "cuda": str(torch.version.cuda)}
    for name in PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "absent"
    if torch.cuda.is_available():
        found["gpu"] = torch.cuda.get_device_name()
        found["gpu_memory_gib"] = f"{torch.cuda.get_device_properties(0).total_memory / GIB:.0f}"
    return found


def build_tokenizer(dialogue_files: list[str], path: Path) -> Any:
    from mlcore.corpus.validate import load_dialogues
    from mlcore.llm.template import SYSTEM, header_text
    from tests.mlcore.tiny import train_tokenizer

    dialogues = load_dialogues(dialogue_files)
    texts = [e.message for d in dialogues for e in d.events] + [SYSTEM, "구매자: 판매자: [전략: counter]"]
    texts += [header_text(d.listing) for d in dialogues]
    tokenizer = train_tokenizer(texts, vocab_size=30000, model_max_length=2048)
    tokenizer.save_pretrained(path)
    return tokenizer


def build_model(shape: str, tokenizer_dir: Path, path: Path) -> Path:
    """A random-init GPT-NeoX of `shape`, made on the GPU in bf16 and saved with the tokenizer."""
    import torch
    from transformers import AutoTokenizer, GPTNeoXConfig, GPTNeoXForCausalLM

    if (path / "config.json").is_file():
        return path
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    dims = SHAPES[shape]
    config = GPTNeoXConfig(
        vocab_size=30080,
        intermediate_size=4 * dims["hidden_size"],
        max_position_embeddings=2048,
        rotary_pct=0.5,
        rotary_emb_base=10000,
        use_parallel_residual=True,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.eos_token_id,
        **dims,
    )
    started = time.perf_counter()
    torch.manual_seed(0)
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.bfloat16)
    try:
        with torch.device("cuda" if torch.cuda.is_available() else "cpu"):
            model = GPTNeoXForCausalLM(config)
    finally:
        torch.set_default_dtype(default)
    model.save_pretrained(path, max_shard_size="5GB")
    tokenizer.save_pretrained(path)
    params = sum(p.numel() for p in model.parameters())
    del model
    gc.collect()
    torch.cuda.empty_cache()
    print(
        f"built {shape}: {params / 1e9:.2f}B parameters in {time.perf_counter() - started:.0f} s", flush=True
    )
    return path


def check_packing(base: Path, data: list[str]) -> dict[str, Any]:
    """One batch of 8 examples scored padded (SDPA, attention mask) and packed (the chosen kernel)."""
    import torch
    from transformers import AutoTokenizer, DataCollatorForSeq2Seq, DataCollatorWithFlattening

    from mlcore.llm.dataset import IGNORE_INDEX, encode_dialogues, load_sources

    tokenizer = AutoTokenizer.from_pretrained(base)
    tokenizer.pad_token = tokenizer.eos_token
    examples = encode_dialogues(load_sources(data)[:8], tokenizer, max_length=1024).examples
    config = mltrain.TrainConfig(base_model=str(base))
    cuda = torch.cuda.is_available()
    recipe = choose_recipe(
        mltrain.model_shape(str(base)),
        gpu_bytes=torch.cuda.mem_get_info()[0] if cuda else None,
        batch_tokens=8192,
    )
    losses: dict[str, Any] = {}
    for name, attention in (("padded_sdpa", "sdpa"), ("packed", mltrain.choose_attention(config, cuda))):
        model = mltrain.load_for_training(config, recipe, attention).eval()
        if name == "packed":
            collator: Any = DataCollatorWithFlattening(
                return_flash_attn_kwargs=attention in mltrain.FLASH_KWARGS_ATTENTION,
                separator_id=IGNORE_INDEX,
            )
        else:
            collator = DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=IGNORE_INDEX)
        batch = {k: v.to(model.device) if hasattr(v, "to") else v for k, v in collator(examples).items()}
        with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=cuda):
            losses[name] = float(model(**batch).loss)
        losses[f"{name}_attention"] = attention
        del model
        gc.collect()
        torch.cuda.empty_cache()
    losses["difference"] = abs(losses["packed"] - losses["padded_sdpa"])
    print(f"packing check: {losses}", flush=True)
    return losses


def run_one(base: Path, data: list[str], out: Path, steps: int, extra: list[str]) -> dict[str, Any]:
    import torch

    parser = argparse.ArgumentParser()
    mltrain.add_arguments(parser)
    argv = ["--base-model", str(base), "--data", *data, "--out", str(out), "--max-steps", str(steps)]
    argv += ["--batch-size", "8", "--max-length", "1024", "--grad-accum", "1", "--logging-steps", "1"]
    argv += ["--eval-steps", "100000", "--val-share", "0.05", *extra]
    config = mltrain.config_from_options(vars(parser.parse_args(argv)))
    try:
        summary = mltrain.train(config)
    finally:
        gc.collect()
        torch.cuda.empty_cache()
    print(mltrain.format_summary(summary), flush=True)
    keep = (
        "loop",
        "recipe",
        "steps",
        "tokens",
        "tokens_per_s",
        "steady_tokens_per_s",
        "seconds_per_step",
        "mfu",
        "peak_memory_gib",
        "train_examples",
        "final_train_loss",
        "eval_loss",
        "loss_curve",
        "duration_s",
    )
    return {k: summary[k] for k in keep}


def plot(shape: str, runs: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    for run in runs:
        if "loss_curve" in run and run["loss_curve"]["train"]:
            steps, losses = zip(*run["loss_curve"]["train"], strict=True)
            ax.plot(steps, losses, label=run["name"])
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("train loss (seller tokens)")
    ax.set_title(f"Polyglot-Ko {shape} shape, random init")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", default=["1.3b", "12.8b"], choices=list(SHAPES))
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--selfplay", default="", help="self-play JSONL; generated (1,500) when not given")
    parser.add_argument(
        "--tokenizer", default="", help="a tokenizer directory to reuse; trained when not given"
    )
    parser.add_argument("--runs", nargs="*", type=int, default=None, help="indices of the runs per shape")
    parser.add_argument("--out", default=os.environ.get("OUT", "bench-out"))
    parser.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "nellm-bench-train"))
    args = parser.parse_args()
    out, work = Path(args.out), Path(args.work)
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    selfplay = args.selfplay
    if not selfplay:
        selfplay = str(work / "selfplay1500.jsonl")
        subprocess.run(
            [sys.executable, "-m", "mlcore", "selfplay", "--n", "1500", "--seed", "7", "--out", selfplay],
            cwd=ROOT,
            check=True,
        )
    data = [mltrain.CORPUS, selfplay]
    report: dict[str, Any] = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "versions": versions(),
        "recipes_by_gpu": {},
        "shapes": {},
    }
    results = out / "bench_train.json"

    def save() -> None:
        results.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")

    tokenizer_dir = Path(args.tokenizer) if args.tokenizer else work / "tokenizer"
    if not (tokenizer_dir / "tokenizer.json").is_file():
        build_tokenizer(data, tokenizer_dir)
    for shape in args.shapes:
        base = build_model(shape, tokenizer_dir, work / f"polyglot-{shape}")
        model_shape = mltrain.model_shape(str(base))
        report["recipes_by_gpu"][shape] = {
            f"{gib} GiB": choose_recipe(model_shape, gpu_bytes=gib * GIB, batch_tokens=8192).describe()
            for gib in (24, 48, 80, 141)
        }
        entry: dict[str, Any] = {"params": model_shape.params, "runs": []}
        report["shapes"][shape] = entry
        if shape in ("1.3b", "tiny"):
            try:
                entry["packing_check"] = check_packing(base, data)
            except Exception:  # a failed check is reported, the runs still go ahead
                entry["packing_check"] = {"error": traceback.format_exc(limit=3)}
            save()
        for index, (name, extra) in enumerate(RUNS[shape]):
            if args.runs is not None and index not in args.runs:
                continue
            print(f"\n=== {shape}: {name} ===", flush=True)
            try:
                run = run_one(base, data, work / f"run-{shape}-{index}", args.steps, extra)
            except Exception:  # one failed run must not lose the others' figures
                run = {"error": traceback.format_exc(limit=5)}
                print(run["error"], flush=True)
            entry["runs"].append({"name": name, "options": extra, **run})
            save()
        plot(shape, entry["runs"], out / f"bench_train_{shape}.png")
    brief = ("name", "steady_tokens_per_s", "seconds_per_step", "peak_memory_gib", "mfu", "final_train_loss")
    table = {s: [{k: r.get(k) for k in brief} for r in e["runs"]] for s, e in report["shapes"].items()}
    print(json.dumps(table, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
