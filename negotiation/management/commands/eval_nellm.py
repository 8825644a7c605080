"""``manage.py eval_nellm --adapter DIR``: a newly trained adapter against the one serving now.

Thin: both sides play the same simulated buyers (`mlcore.evaluate`, one seed, the same
listings, styles and personas) and the overall figures are printed side by side. "The one
serving now" is what the site's settings load: NELLM_BASE_MODEL with NELLM_ADAPTER when the
backend is "llm" (or `--against DIR`), the rules realizer otherwise. Serving the new adapter is
then NELLM_ADAPTER=DIR and a worker restart (docs/DATA.md).
"""

from __future__ import annotations

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
        "Evaluate a new LoRA adapter against the serving one (NELLM_ADAPTER, or the rules realizer "
        "when NELLM_BACKEND is rules) on the same simulated buyers, and print the comparison."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--adapter", required=True, type=Path, help="the adapter directory to evaluate")
        parser.add_argument("--against", type=Path, help="compare with this adapter instead of NELLM_ADAPTER")
        parser.add_argument("--base-model", help="base model instead of NELLM_BASE_MODEL")
        parser.add_argument("--per-cell", type=int, default=2, help="dialogues per style and persona")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--style", action="append", choices=STYLES, help="only these styles (repeatable)")
        parser.add_argument("--persona", action="append", help="only these personas (repeatable)")

    def handle(self, *args: Any, **options: Any) -> None:
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
        sides = {
            f"serving ({against or 'rules'})": self._generator(base, against) if against else None,
            f"new ({options['adapter']})": self._generator(base, options["adapter"]),
        }
        total = len(config.styles) * len(config.personas or PERSONAS) * config.per_cell
        rows = {}
        for name, generator in sides.items():
            if generator is not None:
                import torch

                torch.manual_seed(config.seed)  # the same sampling draws too, side for side
            with tqdm(total=total, desc=name, unit="dialogue", file=sys.stderr) as bar:
                rows[name] = evaluate.report(evaluate.evaluate(config, generator=generator, progress=bar))[
                    "overall"
                ]
        self.stdout.write(f"Same simulated buyers for both: seed {config.seed}, {total} dialogues each.")
        self.stdout.write(evaluate.render_table(rows, "adapter"))
        violations = rows[f"new ({options['adapter']})"]["safety_violations"]
        if violations:
            raise CommandError(f"The new adapter broke the rules {violations} time(s): do not serve it.")

    def _generator(self, base: str, adapter: str | Path) -> Any:
        from mlcore.llm.generator import LLMGenerator

        try:
            return LLMGenerator(
                base_model=base, adapter=str(adapter), load_in_4bit=settings.NELLM_LOAD_IN_4BIT
            )
        except (OSError, ValueError) as exc:
            raise CommandError(str(exc)) from exc
