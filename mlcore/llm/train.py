"""Fine-tuning: a LoRA (QLoRA on a GPU) or prefix-tuning adapter on a GPT-NeoX base, seller-only loss.

The original's recipe (KULLM / Polyglot-Ko, LoRA r=16, alpha=32, dropout 0.1 on `query_key_value`,
lr 1e-4, max length 1024, batch 8 x grad-accum 4, plain HF Trainer) with what it lacked: a held-out
validation split (`mlcore.llm.dataset.split_dialogues`, stable by content hash) and its eval loss, a
JSON summary and a loss-curve plot. Examples come from `mlcore.llm.dataset`: the `mlcore.llm.template`
layout, labels only on the seller's words and the eos closing each seller turn.

On CUDA with `load_in_4bit` the base is loaded in 4-bit NF4 and prepared for k-bit training
(QLoRA); without CUDA it trains in full precision on the CPU (only sensible for tiny models).

    python -m mlcore train --base-model PATH_OR_HUB_ID --out runs/lora [--data FILES…] [--max-steps N]

The output directory holds the adapter (adapter_config.json, adapter_model.safetensors), the
tokenizer, `summary.json` and `loss.png`: what `mlcore.llm.generator` / NELLM_ADAPTER load.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from mlcore import DATA_DIR

log = logging.getLogger(__name__)

CORPUS = str(DATA_DIR / "corpus")
SUMMARY = "summary.json"
PLOT = "loss.png"


@dataclass
class TrainConfig:
    data: list[str] = field(default_factory=lambda: [CORPUS])
    hub_split: str = "train"
    base_model: str = ""
    out: str = "runs/nellm-lora"
    run_name: str = "nellm"
    max_length: int = 1024
    epochs: float = 3.0
    max_steps: int = -1
    batch_size: int = 8
    grad_accum: int = 4
    lr: float = 1e-4
    warmup_ratio: float = 0.03
    peft: str = "lora"
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.1
    target_modules: list[str] = field(default_factory=lambda: ["query_key_value"])
    num_virtual_tokens: int = 25
    load_in_4bit: bool = True
    gradient_checkpointing: bool = True
    val_share: float = 0.1
    limit: int = 0
    seed: int = 42
    logging_steps: int = 10
    eval_steps: int = 50
    save_steps: int = 0

    def __post_init__(self) -> None:
        problems = []
        if not self.base_model:
            problems.append("base_model is required (a local model directory or a hub id)")
        if not self.data:
            problems.append("data needs at least one file, directory or hub dataset id")
        if self.peft not in ("lora", "prefix"):
            problems.append(f"peft must be 'lora' or 'prefix', not {self.peft!r}")
        if not 0 <= self.val_share < 1:
            problems.append("val_share must be in [0, 1)")
        if self.max_steps == 0 or (self.max_steps < 0 and self.epochs <= 0):
            problems.append("train for max_steps > 0 or epochs > 0")
        for name in ("max_length", "batch_size", "grad_accum", "logging_steps", "eval_steps"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be at least 1")
        if self.lr <= 0:
            problems.append("lr must be positive")
        if problems:
            raise ValueError("; ".join(problems))


HELP = {
    "data": "dialogue JSON/JSONL files or directories (dataset schema) or hub dataset ids",
    "hub_split": "split of hub datasets",
    "base_model": "base causal LM: local directory or hub id (e.g. nlpai-lab/kullm-polyglot-12.8b-v2)",
    "out": "output directory for the adapter, tokenizer, summary.json and loss.png",
    "run_name": "name of the run (logs, summary)",
    "max_length": "tokens per example; old turns are dropped to fit",
    "epochs": "training epochs (the original ran 20)",
    "max_steps": "optimizer steps; overrides --epochs when > 0",
    "batch_size": "examples per device batch",
    "grad_accum": "gradient accumulation steps",
    "lr": "learning rate",
    "warmup_ratio": "share of the steps spent warming up the learning rate",
    "peft": "adapter type: lora or prefix",
    "lora_r": "LoRA rank",
    "lora_alpha": "LoRA alpha",
    "lora_dropout": "LoRA dropout",
    "target_modules": "modules LoRA adapts (GPT-NeoX: query_key_value)",
    "num_virtual_tokens": "prefix-tuning virtual tokens",
    "load_in_4bit": "QLoRA: 4-bit NF4 base on CUDA (ignored without a GPU)",
    "gradient_checkpointing": "trade compute for memory on the GPU",
    "val_share": "share of dialogues held out for the eval loss (stable by content hash)",
    "limit": "use only the first N dialogues (smoke runs); 0 = all",
    "seed": "random seed",
    "logging_steps": "log the train loss every N steps",
    "eval_steps": "evaluate every N steps",
    "save_steps": "checkpoint every N steps (keeps the last two); 0 = only the final adapter",
}


# --- CLI: one option per TrainConfig field ------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`--field-name` for every TrainConfig field; also used by `manage.py train_nellm`."""
    for f in fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        default = f.default_factory() if f.default_factory is not MISSING else f.default
        help_text = f"{HELP[f.name]} (default: {default})"
        if isinstance(default, bool):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=help_text)
        elif isinstance(default, list):
            parser.add_argument(flag, nargs="+", default=None, help=help_text)
        else:
            parser.add_argument(flag, type=type(default), default=None, help=help_text)


