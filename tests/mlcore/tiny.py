"""A tiny GPT-NeoX and its tokenizer, saved like a hub checkpoint, for CPU tests of training and
generation: the real loading code reads them from a local directory, nothing is downloaded.

Import the fixtures into a test module (`from tests.mlcore.tiny import tiny_base, tiny_adapter`);
they are session-scoped, so the model is built and trained once per test run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "mlcore" / "data" / "corpus"
EOS = "<|endoftext|>"


def train_tokenizer(texts: list[str], *, vocab_size: int, **options: object):
    """A byte-level BPE trained on `texts`, wrapped like a hub tokenizer with `EOS`."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    raw.train_from_iterator(
        texts,
        trainers.BpeTrainer(
            vocab_size=vocab_size, special_tokens=[EOS], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
        ),
    )
    return PreTrainedTokenizerFast(tokenizer_object=raw, eos_token=EOS, **options)


def build_tiny_model(path: Path) -> Path:
    """A byte-level BPE trained on the shipped corpus and a random 2-layer GPT-NeoX, in `path`."""
    import torch
    from transformers import GPTNeoXConfig, GPTNeoXForCausalLM

    from mlcore.corpus.validate import load_dialogues
    from mlcore.llm.template import SYSTEM, header_text

    dialogues = load_dialogues([CORPUS])
    texts = [e.message for d in dialogues for e in d.events] + [SYSTEM, "구매자: 판매자: [전략: counter]"]
    texts += [header_text(d.listing) for d in dialogues[:50]]
    tokenizer = train_tokenizer(texts, vocab_size=1000, model_max_length=1024)
    config = GPTNeoXConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=1024,
        eos_token_id=tokenizer.eos_token_id,
        bos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(0)
    model = GPTNeoXForCausalLM(config)
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def write_dialogues(path: Path, count: int, *, skip: int = 0) -> Path:
    """`count` corpus dialogues (the shortest first, so tiny runs stay fast) as one JSONL file."""
    from mlcore.corpus.validate import load_dialogues

    dialogues = sorted(load_dialogues([CORPUS]), key=lambda d: sum(len(e.message) for e in d.events))
    with path.open("w", encoding="utf-8") as handle:
        for dialogue in dialogues[skip : skip + count]:
            handle.write(json.dumps(dialogue.to_dict(), ensure_ascii=False) + "\n")
    return path


def train_args(*, base: Path, data: Path, out: Path, steps: int = 3) -> list[str]:
    return [
        "train",
        "--base-model",
        str(base),
        "--data",
        str(data),
        "--out",
        str(out),
        "--max-steps",
        str(steps),
        "--batch-size",
        "2",
        "--grad-accum",
        "1",
        "--lr",
        "5e-3",
        "--max-length",
        "256",
        "--val-share",
        "0.3",
        "--logging-steps",
        "1",
        "--eval-steps",
        "2",
        "--run-name",
        "tiny",
    ]


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "base")


@pytest.fixture(scope="session")
def tiny_adapter(tiny_base, tmp_path_factory) -> Path:
    """A LoRA adapter trained for a few steps through `python -m mlcore train` (in process)."""
    from mlcore.__main__ import main

    root = tmp_path_factory.mktemp("tiny-run")
    data = write_dialogues(root / "dialogues.jsonl", 12)
    out = root / "adapter"
    assert main(train_args(base=tiny_base, data=data, out=out)) == 0
    return out
