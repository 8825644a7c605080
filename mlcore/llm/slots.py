"""GPT-NeoX decoding over a fixed set of KV-cache slots: one row of the cache per chat.

Why not a library: transformers' continuous batching (`generate_batch`) ran at 439–617 tokens/s on
an H200 in 5.17 and fails on GPT-NeoX in 5.24 (`PagedAttentionCache.update() missing … kwargs`,
docs/MODEL.md); its static cache shares one write position across the batch, so chats of
different lengths cannot decode in one step. This file only adds what neither does: a cache of
`slots × max_length` positions where each row has its own length, so a chat can join or leave
between two decoding steps, and a decode step of fixed shapes that a CUDA graph can replay.

The forward pass calls the model's own modules (embedding, each layer's norms, fused QKV, MLP,
final norm, head), so PEFT LoRA layers and bitsandbytes 4-bit layers work unchanged; only the
attention over the cache and the rotary embedding are written here. `tests/mlcore/test_serving.py`
checks its logits against the model's own forward. With `compile`, each decode layer goes through
`torch.compile` first (benchmarks/RESULTS.md, "Serving, compiled").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

_MIN_BUCKET = 64  # attention reads the cache up to the longest chat, rounded up to a power of two


def _base_model(model: Any) -> Any:
    """The GPTNeoXForCausalLM under a PeftModel (whose LoRA layers stay in place)."""
    get_base = getattr(model, "get_base_model", None)
    return get_base() if callable(get_base) else model


def buckets(max_length: int) -> list[int]:
    sizes, size = [], _MIN_BUCKET
    while size < max_length:
        sizes.append(size)
        size *= 2
    return [*sizes, max_length]


class SlotModel:
    """A GPT-NeoX causal LM with `slots` KV-cache rows of `max_length` positions each."""

    def __init__(
        self, model: Any, *, slots: int, max_length: int, cuda_graphs: bool = True, compile: bool = False
    ) -> None:
        """`compile`: each decode layer through `torch.compile` (inductor, static shapes, one
        compile per cache bucket shared by all layers), which fuses a layer's norms, rotary, cache
        writes, bias, GELU and residuals into a few kernels; the CUDA graph records the result."""
        import torch

        base = _base_model(model)
        if not hasattr(base, "gpt_neox"):
            raise ValueError(f"batched serving supports GPT-NeoX models, not {type(base).__name__}")
        self.torch = torch
        self.net, self.head = base.gpt_neox, base.get_output_embeddings()
        config = base.config
        self.heads = config.num_attention_heads
        self.head_size = config.hidden_size // self.heads
        self.slots, self.max_length = slots, max_length
        embedding = self.net.embed_in.weight
        self.device, self.dtype = embedding.device, embedding.dtype
        rotary = self.net.rotary_emb
        self.inv_freq = rotary.inv_freq.to(self.device, torch.float32)
        self.rotary_scale = float(getattr(rotary, "attention_scaling", 1.0))
        shape = (slots, self.heads, max_length, self.head_size)
        layers = len(self.net.layers)
        self.keys = [torch.zeros(shape, dtype=self.dtype, device=self.device) for _ in range(layers)]
        self.values = [torch.zeros(shape, dtype=self.dtype, device=self.device) for _ in range(layers)]
        self.rows = torch.arange(slots, device=self.device)
        self.positions = torch.arange(max_length, device=self.device)
        self.buckets = buckets(max_length)
        self.cuda_graphs = cuda_graphs and self.device.type == "cuda"
        self._graphs: dict[Any, tuple[Any, Any]] = {}
        self._inputs: dict[Any, tuple[Any, Any]] = {}
        self._decode_layer = self._eager_decode_layer
        self.compiled = compile  # until compiling fails
        if compile:
            # One layer compiled once per bucket and reused by every layer (regional compilation:
            # modules are inputs, not constants), so the limit is buckets × schedulers, not layers.
            dynamo = torch._dynamo.config
            dynamo.recompile_limit = max(dynamo.recompile_limit, 8 * len(self.buckets))
            self._compiled = torch.compile(self._eager_decode_layer, fullgraph=True, dynamic=False)
            self._decode_layer = self._compiled_decode_layer

    def tensor(self, values: list, *, dtype: Any = None) -> Any:
        """`values` on the device without waiting for it: a plain copy from pageable memory
        would wait for every step queued before it, and the scheduler keeps one step queued."""
        torch = self.torch
        host = torch.tensor(values, dtype=dtype)
        if self.device.type != "cuda":
            return host
        return host.pin_memory().to(self.device, non_blocking=True)

    @property
    def cache_bytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in (*self.keys, *self.values))

    # --- the pieces of one forward pass -----------------------------------------------------------

    def _rotary(self, position_ids: Any) -> tuple[Any, Any]:
        torch = self.torch
        freqs = position_ids[..., None].float() * self.inv_freq
        emb = torch.cat((freqs, freqs), dim=-1)
        # [batch, 1 (heads), length, 1 (query or key), width]
        cos = (emb.cos() * self.rotary_scale).to(self.dtype)[:, None, :, None]
        sin = (emb.sin() * self.rotary_scale).to(self.dtype)[:, None, :, None]
        return cos, sin

    def _rope(self, x: Any, cos: Any, sin: Any) -> Any:
        torch = self.torch
        width = cos.shape[-1]
        rot, rest = x[..., :width], x[..., width:]
        half = width // 2
        turned = torch.cat((-rot[..., half:], rot[..., :half]), dim=-1)
        return torch.cat((rot * cos + turned * sin, rest), dim=-1)

    def _layer(self, layer: Any, hidden: Any, cos: Any, sin: Any, attend: Any) -> Any:
        """One transformer layer; `attend(k, v)` stores the new keys and values and returns the
        keys, values and mask to attend over."""
        attention = layer.attention
        batch, length = hidden.shape[:2]
        qkv = attention.query_key_value(layer.input_layernorm(hidden))
        qkv = qkv.view(batch, length, self.heads, 3 * self.head_size).transpose(1, 2)
        # Queries and keys turned together: half the eager kernels of turning each (compiled,
        # the turn and the cache writes are one kernel).
        turned = self._rope(qkv[..., : 2 * self.head_size].unflatten(-1, (2, self.head_size)), cos, sin)
        query, key = turned.unbind(-2)
        value = qkv[..., 2 * self.head_size :]
        keys, values, mask = attend(key, value)
        out = self.torch.nn.functional.scaled_dot_product_attention(
            query, keys, values, attn_mask=mask, scale=self.head_size**-0.5
        )
        out = attention.dense(out.transpose(1, 2).reshape(batch, length, -1))
        if getattr(layer, "use_parallel_residual", True):
            return hidden + out + layer.mlp(layer.post_attention_layernorm(hidden))
        hidden = hidden + out
        return hidden + layer.mlp(layer.post_attention_layernorm(hidden))

    def _forward(self, ids: Any, position_ids: Any, layer_fn: Any) -> Any:
        """Hidden states after the final norm; `layer_fn(index, layer, hidden, cos, sin)` runs
        one layer over its part of the cache."""
        hidden = self.net.embed_in(ids)
        cos, sin = self._rotary(position_ids)
        for index, layer in enumerate(self.net.layers):
            hidden = layer_fn(index, layer, hidden, cos, sin)
        return self.net.final_layer_norm(hidden)

    def _additive(self, allowed: Any) -> Any:
        """A boolean mask as the additive one attention uses: made once a step here, where
        `scaled_dot_product_attention` would convert a boolean mask in every layer (two kernels)."""
        zeros = self.torch.zeros(allowed.shape, dtype=self.dtype, device=self.device)
        return zeros.masked_fill(~allowed, float("-inf"))

    # --- prefill: new chats into free slots ---------------------------------------------------------

    def prefill(self, slots: list[int], prompts: list[list[int]]) -> Any:
        """Run the prompts (one per slot) and fill those slots' caches; the logits of each
        prompt's last token, [len(slots), vocab] in float32."""
        torch = self.torch
        lengths = [len(p) for p in prompts]
        width = max(lengths)
        if width > self.max_length:
            raise ValueError(f"a prompt of {width} tokens does not fit a cache of {self.max_length}")
        padded = [p + [0] * (width - len(p)) for p in prompts]  # right padding: causal masks ignore it
        ids = self.tensor(padded)
        rows = self.tensor(slots)
        position_ids = self.positions[:width].expand(len(slots), width)
        causal = self._additive(torch.ones(width, width, dtype=torch.bool, device=self.device).tril())

        def prefill_layer(index: int, layer: Any, hidden: Any, cos: Any, sin: Any) -> Any:
            def attend(key: Any, value: Any) -> tuple[Any, Any, Any]:
                self.keys[index][rows, :, :width] = key
                self.values[index][rows, :, :width] = value
                return key, value, causal

            return self._layer(layer, hidden, cos, sin, attend)

        with torch.inference_mode():
            hidden = self._forward(ids, position_ids, prefill_layer)
            last = hidden[torch.arange(len(slots), device=self.device), self.tensor(lengths) - 1]
            return self.head(last).float()

    # --- decode: one token for every slot ------------------------------------------------------------

    def step(self, ids: Any, positions: Any, bucket: int) -> Any:
        """One decode step, eagerly: the next-token logits of every slot, [slots, vocab] float32;
        slot i reads `ids[i]` at `positions[i]` (an idle slot: any token at 0, ignored) and
        attends over the first `bucket` positions of its cache row. No host sync: it can be
        recorded in a CUDA graph (`graphed`)."""
        mask = self._additive(self.positions[:bucket] <= positions[:, None])[:, None, None, :]

        def decode_layer(index: int, layer: Any, hidden: Any, cos: Any, sin: Any) -> Any:
            keys, values = self.keys[index], self.values[index]
            return self._decode_layer(layer, hidden, cos, sin, keys, values, positions, mask, bucket)

        return self.head(self._forward(ids[:, None], positions[:, None], decode_layer)[:, 0]).float()

    def _compiled_decode_layer(self, *args: Any) -> Any:
        try:
            return self._compiled(*args)
        except Exception as exc:  # e.g. no Triton or no C++ compiler: the eager layer still works
            log.warning("torch.compile of the decode layer failed (%s); decoding eagerly", exc)
            self._decode_layer, self.compiled = self._eager_decode_layer, False
            return self._eager_decode_layer(*args)

    def _eager_decode_layer(
        self,
        layer: Any,
        hidden: Any,
        cos: Any,
        sin: Any,
        keys: Any,
        values: Any,
        positions: Any,
        mask: Any,
        bucket: int,
    ) -> Any:
        """One layer of the decode step over its cache (`keys`, `values`): what `compile` fuses."""

        def attend(key: Any, value: Any) -> tuple[Any, Any, Any]:
            keys[self.rows, :, positions] = key[:, :, 0]
            values[self.rows, :, positions] = value[:, :, 0]
            return keys[:, :, :bucket], values[:, :, :bucket], mask

        return self._layer(layer, hidden, cos, sin, attend)

    def bucket_for(self, longest: int) -> int:
        return next(b for b in self.buckets if b > longest)

    def decode(self, ids: Any, positions: Any, *, longest: int) -> Any:
        """`step` through a CUDA graph for the bucket that holds `longest` (the largest position,
        known to the caller without a device sync)."""
        bucket = self.bucket_for(longest)
        if not self.cuda_graphs:
            with self.torch.inference_mode():
                return self.step(ids, positions, bucket)
        if ("decode", bucket) not in self._inputs:
            self._inputs["decode", bucket] = (self.torch.zeros_like(ids), self.torch.zeros_like(positions))
        ids_in, positions_in = self._inputs["decode", bucket]
        ids_in.copy_(ids)
        positions_in.copy_(positions)
        return self.graphed(("decode", bucket), lambda: self.step(ids_in, positions_in, bucket))

    def graphed(self, key: Any, work: Callable[[], Any]) -> Any:
        """`work()` replayed from the CUDA graph recorded on its first call under `key`, else
        run eagerly (no CUDA, or a model that cannot be captured). `work` must read and write
        the same tensors on every call; what it returns is the graph's output buffer, valid
        until the next replay. Recording runs `work` twice first (warm-up)."""
        torch = self.torch
        with torch.inference_mode():
            if not self.cuda_graphs:
                return work()
            if key not in self._graphs:
                try:
                    side = torch.cuda.Stream()
                    side.wait_stream(torch.cuda.current_stream())
                    with torch.cuda.stream(side):
                        for _ in range(2):
                            work()
                    torch.cuda.current_stream().wait_stream(side)
                    graph = torch.cuda.CUDAGraph()
                    with torch.cuda.graph(graph):
                        out = work()
                except Exception as exc:  # e.g. a quantized kernel that syncs: eager still works
                    log.warning("CUDA graph capture failed (%s); decoding without graphs", exc)
                    self.cuda_graphs = False
                    return work()
                self._graphs[key] = (graph, out)
            graph, out = self._graphs[key]
            graph.replay()
            return out