def config_from_options(options: dict[str, Any], **overrides: Any) -> TrainConfig:
    """A TrainConfig from parsed options; options left unset keep the dataclass defaults."""
    names = {f.name for f in fields(TrainConfig)}
    values = {k: v for k, v in options.items() if k in names and v is not None}
    return TrainConfig(**{**values, **overrides})


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        config = config_from_options(vars(args))
        summary = train(config)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(format_summary(summary))
    return 0


# --- training ---------------------------------------------------------------------------------------


def _datasets(config: TrainConfig, tokenizer: Any) -> tuple[Any, Any, dict[str, int]]:
    from mlcore.llm.dataset import encode_dialogues, load_sources, split_dialogues, to_hf_dataset

    dialogues = load_sources(config.data, hub_split=config.hub_split)
    if config.limit:
        dialogues = dialogues[: config.limit]
    if not dialogues:
        raise ValueError(f"no dialogues in {', '.join(config.data)}")
    train_d, val_d = split_dialogues(dialogues, validation_fraction=config.val_share)
    enc_train = encode_dialogues(train_d, tokenizer, max_length=config.max_length)
    enc_val = encode_dialogues(val_d, tokenizer, max_length=config.max_length)
    if not enc_train.examples:
        raise ValueError("no training examples: every dialogue was held out or too long for max_length")
    stats = {
        "dialogues": len(dialogues),
        "train": len(enc_train.examples),
        "validation": len(enc_val.examples),
        "skipped_too_long": enc_train.skipped + enc_val.skipped,
    }
    val = to_hf_dataset(enc_val.examples) if enc_val.examples else None
    return to_hf_dataset(enc_train.examples), val, stats


def _model(config: TrainConfig) -> tuple[Any, bool]:
    import torch
    from peft import LoraConfig, PrefixTuningConfig, TaskType, get_peft_model
    from transformers import AutoModelForCausalLM

    cuda = torch.cuda.is_available()
    quantized = config.load_in_4bit and cuda
    kwargs: dict[str, Any] = {}
    if quantized:
        from transformers import BitsAndBytesConfig

        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch.bfloat16,
        )
        kwargs["device_map"] = {"": 0}
    elif cuda:
        kwargs["dtype"] = torch.bfloat16
    else:
        if config.load_in_4bit:
            log.info(
                "no CUDA: training %s in full precision on the CPU (4-bit needs a GPU)", config.base_model
            )
        kwargs["dtype"] = torch.float32
    model = AutoModelForCausalLM.from_pretrained(config.base_model, **kwargs)
    if quantized:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(
            model, use_gradient_checkpointing=config.gradient_checkpointing
        )
    elif cuda and config.gradient_checkpointing:
        model.gradient_checkpointing_enable()
        model.enable_input_require_grads()
    if config.peft == "lora":
        peft_config: Any = LoraConfig(
            task_type=TaskType.CAUSAL_LM,
            r=config.lora_r,
            lora_alpha=config.lora_alpha,
            lora_dropout=config.lora_dropout,
            target_modules=list(config.target_modules),
        )
    else:
        peft_config = PrefixTuningConfig(
            task_type=TaskType.CAUSAL_LM, num_virtual_tokens=config.num_virtual_tokens
        )
    model = get_peft_model(model, peft_config)
    return model, quantized


