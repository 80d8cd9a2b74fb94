"""Prompts per language: reviewed word lists (``data/<language>.yaml``) and templates."""

from .lexicon import Lexicon, available_languages, lexicon
from .templates import PromptConfig, copa_connector, verbaliser

__all__ = ["Lexicon", "PromptConfig", "available_languages", "copa_connector", "lexicon", "verbaliser"]
