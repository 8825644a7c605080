"""Where the decode step's time goes: its kernels, eager and with the layers compiled.

The step of `mlcore.llm.slots.SlotModel` (every slot decoding, a random-init GPT-NeoX of a real
shape) run outside a CUDA graph under `torch.profiler`: kernels a step, their summed time a
step (what a graph replay cannot go below), and the costliest kernels. The replay's own time is
`bench_serve.py`'s `step_alone`; the gap between the two is launch and idle time.

    python benchmarks/profile_step.py --shape 1.3b --slots 64 --length 150 --compile off on
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def profile(slots, *, length: int, steps: int = 5) -> dict:
    import torch
    from torch.profiler import ProfilerActivity, profile

    ids = torch.randint(3, 30000, (slots.slots,), device=slots.device)
    positions = torch.full((slots.slots,), length, dtype=torch.long, device=slots.device)
    bucket = slots.bucket_for(length)
    with torch.inference_mode():
        for _ in range(3):  # compiles, loads kernels
            slots.step(ids, positions, bucket)
        torch.cuda.synchronize()
        with profile(activities=[ProfilerActivity.CUDA]) as prof:
            for _ in range(steps):
                slots.step(ids, positions, bucket)
            torch.cuda.synchronize()
    kernels = [e for e in prof.key_averages() if e.device_type == torch.autograd.DeviceType.CUDA]
    kernels.sort(key=lambda e: -e.device_time_total)
    total = sum(e.device_time_total for e in kernels)
    return {
        "bucket": bucket,
        "kernels_per_step": sum(e.count for e in kernels) / steps,
        "kernel_ms_per_step": total / steps / 1000,
        "top": [
            {
                "kernel": e.key[:90],
                "per_step": e.count / steps,
                "ms_per_step": e.device_time_total / steps / 1000,
            }
            for e in kernels[:12]
        ],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", default="1.3b")
    parser.add_argument("--slots", type=int, default=64)
    parser.add_argument("--max-length", type=int, default=1024)
    parser.add_argument("--length", type=int, nargs="+", default=[150])
    parser.add_argument("--compile", nargs="+", choices=["off", "on"], default=["off", "on"])
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    from benchmarks.bench_serve import build_model
    from mlcore.llm.slots import SlotModel

    model = build_model(args.shape, device="cuda", four_bit=False)
    result = []
    for compiled in args.compile:
        slots = SlotModel(model, slots=args.slots, max_length=args.max_length, compile=compiled == "on")
        for length in args.length:
            figures = {"compile": compiled, "length": length, **profile(slots, length=length)}
            print(json.dumps(figures), flush=True)
            result.append(figures)
        del slots
        if args.out:
            args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
