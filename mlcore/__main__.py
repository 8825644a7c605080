"""`python -m mlcore COMMAND …`: thin entry points over the modules.

Each command lives in its own module as `add_arguments(parser)` and `run(args) -> int`; the
module is imported only when its command runs, so light commands never import torch.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# command name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "parse-price": ("mlcore.prices", "print the price a Korean message proposes"),
    "chat": ("mlcore.chat", "negotiate with the seller bot in the terminal"),
    "replay": ("mlcore.replay", "run scripted buyer turns against the bot, write dialogues as JSONL"),
    "validate-data": ("mlcore.validate", "check dialogue JSON / JSONL files against the dataset schema"),
    "data-card": ("mlcore.datacard", "print (and write) the data card of dialogue files"),
    "generate": ("mlcore.selfplay", "generate dialogues by self-play (or through an LLM with --llm)"),
    "train": ("mlcore.train", "fine-tune a LoRA / QLoRA adapter on dialogues (seller-only loss)"),
    "generate-reply": ("mlcore.generate", "negotiate seller turns with the fine-tuned LLM, guarded"),
    "evaluate": ("mlcore.evaluate", "simulated buyers against the seller bot: deal rates, prices, safety"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlcore", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    argv = sys.argv[1:] if argv is None else argv
    wanted = argv[0] if argv and argv[0] in COMMANDS else None
    for name, (module_name, help_text) in COMMANDS.items():
        command_parser = sub.add_parser(name, help=help_text)
        if name == wanted:
            importlib.import_module(module_name).add_arguments(command_parser)
    args = parser.parse_args(argv)
    module = importlib.import_module(COMMANDS[args.command][0])
    return int(module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
