"""Model backends. A backend declares its capabilities; kinds ask for what they need."""

from .base import Backend, Capability, ItemError
from .registry import BACKENDS, load_model, parse_model_spec

__all__ = ["BACKENDS", "Backend", "Capability", "ItemError", "load_model", "parse_model_spec"]
