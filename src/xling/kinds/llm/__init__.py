"""Kinds for language models: scored by log-likelihood or by generation, under the LLM protocols."""
