"""The tiny GPT-NeoX fixtures (session-scoped, built once) for the training and generation tests."""

from tests.mlcore.tiny import tiny_adapter, tiny_base

__all__ = ["tiny_adapter", "tiny_base"]
