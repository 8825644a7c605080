"""The training recipe from the model's shape and the GPU's memory: a pure function, so it is tested
without a GPU, and every choice can be forced.

- Precision: bf16 LoRA when the bf16 base takes at most 40% of the GPU and training fits beside it;
  QLoRA (4-bit NF4 base) otherwise — KULLM / Polyglot-Ko 12.8B on a 24–48 GB card. Without a GPU:
  fp32 on the CPU (tiny models only).
- Gradient checkpointing only when the activations of one micro-batch would not fit without it:
  it recomputes the forward pass, about a third more work for nothing when memory is plentiful.

The memory estimate is deliberately simple and a little pessimistic: weights, per-layer activations
of a LoRA step (Korthikanti et al. 2022, ~34·hidden bytes per token per layer in bf16 without the
attention scores a fused kernel never stores), the logits and their fp32 loss, and a fixed slack for
the CUDA context, the adapter and its optimizer. benchmarks/RESULTS.md compares it with measured peaks.
"""

from __future__ import annotations

from dataclasses import dataclass

GIB = 1024**3
HEADROOM = 0.9  # share of the free GPU memory a recipe may plan to use
ROOM = 0.4  # the bf16 base may take this share of the GPU: the rest is for training
SLACK = int(1.5 * GIB)  # CUDA context, allocator fragmentation, LoRA weights and their Adam states


@dataclass(frozen=True)
class ModelShape:
    params: int
    layers: int
    hidden: int
    vocab: int

    @classmethod
    def from_config(cls, config: object, params: int) -> ModelShape:
        return cls(
            params=params,
            layers=int(config.num_hidden_layers),
            hidden=int(config.hidden_size),
            vocab=int(config.vocab_size),
        )


@dataclass(frozen=True)
class Recipe:
    precision: str  # "bf16", "4bit" or "fp32" (CPU)
    gradient_checkpointing: bool
    estimated_bytes: int  # planned peak for one micro-batch of `batch_tokens`
    budget_bytes: int | None  # None on the CPU
    reason: str

    @property
    def quantized(self) -> bool:
        return self.precision == "4bit"

    def describe(self) -> str:
        name = {"bf16": "LoRA bf16", "4bit": "QLoRA 4-bit NF4", "fp32": "LoRA fp32 (CPU)"}[self.precision]
        checkpointing = "gradient checkpointing" if self.gradient_checkpointing else "no checkpointing"
        return f"{name}, {checkpointing}: {self.reason}"


def weight_bytes(shape: ModelShape, precision: str) -> int:
    if precision == "4bit":
        # NF4 with double quantization is ~0.52 bytes a weight; embeddings and the head stay in bf16.
        embeddings = 2 * shape.vocab * shape.hidden
        return int(0.52 * (shape.params - embeddings)) + 2 * embeddings
    return shape.params * (4 if precision == "fp32" else 2)


def training_bytes(
    shape: ModelShape, *, precision: str, gradient_checkpointing: bool, batch_tokens: int
) -> int:
    """Planned peak memory of one LoRA step over `batch_tokens` tokens."""
    per_layer = 34 * shape.hidden * batch_tokens
    if gradient_checkpointing:
        # Each layer's input is kept (4 bytes: QLoRA's fp32 norms make the residual stream fp32) and
        # one layer's activations are live at a time.
        activations = 4 * shape.hidden * batch_tokens * shape.layers + per_layer
    else:
        activations = per_layer * shape.layers
    logits = 10 * batch_tokens * shape.vocab  # bf16 logits, their fp32 copy for the loss, its gradient
    return weight_bytes(shape, precision) + activations + logits + SLACK


def choose_recipe(
    shape: ModelShape,
    *,
    gpu_bytes: int | None,
    batch_tokens: int,
    load_in_4bit: bool | None = None,
    gradient_checkpointing: bool | None = None,
) -> Recipe:
    """The recipe for `shape` on a GPU with `gpu_bytes` free (None: no GPU); None means choose."""
    if gpu_bytes is None:
        reason = "no GPU"
        if load_in_4bit:
            reason += " (4-bit needs one: ignored)"
        estimate = training_bytes(
            shape, precision="fp32", gradient_checkpointing=False, batch_tokens=batch_tokens
        )
        return Recipe("fp32", False, estimate, None, reason)
    budget = int(gpu_bytes * HEADROOM)

    def need(precision: str, checkpointing: bool) -> int:
        return training_bytes(
            shape, precision=precision, gradient_checkpointing=checkpointing, batch_tokens=batch_tokens
        )

    gb = f"{gpu_bytes / GIB:.0f} GiB"
    if load_in_4bit is not None:
        precision = "4bit" if load_in_4bit else "bf16"
        reasons = ["4-bit forced" if load_in_4bit else "bf16 forced"]
    elif weight_bytes(shape, "bf16") <= ROOM * gpu_bytes and need("bf16", True) <= budget:
        precision = "bf16"
        reasons = [f"the bf16 base ({weight_bytes(shape, 'bf16') / GIB:.1f} GiB) fits {gb} with room"]
    else:
        precision = "4bit"
        reasons = [f"the bf16 base ({weight_bytes(shape, 'bf16') / GIB:.1f} GiB) leaves too little of {gb}"]
    if gradient_checkpointing is not None:
        checkpointing = gradient_checkpointing
        reasons.append("checkpointing forced " + ("on" if checkpointing else "off"))
    else:
        checkpointing = need(precision, False) > budget
        verdict = "do not" if checkpointing else "do"
        reasons.append(f"{batch_tokens}-token activations without checkpointing {verdict} fit")
    estimate = need(precision, checkpointing)
    if estimate > budget:
        reasons.append(f"may not fit: ~{estimate / GIB:.1f} GiB planned, lower --batch-tokens")
    return Recipe(precision, checkpointing, estimate, budget, "; ".join(reasons))
