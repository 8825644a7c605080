"""Compiled decode layers against eager ones, greedy, on one GPU: in float32 (where the two must
agree token for token, so a difference is a fault) and in bf16 with inductor's
`emulate_precision_casts` (where fused kernels may still round differently on a random-init
model's nearly flat scores).

    python3 benchmarks/check_compile.py --out check-compile.json   # --shape tiny --device cpu here
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_serve import SHAPES, build_model, check_compile  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="1.3b")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    import torch
    import torch._inductor.config as inductor

    model = build_model(args.shape, device=args.device, four_bit=False)
    result: dict = {}
    for name, dtype, emulate in (("fp32", torch.float32, False), ("bf16_emulated", torch.bfloat16, True)):
        inductor.emulate_precision_casts = emulate
        torch._dynamo.reset()
        started = time.perf_counter()
        result[name] = check_compile(model.to(dtype), device=args.device, slots=8, max_length=512)
        result[name]["wall_s"] = time.perf_counter() - started
        print(f"{name}:", json.dumps(result[name]), flush=True)
        if args.out:
            args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
