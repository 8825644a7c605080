"""Fine-tuning: a LoRA / QLoRA (or prefix-tuning) adapter on a GPT-NeoX base, seller-only loss.

The original's recipe (KULLM / Polyglot-Ko, LoRA r=16, alpha=32, dropout 0.1 on `query_key_value`,
lr 1e-4, max length 1024) with what it lacked: a held-out validation split
(`mlcore.llm.dataset.split_dialogues`, stable by content hash) and its eval loss, a JSON summary, a
loss-curve plot, and a loop that keeps the GPU busy. Examples come from `mlcore.llm.dataset`: the
`mlcore.llm.template` layout, labels only on the seller's words and the eos closing each seller turn.

Two loops (`--loop`):

- `packed` (default): padding-free. Each micro-batch is one row of whole examples laid end to end
  (transformers' `DataCollatorWithFlattening`): position ids restart at every example and the
  attention implementation keeps examples apart (flash-attention 2 when installed, else PyTorch's
  variable-length flash kernel, else SDPA with the block-diagonal mask transformers derives from the
  position ids). Batches hold up to `--batch-tokens` tokens (`--batch-by tokens`, default
  batch_size x max_length, the memory a padded batch was sized for) or `--batch-size` examples
  (`--batch-by examples`). The recipe chooses itself (`mlcore.llm.recipe`): bf16 LoRA when the base
  fits with room, QLoRA 4-bit otherwise, gradient checkpointing only when memory needs it;
  `--load-in-4bit/--no-load-in-4bit` and `--gradient-checkpointing/--no-gradient-checkpointing`
  force either choice.
- `plain`: the baseline the figures in benchmarks/RESULTS.md compare against: padded batches of
  `--batch-size` examples, QLoRA 4-bit and gradient checkpointing on a GPU unless switched off.

    python -m mlcore train --base-model PATH_OR_HUB_ID --out runs/lora [--data FILES…] [--max-steps N]
        [--resume last|CHECKPOINT_DIR] [--save-steps N]

The output directory holds the adapter (adapter_config.json, adapter_model.safetensors), the
tokenizer, `summary.json` (losses, recipe, real tokens/s, model FLOP utilisation, peak GPU memory)
and `loss.png`: what `mlcore.llm.generator` / NELLM_ADAPTER load. With `--save-steps` it also holds
`checkpoint-N/` folders, from which `--resume` continues with the same step count and data order.
"""

from __future__ import annotations

import argparse
import importlib.util
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
VARLEN = "nellm_varlen"  # the attention implementation registered by `_register_varlen_attention`
FLASH_KWARGS_ATTENTION = ("flash_attention_2", "flash_attention_3", VARLEN)
# Dense bf16 tensor-core peaks (vendor datasheets, SXM parts) for the model FLOP utilisation.
PEAK_BF16_TFLOPS = {"H200": 989.4, "H100": 989.4, "A100": 312.0, "L40S": 362.1, "L4": 121.0, "A10": 125.0}


