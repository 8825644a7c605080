"""Settings come from the environment, and production refuses unsafe defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x7" * 30 + "-production-test-key-with-enough-entropy",
    "ALLOWED_HOSTS": "nellm.example",
    "CSRF_TRUSTED_ORIGINS": "https://nellm.example",
    "DATABASE_URL": "postgres://nellm:pw@db.invalid:5432/nellm",
    "REDIS_URL": "redis://redis.invalid:6379/0",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "NELLM_"))}
    clean.pop("DATABASE_URL", None)
    clean.pop("REDIS_URL", None)
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_debug_off_without_secret_key_refuses_to_start() -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr and "refusing to start" in result.stderr


def test_check_deploy_is_clean_with_a_production_environment() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_embedded_default_needs_no_service() -> None:
    result = manage(
        "shell",
        "--verbosity=0",
        "-c",
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CHANNEL_LAYERS['default']['BACKEND'],"
        " s.NELLM_INPROCESS_GENERATION, s.DEBUG)",
        env={},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "channels.layers.InMemoryChannelLayer",
        "True",
        "True",
    ]


def test_services_come_from_urls() -> None:
    result = manage(
        "shell",
        "--verbosity=0",
        "-c",
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['HOST'],"
        " s.CHANNEL_LAYERS['default']['BACKEND'], s.CELERY_BROKER_URL, s.NELLM_INPROCESS_GENERATION)",
        env={**PRODUCTION, "DEBUG": "1", "SECURE_SSL_REDIRECT": "0"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "db.invalid",
        "channels_redis.core.RedisChannelLayer",
        "redis://redis.invalid:6379/0",
        "False",
    ]


def test_an_unknown_generator_backend_is_a_clear_error() -> None:
    result = manage("check", env={"NELLM_BACKEND": "gpt"})
    assert result.returncode != 0
    assert "NELLM_BACKEND must be 'rules', 'llm', 'openai' or 'module:factory'" in result.stderr


def test_the_openai_backend_needs_its_server_and_model() -> None:
    result = manage("check", env={"NELLM_BACKEND": "openai", "NELLM_OPENAI_MODEL": "/models/merged"})
    assert result.returncode != 0
    assert "NELLM_BACKEND=openai needs NELLM_OPENAI_BASE_URL" in result.stderr
