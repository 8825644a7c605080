"""Seller replies from any OpenAI-compatible server (vLLM, SGLang, TGI), streamed over SSE.

`OpenAIGenerator` implements `mlcore.negotiator.pipeline.Generator` like the local model: the same
template and Advisor hint (`mlcore.llm.template.render_prompt`), the same cut at a new role line,
and the Negotiator's guard on every piece. The merged fine-tuned model is served as a plain causal
LM, so the default is the completions API (the prompt is the template, word for word); `api="chat"`
sends it as one user message for servers that only speak chat.

A server that is down, slow, answers an error, garbage or a stream that stops without its end
raises `OpenAIError`; the Negotiator then finishes the turn with the realizer's wording and records
the fallback. Connection failures and 429/5xx answers are retried before the first piece only: once
a buyer has seen words, a retry could contradict them.

Only the standard library speaks HTTP here, so the light install can use it.
Configuration: NELLM_OPENAI_BASE_URL (e.g. http://vllm:8000/v1), NELLM_OPENAI_MODEL,
NELLM_OPENAI_API_KEY, NELLM_OPENAI_API, NELLM_OPENAI_TIMEOUT (docs/MODEL.md).
"""

from __future__ import annotations

import json
import logging
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from mlcore.llm.generator import GenerationConfig, cut_at_role_line
from mlcore.llm.template import DEFAULT_EOS, render_prompt
from mlcore.schema import Event, Listing

log = logging.getLogger(__name__)

# Where the model would start the next turn: the server stops there, and `cut_at_role_line` too.
STOP = ["\n구매자:", "\n판매자:", "\n[전략"]
_RETRY_STATUS = {408, 429, 500, 502, 503, 504}


class OpenAIError(RuntimeError):
    """The server gave no usable reply."""


@dataclass(frozen=True)
class OpenAIConfig:
    base_url: str
    model: str
    api_key: str = ""
    api: str = "completions"  # or "chat"
    timeout: float = 10.0  # seconds for connecting and for each read (first token, next chunk)
    total_timeout: float = 60.0  # for the whole reply, so a server dribbling bytes cannot hold it
    retries: int = 1  # more attempts before the first piece
    max_prompt_chars: int = 4000  # old turns are dropped to fit (the server's context is finite)
    eos_token: str = DEFAULT_EOS
    generation: GenerationConfig = field(default_factory=GenerationConfig)

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"the OpenAI-compatible base URL must be http(s), not {self.base_url!r}")
        if not self.model:
            raise ValueError(
                "name the served model (NELLM_OPENAI_MODEL), e.g. the path given to `vllm serve`"
            )
        if self.api not in ("completions", "chat"):
            raise ValueError(f"api must be 'completions' or 'chat', not {self.api!r}")

    @classmethod
    def from_env(cls) -> OpenAIConfig:
        return cls(
            base_url=os.environ.get("NELLM_OPENAI_BASE_URL", "").strip().rstrip("/"),
            model=os.environ.get("NELLM_OPENAI_MODEL", "").strip(),
            api_key=os.environ.get("NELLM_OPENAI_API_KEY", "").strip(),
            api=os.environ.get("NELLM_OPENAI_API", "completions").strip() or "completions",
            timeout=float(os.environ.get("NELLM_OPENAI_TIMEOUT", "").strip() or 10.0),
        )


class OpenAIGenerator:
    name = "openai"

    def __init__(self, config: OpenAIConfig) -> None:
        self.config = config

    def prompt(self, *, listing: Listing, history: Sequence[Event], decision: Any) -> str:
        """The template's prompt; the oldest turns are dropped until it fits `max_prompt_chars`."""
        history = list(history)
        for start in range(len(history)):
            text = render_prompt(listing, history[start:], decision, eos_token=self.config.eos_token)
            if len(text) <= self.config.max_prompt_chars:
                return text
        return render_prompt(listing, history[-1:], decision, eos_token=self.config.eos_token)

    def stream(self, *, listing: Listing, history: Sequence[Event], decision: Any) -> Iterator[str]:
        prompt = self.prompt(listing=listing, history=history, decision=decision)
        yield from cut_at_role_line(self._pieces(prompt))

    # --- HTTP ----------------------------------------------------------------------------------------

    def _request(self, prompt: str) -> urllib.request.Request:
        cfg, gen = self.config, self.config.generation
        body: dict[str, Any] = {
            "model": cfg.model,
            "stream": True,
            "max_tokens": gen.max_new_tokens,
            "temperature": gen.temperature if gen.do_sample else 0.0,
            "top_p": gen.top_p,
            "stop": STOP,
        }
        if cfg.api == "chat":
            body["messages"] = [{"role": "user", "content": prompt}]
        else:
            body["prompt"] = prompt
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if cfg.api_key:
            headers["Authorization"] = f"Bearer {cfg.api_key}"
        url = f"{cfg.base_url}/{'chat/completions' if cfg.api == 'chat' else 'completions'}"
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        return urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310

    def _pieces(self, prompt: str) -> Iterator[str]:
        deadline = time.monotonic() + self.config.total_timeout
        for attempt in range(self.config.retries + 1):
            try:
                response = urllib.request.urlopen(self._request(prompt), timeout=self.config.timeout)  # noqa: S310
            except urllib.error.HTTPError as exc:
                problem = OpenAIError(f"server answered HTTP {exc.code}")
                retry = exc.code in _RETRY_STATUS
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                problem, retry = OpenAIError(f"server unreachable: {exc}"), True
            else:
                with response:
                    yield from self._events(response, deadline)
                return
            if not retry or attempt == self.config.retries or time.monotonic() > deadline:
                raise problem
            log.info("OpenAI-compatible server: %s; retrying", problem)

    def _events(self, response: Any, deadline: float) -> Iterator[str]:
        """The text of each SSE event, until `data: [DONE]` or a finish reason."""
        chat = self.config.api == "chat"
        finished = False
        try:
            for raw in response:
                if time.monotonic() > deadline:
                    raise OpenAIError(f"no whole reply within {self.config.total_timeout:.0f} s")
                line = raw.decode("utf-8", errors="replace").strip()
                if not line.startswith("data:"):
                    continue  # blank separators, comments, `event:` lines
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                try:
                    choice = json.loads(data)["choices"][0]
                    piece = (choice.get("delta") or {}).get("content") if chat else choice.get("text")
                except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
                    raise OpenAIError(f"malformed event from the server: {data[:80]!r}") from exc
                if piece is not None and not isinstance(piece, str):
                    raise OpenAIError(f"malformed event from the server: {data[:80]!r}")
                if piece:
                    yield piece
                finished = finished or bool(choice.get("finish_reason"))
        except TimeoutError as exc:
            raise OpenAIError(f"server went silent for {self.config.timeout:.0f} s") from exc
        except (ConnectionError, OSError) as exc:
            raise OpenAIError(f"connection broke off: {exc}") from exc
        if not finished:
            raise OpenAIError("the stream ended before the reply did (no [DONE], no finish reason)")


def load_openai_generator() -> OpenAIGenerator:
    """The "openai" backend outside Django (`python -m mlcore evaluate --backend openai`)."""
    try:
        return OpenAIGenerator(OpenAIConfig.from_env())
    except ValueError as exc:
        raise RuntimeError(f"NELLM_BACKEND=openai: {exc}. See docs/MODEL.md.") from exc
