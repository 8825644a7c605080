"""`generate --llm` against a local server that speaks the chat-completions protocol."""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mlcore.corpus.validate import validate_record
from tests.mlcore.cli import run_mlcore

ROOT = Path(__file__).resolve().parents[2]


def dialogue_for(prompt: str, *, accept: bool) -> dict:
    """A valid dialogue for the listing and floor the client put in its prompt."""
    price = int(re.search(r"상품 가격: (\d+)원", prompt).group(1))
    floor = int(re.search(r"최저 가격\(대화에서 절대 말하지 않음\): (\d+)원", prompt).group(1))
    final = price if accept else max(1, floor // 2)
    return {
        "events": [
            {"role": "구매자", "message": "안녕하세요, 기스 있다고 하셔서 네고 가능할까요?"},
            {"role": "판매자", "message": "상태 괜찮은 편이라 크게는 어렵지만 말씀해 보세요."},
            {"role": "구매자", "message": f"##<{final}>##"},
            {
                "role": "판매자",
                "message": "##<수락>##" if accept else "##<거절>## 죄송하지만 그 가격은 어려워요.",
            },
        ]
    }


class Scripted(BaseHTTPRequestHandler):
    script: list[str] = []
    seen: list[dict] = []
    lock = threading.Lock()

    def log_message(self, *args) -> None:  # keep the test output clean
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.lock:
            kind = self.script[len(self.seen) % len(self.script)]
            self.seen.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        prompt = body["messages"][-1]["content"]
        if kind == "http_500":
            self.send_response(500)
            self.end_headers()
            self.wfile.write(b"overloaded")
            return
        finish = "stop"
        if kind == "accept":
            content = json.dumps(dialogue_for(prompt, accept=True), ensure_ascii=False)
        elif kind == "deny_fenced":
            content = (
                "```json\n" + json.dumps(dialogue_for(prompt, accept=False), ensure_ascii=False) + "\n```"
            )
        elif kind == "prose":
            content = "죄송하지만 대화를 만들 수 없어요."
        elif kind == "cut":  # the server ran out of tokens and says so
            content = json.dumps(dialogue_for(prompt, accept=True), ensure_ascii=False)[:80]
            finish = "length"
        elif kind == "cut_silently":  # ... or does not
            content = json.dumps(dialogue_for(prompt, accept=True), ensure_ascii=False)[:120]
        elif kind == "below_floor":  # the seller accepts half the floor: invalid
            record = dialogue_for(prompt, accept=False)
            record["events"][-1]["message"] = "##<수락>##"
            content = json.dumps(record, ensure_ascii=False)
        else:
            raise AssertionError(kind)
        reply = {
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}
            ]
        }
        data = json.dumps(reply, ensure_ascii=False).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def server():
    Scripted.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Scripted)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def run_llm(server, out: Path, n: int) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "OPENAI_BASE_URL": f"http://127.0.0.1:{server.server_address[1]}/v1",
        "OPENAI_API_KEY": "test-key",
    }
    return run_mlcore(
        "selfplay", "--llm", "--model", "tiny", "--n", str(n), "--seed", "5", "--out", str(out), env=env
    )


def test_good_answers_are_kept_and_bad_ones_counted(server, tmp_path: Path) -> None:
    Scripted.script = ["accept", "prose", "cut", "cut_silently", "below_floor", "http_500", "deny_fenced"]
    out = tmp_path / "llm.jsonl"
    done = run_llm(server, out, 7)
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["result"] for r in records] == ["ACCEPT", "DENY"]
    assert all(validate_record(r, strict=True) == [] for r in records)
    assert {r["source"] for r in records} == {"generated"} and {r["generator"] for r in records} == {
        "llm:tiny"
    }
    assert "skipped: http_error 1, invalid 1, not_json 1, truncated 2" in done.stdout
    # The protocol as an OpenAI-compatible server sees it.
    request = Scripted.seen[0]
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer test-key"
    assert request["body"]["model"] == "tiny"
    system, user = request["body"]["messages"]
    assert (
        system["role"] == "system" and "개인정보" in system["content"] and "##<수락>##" in system["content"]
    )
    assert user["role"] == "user" and "제목:" in user["content"] and "구매자 유형:" in user["content"]


def test_nothing_kept_means_failure(server, tmp_path: Path) -> None:
    Scripted.script = ["prose"]
    out = tmp_path / "none.jsonl"
    done = run_llm(server, out, 3)
    assert done.returncode == 1
    assert "skipped: not_json 3" in done.stdout
    assert out.read_text(encoding="utf-8") == ""


def test_missing_endpoint_is_a_clear_error(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_BASE_URL"}
    done = run_mlcore("selfplay", "--llm", "--n", "1", "--out", str(tmp_path / "x.jsonl"), env=env)
    assert done.returncode == 2
    assert "OPENAI_BASE_URL" in done.stderr
    assert not (tmp_path / "x.jsonl").exists()
