"""A random-init GPT-NeoX of a real shape, saved with a tokenizer, for `evaluate --backend llm`
on a GPU without downloading weights: the serving, the guard and the baseline's rules run for
real, the words mean nothing. The tokenizer is a byte-level BPE trained on the shipped corpus
(as the CPU tests' tiny model), so the random words at least use the corpus's pieces (prices,
role labels).

    python benchmarks/random_model.py --shape 1.3b --out /tmp/random-1.3b
    NELLM_BASE_MODEL=/tmp/random-1.3b NELLM_LOAD_IN_4BIT=0 python -m mlcore evaluate --backend llm --baseline
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", default="1.3b")
    parser.add_argument("--vocab", type=int, default=8000)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    from bench_serve import build_model

    from mlcore.corpus.validate import load_dialogues
    from mlcore.llm.template import ORIGINAL_SYSTEM, SYSTEM, header_text
    from tests.mlcore.tiny import CORPUS, train_tokenizer

    dialogues = load_dialogues([CORPUS])
    texts = [e.message for d in dialogues for e in d.events] + [
        SYSTEM,
        ORIGINAL_SYSTEM,
        "구매자: 판매자: [전략: counter]",
    ]
    texts += [header_text(d.listing) for d in dialogues]
    tokenizer = train_tokenizer(texts, vocab_size=args.vocab, model_max_length=1024)
    model = build_model(
        args.shape,
        device=args.device,
        four_bit=False,
        vocab_size=len(tokenizer),
        eos_token_id=tokenizer.eos_token_id,
    )
    model.save_pretrained(args.out)
    tokenizer.save_pretrained(args.out)
    print(f"wrote {args.out}: {args.shape} shape, vocab {len(tokenizer)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
