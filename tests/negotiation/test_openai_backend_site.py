"""The site's "openai" backend: the generator registry builds the client from NELLM_OPENAI_*."""

from __future__ import annotations

from django.test import override_settings

from mlcore.llm.openai_backend import OpenAIGenerator
from negotiation import generators


@override_settings(
    NELLM_BACKEND="openai",
    NELLM_OPENAI_BASE_URL="http://vllm:8000/v1",
    NELLM_OPENAI_MODEL="/models/merged",
    NELLM_OPENAI_API_KEY="sk-site",
    NELLM_OPENAI_API="chat",
    NELLM_OPENAI_TIMEOUT=3.0,
)
def test_the_registry_builds_the_openai_client_from_settings():
    generators.reset()
    try:
        generator = generators.get_generator()
        assert isinstance(generator, OpenAIGenerator) and generator.name == "openai"
        config = generator.config
        assert (config.base_url, config.model, config.api_key, config.api, config.timeout) == (
            "http://vllm:8000/v1",
            "/models/merged",
            "sk-site",
            "chat",
            3.0,
        )
        assert generators.get_generator() is generator, "one client per process"
    finally:
        generators.reset()
