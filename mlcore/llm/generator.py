"""The LLM generator: a (QLoRA fine-tuned) GPT-NeoX words the Advisor's decision, token by token.

`LLMGenerator` implements `mlcore.negotiator.pipeline.Generator`. It renders the one template
(`mlcore.llm.template`: listing, the conversation, the Decision as the `[전략: …]` hint,
`판매자:`), samples with the original's settings (top-p 0.85, top-k 50, temperature 0.9, 128 new
tokens; one beam, because streaming cannot follow beam search) and yields the text as it is
decoded. A reply ends at the end-of-text token, or where the model starts a new role line
(`구매자:` / `판매자:` / a hint), which is cut off. Whatever it writes is only a candidate:
`mlcore.negotiator.pipeline.Negotiator` guards every piece.

One model serves every thread of a worker, all at once: `stream()` hands its prompt to the
model's `mlcore.llm.scheduler.BatchScheduler`, whose one thread decodes every pending reply in
the same forward pass (a request joins at the next step), and reads its own tokens back. When
the consumer stops iterating (the guard rejected a piece and the Negotiator closed the stream),
the request leaves the batch at the next step. NELLM_BATCH_SLOTS sets how many replies decode
together (default 32), NELLM_STEPS_PER_SYNC how many decode steps run between two looks from the
host (default 4; 1 for a 4-bit model; 8 when compiled), NELLM_COMPILE whether the decode step's
layers go through `torch.compile` (default on for a bf16 model on a GPU, off otherwise).

torch, transformers and peft are imported only when a model is loaded, so importing this module
stays cheap. The site loads it through `load_generator()` (`negotiation.generators`, backend
"llm"), configured by NELLM_BASE_MODEL / NELLM_ADAPTER / NELLM_LOAD_IN_4BIT.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlcore.llm.sampling import Sampling
from mlcore.llm.scheduler import BatchScheduler, TokenStream
from mlcore.llm.template import render_prompt
from mlcore.negotiator.guard import ROLE_LABEL
from mlcore.schema import Event, Listing

log = logging.getLogger(__name__)

# A new role line, or a new Advisor hint: the model has finished the seller's turn.
STOP = re.compile(rf"{ROLE_LABEL.pattern}|\[전략", re.I)
_HOLD = 12  # characters held back while a role label may still be half-written ("판매" of "판매자:")
_OFF = {"0", "false", "no", "off", ""}
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ufffd]")


@dataclass
class GenerationConfig:
    max_new_tokens: int = 128
    temperature: float = 0.9
    top_p: float = 0.85
    top_k: int = 50
    do_sample: bool = True
    repetition_penalty: float = 1.1
    seed: int | None = None  # set for repeatable sampling (tests, evaluation)
    max_length: int = 1024  # prompt + reply, as in training; old turns are dropped to fit
    stream_timeout: float = 300.0  # seconds to wait for the next token before giving up
    min_new_tokens: int = 0  # the end-of-text token is barred before this many (tests, benchmarks)
    # Serving (fixed when the model loads): chats decoded together, and CUDA graphs for the step.
    slots: int = 32
    cuda_graphs: bool = True
    steps_per_sync: int = 4  # decode steps per look from the host (BatchScheduler)
    compile: bool = False  # the decode step's layers through torch.compile (BatchScheduler)


def cut_at_role_line(pieces: Iterable[str]) -> Iterator[str]:
    """The pieces up to where a new role line or hint starts, leading whitespace removed.

    A label can arrive split over pieces, so the last few characters are held back until the
    next piece shows whether they start one. Joining the output gives the reply's text.
    """
    text, sent = "", 0
    for piece in pieces:
        text += piece
        if sent == 0:
            text = text.lstrip()
        # Search a little before what was sent, so a label straddling the boundary is found;
        # `^` matches only at the real start and the lookbehind sees earlier text.
        match = STOP.search(text, max(0, sent - _HOLD))
        if match:
            head = text[sent : max(sent, match.start())].rstrip()
            if head:
                yield head
            return
        if len(text) - _HOLD > sent:
            yield text[sent : len(text) - _HOLD]
            sent = len(text) - _HOLD
    if text[sent:].rstrip():
        yield text[sent:].rstrip()


def _path_like(name: str) -> bool:
    return name.startswith(("/", "./", "../", "~")) or Path(name).exists()


class LLMGenerator:
    """A causal LM (local path or hub id) plus an optional PEFT adapter, streaming replies."""

    name = "llm"

    def __init__(
        self,
        *,
        base_model: str,
        adapter: str | None = None,
        load_in_4bit: bool = False,
        config: GenerationConfig | None = None,
    ) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if not base_model:
            raise ValueError("base_model is empty: give a local model directory or a hub id")
        for label, name in (("base model", base_model), ("adapter", adapter or "")):
            if name and _path_like(name) and not Path(name).expanduser().exists():
                raise FileNotFoundError(f"{label} {name}: no such directory")
        self.config = config or GenerationConfig()
        self.base_model, self.adapter = base_model, adapter or None
        cuda = torch.cuda.is_available()
        kwargs: dict[str, Any] = {}
        if load_in_4bit and cuda:
            from transformers import BitsAndBytesConfig

            kwargs["quantization_config"] = BitsAndBytesConfig(
                load_in_4bit=True,
                bnb_4bit_quant_type="nf4",
                bnb_4bit_use_double_quant=True,
                bnb_4bit_compute_dtype=torch.bfloat16,
            )
            kwargs["device_map"] = "auto"
        elif cuda:
            kwargs.update(dtype=torch.bfloat16, device_map="auto")
        else:
            if load_in_4bit:
                log.warning(
                    "no CUDA: loading %s in full precision on the CPU (4-bit needs a GPU)", base_model
                )
            kwargs["dtype"] = torch.float32
        self.quantized = "quantization_config" in kwargs
        tokenizer_source = base_model
        if self.adapter and (Path(self.adapter).expanduser() / "tokenizer_config.json").exists():
            tokenizer_source = self.adapter  # the tokenizer the adapter was trained with
        self.tokenizer = AutoTokenizer.from_pretrained(tokenizer_source)
        if self.tokenizer.eos_token_id is None:
            raise ValueError(f"the tokenizer of {tokenizer_source} has no eos token; it ends every reply")
        model = AutoModelForCausalLM.from_pretrained(base_model, **kwargs)
        if self.adapter:
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, self.adapter)
        model.eval()
        self.model = model
        self.device = next(model.parameters()).device
        self.scheduler = BatchScheduler(
            model,
            eos_token_id=self.tokenizer.eos_token_id,
            slots=self.config.slots,
            max_length=self.config.max_length,
            cuda_graphs=self.config.cuda_graphs,
            steps_per_sync=self.config.steps_per_sync,
            compile=self.config.compile,
            stream_timeout=self.config.stream_timeout,
        )
        self.last_new_tokens = 0  # tokens generated by the last stream, for logs and tests
        self._encode_lock = threading.Lock()
        log.info(
            "LLM generator: %s%s on %s%s",
            base_model,
            f" + {self.adapter}" if self.adapter else "",
            self.device,
            " (4-bit)" if self.quantized else "",
        )

    # --- prompt ----------------------------------------------------------------------------------

    def prompt_ids(self, *, listing: Listing, history: Sequence[Event], decision: Any) -> list[int]:
        """The prompt's token ids; the oldest turns are dropped until it leaves room for the reply."""
        budget = self.config.max_length - self.config.max_new_tokens
        eos = self.tokenizer.eos_token
        start = 0
        while True:
            text = render_prompt(listing, list(history)[start:], decision, eos_token=eos)
            with self._encode_lock:  # one Rust tokenizer serves every task thread
                ids = self.tokenizer(text, add_special_tokens=False)["input_ids"]
            if len(ids) <= budget or start >= len(history):
                return list(ids)[-budget:] if len(ids) > budget else list(ids)
            start += 1

    # --- generation ------------------------------------------------------------------------------

    def stream(self, *, listing: Listing, history: Sequence[Event], decision: Any) -> Iterator[str]:
        """The reply in pieces as they are decoded; closing the iterator takes it out of the batch."""
        ids = self.prompt_ids(listing=listing, history=history, decision=decision)
        cfg = self.config
        tokens = self.scheduler.submit(
            ids,
            max_new_tokens=cfg.max_new_tokens,
            min_new_tokens=cfg.min_new_tokens,
            sampling=Sampling(cfg.do_sample, cfg.temperature, cfg.top_p, cfg.top_k, cfg.repetition_penalty),
            seed=cfg.seed,
        )
        try:
            yield from cut_at_role_line(self._text(tokens))
        finally:
            tokens.close()
            self.last_new_tokens = tokens.generated

    def _text(self, tokens: TokenStream) -> Iterator[str]:
        """Token ids to text pieces, in the caller's thread, one piece per chunk the scheduler
        hands over: up to the chunk's last token where the characters are whole (byte tokens
        can end inside one), so usually one decode a chunk."""
        ids: list[int] = []
        sent = ""
        for chunk in tokens.chunks():
            ids.extend(chunk)
            for end in range(len(ids), len(ids) - len(chunk), -1):
                text = self.tokenizer.decode(ids[:end], skip_special_tokens=True)
                if not text.endswith("\ufffd") and text.startswith(sent):
                    break
            else:
                continue
            piece = _UNPRINTABLE.sub("", text[len(sent) :])
            sent = text
            if piece:
                yield piece


