"""The generator registry: one generator per process, loaded on first use.

"rules" is mlcore's Korean rule realizer: cheap, thread-safe, loads instantly. "llm"
(`mlcore.llm.generator`, docs/MODEL.md) is a fine-tuned GPT-NeoX that streams tokens on a GPU.
CUDA cannot survive a fork, so the model must be loaded in the process that uses it, after
any fork:

* run the worker with `-P solo` (one process, recommended for one GPU) or `-P threads`;
* with the default prefork pool, nothing here loads at import time, so each child loads its own
  model on its first task (lazily, in the child) — never in the parent before forking.

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
}


def rules_factory() -> Any:
    from mlcore.negotiator.pipeline import RuleGenerator

    return RuleGenerator()


def get_generator() -> Any:
    global _generator, _loaded_for
    backend = settings.NELLM_BACKEND
    with _lock:
        if _generator is None or _loaded_for != backend:
            module_name, _, attr = BACKENDS[backend].partition(":")
            _generator = getattr(importlib.import_module(module_name), attr)()
            _loaded_for = backend
        return _generator


def reset() -> None:
    """Forget the loaded generator (settings changed, or a test swaps it)."""
    global _generator, _loaded_for
    with _lock:
        _generator = None
        _loaded_for = None
