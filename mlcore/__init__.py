"""NELLM's Django-free core: prices, the Advisor, the realizer, data, training, generation.

Importing this package is cheap: torch and transformers load only in the modules that need
them (train, generate), so `python -m mlcore parse-price …` starts fast.
"""

from __future__ import annotations

from pathlib import Path

# The shipped listings, corpus and data card.
DATA_DIR = Path(__file__).resolve().parent / "data"