def load_generator() -> LLMGenerator:
    """The site's "llm" backend: the model named by NELLM_BASE_MODEL (+ NELLM_ADAPTER)."""
    base = os.environ.get("NELLM_BASE_MODEL", "").strip()
    if not base:
        raise RuntimeError(
            "NELLM_BACKEND=llm needs NELLM_BASE_MODEL: a local model directory or a hub id "
            "(e.g. nlpai-lab/kullm-polyglot-12.8b-v2), and usually NELLM_ADAPTER: the directory "
            "`python -m mlcore train` wrote. See docs/MODEL.md."
        )
    adapter = os.environ.get("NELLM_ADAPTER", "").strip() or None
    four_bit = os.environ.get("NELLM_LOAD_IN_4BIT", "1").strip().lower() not in _OFF
    slots = int(os.environ.get("NELLM_BATCH_SLOTS", "").strip() or GenerationConfig.slots)
    # An NF4 step is bound by dequantizing the weights (22 ms for 12.8B on an H200), so the host's
    # work per step is negligible and a run of several steps only delays arrivals: one step per
    # sync there (benchmarks/RESULTS.md, "Serving, multi-step").
    # A bf16 model on a GPU compiles its decode layers and runs 8 steps a sync: on an H200 the
    # step fell from 3.45 to 2.55 ms and 8 steps beat 4 by 6-22% (benchmarks/RESULTS.md,
    # "Serving, compiled"); bitsandbytes' 4-bit layers are not compiled.
    import torch

    setting = os.environ.get("NELLM_COMPILE", "").strip().lower()
    compiled = setting not in _OFF if setting else not four_bit and torch.cuda.is_available()
    default_steps = 1 if four_bit else 8 if compiled else GenerationConfig.steps_per_sync
    steps = int(os.environ.get("NELLM_STEPS_PER_SYNC", "").strip() or default_steps)
    return LLMGenerator(
        base_model=base,
        adapter=adapter,
        load_in_4bit=four_bit,
        config=GenerationConfig(slots=slots, steps_per_sync=steps, compile=compiled),
    )


