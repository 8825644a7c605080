"""The LLM generator: a tiny GPT-NeoX + trained LoRA adapter, loaded from local directories through
`load_generator()`, streams replies for real Advisor decisions; the Negotiator guards them."""

from __future__ import annotations

import threading

import pytest

from mlcore.language.prices import find_amounts
from mlcore.llm.generator import GenerationConfig, LLMGenerator, cut_at_role_line, load_generator
from mlcore.llm.template import hint_from_decision
from mlcore.negotiator.advisor import Act, Advisor, SellerPolicy, Style
from mlcore.negotiator.guard import ROLE_LABEL, check, mentions_floor
from mlcore.negotiator.pipeline import Negotiator
from mlcore.schema import BUYER, SELLER, Event, Listing

FLOOR = 27_300
POLICY = SellerPolicy(35_000, FLOOR, Style.BALANCED)
LISTING = Listing("블루투스 스피커", "작년에 샀어요. 상태 좋아요. 충전 케이블 포함이에요.", 35_000)
BUYER_LINES = [
    "안녕하세요 네고 가능할까요?",
    "3만원에 주세요",
    "최저가가 얼마예요? 솔직히 말해주세요",
    "2만원은요?",
    "28000원이면 바로 살게요",
    "##<29000>##",
]


@pytest.fixture(scope="module")
def generator(tiny_base, tiny_adapter, monkeypatch_module):
    monkeypatch_module.setenv("NELLM_BASE_MODEL", str(tiny_base))
    monkeypatch_module.setenv("NELLM_ADAPTER", str(tiny_adapter))
    monkeypatch_module.setenv("NELLM_LOAD_IN_4BIT", "1")  # no CUDA here: full precision, logged
    gen = load_generator()
    gen.config = GenerationConfig(max_new_tokens=24, seed=7)
    return gen


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def decision_for(message: str):
    return Advisor(POLICY, description=LISTING.description).decide(message)


def requests_in_flight(generator) -> int:
    """Requests still in the scheduler's batch once the streams that made them are done: none."""
    scheduler = generator.scheduler
    for _ in range(1000):
        if scheduler.running == 0 and scheduler.waiting == 0:
            break
        threading.Event().wait(0.005)  # the loop retires a closed stream at its next step
    return scheduler.running + scheduler.waiting


# --- cutting at role lines (pure) ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("pieces", "expected"),
    [
        ([" 좋아요, 3만", "원에 드릴게요\n구", "매자: 더 깎아", "주세요"], "좋아요, 3만원에 드릴게요"),
        (["네 가능해요 판매", "자 : 아니", "요"], "네 가능해요"),
        (["상태 좋아요.\n[전", "략: counter 30000]\n판매자: 3만원"], "상태 좋아요."),
        (["구매자: 2만원에 주세요"], ""),
        (["  그건 조금 ", "어렵고요, ", "33,000원은 어떠세요?"], "그건 조금 어렵고요, 33,000원은 어떠세요?"),
    ],
)
def test_a_reply_ends_where_a_new_role_line_starts(pieces, expected):
    assert "".join(cut_at_role_line(pieces)) == expected


def test_a_role_word_inside_a_sentence_is_not_a_label():
    pieces = ["이 상품은 구매자분들이 ", "많이 찾으셨어요. 판매자로서 ", "자신 있어요"]
    assert (
        "".join(cut_at_role_line(pieces)) == "이 상품은 구매자분들이 많이 찾으셨어요. 판매자로서 자신 있어요"
    )


# --- loading --------------------------------------------------------------------------------------


def test_load_generator_without_a_base_model_says_what_to_set(monkeypatch):
    monkeypatch.delenv("NELLM_BASE_MODEL", raising=False)
    with pytest.raises(RuntimeError, match="NELLM_BASE_MODEL"):
        load_generator()


def test_a_missing_adapter_directory_is_a_clear_error(tiny_base, tmp_path):
    with pytest.raises(FileNotFoundError, match=r"adapter .*missing"):
        LLMGenerator(base_model=str(tiny_base), adapter=str(tmp_path / "missing"))


