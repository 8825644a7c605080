"""No Docker engine runs here: keep docker-compose.yml honest by reading it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_the_stack_has_every_service(compose: dict) -> None:
    assert set(compose["services"]) == {"postgres", "redis", "mongo", "web", "worker", "beat", "vllm"}
    optional = {name for name, service in compose["services"].items() if service.get("profiles")}
    assert optional == {"vllm"}, "only the vLLM server is opt-in (`--profile vllm`)"


def test_images_are_pinned_to_a_major_version(compose: dict) -> None:
    for name in ("postgres", "redis", "mongo"):
        image = compose["services"][name]["image"]
        assert re.fullmatch(r"[a-z]+:\d+[\w.-]*", image), f"{name}: {image}"


def test_app_services_get_production_settings(compose: dict) -> None:
    for name in ("web", "worker", "beat"):
        env = compose["services"][name]["environment"]
        assert env["DEBUG"] == "0"
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?"), "SECRET_KEY must be required, never defaulted"
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["MONGODB_URI"].startswith("mongodb://mongo:")
        assert env["NELLM_INPROCESS_GENERATION"] == "0", "generation belongs to the worker in production"


def test_web_serves_asgi_with_daphne_after_its_services_are_healthy(compose: dict) -> None:
    web = compose["services"]["web"]
    assert web["build"]["target"] == "web"
    assert web["ports"] == ["8000:8000"]
    for dependency in ("postgres", "redis", "mongo"):
        assert web["depends_on"][dependency]["condition"] == "service_healthy"
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "daphne -b 0.0.0.0 -p 8000 nellm_site.asgi:application" in dockerfile
    assert "collectstatic" in dockerfile


def test_forwarding_headers_count_only_from_the_configured_proxy(compose: dict) -> None:
    # daphne's --proxy-headers believes X-Forwarded-For from any client and takes the entry the
    # client wrote; the app resolves it itself, from NELLM_TRUSTED_PROXIES only.
    for path in (ROOT / "Dockerfile", ROOT / "Makefile", ROOT / "docker-compose.yml"):
        lines = path.read_text(encoding="utf-8").splitlines()
        commands = [line for line in lines if "daphne" in line and not line.lstrip().startswith("#")]
        assert commands or path.name == "docker-compose.yml", path.name
        assert not any("--proxy-headers" in line for line in commands), path.name
    for name in ("web", "worker", "beat"):
        trusted = compose["services"][name]["environment"]["NELLM_TRUSTED_PROXIES"]
        assert trusted.startswith("${NELLM_TRUSTED_PROXIES:-"), "the operator must be able to name the proxy"
        default = trusted.removeprefix("${NELLM_TRUSTED_PROXIES:-").removesuffix("}")
        assert default and "0.0.0.0/0" not in default and "::/0" not in default


def test_worker_holds_the_model_on_a_reserved_gpu(compose: dict) -> None:
    worker = compose["services"]["worker"]
    assert worker["build"]["target"] == "worker"
    command = worker["command"]
    assert command[:4] == ["celery", "-A", "nellm_site", "worker"]
    assert "generation" in command[command.index("-Q") + 1].split(",")
    # One process (no fork after CUDA starts) whose task threads wait on the model's batch together.
    assert command[command.index("-P") + 1] == "threads"
    assert command[command.index("-c") + 1] == "${NELLM_WORKER_CONCURRENCY:-64}"
    devices = worker["deploy"]["resources"]["reservations"]["devices"]
    assert devices == [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]
    assert worker["environment"]["NELLM_BACKEND"].startswith("${NELLM_BACKEND:-llm")
    assert {"postgres", "redis"} <= set(worker["depends_on"])


def test_the_vllm_profile_serves_the_merged_model_to_the_worker(compose: dict) -> None:
    vllm, worker = compose["services"]["vllm"], compose["services"]["worker"]
    assert re.fullmatch(r"vllm/vllm-openai:v\d+\.\d+\.\d+", vllm["image"]), "pinned"
    assert vllm["entrypoint"] == ["vllm", "serve"] and vllm["command"][0] == "/models/merged"
    served = vllm["command"][vllm["command"].index("--served-model-name") + 1]
    assert worker["environment"]["NELLM_OPENAI_MODEL"] == "${NELLM_OPENAI_MODEL:-" + served + "}"
    assert worker["environment"]["NELLM_OPENAI_BASE_URL"] == "${NELLM_OPENAI_BASE_URL:-http://vllm:8000/v1}"
    assert any(m.endswith(":/models:ro") for m in vllm["volumes"])
    assert vllm["deploy"]["resources"]["reservations"]["devices"][0]["capabilities"] == ["gpu"]


def test_beat_runs_the_scheduler(compose: dict) -> None:
    beat = compose["services"]["beat"]
    assert beat["command"][:4] == ["celery", "-A", "nellm_site", "beat"]
    assert beat["depends_on"]["redis"]["condition"] == "service_healthy"


def test_every_service_with_state_keeps_it_in_a_volume(compose: dict) -> None:
    declared = set(compose["volumes"])
    for name in ("postgres", "redis", "mongo"):
        mounts = compose["services"][name]["volumes"]
        assert any(mount.split(":")[0] in declared for mount in mounts), name


def test_dockerfile_stages_install_the_pinned_requirements() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    stages = re.findall(r"^FROM (\S+) AS (\w+)", dockerfile, flags=re.MULTILINE)
    assert [stage for _, stage in stages] == ["base", "web", "worker"]
    assert stages[0][0] == "python:3.11-slim"
    assert "pip install -r requirements/base.txt" in dockerfile
    assert "pip install -r requirements/ml.txt" in dockerfile
