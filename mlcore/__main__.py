"""`python -m mlcore COMMAND …`: thin entry points over the pipeline's stages.

Each command lives in its own module as `add_arguments(parser)` and `run(args) -> int`; the
module is imported only when its command runs, so light commands never import torch.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Command:
    stage: str
    module: str
    help: str
    aliases: tuple[str, ...] = ()  # old names, kept for one release


# In pipeline order: understand the buyer, negotiate, grow the corpus, train and run the LLM, measure.
COMMANDS: dict[str, Command] = {
    "parse-price": Command("language", "mlcore.language.prices", "print the price a Korean message proposes"),
    "chat": Command("negotiator", "mlcore.chat", "negotiate with the seller bot in the terminal"),
    "replay": Command("negotiator", "mlcore.replay", "run scripted buyer turns against the bot, write JSONL"),
    "selfplay": Command(
        "corpus",
        "mlcore.corpus.selfplay",
        "write dialogues by self-play (or through an OpenAI-compatible LLM with --llm)",
        aliases=("generate",),
    ),
    "validate-data": Command("corpus", "mlcore.corpus.validate", "check dialogue files against the schema"),
    "data-card": Command("corpus", "mlcore.corpus.datacard", "print (and write) a data card"),
    "train": Command("llm", "mlcore.llm.train", "fine-tune a LoRA / QLoRA adapter (seller-only loss)"),
    "llm-reply": Command(
        "llm",
        "mlcore.llm.generator",
        "negotiate seller turns with the fine-tuned LLM, guarded",
        aliases=("generate-reply",),
    ),
    "merge-adapter": Command(
        "llm", "mlcore.llm.merge", "fold a LoRA adapter into its base model, for vLLM (vllm serve OUT)"
    ),
    "evaluate": Command("evaluate", "mlcore.evaluate", "simulated buyers against the bot: deals, safety"),
    "fact-check": Command(
        "evaluate",
        "mlcore.negotiator.factcheck",
        "ask about every listing's attributes: answers true to the listing?",
    ),
}

ALIASES: dict[str, str] = {alias: name for name, command in COMMANDS.items() for alias in command.aliases}


def _epilog() -> str:
    old = ", ".join(f"{alias} → {name}" for alias, name in ALIASES.items())
    return (
        "stages: language (Korean prices and facts) → negotiator (Advisor, realizer, guard) → corpus "
        "(training dialogues) → llm (template, training, generation) → evaluate.\n"
        f"Old command names still work for this release and will then be removed: {old}."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mlcore",
        description=__doc__.splitlines()[0],
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    argv = sys.argv[1:] if argv is None else argv
    wanted = ALIASES.get(argv[0], argv[0]) if argv else None
    for name, command in COMMANDS.items():
        command_parser = sub.add_parser(
            name, help=f"[{command.stage}] {command.help}", aliases=command.aliases
        )
        if name == wanted:
            importlib.import_module(command.module).add_arguments(command_parser)
    args = parser.parse_args(argv)
    name = ALIASES.get(args.command, args.command)
    module = importlib.import_module(COMMANDS[name].module)
    return int(module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
