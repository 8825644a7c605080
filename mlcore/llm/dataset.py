"""Dialogues -> training examples: loading, a stable split, and seller-only tokenization.

Sources are local JSON / JSONL files (the shipped corpus, generated files, the site's exports —
all in the dataset schema) or, when a name is not a local path, a hub dataset id loaded with
`datasets.load_dataset` (the original named its data sets that way; this needs network).

Each dialogue becomes one example in `mlcore.llm.template`'s layout. Labels are -100 on everything but
the seller's words and the eos token that closes each seller turn: the system text, the listing,
the Advisor hints, the `판매자:` prefixes and the buyer turns are context, never targets. When a
dialogue is longer than `max_length`, whole turns are dropped from the front (the header stays);
the last seller turn is never dropped, and a dialogue whose header and last seller turn alone do
not fit is skipped and counted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlcore.corpus.validate import DataError, Problem, load_dialogues, validate_record
from mlcore.llm.template import (
    buyer_text,
    dialogue_hints,
    header_text,
    seller_body_text,
    seller_prefix_text,
)
from mlcore.schema import SELLER, Dialogue

IGNORE_INDEX = -100


@dataclass
class DataConfig:
    sources: list[str] = field(default_factory=lambda: ["mlcore/data/corpus"])
    max_length: int = 1024
    validation_fraction: float = 0.1
    hub_split: str = "train"


# --- loading -------------------------------------------------------------------------------------


def load_source(name: str, *, hub_split: str = "train") -> list[Dialogue]:
    """A local file or directory when `name` exists, otherwise a hub dataset id."""
    if Path(name).exists():
        return load_dialogues([name])
    if name.endswith((".json", ".jsonl")) or "/" not in name:
        raise FileNotFoundError(f"{name}: no such file, and not a hub dataset id (owner/name)")
    import datasets  # only for hub ids: importing it is slow

    rows = datasets.load_dataset(name, split=hub_split)
    dialogues: list[Dialogue] = []
    problems: list[Problem] = []
    for index, row in enumerate(rows, start=1):
        record = dict(row)
        found = validate_record(record)
        problems.extend(p.located(f"{name}[{hub_split}]", index) for p in found)
        if not found:
            dialogues.append(Dialogue.from_dict(record))
    if problems:
        raise DataError(problems)
    return dialogues


def load_sources(names: Iterable[str], *, hub_split: str = "train") -> list[Dialogue]:
    return [d for name in names for d in load_source(name, hub_split=hub_split)]


def dialogue_key(dialogue: Dialogue) -> str:
    """A content hash: the same dialogue lands in the same split whatever file it comes from."""
    core = {
        "title": dialogue.title,
        "description": dialogue.description,
        "price": dialogue.price,
        "events": [[e.role, e.message] for e in dialogue.events],
    }
    return hashlib.sha256(json.dumps(core, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


def split_dialogues(
    dialogues: Sequence[Dialogue], *, validation_fraction: float = 0.1
) -> tuple[list[Dialogue], list[Dialogue]]:
    """(train, validation) by hash: stable across runs, machines and the order of the files."""
    train: list[Dialogue] = []
    validation: list[Dialogue] = []
    for dialogue in dialogues:
        bucket = int(dialogue_key(dialogue)[:8], 16) / 0x1_0000_0000
        (validation if bucket < validation_fraction else train).append(dialogue)
    return train, validation


# --- tokenization --------------------------------------------------------------------------------


def _ids(tokenizer: Any, text: str) -> list[int]:
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def encode_dialogue(
    dialogue: Dialogue, tokenizer: Any, *, max_length: int = 1024
) -> dict[str, list[int]] | None:
    """input_ids / attention_mask / labels for one dialogue, or None when it cannot fit."""
    eos = tokenizer.eos_token_id
    if eos is None:
        raise ValueError("the tokenizer needs an eos token: it closes every seller turn")
    floor = dialogue.extra.get("floor_price")
    hints = dialogue_hints(
        dialogue.events, listing=dialogue.listing, floor=floor if isinstance(floor, int) else None
    )
    header = _ids(tokenizer, header_text(dialogue.listing))
    turns: list[tuple[list[int], list[int]]] = []  # (input ids, labels) per event
    for event, hint in zip(dialogue.events, hints, strict=True):
        if hint is None:
            ids = _ids(tokenizer, buyer_text(event.message))
            turns.append((ids, [IGNORE_INDEX] * len(ids)))
        else:
            prefix = _ids(tokenizer, seller_prefix_text(hint))
            body = [*_ids(tokenizer, seller_body_text(event.message)), eos]
            turns.append((prefix + body, [IGNORE_INDEX] * len(prefix) + body))
    last_seller = max(i for i, e in enumerate(dialogue.events) if e.role == SELLER)
    kept = turns[: last_seller + 1]
    budget = max_length - len(header)
    start, used = len(kept), 0
    # Walk back from the last seller turn, keeping every older turn that still fits.
    while start > 0 and used + len(kept[start - 1][0]) <= budget:
        start -= 1
        used += len(kept[start][0])
    if start > last_seller:  # not even the last seller turn fits beside the header
        return None
    input_ids = header + [t for ids, _ in kept[start:] for t in ids]
    labels = [IGNORE_INDEX] * len(header) + [t for _, lab in kept[start:] for t in lab]
    return {"input_ids": input_ids, "attention_mask": [1] * len(input_ids), "labels": labels}


@dataclass
class Encoded:
    examples: list[dict[str, list[int]]]
    skipped: int  # dialogues whose last seller turn does not fit in max_length


def encode_dialogues(dialogues: Iterable[Dialogue], tokenizer: Any, *, max_length: int = 1024) -> Encoded:
    examples, skipped = [], 0
    for dialogue in dialogues:
        example = encode_dialogue(dialogue, tokenizer, max_length=max_length)
        if example is None:
            skipped += 1
        else:
            examples.append(example)
    return Encoded(examples, skipped)


def to_hf_dataset(examples: Sequence[dict[str, list[int]]]) -> Any:
    import datasets

    columns = ("input_ids", "attention_mask", "labels")
    return datasets.Dataset.from_dict({c: [e[c] for e in examples] for c in columns})


def build_datasets(config: DataConfig, tokenizer: Any) -> tuple[Any, dict[str, int]]:
    """A `datasets.DatasetDict` with train / validation, and the counts behind it."""
    import datasets

    dialogues = load_sources(config.sources, hub_split=config.hub_split)
    train, validation = split_dialogues(dialogues, validation_fraction=config.validation_fraction)
    enc_train = encode_dialogues(train, tokenizer, max_length=config.max_length)
    enc_val = encode_dialogues(validation, tokenizer, max_length=config.max_length)
    stats = {
        "dialogues": len(dialogues),
        "train": len(enc_train.examples),
        "validation": len(enc_val.examples),
        "skipped_too_long": enc_train.skipped + enc_val.skipped,
    }
    splits = {"train": to_hf_dataset(enc_train.examples), "validation": to_hf_dataset(enc_val.examples)}
    return datasets.DatasetDict(splits), stats


# --- batches sized by tokens ---------------------------------------------------------------------


class TokenBatchSampler:
    """Batches of example indices holding at most `max_tokens` tokens each, for padding-free training.

    Examples are shuffled once (by `seed`) and cut greedily into batches, so the number of batches is
    the same every epoch — the Trainer sizes its schedule from it — and only their order changes with
    `set_epoch`, which the Trainer calls at each epoch (a resumed run reshuffles the same way).
    """

    def __init__(self, lengths: Sequence[int], *, max_tokens: int, seed: int = 0) -> None:
        if max_tokens < max(lengths, default=0):
            raise ValueError(f"batch_tokens ({max_tokens}) is below the longest example ({max(lengths)})")
        import random

        order = list(range(len(lengths)))
        random.Random(seed).shuffle(order)
        self.batches: list[list[int]] = []
        current: list[int] = []
        used = 0
        for index in order:
            if current and used + lengths[index] > max_tokens:
                self.batches.append(current)
                current, used = [], 0
            current.append(index)
            used += lengths[index]
        if current:
            self.batches.append(current)
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self) -> Iterator[list[int]]:
        import random

        order = list(range(len(self.batches)))
        random.Random(self.seed * 1_000_003 + self.epoch).shuffle(order)
        return iter([self.batches[i] for i in order])