@dataclass
class TrainConfig:
    data: list[str] = field(default_factory=lambda: [CORPUS])
    hub_split: str = "train"
    base_model: str = ""
    out: str = "runs/nellm-lora"
    run_name: str = "nellm"
    loop: str = "packed"
    max_length: int = 1024
    epochs: float = 3.0
    max_steps: int = -1
    batch_by: str = "tokens"
    batch_tokens: int = 0
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
    load_in_4bit: bool | None = None
    gradient_checkpointing: bool | None = None
    attn_implementation: str = "auto"
    peak_tflops: float = 0.0
    val_share: float = 0.1
    limit: int = 0
    seed: int = 42
    logging_steps: int = 10
    eval_steps: int = 50
    save_steps: int = 0
    resume: str = ""

    def __post_init__(self) -> None:
        problems = []
        if not self.base_model:
            problems.append("base_model is required (a local model directory or a hub id)")
        if not self.data:
            problems.append("data needs at least one file, directory or hub dataset id")
        if self.loop not in ("packed", "plain"):
            problems.append(f"loop must be 'packed' or 'plain', not {self.loop!r}")
        if self.batch_by not in ("tokens", "examples"):
            problems.append(f"batch_by must be 'tokens' or 'examples', not {self.batch_by!r}")
        if self.peft not in ("lora", "prefix"):
            problems.append(f"peft must be 'lora' or 'prefix', not {self.peft!r}")
        if not 0 <= self.val_share < 1:
            problems.append("val_share must be in [0, 1)")
        if self.max_steps == 0 or (self.max_steps < 0 and self.epochs <= 0):
            problems.append("train for max_steps > 0 or epochs > 0")
        for name in ("max_length", "batch_size", "grad_accum", "logging_steps", "eval_steps"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be at least 1")
        if self.batch_tokens and self.batch_tokens < self.max_length:
            problems.append("batch_tokens must be at least max_length (or 0: batch_size x max_length)")
        if self.lr <= 0:
            problems.append("lr must be positive")
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def tokens_per_batch(self) -> int:
        return self.batch_tokens or self.batch_size * self.max_length


HELP = {
    "data": "dialogue JSON/JSONL files or directories (dataset schema) or hub dataset ids",
    "hub_split": "split of hub datasets",
    "base_model": "base causal LM: local directory or hub id (e.g. nlpai-lab/kullm-polyglot-12.8b-v2)",
    "out": "output directory for the adapter, tokenizer, summary.json and loss.png",
    "run_name": "name of the run (logs, summary)",
    "loop": "packed (padding-free, recipe chosen for the GPU) or plain (padded batches: the old baseline)",
    "max_length": "tokens per example; old turns are dropped to fit",
    "epochs": "training epochs (the original ran 20)",
    "max_steps": "optimizer steps; overrides --epochs when > 0",
    "batch_by": "packed loop: size micro-batches by tokens (--batch-tokens) or by examples (--batch-size)",
    "batch_tokens": "packed loop, --batch-by tokens: tokens per micro-batch; 0 = batch_size x max_length",
    "batch_size": "examples per device batch (plain loop, --batch-by examples, evaluation)",
    "grad_accum": "gradient accumulation steps",
    "lr": "learning rate",
    "warmup_ratio": "share of the steps spent warming up the learning rate",
    "peft": "adapter type: lora or prefix (prefix trains on padded batches: its cache defeats packing)",
    "lora_r": "LoRA rank",
    "lora_alpha": "LoRA alpha",
    "lora_dropout": "LoRA dropout",
    "target_modules": "modules LoRA adapts (GPT-NeoX: query_key_value)",
    "num_virtual_tokens": "prefix-tuning virtual tokens",
    "load_in_4bit": "QLoRA: 4-bit NF4 base on CUDA; unset = chosen from model and GPU (plain loop: on)",
    "gradient_checkpointing": "trade compute for memory on the GPU; unset = when needed (plain loop: on)",
    "attn_implementation": "attention kernel: auto (fastest that keeps packed examples apart), sdpa, eager",
    "peak_tflops": "GPU bf16 peak for the FLOP utilisation; 0 = from the GPU's name",
    "val_share": "share of dialogues held out for the eval loss (stable by content hash)",
    "limit": "use only the first N dialogues (smoke runs); 0 = all",
    "seed": "random seed",
    "logging_steps": "log the train loss every N steps",
    "eval_steps": "evaluate every N steps",
    "save_steps": "checkpoint every N steps (keeps the last two); 0 = only the final adapter",
    "resume": "continue from a checkpoint: 'last' (newest checkpoint-N in --out) or its directory",
}


# --- CLI: one option per TrainConfig field ------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """`--field-name` for every TrainConfig field; also used by `manage.py train_nellm`."""
    for f in fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        default = f.default_factory() if f.default_factory is not MISSING else f.default
        shown = "chosen" if default is None else default
        help_text = f"{HELP[f.name]} (default: {shown})"
        if isinstance(default, bool) or f.type == "bool | None":
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


def _datasets(
    config: TrainConfig, tokenizer: Any
) -> tuple[list[dict[str, list[int]]], list[dict[str, list[int]]] | None, dict[str, int], list[int]]:
    from mlcore.llm.dataset import encode_dialogues, load_sources, split_dialogues

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
    lengths = [len(e["input_ids"]) for e in enc_train.examples]
    # Plain lists serve the Trainer as well as a `datasets.Dataset` would, without importing `datasets`.
    return enc_train.examples, enc_val.examples or None, stats, lengths


def model_shape(base_model: str) -> Any:
    """The base's parameter count and dimensions, from its config on the meta device (no weights)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from mlcore.llm.recipe import ModelShape

    model_config = AutoConfig.from_pretrained(base_model)
    with torch.device("meta"):
        skeleton = AutoModelForCausalLM.from_config(model_config)
    return ModelShape.from_config(model_config, sum(p.numel() for p in skeleton.parameters()))


def _recipe(config: TrainConfig, shape: Any, cuda: bool) -> Any:
    from mlcore.llm.recipe import Recipe, choose_recipe, training_bytes

    if config.loop == "plain":  # the baseline keeps its old defaults: 4-bit and checkpointing on a GPU
        quantize = cuda and config.load_in_4bit is not False
        checkpointing = cuda and config.gradient_checkpointing is not False
        precision = "4bit" if quantize else "bf16" if cuda else "fp32"
        estimate = training_bytes(
            shape,
            precision=precision,
            gradient_checkpointing=checkpointing,
            batch_tokens=config.tokens_per_batch,
        )
        return Recipe(precision, checkpointing, estimate, None, "plain loop (baseline): padded batches")
    import torch

    return choose_recipe(
        shape,
        gpu_bytes=torch.cuda.mem_get_info()[0] if cuda else None,
        batch_tokens=config.tokens_per_batch,
        load_in_4bit=config.load_in_4bit,
        gradient_checkpointing=config.gradient_checkpointing,
    )


def _register_varlen_attention() -> bool:
    """PyTorch's variable-length flash kernel as a transformers attention implementation: each
    packed example attends only to itself, with no mask materialised. False where torch lacks it."""
    try:
        from torch.nn.attention.varlen import varlen_attn
    except ImportError:
        return False
    import inspect

    import torch
    from transformers import AttentionInterface
    from transformers.integrations.sdpa_attention import sdpa_attention_forward
    from transformers.masking_utils import AttentionMaskInterface, flash_attention_mask

    # torch 2.10-2.12 take is_causal; later releases express causality as a window.
    causal: dict[str, Any] = (
        {"is_causal": True}
        if "is_causal" in inspect.signature(varlen_attn).parameters
        else {"window_size": (-1, 0)}
    )

    def attention(
        module: Any,
        query: Any,
        key: Any,
        value: Any,
        attention_mask: Any,
        dropout: float = 0.0,
        scaling: float | None = None,
        **kwargs: Any,
    ) -> tuple[Any, None]:
        if query.shape[0] != 1 or kwargs.get("cu_seq_lens_q") is None:  # not a flattened batch
            return sdpa_attention_forward(
                module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs
            )
        dtype = torch.bfloat16 if query.dtype == torch.float32 else query.dtype  # QLoRA's fp32 norms
        q, k, v = (t[0].transpose(0, 1).to(dtype).contiguous() for t in (query, key, value))
        out = varlen_attn(
            q,
            k,
            v,
            kwargs["cu_seq_lens_q"],
            kwargs["cu_seq_lens_k"],
            kwargs["max_length_q"],
            kwargs["max_length_k"],
            scale=scaling,
            **causal,
        )
        return out.unsqueeze(0), None

    AttentionInterface.register(VARLEN, attention)
    AttentionMaskInterface.register(VARLEN, flash_attention_mask)
    return True


def choose_attention(config: TrainConfig, cuda: bool) -> str | None:
    """The attention implementation to load the base with; None keeps transformers' default."""
    requested = config.attn_implementation
    if requested == VARLEN:
        if not _register_varlen_attention():
            raise ValueError(f"attn_implementation {VARLEN} needs torch.nn.attention.varlen (torch >= 2.10)")
        return requested
    if requested != "auto":
        return requested
    if config.loop == "plain" or not cuda:
        return None if config.loop == "plain" else "sdpa"
    if importlib.util.find_spec("flash_attn") is not None:
        return "flash_attention_2"
    return VARLEN if _register_varlen_attention() else "sdpa"


def load_for_training(config: TrainConfig, recipe: Any, attention: str | None) -> Any:
    """The base as `recipe` says, with attention `attention`, wrapped in a fresh PEFT adapter."""
    import torch
    from peft import LoraConfig, PrefixTuningConfig, TaskType, get_peft_model
    from transformers import AutoModelForCausalLM

    cuda = torch.cuda.is_available()
    kwargs: dict[str, Any] = {}
    if attention is not None:
        kwargs["attn_implementation"] = attention
    if recipe.quantized:
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
        kwargs["device_map"] = {"": 0}
    else:
        if config.load_in_4bit:
            log.info(
                "no CUDA: training %s in full precision on the CPU (4-bit needs a GPU)", config.base_model
            )
        kwargs["dtype"] = torch.float32
    model = AutoModelForCausalLM.from_pretrained(config.base_model, **kwargs)
    # A KV cache in training is waste, and with one transformers no longer derives the packed rows'
    # block-diagonal mask from the position ids: examples would attend to each other.
    model.config.use_cache = False
    # Non-reentrant checkpointing needs no input gradients and is the one PyTorch recommends.
    checkpoint_kwargs = {"use_reentrant": config.loop == "plain"}
    if recipe.quantized:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(
            model,
            use_gradient_checkpointing=recipe.gradient_checkpointing,
            gradient_checkpointing_kwargs=checkpoint_kwargs,
        )
    elif recipe.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=checkpoint_kwargs)
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
    return get_peft_model(model, peft_config)


