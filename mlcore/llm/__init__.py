"""The language model: prompt template, training data, LoRA / QLoRA training, guarded generation."""
