"""Dialogue generation through any OpenAI-compatible chat-completions endpoint (`generate --llm`).

The prompt follows the original's data rules: the buyer speaks first and brings up 네고, one or two
sentences a line, at least six exchanges, the buyer argues from the description, the seller aims
near the list price and never states its target (here: the floor), about 30% of the dialogues end
in a refusal, and no personal data. The model answers one JSON object per request; every answer is
validated like the shipped corpus before it is kept, and bad, truncated or invalid answers are
skipped and counted, never written.

Configuration: `OPENAI_BASE_URL` (e.g. `http://127.0.0.1:8000/v1`), `OPENAI_API_KEY`, `--model`.
Only the standard library speaks HTTP here, so the light install can generate.
"""

from __future__ import annotations

import json
import os
import random
import re
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass
from typing import Any

from mlcore.corpus.validate import validate_record
from mlcore.schema import ACCEPT, DENY, Listing, canonical_events

PERSONA_BRIEFS: dict[str, str] = {
    "polite_haggler": "예의 바르게 조금씩 네고를 요청하는 구매자",
    "lowballer": "처음부터 터무니없이 낮은 가격을 부르고 잘 물러서지 않는 구매자",
    "quick_buyer": "거의 정가에 빨리 쿨거래하고 싶은 구매자",
    "student": "예산이 빠듯하다며 사정을 설명하는 학생 구매자",
    "bundle_asker": "다른 물건과 같이 사거나 택포로 해달라고 묶음 흥정을 하는 구매자",
    "reseller": "되팔 생각으로 시세를 들먹이며 싸게 사려는 구매자",
    "free_asker": "처음에 무료 나눔을 해달라고 조르는 구매자",
    "browser": "상태와 구성품 질문을 주로 하고 가격 얘기는 나중에 하는 구매자",
    "rude": "반말과 무례한 말투로 깎아달라는 구매자 (욕설은 쓰지 않음)",
    "manipulator": "판매자가 이미 깎아준다고 했다거나 최저가를 알려달라고 떠보는 구매자",
}

SYSTEM_PROMPT = "\n".join(
    (
        "너는 한국 중고거래 앱의 채팅 데이터를 만드는 작가다. "
        "아래 규칙을 모두 지켜 구매자와 판매자의 가격 협상 대화 하나를 JSON으로만 답한다.",
        "규칙:",
        "- 구매자가 먼저 말하고 네고(가격 흥정)를 꺼낸다. 한 줄은 한두 문장이다. "
        "구매자와 판매자가 번갈아 말하며 최소 6번 주고받는다.",
        "- 구매자는 상품 설명에 나온 내용(기스, 사용 기간, 배터리, 구형 모델, 구성품 등)을 "
        "근거로 가격을 깎는다.",
        "- 네고, 쿨거래, 택포, 직거래, 에눌 같은 중고거래 말투를 자연스럽게 쓴다.",
        "- 판매자는 정가 가까이에서 팔려고 하고, 자신의 최저 가격을 절대 말하지 않으며, "
        "최저 가격보다 낮은 가격을 제안하거나 수락하지 않는다. 판매자는 항상 예의 바르다.",
        "- 전화번호, 주소, 계좌번호, 이메일 같은 개인정보는 절대 쓰지 않는다.",
        '- 마지막 두 줄: 구매자가 "##<최종가격>##" (숫자만, 예: ##<35000>##)을 보내고, '
        '판매자가 "##<수락>##" 또는 "##<거절>##"으로 답한다. "##<거절>##" 뒤에는 짧은 말을 덧붙여도 된다.',
        '출력 형식: {"events": [{"role": "구매자", "message": "..."}, '
        '{"role": "판매자", "message": "..."}, ...]}',
    )
)


@dataclass(frozen=True)
class LLMConfig:
    base_url: str
    api_key: str
    model: str
    timeout: float = 120.0
    temperature: float = 0.9
    max_tokens: int = 2048
    deny_share: float = 0.3

    @classmethod
    def from_env(cls, *, model: str, **overrides: Any) -> LLMConfig:
        base_url = os.environ.get("OPENAI_BASE_URL", "").rstrip("/")
        if not base_url:
            raise ValueError("set OPENAI_BASE_URL (an OpenAI-compatible endpoint, e.g. http://host:8000/v1)")
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"OPENAI_BASE_URL must be an http(s) URL, got {base_url!r}")
        return cls(base_url=base_url, api_key=os.environ.get("OPENAI_API_KEY", ""), model=model, **overrides)


class Skip(Exception):
    """One answer that cannot be kept; `kind` is what the summary counts."""

    def __init__(self, kind: str, detail: str = ""):
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind


def chat_completion(config: LLMConfig, messages: list[dict[str, str]]) -> str:
    """The content of the first choice; Skip on transport errors and truncated answers."""
    body = json.dumps(
        {
            "model": config.model,
            "messages": messages,
            "temperature": config.temperature,
            "max_tokens": config.max_tokens,
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - the URL scheme is checked in LLMConfig
        f"{config.base_url}/chat/completions",
        data=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {config.api_key}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=config.timeout) as response:  # noqa: S310
            payload = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as exc:
        raise Skip("http_error", f"HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        raise Skip("http_error", str(exc)) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise Skip("bad_response", "the response body is not JSON") from exc
    try:
        choice = payload["choices"][0]
        content = choice["message"]["content"]
    except (KeyError, IndexError, TypeError) as exc:
        raise Skip("bad_response", "no choices[0].message.content") from exc
    if choice.get("finish_reason") == "length":
        raise Skip("truncated", "finish_reason=length")
    if not isinstance(content, str):
        raise Skip("bad_response", "content is not a string")
    return content


_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


def parse_events(content: str) -> list[dict[str, str]]:
    text = _FENCE.sub("", content.strip())
    start = text.find("{")
    try:
        data = json.loads(text[start:] if start >= 0 else text)
    except json.JSONDecodeError as exc:
        # An answer cut mid-way is the usual cause of unparseable JSON.
        raise Skip("truncated" if text.count("{") > text.count("}") else "not_json", exc.msg) from exc
    events = data.get("events") if isinstance(data, dict) else data
    if not isinstance(events, list):
        raise Skip("not_json", "no `events` list")
    return events


def user_prompt(listing: Listing, *, persona: str, floor: int, want: str) -> str:
    ending = (
        "구매자의 최종 가격이 판매자의 최저 가격 이상이라 판매자가 ##<수락>##으로 끝난다."
        if want == ACCEPT
        else "구매자의 최종 가격이 너무 낮아 판매자가 ##<거절>##으로 끝난다. "
        "구매자가 무례할 수 있고, 판매자는 정중하지만 단호하게 거절한다."
    )
    return (
        f"제목: {listing.title}\n상품 설명: {listing.description}\n상품 가격: {listing.price}원\n"
        f"판매자의 최저 가격(대화에서 절대 말하지 않음): {floor}원\n"
        f"구매자 유형: {PERSONA_BRIEFS[persona]}\n결말: {ending}"
    )


def generate_one(
    config: LLMConfig, listing: Listing, *, persona: str, floor: int, want: str
) -> dict[str, Any]:
    """One validated record; Skip when the answer cannot be kept."""
    messages = [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": user_prompt(listing, persona=persona, floor=floor, want=want)},
    ]
    events = parse_events(chat_completion(config, messages))
    last = events[-1].get("message", "") if events and isinstance(events[-1], dict) else ""
    result = ACCEPT if isinstance(last, str) and last.strip().startswith("##<수락>##") else DENY
    record = {
        "title": listing.title,
        "description": listing.description,
        "price": listing.price,
        "result": result,
        "events": events,
        "category": listing.category or "other",
        "persona": persona,
        "floor_price": floor,
        "source": "generated",
        "generator": f"llm:{config.model}",
    }
    # Only a well-formed answer can be put in the original's exact form (words beside a final
    # token in their own turn); the strict check then holds it to that form.
    problems = validate_record(record)
    if not problems:
        record["events"] = canonical_events(events)
        problems = validate_record(record, strict=True)
    if problems:
        raise Skip("invalid", "; ".join(str(p) for p in problems[:3]))
    return record


def generate_llm(
    config: LLMConfig,
    listings: list[Listing],
    *,
    n: int,
    seed: int,
    floor_for: Any,
    progress: Any = None,
) -> tuple[list[dict[str, Any]], Counter[str]]:
    """Up to `n` kept records (one request each) and the counts of what was skipped.

    `floor_for(listing, rng) -> int` picks the hidden floor, as self-play does.
    """
    rng = random.Random(seed)
    kept: list[dict[str, Any]] = []
    skipped: Counter[str] = Counter()
    personas = list(PERSONA_BRIEFS)
    for _ in range(n):
        listing = rng.choice(listings)
        persona = rng.choice(personas)
        want = DENY if rng.random() < config.deny_share else ACCEPT
        floor = floor_for(listing, rng)
        try:
            kept.append(generate_one(config, listing, persona=persona, floor=floor, want=want))
        except Skip as skip:
            skipped[skip.kind] += 1
        if progress is not None:
            progress.update(1)
            progress.set_postfix(kept=len(kept), skipped=skipped.total())
    return kept, skipped