@pytest.mark.slow
def test_the_loaded_model_carries_the_adapter(generator, tiny_adapter):
    from peft import PeftModel

    assert isinstance(generator.model, PeftModel)
    assert generator.name == "llm" and generator.adapter == str(tiny_adapter)
    assert not generator.quantized and generator.device.type == "cpu"


# --- streaming ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_stream_yields_a_reply_without_role_labels_within_max_new_tokens(generator):
    decision = decision_for("3만원에 주세요")
    pieces = list(
        generator.stream(listing=LISTING, history=[Event(BUYER, "3만원에 주세요")], decision=decision)
    )
    text = "".join(pieces)
    assert all(pieces), "no empty pieces"
    assert text == text.strip()
    assert ROLE_LABEL.search(text) is None and "[전략" not in text
    assert 0 < generator.last_new_tokens <= generator.config.max_new_tokens
    assert requests_in_flight(generator) == 0


@pytest.mark.slow
def test_a_seeded_generator_repeats_itself(generator):
    decision = decision_for("2만원은요?")
    history = [Event(BUYER, "2만원은요?")]
    first = "".join(generator.stream(listing=LISTING, history=history, decision=decision))
    second = "".join(generator.stream(listing=LISTING, history=history, decision=decision))
    assert first == second


@pytest.mark.slow
def test_closing_the_stream_stops_the_model_and_frees_it(generator):
    try:
        decision = decision_for("3만원에 주세요")
        history = [Event(BUYER, "3만원에 주세요")]
        # A seed whose reply runs long enough to be cut short (the tiny model's tokenizer, and so
        # its replies, follow the shipped corpus).
        for seed in range(11, 41):
            generator.config = GenerationConfig(max_new_tokens=96, seed=seed)
            "".join(generator.stream(listing=LISTING, history=history, decision=decision))
            full = generator.last_new_tokens
            if full >= 12:
                break
        stream = generator.stream(listing=LISTING, history=history, decision=decision)
        next(stream)
        stream.close()
        assert requests_in_flight(generator) == 0, "the closed stream left the batch"
        assert generator.last_new_tokens < full
        # Its slot is free: the next reply runs.
        assert "".join(generator.stream(listing=LISTING, history=history, decision=decision)) is not None
    finally:
        generator.config = GenerationConfig(max_new_tokens=24, seed=7)


@pytest.mark.slow
def test_one_model_serves_several_threads(generator):
    decision = decision_for("3만원에 주세요")
    results: list[str] = []
    errors: list[BaseException] = []

    def reply() -> None:
        try:
            stream = generator.stream(listing=LISTING, history=[Event(BUYER, "3만원")], decision=decision)
            results.append("".join(stream))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=reply) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors and len(results) == 3
    assert len(set(results)) == 1  # same seed: the same reply, whoever shares the batch


def test_the_prompt_never_contains_the_floor(generator):
    bot = Negotiator(policy=POLICY, listing=LISTING, generator=generator)
    decision = bot.advisor.decide("최저가 알려주세요")
    history = [Event(BUYER, "안녕하세요"), Event(SELLER, "네 안녕하세요!"), Event(BUYER, "최저가 알려주세요")]
    ids = generator.prompt_ids(listing=LISTING, history=history, decision=decision)
    prompt = generator.tokenizer.decode(ids)
    lines = prompt.splitlines()
    assert lines[-3:-1] == ["구매자: 최저가 알려주세요", str(hint_from_decision(decision))]
    assert lines[-1] == "판매자:"
    assert not mentions_floor(prompt, FLOOR)


def test_long_conversations_drop_old_turns_to_fit(generator):
    history = [Event(BUYER if i % 2 == 0 else SELLER, f"<{i}> 긴 메시지입니다 " * 20) for i in range(41)]
    ids = generator.prompt_ids(listing=LISTING, history=history, decision=decision_for("3만원"))
    assert len(ids) <= generator.config.max_length - generator.config.max_new_tokens
    prompt = generator.tokenizer.decode(ids)
    assert "<40>" in prompt and "<0>" not in prompt
    assert prompt.startswith("다음은 중고거래")  # the header stays


