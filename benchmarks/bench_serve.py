"""Serving many chats on one GPU: `mlcore.llm.scheduler.BatchScheduler` against one-at-a-time.

A random-init GPT-NeoX of a real shape (Polyglot-Ko-1.3B or -12.8B; no weights are downloaded),
prompts of `--prompt` random tokens, `--new-tokens` tokens a reply (the end-of-text token barred
so every reply has the same length). Measured in one run, on one GPU:

* one-at-a-time: transformers' `model.generate` for one request after another, as the worker
  served them before batching (sampling settings of `mlcore.llm.generator.GenerationConfig`);
* the scheduler with one slot, requests one after another (what the CUDA-graph step alone gives);
* chats as clients: `--chats` N threads, each sending `--requests` requests, every request after
  an exponential pause (mean `--think` s, so arrivals are a Poisson stream per chat) and read
  token by token, as the worker's task threads read them; time to first token (submit → first
  token), reply time, tokens/s over the run, the mean batch the scheduler formed;
* the decode step alone at each batch size (graph replay + sampling), so the figures can say what
  limits them;
* `--steps-per-sync` K …: all of the above for schedulers that queue K decode steps (sampling
  included, one CUDA graph) per look from the host; `--check` first compares graphed runs of 8
  steps with eager single steps (greedy and seeded sampling: the same tokens expected);
* `--compile off on`: each K with the decode layers eager and through `torch.compile`
  (`--check-compile` first compares the two, greedy, and times the compiling scheduler's start).

    python benchmarks/bench_serve.py --shape 1.3b --chats 1 32 64 --steps-per-sync 8 1 --check \
        --out results.json
    python benchmarks/bench_serve.py --shape 12.8b --load-in-4bit --chats 32

Needs CUDA (`--device cpu` runs the same steps on a tiny shape, to check the script).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SHAPES = {
    "1.3b": {"hidden_size": 2048, "num_hidden_layers": 24, "num_attention_heads": 16},
    "12.8b": {"hidden_size": 5120, "num_hidden_layers": 40, "num_attention_heads": 40},
    "tiny": {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4},
}


def build_model(shape: str, *, device: str, four_bit: bool, vocab_size: int = 30080, eos_token_id: int = 2):
    import torch
    from transformers import GPTNeoXConfig, GPTNeoXForCausalLM

    dims = SHAPES[shape]
    config = GPTNeoXConfig(
        vocab_size=vocab_size,
        intermediate_size=4 * dims["hidden_size"],
        rotary_pct=0.5,
        max_position_embeddings=2048,
        eos_token_id=eos_token_id,
        **dims,
    )
    dtype = torch.bfloat16 if device == "cuda" else torch.float32
    torch.manual_seed(0)
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model = GPTNeoXForCausalLM(config)
    finally:
        torch.set_default_dtype(previous)
    if four_bit:
        quantize_nf4(model)
    return model.eval()


def quantize_nf4(model) -> None:
    """Every linear layer of the transformer blocks as bitsandbytes NF4 (what BitsAndBytesConfig
    does on loading), in place, for a model built from a config rather than loaded."""
    import bitsandbytes as bnb
    import torch

    for layer in model.gpt_neox.layers:
        for parent in (layer.attention, layer.mlp):
            for name, child in list(parent.named_children()):
                if not isinstance(child, torch.nn.Linear):
                    continue
                quantized = bnb.nn.Linear4bit(
                    child.in_features,
                    child.out_features,
                    bias=child.bias is not None,
                    compute_dtype=torch.bfloat16,
                    quant_type="nf4",
                    compress_statistics=True,
                )
                quantized.weight = bnb.nn.Params4bit(
                    child.weight.data, requires_grad=False, quant_type="nf4", compress_statistics=True
                )
                if child.bias is not None:
                    quantized.bias = torch.nn.Parameter(child.bias.data, requires_grad=False)
                setattr(parent, name, quantized.to(child.weight.device))
                del child
    torch.cuda.empty_cache()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def sync(device: str) -> None:
    if device == "cuda":
        import torch

        torch.cuda.synchronize()


def one_at_a_time(model, prompts: list[list[int]], *, new_tokens: int, device: str) -> dict:
    """The pre-batching path: `model.generate` per request, one after another."""
    import torch

    from mlcore.llm.generator import GenerationConfig

    cfg = GenerationConfig()
    first_token: list[float] = []
    started = time.perf_counter()

    class FirstToken:
        def put(self, value) -> None:
            if len(marks) == 2:  # marks: the start, the prompt's put; this put is the first new token
                first_token.append(time.perf_counter() - marks[0])
            marks.append(time.perf_counter())

        def end(self) -> None:
            pass

    for prompt in prompts:
        marks = [time.perf_counter()]
        ids = torch.tensor([prompt], device=device)
        with torch.inference_mode():
            model.generate(
                input_ids=ids,
                attention_mask=torch.ones_like(ids),
                max_new_tokens=new_tokens,
                min_new_tokens=new_tokens,
                do_sample=True,
                temperature=cfg.temperature,
                top_p=cfg.top_p,
                top_k=cfg.top_k,
                repetition_penalty=cfg.repetition_penalty,
                pad_token_id=0,
                streamer=FirstToken(),
            )
        sync(device)
    wall = time.perf_counter() - started
    return {
        "requests": len(prompts),
        "tokens_per_s": len(prompts) * new_tokens / wall,
        "reply_s": wall / len(prompts),
        "ttft_p50_s": statistics.median(first_token),
    }


def chats(
    scheduler, *, chats: int, requests: int, think: float, prompt: int, new_tokens: int, seed: int
) -> dict:
    """`chats` client threads, each sending `requests` requests after exponential pauses."""
    from mlcore.llm.sampling import Sampling

    first_token: list[float] = []
    replies: list[float] = []
    spans: list[tuple[float, float, int]] = []  # each reply's start, end and tokens
    last_end: list[float] = []  # each chat's
    tokens = [0]
    lock = threading.Lock()
    steps_before = len(scheduler.steps)

    def client(index: int) -> None:
        rng = random.Random(f"{seed}:{index}")
        for _ in range(requests):
            time.sleep(rng.expovariate(1 / think) if think > 0 else 0)
            ids = [rng.randrange(3, 30000) for _ in range(prompt)]
            start = time.perf_counter()
            stream = scheduler.submit(
                ids, max_new_tokens=new_tokens, min_new_tokens=new_tokens, sampling=Sampling()
            )
            count = 0
            for _token in stream:
                if count == 0:
                    first = time.perf_counter() - start
                count += 1
            end = time.perf_counter()
            with lock:
                first_token.append(first)
                replies.append(end - start)
                spans.append((start, end, count))
                tokens[0] += count
        with lock:
            last_end.append(time.perf_counter())

    threads = [threading.Thread(target=client, args=(i,)) for i in range(chats)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    steps = list(scheduler.steps)[steps_before:]
    # While every chat is still sending (until the first one is done): the run's tail, where
    # the last chats finish their last replies alone, left out. A reply's tokens are counted as
    # spread evenly over it.
    until = min(last_end)
    steady = sum(n * max(0.0, min(e, until) - b) / (e - b) for b, e, n in spans if e > b) / (until - started)
    return {
        "chats": chats,
        "requests": len(replies),
        "tokens_per_s": tokens[0] / wall,
        "steady_tokens_per_s": steady,
        "ttft_p50_s": statistics.median(first_token),
        "ttft_p95_s": percentile(first_token, 0.95),
        "reply_p50_s": statistics.median(replies),
        "reply_p95_s": percentile(replies, 0.95),
        "mean_batch": statistics.mean(len(s) for s in steps) if steps else 0,
        "steps_per_s": len(steps) / wall,
        "wall_s": wall,
    }


def step_alone(scheduler, *, batch: int, length: int, device: str, repeat: int = 20) -> dict:
    """At `batch` chats of `length` tokens: the forward alone (one graphed step) and a run of
    `steps_per_sync` graphed steps with sampling, per step."""
    import torch

    slots = scheduler.slots
    ids = torch.randint(3, 30000, (slots.slots,), device=slots.device)
    positions = torch.full((slots.slots,), length, dtype=torch.long, device=slots.device)
    positions[batch:] = 0
    bucket = slots.bucket_for(length + 2 * scheduler.steps_per_sync + 1)
    with scheduler.paused(), torch.inference_mode():
        timed = {}
        for name, work in (
            ("forward", lambda: slots.decode(ids, positions, longest=length)),
            ("run", lambda: scheduler._run(bucket)),
        ):
            for _ in range(3):
                work()
            sync(device)
            start = time.perf_counter()
            for _ in range(repeat):
                if name == "run":  # the run advances the positions: start each from `length`
                    scheduler._positions.copy_(positions)
                work()
            sync(device)
            timed[name] = (time.perf_counter() - start) / repeat
        scheduler._positions.zero_()
    per_step = timed["run"] / scheduler.steps_per_sync
    return {
        "batch": batch,
        "forward_ms": 1000 * timed["forward"],
        "step_in_run_ms": 1000 * per_step,
        "sampling_ms": 1000 * (per_step - timed["forward"]),
    }


def check(model, *, device: str, new_tokens: int = 48, variants=None, samplings=None, **options) -> dict:
    """Two scheduler `variants` (by default graphed runs of 8 steps, eager single steps) on 4
    prompts decoded together, greedy and seeded-sampled: the same tokens expected (a correctness
    check before the timings); `start_s`: each scheduler's start (graph recording, compiling)."""
    from mlcore.llm.sampling import Sampling
    from mlcore.llm.scheduler import BatchScheduler

    rng = random.Random(7)
    prompts = [[rng.randrange(3, 30000) for _ in range(rng.randrange(20, 140))] for _ in range(4)]
    variants = variants or [
        {"cuda_graphs": True, "steps_per_sync": 8},
        {"cuda_graphs": False, "steps_per_sync": 1},
    ]
    options = {"slots": 8, "max_length": 512, **options}
    samplings = samplings or {"greedy": Sampling(do_sample=False), "sampled": Sampling()}
    result: dict = {"start_s": []}
    for name, sampling in samplings.items():
        replies = []
        for variant in variants:
            started = time.perf_counter()
            scheduler = BatchScheduler(model, eos_token_id=2, **options, **variant)
            result["start_s"].append(time.perf_counter() - started)
            with scheduler.paused():
                streams = [
                    scheduler.submit(
                        p, max_new_tokens=new_tokens, min_new_tokens=new_tokens, sampling=sampling, seed=i
                    )
                    for i, p in enumerate(prompts)
                ]
            replies.append([list(s) for s in streams])
            scheduler.close()
        same = sum(a == b for a, b in zip(*replies, strict=True))
        first = [
            next((i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y), None)
            for a, b in zip(*replies, strict=True)
        ]
        result[name] = {"same_replies": same, "of": len(prompts), "first_difference": first}
    return result