class Meter:
    """Real (non-padding) tokens and the wall time of the optimizer steps, for tokens/s and MFU.

    The steady rate leaves out the first step (allocator warm-up, kernel autotuning); the GPU is
    synchronised only at its two ends, so the meter never stalls the queue of kernels."""

    def __init__(self, cuda: bool) -> None:
        self.cuda = cuda
        self.tokens = 0
        self.started = self.warm_at = self.ended = 0.0
        self.warm_tokens = self.steps_after_warm = 0

    def _now(self) -> float:
        if self.cuda:
            import torch

            torch.cuda.synchronize()
        return time.perf_counter()

    def count(self, inputs: dict[str, Any]) -> None:
        mask = inputs.get("attention_mask")
        self.tokens += int(mask.sum()) if mask is not None else int(inputs["input_ids"].numel())

    def begin(self) -> None:
        self.started = self._now()

    def step(self, first: bool) -> None:
        if first:
            self.warm_at, self.warm_tokens = self._now(), self.tokens
        elif self.warm_at:
            self.steps_after_warm += 1

    def end(self) -> None:
        self.ended = self._now()

    def rate(self) -> float:
        """The running rate for the progress bar (not synchronised: close enough over many steps)."""
        since = self.warm_at or self.started
        elapsed = time.perf_counter() - since
        return (self.tokens - (self.warm_tokens if self.warm_at else 0)) / elapsed if elapsed > 0 else 0.0

    def figures(self) -> dict[str, Any]:
        total = self.ended - self.started
        steady = self.ended - self.warm_at if self.warm_at else 0.0
        return {
            "tokens": self.tokens,
            "train_seconds": round(total, 3),
            "tokens_per_s": round(self.tokens / total, 1) if total > 0 else None,
            "steady_tokens_per_s": round((self.tokens - self.warm_tokens) / steady, 1)
            if steady > 0
            else None,
            "seconds_per_step": round(steady / self.steps_after_warm, 4) if self.steps_after_warm else None,
        }


