"""The OpenAI-compatible backend against a local server that speaks the streaming protocol (SSE):
good, slow, truncated, malformed, failing and below-floor answers all end in a guarded reply."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from mlcore.llm.openai_backend import OpenAIConfig, OpenAIGenerator, load_openai_generator
from mlcore.negotiator.advisor import SellerPolicy, Style
from mlcore.negotiator.guard import check, mentions_floor
from mlcore.negotiator.pipeline import Negotiator
from mlcore.schema import Listing

FLOOR = 27_300
POLICY = SellerPolicy(35_000, FLOOR, Style.BALANCED)
LISTING = Listing("블루투스 스피커", "작년에 샀어요. 상태 좋아요.", 35_000)


class Server(BaseHTTPRequestHandler):
    script: list[str] = []
    seen: list[dict] = []
    lock = threading.Lock()
    reply = ""  # the good answer, set per test from the decision

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.lock:
            kind = self.script[min(len(self.seen), len(self.script) - 1)]
            self.seen.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        if kind == "http_503":
            self.send_response(503)
            self.end_headers()
            self.wfile.write(b"overloaded")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        chat = self.path.endswith("/chat/completions")
        text = {"below_floor": "네, 2만원에 드릴게요! 쿨거래 해요."}.get(kind, self.reply)
        pieces = [text[i : i + 4] for i in range(0, len(text), 4)]
        if kind == "truncated":
            pieces = pieces[:3]
        for number, piece in enumerate(pieces):
            if kind == "slow" and number == 1:
                time.sleep(1.5)  # longer than the client's read timeout
            if kind == "malformed" and number == 2:
                self.wfile.write(b'data: {"choices": [{"text": \n\n')
                self.wfile.flush()
                return
            choice = {"index": 0, "delta": {"content": piece}} if chat else {"index": 0, "text": piece}
            choice["finish_reason"] = "stop" if number == len(pieces) - 1 and kind != "truncated" else None
            self.wfile.write(f"data: {json.dumps({'choices': [choice]}, ensure_ascii=False)}\n\n".encode())
            self.wfile.flush()
        if kind != "truncated":
            self.wfile.write(b"data: [DONE]\n\n")


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Server)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    Server.seen = []
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def bot_for(server, script: list[str], *, api: str = "completions") -> Negotiator:
    Server.script = script
    config = OpenAIConfig(
        base_url=f"http://127.0.0.1:{server.server_address[1]}/v1",
        model="/models/merged",
        api_key="sk-test",
        api=api,
        timeout=0.5,
        retries=1,
    )
    return Negotiator(policy=POLICY, listing=LISTING, generator=OpenAIGenerator(config), seed=1)


def respond(bot: Negotiator, message: str = "3만원에 주세요"):
    # The good server answers what the rule realizer says for the same decision: a valid reply.
    Server.reply = Negotiator(policy=POLICY, listing=LISTING, seed=1).respond(message).text
    shown: list[str] = []
    turn = bot.respond(message, on_chunk=shown.append)
    assert "".join(shown) == turn.text, "the buyer saw exactly the stored reply"
    assert check(turn.text, decision=turn.decision, policy=POLICY) == []
    assert not mentions_floor(turn.text, FLOOR)
    return turn


@pytest.mark.parametrize("api", ["completions", "chat"])
def test_a_good_stream_is_the_reply_with_the_template_and_hint(server, api):
    turn = respond(bot_for(server, ["ok"], api=api))
    assert turn.generator == "openai" and turn.failure is None and turn.text == Server.reply
    request = Server.seen[0]
    assert request["path"] == ("/v1/chat/completions" if api == "chat" else "/v1/completions")
    assert request["auth"] == "Bearer sk-test" and request["body"]["stream"] is True
    assert request["body"]["model"] == "/models/merged"
    prompt = request["body"]["messages"][0]["content"] if api == "chat" else request["body"]["prompt"]
    assert prompt.startswith("다음은 중고거래") and prompt.endswith("판매자:")
    assert "[전략: " in prompt.splitlines()[-2] and not mentions_floor(prompt, FLOOR)


def test_an_overloaded_server_is_retried_before_the_first_piece(server):
    turn = respond(bot_for(server, ["http_503", "ok"]))
    assert turn.generator == "openai" and len(Server.seen) == 2


@pytest.mark.parametrize(
    ("script", "why"),
    [
        (["slow"], "silent"),
        (["truncated"], "ended before"),
        (["malformed"], "malformed"),
        (["http_503", "http_503"], "HTTP 503"),
    ],
)
def test_a_bad_answer_ends_in_the_realizers_wording(server, script, why):
    turn = respond(bot_for(server, script))
    assert turn.generator == "rules-fallback" and why in turn.failure


def test_a_below_floor_answer_is_replaced_by_the_guard(server):
    turn = respond(bot_for(server, ["below_floor"]))
    assert turn.generator == "rules-fallback" and turn.failure is None and "2만원" not in turn.text


def test_a_dead_server_ends_in_the_realizers_wording():
    config = OpenAIConfig(base_url="http://127.0.0.1:9/v1", model="m", timeout=0.5, retries=0)
    bot = Negotiator(policy=POLICY, listing=LISTING, generator=OpenAIGenerator(config), seed=1)
    turn = bot.respond("3만원에 주세요")
    assert turn.generator == "rules-fallback" and "unreachable" in turn.failure
    assert check(turn.text, decision=turn.decision, policy=POLICY) == []


def test_the_backend_says_what_to_set(monkeypatch):
    monkeypatch.delenv("NELLM_OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("NELLM_OPENAI_MODEL", "m")
    with pytest.raises(RuntimeError, match=r"NELLM_BACKEND=openai.*http"):
        load_openai_generator()
    monkeypatch.setenv("NELLM_OPENAI_BASE_URL", "http://vllm:8000/v1/")
    monkeypatch.delenv("NELLM_OPENAI_MODEL")
    with pytest.raises(RuntimeError, match="NELLM_OPENAI_MODEL"):
        load_openai_generator()
    monkeypatch.setenv("NELLM_OPENAI_MODEL", "/models/merged")
    assert load_openai_generator().config.base_url == "http://vllm:8000/v1"