def check_compile(model, *, device: str, **options) -> dict:
    """`check` of compiled against eager decode layers, both graphed runs of 8 steps, greedy."""
    from mlcore.llm.sampling import Sampling

    return check(
        model,
        device=device,
        variants=[{"steps_per_sync": 8, "compile": True}, {"steps_per_sync": 8}],
        samplings={"greedy": Sampling(do_sample=False)},
        **options,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="1.3b")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--load-in-4bit", action="store_true")
    parser.add_argument("--chats", type=int, nargs="+", default=[1, 32, 64])
    parser.add_argument("--requests", type=int, default=6, help="requests per chat")
    parser.add_argument("--think", type=float, default=0.1, help="mean pause before each request, s")
    parser.add_argument("--prompt", type=int, default=118)
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--slots", type=int, default=64)
    parser.add_argument("--max-length", type=int, default=1024)
    parser.add_argument("--baseline", type=int, default=4, help="one-at-a-time requests (0: skip)")
    parser.add_argument("--no-cuda-graphs", action="store_true")
    parser.add_argument("--switch-interval", type=float, help="sys.setswitchinterval for the run")
    parser.add_argument(
        "--steps-per-sync",
        type=int,
        nargs="+",
        default=[8],
        help="decode steps per look from the host; each value is measured on a scheduler of its own",
    )
    parser.add_argument("--check", action="store_true", help="graphed runs against eager steps first")
    parser.add_argument("--compile", nargs="+", choices=["off", "on"], default=["off"])
    parser.add_argument("--check-compile", action="store_true", help="compiled against eager layers first")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()

    import torch

    from mlcore.llm.scheduler import BatchScheduler

    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    result: dict = {"args": {k: str(v) for k, v in vars(args).items()}, "torch": torch.__version__}
    if args.device == "cuda":
        result["gpu"] = torch.cuda.get_device_name()
    import transformers

    result["transformers"] = transformers.__version__
    start = time.perf_counter()
    model = build_model(args.shape, device=args.device, four_bit=args.load_in_4bit)
    result["build_s"] = time.perf_counter() - start
    if args.device == "cuda":
        result["weights_gb"] = torch.cuda.memory_allocated() / 1e9
    rng = random.Random(0)
    prompts = [[rng.randrange(3, 30000) for _ in range(args.prompt)] for _ in range(args.baseline)]
    if args.baseline:
        result["one_at_a_time"] = one_at_a_time(
            model, prompts, new_tokens=args.new_tokens, device=args.device
        )
        print("one at a time:", json.dumps(result["one_at_a_time"]), flush=True)
    if args.check:
        result["check"] = check(model, device=args.device)
        print("check:", json.dumps(result["check"]), flush=True)
    if args.check_compile:
        result["check_compile"] = check_compile(
            model, device=args.device, slots=args.slots, max_length=args.max_length
        )
        print("check compile:", json.dumps(result["check_compile"]), flush=True)

    def save() -> None:
        if args.out:
            args.out.write_text(json.dumps(result, indent=2), encoding="utf-8")

    result["runs"] = []
    runs = [(steps, compiled == "on") for steps in args.steps_per_sync for compiled in args.compile]
    for index, (steps, compiled) in enumerate(runs):
        start = time.perf_counter()
        scheduler = BatchScheduler(
            model,
            eos_token_id=2,
            slots=args.slots,
            max_length=args.max_length,
            cuda_graphs=not args.no_cuda_graphs,
            steps_per_sync=steps,
            compile=compiled,
        )
        run = {
            "steps_per_sync": steps,
            "compile": compiled,
            "scheduler_start_s": time.perf_counter() - start,
            "flush_interval_s": scheduler.flush_interval,
            "join_window_s": scheduler.join_window,
            "cuda_graphs": scheduler.slots.cuda_graphs,
            "cache_gb": scheduler.slots.cache_bytes / 1e9,
        }
        result["runs"].append(run)
        print(
            f"steps per sync {steps}, compile {compiled}: scheduler ready in "
            f"{run['scheduler_start_s']:.1f} s, graphs {scheduler.slots.cuda_graphs}",
            flush=True,
        )

        def load(
            name: str,
            *,
            count: int,
            requests: int,
            think: float,
            seed: int,
            scheduler=scheduler,
            steps=steps,
            compiled=compiled,
        ) -> dict:
            figures = chats(
                scheduler,
                chats=count,
                requests=requests,
                think=think,
                prompt=args.prompt,
                new_tokens=args.new_tokens,
                seed=seed,
            )
            if args.baseline:
                figures["x_one_at_a_time"] = figures["tokens_per_s"] / result["one_at_a_time"]["tokens_per_s"]
            print(f"k={steps} compile={compiled} {name}:", json.dumps(figures), flush=True)
            return figures

        if args.baseline and index == 0:
            run["scheduler_one_at_a_time"] = load(
                "scheduler, one at a time", count=1, requests=args.baseline, think=0, seed=1
            )
        run["chats"] = [
            load(f"{count} chats", count=count, requests=args.requests, think=args.think, seed=count)
            for count in args.chats
        ]
        # Saturated: every slot busy from the start, no pauses: the scheduler's ceiling.
        run["saturated"] = load("saturated", count=args.slots, requests=2, think=0, seed=99)
        length = args.prompt + args.new_tokens // 2
        run["step"] = [
            step_alone(scheduler, batch=b, length=length, device=args.device)
            for b in sorted({1, min(32, args.slots), args.slots})
        ]
        # Also at the smallest bucket (64 positions): what the attention over the cache costs.
        run["step_short"] = step_alone(scheduler, batch=args.slots, length=32, device=args.device)
        print(
            f"k={steps} compile={compiled} step:", json.dumps([*run["step"], run["step_short"]]), flush=True
        )
        scheduler.close()
        del scheduler, load  # `load` holds the scheduler too: freed before the next one is built
        if args.device == "cuda":
            import gc

            gc.collect()
            torch.cuda.empty_cache()
            result["peak_gb"] = torch.cuda.max_memory_allocated() / 1e9
        save()
    save()
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