# --- the pipeline -----------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_negotiator_with_the_llm_never_lets_the_floor_through(generator, seed):
    generator.config = GenerationConfig(max_new_tokens=24, seed=seed)
    try:
        bot = Negotiator(policy=POLICY, listing=LISTING, generator=generator, seed=seed)
        history: list[Event] = []
        for line in BUYER_LINES:
            shown: list[str] = []
            turn = bot.respond(line, history=history, on_chunk=shown.append)
            # A final offer's answer is the realizer's (the exact token and its words).
            assert turn.generator in {"llm", "rules-fallback", "rules"}
            assert "".join(shown) == turn.text, "the buyer saw exactly the stored reply"
            assert not mentions_floor(turn.text, FLOOR)
            assert all(a.value >= FLOOR for a in find_amounts(turn.text) if a.value > 1000)
            assert check(turn.text, decision=turn.decision, policy=POLICY) == []
            history += [Event(BUYER, line), Event(SELLER, turn.text)]
            if bot.closed:
                break
    finally:
        generator.config = GenerationConfig(max_new_tokens=24, seed=7)


class Asked:
    """The tiny model, recording which acts it was asked to word."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.acts = inner, inner.name, []

    def stream(self, **kwargs):
        self.acts.append(kwargs["decision"].act)
        yield from self.inner.stream(**kwargs)


def test_final_offers_get_the_exact_token_and_the_realizers_words_not_the_models(generator):
    """Before: the model, which the corpus's bare `##<수락>##` / `##<거절>##` taught nothing else,
    answered a final offer with the token alone (a deal without a word of what comes next), or its
    empty answer was replaced and counted as a fallback."""
    asked = Asked(generator)
    bot = Negotiator(policy=POLICY, listing=LISTING, generator=asked, seed=3)
    counter = bot.respond("3만원에 주세요")
    deny = bot.respond("##<29000>##", history=[Event(BUYER, "3만원에 주세요"), Event(SELLER, counter.text)])
    assert deny.decision.act is Act.FINAL_DENY and deny.text.startswith("##<거절>## ")
    assert deny.generator == "rules" and not deny.repaired
    if deny.decision.quote:  # the standing offer, in words, as the rules backend says it
        assert deny.decision.price in {a.value for a in find_amounts(deny.text)}
    accept = bot.respond(f"##<{deny.decision.price}>##")
    assert accept.decision.act is Act.FINAL_ACCEPT and accept.text.startswith("##<수락>## ")
    assert accept.generator == "rules" and len(accept.text) > len("##<수락>## ")
    # The model words everything else, and was never asked for a final answer.
    assert asked.acts == [counter.decision.act] and counter.decision.act is not Act.FINAL_DENY


@pytest.mark.slow
def test_generate_reply_cli_prints_guarded_turns(tiny_base, tiny_adapter, capsys):
    import json

    from mlcore.__main__ import main

    base = ["llm-reply", "--base-model", str(tiny_base), "--adapter", str(tiny_adapter)]
    listing = ["--title", "스피커", "--price", "35000", "--floor", str(FLOOR), "--seed", "3"]
    assert main([*base, *listing, "--max-new-tokens", "16", "3만원에 주세요", "##<35000>##"]) == 0
    turns = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [t["buyer"] for t in turns] == ["3만원에 주세요", "##<35000>##"]
    assert turns[-1]["decision"]["act"] == "final_accept" and turns[-1]["text"].startswith("##<수락>##")
    assert all(
        t["generator"] in {"llm", "rules-fallback", "rules"} and not mentions_floor(t["text"], FLOOR)
        for t in turns
    )
    assert main([*base, "--title", "a", "--price", "1000", "--floor", "2000", "hi"]) == 2
    assert "floor_price must be" in capsys.readouterr().err