def _trainer(meter: Meter, batch_sampler: Any, **kwargs: Any) -> Any:
    from transformers import ProgressCallback, Trainer

    class NellmTrainer(Trainer):
        def get_train_dataloader(self) -> Any:
            if batch_sampler is None:
                return super().get_train_dataloader()
            from torch.utils.data import DataLoader

            loader = DataLoader(
                self.train_dataset,
                batch_sampler=batch_sampler,
                collate_fn=self.data_collator,
                num_workers=0,
                pin_memory=self.args.dataloader_pin_memory,
            )
            return self.accelerator.prepare(loader)

        def training_step(self, model: Any, inputs: Any, num_items_in_batch: Any = None) -> Any:
            meter.count(inputs)
            return super().training_step(model, inputs, num_items_in_batch)

    class Progress(ProgressCallback):
        """The Trainer's own bar (steps, ETA) with the running real tokens/s beside it."""

        def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            super().on_train_begin(args, state, control, **kw)
            self.first_step = state.global_step + 1
            meter.begin()

        def on_step_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            meter.step(first=state.global_step == self.first_step)
            super().on_step_end(args, state, control, **kw)
            if self.training_bar is not None:
                self.training_bar.set_postfix_str(f"{meter.rate():,.0f} tok/s", refresh=False)

        def on_train_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
            meter.end()
            super().on_train_end(args, state, control, **kw)

    trainer = NellmTrainer(**kwargs)
    trainer.remove_callback(ProgressCallback)
    trainer.add_callback(Progress())
    return trainer


