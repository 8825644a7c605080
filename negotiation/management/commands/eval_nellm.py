"""``manage.py eval_nellm``: simulated buyers against the site's generator (`mlcore evaluate`).

Thin, two uses:
- with no `--adapter`: `python -m mlcore evaluate` with its options; with no `--backend` the site's
  own NELLM_BACKEND is evaluated (the model or server the worker would use, from its settings);
- with `--adapter DIR`: a newly trained adapter against the one serving now, on the same
  simulated buyers (one seed, the same listings, styles and personas), side by side. "The one
  serving now" is NELLM_BASE_MODEL with NELLM_ADAPTER when the backend is "llm" (or `--against
  DIR`), the rules realizer otherwise. Serving the new adapter is then NELLM_ADAPTER=DIR and a
  worker restart (docs/DATA.md).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from mlcore import evaluate
from mlcore.corpus.selfplay import STYLES


class Command(BaseCommand):
    help = (
        "Simulated buyers against the site's generator backend (options of `python -m mlcore evaluate`), "
        "or with --adapter DIR a new LoRA adapter against the serving one."
    )

    def add_arguments(self, parser: Any) -> None:
        evaluate.add_arguments(parser)
        parser.add_argument("--adapter", type=Path, help="compare this new adapter with the serving one")
        parser.add_argument("--against", type=Path, help="with --adapter: compare with this adapter instead")
        parser.add_argument("--base-model", help="with --adapter: base model instead of NELLM_BASE_MODEL")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["adapter"] is not None:
            self._compare(options)
            return
        namespace = argparse.Namespace(**options)  # Django's own options are ignored by `run`
        if not namespace.backend and not namespace.llm:
            namespace.backend = [settings.NELLM_BACKEND]
        status = evaluate.run(namespace)
        if status:
            raise CommandError(f"evaluation failed (exit status {status}): see the messages above")

    def _compare(self, options: dict[str, Any]) -> None:
        from mlcore.corpus.buyers import PERSONAS

        base = options["base_model"] or settings.NELLM_BASE_MODEL
        if not base:
            raise CommandError("No base model: set NELLM_BASE_MODEL or pass --base-model.")
        unknown = sorted(set(options["persona"] or ()) - set(PERSONAS))
        if unknown or options["per_cell"] < 1:
            raise CommandError(
                f"unknown persona(s): {', '.join(unknown)}" if unknown else "--per-cell must be at least 1"
            )
        config = evaluate.EvalConfig(
            per_cell=options["per_cell"],
            seed=options["seed"],
            styles=tuple(options["style"] or STYLES),
            personas=tuple(options["persona"] or ()),
        )
        against = options["against"] or (settings.NELLM_ADAPTER if settings.NELLM_BACKEND == "llm" else None)
        seed = config.seed
        sides = {
            f"serving ({against or 'rules'})": self._generator(base, against, seed) if against else None,
            f"new ({options['adapter']})": self._generator(base, options["adapter"], seed),
        }
        total = len(config.styles) * len(config.personas or PERSONAS) * config.per_cell
        rows = {}
        for name, generator in sides.items():
            with tqdm(total=total, desc=name, unit="dialogue", file=sys.stderr) as bar:
                outcomes = evaluate.evaluate(config, generator=generator, progress=bar)
            rows[name] = evaluate.report(outcomes)["overall"]
        self.stdout.write(f"Same simulated buyers for both: seed {config.seed}, {total} dialogues each.")
        self.stdout.write(evaluate.render_table(rows, "adapter"))
        violations = rows[f"new ({options['adapter']})"]["safety_violations"]
        if violations:
            raise CommandError(f"The new adapter broke the rules {violations} time(s): do not serve it.")

    def _generator(self, base: str, adapter: str | Path, seed: int) -> Any:
        from mlcore.llm.generator import GenerationConfig, LLMGenerator

        try:
            # Seeded per reply: the same sampling draws on both sides, whatever shares a batch.
            return LLMGenerator(
                base_model=base,
                adapter=str(adapter),
                load_in_4bit=settings.NELLM_LOAD_IN_4BIT,
                config=GenerationConfig(seed=seed),
            )
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