def train(config: TrainConfig) -> dict[str, Any]:
    """Train, save the adapter, tokenizer, summary.json and loss.png in `config.out`; the summary."""
    import torch
    from transformers import AutoTokenizer, DataCollatorForSeq2Seq, Trainer, TrainingArguments

    from mlcore.llm.dataset import IGNORE_INDEX

    started = time.monotonic()
    out = Path(config.out)
    tokenizer = AutoTokenizer.from_pretrained(config.base_model)
    if tokenizer.eos_token_id is None:
        raise ValueError(f"the tokenizer of {config.base_model} has no eos token")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token  # padding is masked out of both attention and loss
    train_set, val_set, stats = _datasets(config, tokenizer)
    log.info(
        "data: %d dialogues -> %d train / %d validation examples (%d too long)",
        stats["dialogues"],
        stats["train"],
        stats["validation"],
        stats["skipped_too_long"],
    )
    model, quantized = _model(config)
    out.mkdir(parents=True, exist_ok=True)  # only once data and model are known to be good
    cuda = torch.cuda.is_available()
    evaluating = val_set is not None
    args = TrainingArguments(
        output_dir=str(out),
        run_name=config.run_name,
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.batch_size,
        gradient_accumulation_steps=config.grad_accum,
        learning_rate=config.lr,
        warmup_steps=config.warmup_ratio,  # a float below 1 is a share of the steps
        lr_scheduler_type="cosine",
        logging_steps=config.logging_steps,
        logging_first_step=True,
        eval_strategy="steps" if evaluating else "no",
        eval_steps=config.eval_steps,
        save_strategy="steps" if config.save_steps else "no",
        save_steps=config.save_steps or 500,
        save_total_limit=2,
        bf16=cuda and torch.cuda.is_bf16_supported(),
        use_cpu=not cuda,
        optim="paged_adamw_8bit" if quantized else "adamw_torch",
        seed=config.seed,
        report_to="none",
        dataloader_num_workers=0,
    )
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=train_set,
        eval_dataset=val_set,
        data_collator=DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=IGNORE_INDEX),
        processing_class=tokenizer,
    )
    result = trainer.train()
    eval_loss = trainer.evaluate()["eval_loss"] if evaluating else None
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    history = trainer.state.log_history
    train_points = [(h["step"], h["loss"]) for h in history if "loss" in h]
    eval_points = [(h["step"], h["eval_loss"]) for h in history if "eval_loss" in h]
    summary = {
        "run_name": config.run_name,
        "base_model": config.base_model,
        "peft": config.peft,
        "quantized_4bit": quantized,
        "device": "cuda" if cuda else "cpu",
        **{f"{k}_examples" if k in ("train", "validation") else k: v for k, v in stats.items()},
        "steps": trainer.state.global_step,
        "epochs": round(trainer.state.epoch or 0.0, 3),
        "train_loss": result.training_loss,
        "final_train_loss": train_points[-1][1] if train_points else None,
        "eval_loss": eval_loss,
        "eval_perplexity": math.exp(eval_loss) if eval_loss is not None and eval_loss < 50 else None,
        "duration_s": round(time.monotonic() - started, 2),
        "loss_curve": {"train": train_points, "eval": eval_points},
        "config": asdict(config),
    }
    (out / SUMMARY).write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    plot_losses(train_points, eval_points, out / PLOT, title=f"{config.run_name}: {config.peft}")
    return summary


def plot_losses(
    train_points: list[tuple[int, float]], eval_points: list[tuple[int, float]], path: Path, *, title: str
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    for points, label, style in ((train_points, "train", "-"), (eval_points, "validation", "o-")):
        if points:
            steps, losses = zip(*points, strict=True)
            ax.plot(steps, losses, style, label=label)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss (seller tokens)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def format_summary(summary: dict[str, Any]) -> str:
    def num(value: Any) -> str:
        return "-" if value is None else f"{value:.4f}"

    return "\n".join(
        (
            f"run {summary['run_name']}: {summary['peft']} on {summary['base_model']} ({summary['device']}"
            f"{', 4-bit' if summary['quantized_4bit'] else ''})",
            f"  data        {summary['dialogues']} dialogues: {summary['train_examples']} train / "
            f"{summary['validation_examples']} validation ({summary['skipped_too_long']} too long)",
            f"  steps       {summary['steps']} ({summary['epochs']} epochs) in {summary['duration_s']} s",
            f"  train loss  {num(summary['final_train_loss'])} (mean {num(summary['train_loss'])})",
            f"  eval loss   {num(summary['eval_loss'])}",
        )
    )
