"""Next-token sampling for every slot of the cache at once, each with its own settings.

The same steps as transformers' `generate` (repetition penalty, temperature, top-k, top-p), done
on the whole batch in a fixed number of tensor ops that never wait for the host, so the sampling
of several decode steps can be recorded in one CUDA graph with the forward passes
(`mlcore.llm.scheduler`). Two things make that possible:

* each slot's settings and state live in device tensors, written once when a request joins;
* the draw is Gumbel-max over noise hashed from (the request's seed, its token count, the rank),
  not a stateful generator: a graph replays it without registering generator state, and a chat
  with a seed repeats itself whatever else shares its batch and however many steps run between
  two looks from the host.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

# The draw looks at the `TOP_K` likeliest tokens at most: a fixed width keeps the step's shapes
# fixed for the graph. The generator's settings (top-k 50, as the original's) stay within it;
# a larger or disabled top-k is narrowed to it.
TOP_K = 64
_MASK = 0xFFFFFFFF
_MIX = 0x45D9F3B  # < 2**27: a product with a 32-bit value stays inside int64


@dataclass(frozen=True)
class Sampling:
    do_sample: bool = True
    temperature: float = 0.9
    top_p: float = 0.85
    top_k: int = 50
    repetition_penalty: float = 1.1


def _mix(x: Any) -> Any:
    """A 32-bit integer hash (x in [0, 2**32)), in int64 tensor ops that CUDA graphs can hold."""
    x = (((x >> 16) ^ x) * _MIX) & _MASK
    x = (((x >> 16) ^ x) * _MIX) & _MASK
    return (x >> 16) ^ x


def uniform(seeds: Any, counts: Any, width: int) -> Any:
    """[rows, width] numbers in (0, 1), a function of each row's seed and token count only."""
    import torch

    key = _mix((_mix(seeds & _MASK) + counts) & _MASK)
    ranks = torch.arange(width, device=seeds.device)
    bits = _mix((key[:, None] ^ (ranks * 0x27D4EB2) & _MASK) & _MASK) >> 8  # 24 bits
    return (bits.float() + 0.5) / float(1 << 24)


class SlotSampler:
    """Every slot's sampling settings and state on the device; `draw` samples for any rows."""

    def __init__(self, *, slots: int, vocab: int, eos: int, device: Any, tensor: Any) -> None:
        """`tensor(values)` puts a host list on the device without waiting (`SlotModel.tensor`)."""
        import torch

        self.torch, self.tensor, self.eos = torch, tensor, eos
        self.width = min(TOP_K, vocab)

        def column(value: float, dtype: Any = torch.float32) -> Any:
            return torch.full((slots, 1), value, dtype=dtype, device=device)

        self.penalty, self.temperature, self.top_p = column(1.0), column(1.0), column(1.0)
        self.own_k = column(self.width, torch.long)
        self.sampled = torch.zeros(slots, dtype=torch.bool, device=device)
        self.seed = torch.zeros(slots, dtype=torch.long, device=device)
        self.count = torch.zeros(slots, dtype=torch.long, device=device)  # tokens drawn
        self.min = torch.zeros(slots, dtype=torch.long, device=device)  # eos barred before this many
        self.seen = torch.zeros(slots, vocab, dtype=torch.bool, device=device)  # for the penalty
        # A True on the device: `seen[rows, tokens] = True` copies a host scalar to the device,
        # which a CUDA graph cannot record and which, from pageable memory, waits for the queue.
        self._true = torch.ones((), dtype=torch.bool, device=device)

    def join(
        self,
        rows: list[int],
        settings: list[Sampling],
        *,
        seeds: list[int | None],
        min_new_tokens: list[int],
        prompts: list[list[int]],
    ) -> None:
        """Set the rows of requests that join; a request without a seed gets a random one.
        Nothing here waits for the work queued before (no assignment of a host scalar, which
        CUDA copies from pageable memory only after the queue drains)."""
        tensor = self.tensor
        index = tensor(rows)
        ks = [s.top_k if 0 < s.top_k < self.width else self.width for s in settings]
        self.penalty[index] = tensor([[s.repetition_penalty] for s in settings])
        self.temperature[index] = tensor([[max(s.temperature, 1e-5)] for s in settings])
        self.top_p[index] = tensor([[s.top_p] for s in settings])
        self.own_k[index] = tensor([[k] for k in ks])
        self.sampled[index] = tensor([s.do_sample for s in settings])
        self.seed[index] = tensor([secrets.randbits(31) if s is None else s & _MASK for s in seeds])
        self.count.index_fill_(0, index, 0)
        self.min[index] = tensor(min_new_tokens)
        self.seen.index_fill_(0, index, False)
        prompt_rows = tensor([row for row, prompt in zip(rows, prompts, strict=True) for _ in prompt])
        self.seen.index_put_((prompt_rows, tensor([t for prompt in prompts for t in prompt])), self._true)

    def draw(self, logits: Any, rows: Any) -> Any:
        """One token for each row of `logits` [len(rows), vocab] (float32; changed in place),
        the rows' state advanced; no host sync, no branch on device values."""
        torch = self.torch
        barred = self.count[rows] < self.min[rows]
        logits[:, self.eos] = logits[:, self.eos].masked_fill(barred, float("-inf"))
        penalty = self.penalty[rows]
        logits = torch.where(
            self.seen[rows], torch.where(logits > 0, logits / penalty, logits * penalty), logits
        )
        greedy = logits.argmax(dim=-1)
        values, indices = (logits / self.temperature[rows]).topk(self.width, dim=-1)  # highest first
        probs = values.softmax(dim=-1)
        ranks = torch.arange(self.width, device=logits.device)
        keep = (ranks < self.own_k[rows]) & ((probs.cumsum(dim=-1) - probs) < self.top_p[rows])
        noise = uniform(self.seed[rows], self.count[rows], self.width)
        gumbel = -torch.log(-torch.log(noise))
        scores = values.masked_fill(~keep, float("-inf")) + gumbel  # the first one always stays
        drawn = indices.gather(-1, scores.argmax(dim=-1, keepdim=True))[:, 0]
        tokens = torch.where(self.sampled[rows], drawn, greedy)
        self.count[rows] += 1
        self.seen.index_put_((rows, tokens), self._true)
        return tokens
