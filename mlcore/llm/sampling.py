"""Next-token sampling for a batch of chats, each with its own settings, in a few tensor ops.

The same steps as transformers' `generate` (repetition penalty, temperature, top-k, top-p), done
on the whole batch at once; the draw is Gumbel-max, so a chat with a seed draws from its own
random stream and repeats itself whatever else shares its batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Sampling:
    do_sample: bool = True
    temperature: float = 0.9
    top_p: float = 0.85
    top_k: int = 50
    repetition_penalty: float = 1.1


@dataclass
class Table:
    """The rows' settings as tensors, built once per change of the batch, not every step."""

    any_sampled: bool
    top_k: int
    penalty: Any
    temperature: Any
    own_k: Any
    top_p: Any
    sampled: Any


def table(settings: list[Sampling], *, vocab: int, tensor: Any) -> Table:
    """`tensor(values)` puts a list on the device (`SlotModel.tensor`)."""

    def column(values: list[float]) -> Any:
        return tensor(values)[:, None]

    ks = [s.top_k if 0 < s.top_k < vocab else vocab for s in settings]
    return Table(
        any_sampled=any(s.do_sample for s in settings),
        top_k=max(ks),
        penalty=column([s.repetition_penalty for s in settings]),
        temperature=column([max(s.temperature, 1e-5) for s in settings]),
        own_k=column(ks),
        top_p=column([s.top_p for s in settings]),
        sampled=tensor([s.do_sample for s in settings]),
    )


def sample(logits: Any, *, seen: Any, rows: Table, generators: list[Any], shared: Any = None) -> Any:
    """One token per row of `logits` [rows, vocab] (float32); `seen` [rows, vocab] marks the
    tokens each row has read or written (for the repetition penalty); `generators` holds a
    torch.Generator per seeded row, else None (those rows draw from `shared`)."""
    import torch

    device = logits.device
    penalty = rows.penalty
    logits = torch.where(seen, torch.where(logits > 0, logits / penalty, logits * penalty), logits)
    greedy = logits.argmax(dim=-1)
    if not rows.any_sampled:
        return greedy
    top_k = rows.top_k
    values, indices = (logits / rows.temperature).topk(top_k, dim=-1)  # sorted, highest first
    ranks = torch.arange(top_k, device=device)
    probs = values.softmax(dim=-1)
    keep = (ranks < rows.own_k) & ((probs.cumsum(dim=-1) - probs) < rows.top_p)  # the first one stays
    values = values.masked_fill(~keep, float("-inf"))
    if all(g is None for g in generators):
        uniform = torch.rand(len(generators), top_k, generator=shared, device=device)
    else:
        uniform = torch.stack(
            [torch.rand(top_k, generator=g if g is not None else shared, device=device) for g in generators]
        )
    gumbel = -torch.log(-torch.log(uniform.clamp(1e-10, 1.0 - 1e-7)))
    drawn = indices.gather(-1, (values + gumbel).argmax(dim=-1, keepdim=True))[:, 0]
    return torch.where(rows.sampled, drawn, greedy)
