"""Iteration-level batching: every chat a worker is answering decodes in the same forward pass.

One `BatchScheduler` per model (per GPU) runs one thread. Each turn of its loop admits the
requests that arrived since the last (their prompts run together through `SlotModel.prefill`,
which also yields their first token), then queues `steps_per_sync` decode steps for every chat
in the batch, sampling included, as one CUDA graph, and looks at their tokens once: stops (end of
text, a limit, a reader that closed) are found after the run and the tokens past them dropped.
Each chat gets its first token at once and the rest in chunks, at most every `flush_interval`,
so the loop wakes a few reader threads a step instead of all of them. A chat that finishes,
hits its limit or is closed by its reader (the guard stopped it) leaves the batch at once and
its slot is free for the next request. No request waits for a batch to finish: it waits at most
for the join window and the run of steps in flight.

Callers in other threads (Celery's threads pool, the site's in-process pool, `evaluate`'s
threads) call `submit()` and read the returned `TokenStream`; detokenising and guarding happen
in their threads, not in the loop. `steps` and `prefills` record which requests each step and
each prefill served, for tests and benchmarks.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from mlcore.llm.sampling import Sampling, SlotSampler
from mlcore.llm.slots import SlotModel

log = logging.getLogger(__name__)

THREAD_NAME = "nellm-scheduler"
_END = object()
_HISTORY = 10_000  # steps and prefills remembered


@dataclass(frozen=True)
class Prefill:
    requests: tuple[int, ...]  # the requests whose prompts ran together
    running: tuple[int, ...]  # the requests already decoding when they joined


@dataclass
class _Request:
    id: int
    prompt: list[int]
    max_new_tokens: int
    min_new_tokens: int
    sampling: Sampling
    seed: int | None
    submitted: float = field(default_factory=time.monotonic)
    out: queue.SimpleQueue = field(default_factory=queue.SimpleQueue)  # token lists, then _END or an error
    pending: list[int] = field(default_factory=list)  # decoded, not yet handed to the reader
    flush_at: float = 0.0
    cancelled: threading.Event = field(default_factory=threading.Event)
    generated: int = 0
    slot: int = -1
    finished: bool = False


@dataclass
class _Launched:
    """Work queued on the device: its requests, the column of each in `tokens` (a host copy,
    [steps, columns]) and when that copy is ready."""

    requests: list[_Request]
    columns: list[int]
    tokens: Any
    ready: Any


class TokenStream(Iterator[int]):
    """The token ids of one request as they are decoded; `close()` takes it out of the batch.

    Tokens arrive in chunks (every token decoded since the last hand-over, see
    `BatchScheduler.flush_interval`): iterate for single ids or call `chunks()` for the lists."""

    def __init__(self, request: _Request, scheduler: BatchScheduler, *, timeout: float) -> None:
        self._request, self._scheduler, self._timeout = request, scheduler, timeout
        self.id = request.id
        self._chunk: list[int] = []
        self._read = 0  # of self._chunk

    @property
    def generated(self) -> int:
        return self._request.generated

    def _take(self) -> list[int]:
        """The next tokens not yet read (never empty); StopIteration at the end of the reply."""
        if self._read < len(self._chunk):
            rest = self._chunk[self._read :]
            self._chunk, self._read = [], 0
            return rest
        try:
            item = self._request.out.get(timeout=self._timeout)
        except queue.Empty:
            self.close()
            raise TimeoutError(f"no token within {self._timeout:.0f} s") from None
        if item is _END:
            raise StopIteration
        if isinstance(item, BaseException):
            raise RuntimeError(f"generation failed: {item}") from item
        return item

    def __next__(self) -> int:
        if self._read >= len(self._chunk):
            self._chunk, self._read = self._take(), 0
        self._read += 1
        return self._chunk[self._read - 1]

    def chunks(self) -> Iterator[list[int]]:
        """The reply as the lists of tokens handed over together."""
        while True:
            try:
                chunk = self._take()
            except StopIteration:
                return
            yield chunk

    def close(self) -> None:
        if not self._request.cancelled.is_set():
            self._request.cancelled.set()
            self._scheduler._wake()


class BatchScheduler:
    """Serves many requests at once over one model's `SlotModel` cache."""

    def __init__(
        self,
        model: Any,
        *,
        eos_token_id: int,
        slots: int = 32,
        max_length: int = 1024,
        cuda_graphs: bool = True,
        prefill_tokens: int = 8192,
        stream_timeout: float = 300.0,
        flush_interval: float = 0.025,
        join_window: float | None = None,
        steps_per_sync: int = 4,
        compile: bool = False,
    ) -> None:
        """`flush_interval`: a reader gets its tokens at most this often (its first at once), so
        the loop wakes a few readers a step, not every reader every step (on an H200 waking 64
        reader threads a step cost ~3 ms of a 4.3 ms step).

        `steps_per_sync`: decode steps queued together, sampling included, as one CUDA graph,
        with one look from the host after them (vLLM's multi-step scheduling): the host's work
        per step (launches, reading tokens, bookkeeping) is paid once per run of steps. A reply
        that ends inside a run wastes the rest of the run in its slot (those tokens are
        dropped), and an arrival joins after the run in flight.

        `join_window`: a request that arrives while others decode waits up to this long for
        others to join with it, so that arrivals share one prefill (an eager forward whose
        launches cost about a step) instead of one each; with nothing decoding, or enough
        waiting to fill the free slots, it joins at once. By default 20 ms with one step per
        sync and none with more: arrivals during a run of steps share a prefill anyway.

        `compile`: the decode step's layers through `torch.compile` (`SlotModel`); the first
        graph of each cache bucket then waits for inductor (compile time at start)."""
        import torch

        if steps_per_sync < 1:
            raise ValueError("steps_per_sync must be at least 1")
        self.torch = torch
        self.slots = SlotModel(
            model, slots=slots, max_length=max_length, cuda_graphs=cuda_graphs, compile=compile
        )
        self.eos = eos_token_id
        self.vocab = self.slots.head.out_features
        self.prefill_tokens = prefill_tokens
        self.stream_timeout = stream_timeout
        self.flush_interval = flush_interval
        self.join_window = join_window if join_window is not None else 0.02 * (steps_per_sync == 1)
        self.steps_per_sync = steps_per_sync
        self.steps: deque[tuple[int, ...]] = deque(maxlen=_HISTORY)
        self.prefills: deque[Prefill] = deque(maxlen=_HISTORY)
        self._ids = itertools.count(1)
        self._waiting: deque[_Request] = deque()
        self._running: dict[int, _Request] = {}  # slot -> request
        self._cv = threading.Condition()
        self._pausing = 0
        self._parked = False
        self._closed = False
        device = self.slots.device
        self.sampler = SlotSampler(
            slots=slots, vocab=self.vocab, eos=self.eos, device=device, tensor=self.slots.tensor
        )
        # What the graphed steps read and write, per slot: the next token and its position, and
        # whether a chat holds the slot (an idle slot stays at position 0).
        self._next = torch.zeros(slots, dtype=torch.long, device=device)
        self._positions = torch.zeros(slots, dtype=torch.long, device=device)
        self._active = torch.zeros(slots, dtype=torch.long, device=device)
        self._out = torch.zeros(steps_per_sync, slots, dtype=torch.long, device=device)
        self._batch: list[_Request] | None = None  # the running requests while unchanged
        if self.slots.cuda_graphs:  # recorded before any chat: warming up writes position 0
            for bucket in self.slots.buckets:
                self._run(bucket)
        self._thread = threading.Thread(target=self._loop, name=THREAD_NAME, daemon=True)
        self._thread.start()

    # --- the callers' side ---------------------------------------------------------------------------

    def submit(
        self,
        prompt: list[int],
        *,
        max_new_tokens: int,
        sampling: Sampling | None = None,
        seed: int | None = None,
        min_new_tokens: int = 0,
    ) -> TokenStream:
        if not prompt:
            raise ValueError("empty prompt")
        room = self.slots.max_length - len(prompt)
        if room < 1:
            raise ValueError(f"a prompt of {len(prompt)} tokens leaves no room in {self.slots.max_length}")
        request = _Request(
            id=next(self._ids),
            prompt=list(prompt),
            max_new_tokens=max(1, min(max_new_tokens, room)),
            min_new_tokens=min_new_tokens,
            sampling=sampling or Sampling(),
            seed=seed,
        )
        with self._cv:
            if self._closed:
                raise RuntimeError("the scheduler is closed")
            self._waiting.append(request)
            self._cv.notify_all()
        return TokenStream(request, self, timeout=self.stream_timeout)

    @property
    def running(self) -> int:
        with self._cv:
            return len(self._running)

    @property
    def waiting(self) -> int:
        with self._cv:
            return len(self._waiting)

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Hold the loop between two runs of steps (tests: submit several requests into one)."""
        with self._cv:
            self._pausing += 1
            self._cv.notify_all()
            while not self._parked and self._thread.is_alive():
                self._cv.wait()
        try:
            yield
        finally:
            with self._cv:
                self._pausing -= 1
                self._cv.notify_all()

    def close(self) -> None:
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        self._thread.join(timeout=30)

    def _wake(self) -> None:
        with self._cv:
            self._cv.notify_all()

    # --- the loop ----------------------------------------------------------------------------------------

    def _loop(self) -> None:
        in_flight: list[_Launched] = []
        while True:
            with self._cv:
                while not in_flight and (
                    self._pausing or not (self._closed or self._waiting or self._running)
                ):
                    self._parked = bool(self._pausing)
                    self._cv.notify_all()
                    self._cv.wait()
                self._parked = False
                if self._closed:
                    break
            try:
                with self.torch.inference_mode():
                    # The next steps are queued on the GPU before the last ones' tokens are
                    # handed out, so the GPU decodes while this thread does the Python work.
                    launched = [self._launch()] if self._running and not self._pausing else []
                    for done in in_flight:
                        self._deliver(done)
                    joined = None if self._pausing else self._admit()
                    in_flight = launched + ([joined] if joined else [])
            except Exception as exc:  # e.g. CUDA out of memory: every chat in the batch falls back
                in_flight = []
                log.exception("batched generation failed; failing %d request(s)", len(self._running))
                with self._cv:
                    failed = list(self._running.values())
                    self._running.clear()
                    self._batch = None
                self._positions.zero_()
                self._active.zero_()
                for request in failed:
                    request.out.put(exc)
        with self._cv:
            for request in [*self._running.values(), *self._waiting]:
                request.out.put(RuntimeError("the scheduler closed"))
            self._running.clear()
            self._waiting.clear()

    def _admit(self) -> _Launched | None:
        """Prefill the waiting requests into free slots; their first tokens come back queued."""
        with self._cv:
            free = [s for s in range(self.slots.slots) if s not in self._running]
            if (
                self._running
                and len(self._waiting) < len(free)
                and self._waiting
                and time.monotonic() - self._waiting[0].submitted < self.join_window
            ):
                return None
            joining: list[_Request] = []
            budget = self.prefill_tokens
            while self._waiting and free:
                request = self._waiting[0]
                if request.cancelled.is_set():
                    self._waiting.popleft().out.put(_END)
                    continue
                if joining and len(request.prompt) > budget:
                    break
                self._waiting.popleft()
                request.slot = free.pop(0)
                budget -= len(request.prompt)
                joining.append(request)
            running = tuple(r.id for r in self._running.values())
        if not joining:
            return None
        slots = [r.slot for r in joining]
        try:
            logits = self.slots.prefill(slots, [r.prompt for r in joining])
        except Exception as exc:
            for request in joining:
                request.out.put(exc)
            raise
        self.sampler.join(
            slots,
            [r.sampling for r in joining],
            seeds=[r.seed for r in joining],
            min_new_tokens=[r.min_new_tokens for r in joining],
            prompts=[r.prompt for r in joining],
        )
        rows = self.slots.tensor(slots)
        tokens = self.sampler.draw(logits, rows)
        self._next[rows] = tokens
        self._positions[rows] = self.slots.tensor([len(r.prompt) for r in joining])
        self._active.index_fill_(0, rows, 1)
        self.prefills.append(Prefill(tuple(r.id for r in joining), running))
        with self._cv:
            for request in joining:
                self._running[request.slot] = request
            self._batch = None
        return self._queued(joining, list(range(len(joining))), tokens[None])

    def _run(self, bucket: int) -> Any:
        """`steps_per_sync` decode steps of every slot, sampling included, through the bucket's
        CUDA graph: the tokens, [steps, slots]."""

        def steps() -> Any:
            last = self.slots.max_length - 1
            for step in range(self.steps_per_sync):
                logits = self.slots.step(self._next, self._positions, bucket)
                tokens = self.sampler.draw(logits, self.slots.rows)
                self._next.copy_(tokens)
                self._out[step].copy_(tokens)
                # A chat that reaches the end of its row inside the run stays on its last
                # position: what it decodes there is past its limit and dropped.
                self._positions.add_(self._active).clamp_(max=last)
            return self._out

        return self.slots.graphed(("steps", bucket), steps)

    def _launch(self) -> _Launched:
        """Queue `steps_per_sync` decode steps for the batch; nothing waits for the GPU."""
        if self._batch is None:
            self._batch = list(self._running.values())
        requests = self._batch
        ids = tuple(r.id for r in requests)
        self.steps.extend([ids] * self.steps_per_sync)
        # The tokens in flight (a prefill's first, the run before this one) are not counted yet.
        longest = max(len(r.prompt) + r.generated for r in requests) + 2 * self.steps_per_sync + 1
        bucket = self.slots.bucket_for(min(longest, self.slots.max_length - 1))
        return self._queued(requests, [r.slot for r in requests], self._run(bucket))

    def _queued(self, requests: list[_Request], columns: list[int], tokens: Any) -> _Launched:
        """`tokens` copied to the host behind the queued work, and an event that marks the copy."""
        if self.slots.device.type != "cuda":
            return _Launched(requests, columns, tokens.clone(), None)
        host = self.torch.empty(tokens.shape, dtype=tokens.dtype, pin_memory=True)
        host.copy_(tokens, non_blocking=True)
        done = self.torch.cuda.Event()
        done.record()
        return _Launched(requests, columns, host, done)

    def _deliver(self, launched: _Launched) -> None:
        """Hand the requests their tokens (in chunks) and retire the ones that are done."""
        if launched.ready is not None:
            launched.ready.synchronize()
        now = time.monotonic()
        rows = launched.tokens.tolist()
        done: list[_Request] = []
        for request, column in zip(launched.requests, launched.columns, strict=True):
            if request.finished:  # it left before these steps' tokens came back: dropped
                continue
            first = request.generated == 0
            if self._take(request, [row[column] for row in rows]):
                done.append(request)
            elif first:  # the first token at once; chats that joined together flush apart
                self._flush(request, now + self.flush_interval * (request.slot % 8) / 8)
            elif now >= request.flush_at:
                self._flush(request, now)
        if done:
            with self._cv:
                for request in done:
                    request.finished = True
                    self._running.pop(request.slot, None)
                self._batch = None
            rows_done = self.slots.tensor([r.slot for r in done])
            # An idle slot decodes at position 0, so it never widens the attention window. (A fill,
            # not `[rows] = 0`: a host scalar is copied from pageable memory, which waits for the
            # run of steps in flight.)
            self._positions.index_fill_(0, rows_done, 0)
            self._active.index_fill_(0, rows_done, 0)
            for request in done:
                if request.pending:
                    self._flush(request, now)
                request.out.put(_END)

    def _take(self, request: _Request, tokens: list[int]) -> bool:
        """Count a request's new tokens into its pending list; whether the reply is over (its
        reader closed it, end of text, its limit, the end of its cache row)."""
        for token in tokens:
            if request.cancelled.is_set():
                return True
            request.generated += 1
            if token == self.eos:
                return True
            request.pending.append(token)
            full = len(request.prompt) + request.generated >= self.slots.max_length
            if request.generated >= request.max_new_tokens or full:
                return True
        return request.cancelled.is_set()

    def _flush(self, request: _Request, now: float) -> None:
        request.out.put(request.pending)
        request.pending = []
        request.flush_at = now + self.flush_interval
