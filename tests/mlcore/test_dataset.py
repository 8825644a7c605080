"""Training examples: seller-only labels, front truncation, a stable split, datasets.Dataset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlcore.corpus.validate import load_dialogues
from mlcore.llm.dataset import (
    IGNORE_INDEX,
    dialogue_key,
    encode_dialogue,
    load_source,
    split_dialogues,
    to_hf_dataset,
)
from mlcore.llm.template import SYSTEM
from mlcore.schema import Dialogue, Event
from tests.mlcore.tiny import CORPUS, EOS, train_tokenizer


@pytest.fixture(scope="module")
def tokenizer():
    """A tiny byte-level BPE trained on the shipped corpus, wrapped like a hub tokenizer."""
    return train_tokenizer(
        [e.message for d in load_dialogues([CORPUS]) for e in d.events] + [SYSTEM], vocab_size=800
    )


def dialogue(events: list[tuple[str, str]], **extra) -> Dialogue:
    return Dialogue(
        title="요가매트 10mm",
        description="몇 번 안 썼어요.",
        price=8000,
        result="ACCEPT",
        events=[Event(role, message) for role, message in events],
        extra={"floor_price": 6000, **extra},
    )


KNOWN = dialogue(
    [
        ("구매자", "6천원에 안 될까요?"),
        ("판매자", "7,000원까지 해드릴게요."),
        ("구매자", "##<7000>##"),
        ("판매자", "##<수락>##"),
    ]
)


def test_exact_label_mask(tokenizer) -> None:
    def ids(text: str) -> list[int]:
        return tokenizer(text, add_special_tokens=False)["input_ids"]

    eos = tokenizer.eos_token_id
    header = f"{SYSTEM}\n\n제목: 요가매트 10mm\n상품 설명: 몇 번 안 썼어요.\n상품 가격: 8000원\n"
    masked_1 = ids(header) + ids("\n구매자: 6천원에 안 될까요?") + ids("\n[전략: counter 7000]\n판매자:")
    seller_1 = [*ids(" 7,000원까지 해드릴게요."), eos]
    masked_2 = ids("\n구매자: ##<7000>##") + ids("\n[전략: final_accept 7000]\n판매자:")
    seller_2 = [*ids(" ##<수락>##"), eos]

    example = encode_dialogue(KNOWN, tokenizer, max_length=1024)

    assert example["input_ids"] == masked_1 + seller_1 + masked_2 + seller_2
    assert example["labels"] == (
        [IGNORE_INDEX] * len(masked_1) + seller_1 + [IGNORE_INDEX] * len(masked_2) + seller_2
    )
    assert example["attention_mask"] == [1] * len(example["input_ids"])
    learned = [t for t in example["labels"] if t != IGNORE_INDEX]
    assert tokenizer.decode(learned) == f" 7,000원까지 해드릴게요.{EOS} ##<수락>##{EOS}"


def test_old_turns_are_dropped_from_the_front(tokenizer) -> None:
    turns = []
    for i in range(12):
        turns += [
            ("구매자", f"{i}번째로 여쭤봐요, 5천원 안 될까요?"),
            ("판매자", f"{i}번째 답이에요. 7,500원이요."),
        ]
    turns += [("구매자", "##<7500>##"), ("판매자", "##<수락>##")]
    long = dialogue(turns)
    full = encode_dialogue(long, tokenizer, max_length=100_000)
    limit = len(full["input_ids"]) // 2
    cut = encode_dialogue(long, tokenizer, max_length=limit)
    assert len(cut["input_ids"]) <= limit
    text = tokenizer.decode(cut["input_ids"])
    assert text.startswith(SYSTEM)  # the header stays
    assert "구매자: 0번째" not in text and "11번째 답이에요" in text  # the oldest turns went first
    # The last seller turn is whole and learned, and the example ends with it.
    tail = tokenizer(" ##<수락>##", add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
    assert cut["labels"][-len(tail) :] == tail
    # Too small for the header and the last seller turn together: skipped, not mangled.
    header_len = len(tokenizer(SYSTEM, add_special_tokens=False)["input_ids"])
    assert encode_dialogue(long, tokenizer, max_length=header_len) is None


def test_every_shipped_dialogue_encodes(tokenizer) -> None:
    dialogues = load_dialogues([CORPUS])
    examples = [encode_dialogue(d, tokenizer, max_length=2048) for d in dialogues]
    assert all(e is not None for e in examples)
    eos = tokenizer.eos_token_id
    for d, e in zip(dialogues, examples, strict=True):
        # One eos per seller turn, all of them learned.
        seller_turns = sum(ev.role == "판매자" for ev in d.events)
        assert [t for t in e["labels"] if t == eos] == [eos] * seller_turns
    dataset = to_hf_dataset(examples[:5])
    assert dataset.column_names == ["input_ids", "attention_mask", "labels"] and len(dataset) == 5


def test_split_is_stable_and_disjoint() -> None:
    dialogues = load_dialogues([CORPUS])
    train, validation = split_dialogues(dialogues, validation_fraction=0.1)
    _again_train, again_validation = split_dialogues(list(reversed(dialogues)), validation_fraction=0.1)
    assert {dialogue_key(d) for d in validation} == {dialogue_key(d) for d in again_validation}
    assert len(train) + len(validation) == len(dialogues)
    assert 0.03 < len(validation) / len(dialogues) < 0.2
    assert not {dialogue_key(d) for d in train} & {dialogue_key(d) for d in validation}


def test_sources_local_exports_and_hub_ids(tmp_path: Path, monkeypatch) -> None:
    export = tmp_path / "site_export.json"
    record = {k: v for k, v in KNOWN.to_dict().items() if k != "floor_price"}
    export.write_text(json.dumps([record], ensure_ascii=False), encoding="utf-8")
    [loaded] = load_source(str(export))
    assert loaded.events == KNOWN.events

    import datasets

    calls = []
    monkeypatch.setattr(datasets, "load_dataset", lambda name, split: calls.append((name, split)) or [record])
    [from_hub] = load_source("someone/nego-dialogues")
    assert calls == [("someone/nego-dialogues", "train")] and from_hub.title == KNOWN.title
    with pytest.raises(FileNotFoundError):
        load_source(str(tmp_path / "missing.jsonl"))
