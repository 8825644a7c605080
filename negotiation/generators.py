"""The generator registry: one generator per process, loaded on first use.

"rules" is mlcore's Korean rule realizer: cheap, thread-safe, loads instantly. "llm"
(`mlcore.llm.generator`, docs/MODEL.md) is a fine-tuned GPT-NeoX on this process's GPU: its
scheduler thread decodes every pending reply in one batch, and each task thread only submits
its prompt and reads its own tokens. "openai" (`mlcore.llm.openai_backend`) streams from an
OpenAI-compatible server (vLLM) configured by NELLM_OPENAI_*.

Run the GPU worker as one process with a threads pool, `-P threads -c 64` (docker-compose.yml):
one model per GPU, and as many task threads as chats should decode together, each blocked on
its own stream while the scheduler serves them all. `-P solo` would serve one reply at a time
again; the prefork pool would load one model per child (CUDA cannot survive a fork, so nothing
here loads at import time).

NELLM_BACKEND may also name a generator of one's own as "package.module:factory" (the plug-in
point: the factory takes no arguments and returns an object with the protocol below); the tests
plug in a slow one this way (tests/negotiation/slow_generator.py).

The registry is thread-safe so the in-process thread pool and `-P threads` share one instance.
"""

from __future__ import annotations

import importlib
import threading
from typing import Any

from django.conf import settings

_lock = threading.Lock()
_generator: Any = None
_loaded_for: str | None = None

# backend name -> "module:factory"; the factory takes no arguments and returns a Generator
# (mlcore.negotiator.pipeline's protocol: `name` and
# `stream(*, listing, history, decision) -> Iterator[str]`).
BACKENDS = {
    "rules": "negotiation.generators:rules_factory",
    "llm": "mlcore.llm.generator:load_generator",
    "openai": "negotiation.generators:openai_factory",
}


def rules_factory() -> Any:
    from mlcore.negotiator.pipeline import RuleGenerator

    return RuleGenerator()


def openai_factory() -> Any:
    from mlcore.llm.openai_backend import OpenAIConfig, OpenAIGenerator

    return OpenAIGenerator(
        OpenAIConfig(
            base_url=settings.NELLM_OPENAI_BASE_URL,
            model=settings.NELLM_OPENAI_MODEL,
            api_key=settings.NELLM_OPENAI_API_KEY,
            api=settings.NELLM_OPENAI_API,
            timeout=settings.NELLM_OPENAI_TIMEOUT,
        )
    )


def get_generator() -> Any:
    global _generator, _loaded_for
    backend = settings.NELLM_BACKEND
    with _lock:
        if _generator is None or _loaded_for != backend:
            module_name, _, attr = BACKENDS.get(backend, backend).partition(":")
            _generator = getattr(importlib.import_module(module_name), attr)()
            _loaded_for = backend
        return _generator


def reset() -> None:
    """Forget the loaded generator (settings changed, or a test swaps it)."""
    global _generator, _loaded_for
    with _lock:
        _generator = None
        _loaded_for = None