def flops_per_token(shape: Any, *, trainable: int, mean_length: float) -> float:
    """Model FLOPs per trained token of a LoRA step: forward and input-gradient matmuls through the
    frozen base (2 + 2 per weight), forward and both gradients for the adapter (6 per weight), and
    causal attention within each example (forward 2·L·s·d, backward twice that). Recomputation by
    gradient checkpointing is not useful work and is not counted."""
    return 4 * shape.params + 6 * trainable + 6 * shape.layers * shape.hidden * mean_length


def _peak_tflops(config: TrainConfig, cuda: bool) -> float | None:
    if config.peak_tflops > 0:
        return config.peak_tflops
    if not cuda:
        return None
    import torch

    name = torch.cuda.get_device_name()
    found = [peak for key, peak in PEAK_BF16_TFLOPS.items() if key in name]
    return found[0] if found else None


def train(config: TrainConfig) -> dict[str, Any]:
    """Train, save the adapter, tokenizer, summary.json and loss.png in `config.out`; the summary."""
    import torch
    from transformers import (
        AutoTokenizer,
        DataCollatorForSeq2Seq,
        DataCollatorWithFlattening,
        TrainingArguments,
    )

    from mlcore.llm.dataset import IGNORE_INDEX, TokenBatchSampler

    started = time.monotonic()
    out = Path(config.out)
    tokenizer = AutoTokenizer.from_pretrained(config.base_model)
    if tokenizer.eos_token_id is None:
        raise ValueError(f"the tokenizer of {config.base_model} has no eos token")
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token  # padding is masked out of both attention and loss
    train_set, val_set, stats, lengths = _datasets(config, tokenizer)
    log.info(
        "data: %d dialogues -> %d train / %d validation examples (%d too long)",
        stats["dialogues"],
        stats["train"],
        stats["validation"],
        stats["skipped_too_long"],
    )
    cuda = torch.cuda.is_available()
    packed = config.loop == "packed" and config.peft == "lora"
    shape = model_shape(config.base_model)
    recipe = _recipe(config, shape, cuda)
    attention = choose_attention(config, cuda) if config.peft == "lora" else None
    log.info("recipe: %s; attention %s", recipe.describe(), attention or "default")
    model = load_for_training(config, recipe, attention)
    out.mkdir(parents=True, exist_ok=True)  # only once data and model are known to be good
    by_tokens = packed and config.batch_by == "tokens"
    sampler = (
        TokenBatchSampler(lengths, max_tokens=config.tokens_per_batch, seed=config.seed)
        if by_tokens
        else None
    )
    if packed:
        collator: Any = DataCollatorWithFlattening(
            return_flash_attn_kwargs=attention in FLASH_KWARGS_ATTENTION, separator_id=IGNORE_INDEX
        )
    else:
        collator = DataCollatorForSeq2Seq(tokenizer, padding=True, label_pad_token_id=IGNORE_INDEX)
    evaluating = val_set is not None
    if config.loop == "plain":
        optim = "paged_adamw_8bit" if recipe.quantized else "adamw_torch"
    else:  # the adapter's few million weights: fused Adam is the cheap one
        optim = "adamw_torch_fused" if cuda else "adamw_torch"
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
        optim=optim,
        seed=config.seed,
        report_to="none",
        dataloader_num_workers=0,
    )
    meter = Meter(cuda)
    trainer = _trainer(
        meter,
        sampler,
        model=model,
        args=args,
        train_dataset=train_set,
        eval_dataset=val_set,
        data_collator=collator,
        processing_class=tokenizer,
    )
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    resume: bool | str | None = None
    if config.resume:
        resume = True if config.resume == "last" else config.resume
    result = trainer.train(resume_from_checkpoint=resume)
    speed = meter.figures()
    peak_memory = torch.cuda.max_memory_allocated() / 1024**3 if cuda else None
    eval_loss = trainer.evaluate()["eval_loss"] if evaluating else None
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    history = trainer.state.log_history
    train_points = [(h["step"], h["loss"]) for h in history if "loss" in h]
    eval_points = [(h["step"], h["eval_loss"]) for h in history if "eval_loss" in h]
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    peak = _peak_tflops(config, cuda)
    rate = speed["steady_tokens_per_s"] or speed["tokens_per_s"]
    per_token = flops_per_token(shape, trainable=trainable, mean_length=sum(lengths) / len(lengths))
    summary = {
        "run_name": config.run_name,
        "base_model": config.base_model,
        "peft": config.peft,
        "loop": config.loop,
        "quantized_4bit": recipe.quantized,
        "device": torch.cuda.get_device_name() if cuda else "cpu",
        **{f"{k}_examples" if k in ("train", "validation") else k: v for k, v in stats.items()},
        "recipe": {
            "precision": recipe.precision,
            "gradient_checkpointing": recipe.gradient_checkpointing,
            "attention": attention or "default",
            "packing": packed,
            "batch": f"{config.tokens_per_batch} tokens" if by_tokens else f"{config.batch_size} examples",
            "estimated_peak_gib": round(recipe.estimated_bytes / 1024**3, 2),
            "reason": recipe.reason,
        },
        "params": shape.params,
        "trainable_params": trainable,
        "steps": trainer.state.global_step,
        "epochs": round(trainer.state.epoch or 0.0, 3),
        "resumed_from": str(config.resume) if config.resume else None,
        "train_loss": result.training_loss,
        "final_train_loss": train_points[-1][1] if train_points else None,
        "eval_loss": eval_loss,
        "eval_perplexity": math.exp(eval_loss) if eval_loss is not None and eval_loss < 50 else None,
        **speed,
        "mfu": round(rate * per_token / (peak * 1e12), 4) if peak and rate else None,
        "peak_memory_gib": round(peak_memory, 2) if peak_memory is not None else None,
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

    recipe = summary["recipe"]
    steady = summary["steady_tokens_per_s"] or summary["tokens_per_s"]
    rate = "-" if steady is None else f"{steady:,.0f}"
    mfu = "-" if summary["mfu"] is None else f"{summary['mfu']:.1%}"
    memory = "-" if summary["peak_memory_gib"] is None else f"{summary['peak_memory_gib']:.1f} GiB"

    return "\n".join(
        (
            f"run {summary['run_name']}: {summary['peft']} on {summary['base_model']} ({summary['device']}"
            f"{', 4-bit' if summary['quantized_4bit'] else ''})",
            f"  data        {summary['dialogues']} dialogues: {summary['train_examples']} train / "
            f"{summary['validation_examples']} validation ({summary['skipped_too_long']} too long)",
            f"  steps       {summary['steps']} ({summary['epochs']} epochs) in {summary['duration_s']} s",
            f"  train loss  {num(summary['final_train_loss'])} (mean {num(summary['train_loss'])})",
            f"  eval loss   {num(summary['eval_loss'])}",
            f"  recipe      {summary['loop']} loop, {recipe['precision']}, "
            f"{'gradient checkpointing' if recipe['gradient_checkpointing'] else 'no checkpointing'}, "
            f"attention {recipe['attention']}, {'packed ' if recipe['packing'] else 'padded '}"
            f"batches of {recipe['batch']} ({recipe['reason']})",
            f"  speed       {rate} real tokens/s ({summary['tokens']:,} tokens), MFU {mfu}, "
            f"peak GPU memory {memory}",
        )
    )
