"""Training dialogues: simulated buyers, self-play, LLM-written dialogues, validation, data card."""