# --- `python -m mlcore llm-reply` -------------------------------------------------------------


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "Negotiate one seller turn with the LLM generator, guarded, and print it."
    parser.add_argument("--base-model", required=True, help="local model directory or hub id")
    parser.add_argument("--adapter", help="the adapter directory `python -m mlcore train` wrote")
    parser.add_argument("--load-in-4bit", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--title", required=True)
    parser.add_argument("--description", default="")
    parser.add_argument("--price", type=int, required=True, help="list price in won")
    parser.add_argument("--floor", type=int, required=True, help="the seller's private floor price")
    parser.add_argument("--style", default="balanced", choices=("firm", "balanced", "flexible"))
    parser.add_argument("--max-new-tokens", type=int, default=GenerationConfig.max_new_tokens)
    parser.add_argument("--seed", type=int)
    parser.add_argument("message", nargs="+", help="the buyer's messages, one seller turn each")


def run(args: argparse.Namespace) -> int:
    import sys

    from mlcore.negotiator.advisor import SellerPolicy
    from mlcore.negotiator.pipeline import Negotiator
    from mlcore.negotiator.reserve import run_secret, with_reserve
    from mlcore.schema import BUYER, SELLER

    try:
        policy = with_reserve(
            SellerPolicy(args.price, args.floor, args.style), secret=run_secret("llm", args.seed)
        )
        generator = LLMGenerator(
            base_model=args.base_model,
            adapter=args.adapter,
            load_in_4bit=args.load_in_4bit,
            config=GenerationConfig(max_new_tokens=args.max_new_tokens, seed=args.seed),
        )
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    listing = Listing(args.title, args.description, args.price)
    bot = Negotiator(policy=policy, listing=listing, generator=generator, seed=args.seed)
    history: list[Event] = []
    for message in args.message:
        turn = bot.respond(message, history=history)
        history += [Event(BUYER, message), Event(SELLER, turn.text)]
        print(json.dumps({"buyer": message, **turn.to_dict()}, ensure_ascii=False))
        if bot.closed:
            break
    return 0
