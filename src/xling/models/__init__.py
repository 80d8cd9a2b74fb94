"""Model backends. A backend declares its capabilities; kinds ask for what they need."""

from .registry import BACKENDS, load_model, parse_model_spec

__all__ = ["BACKENDS", "Backend", "Capability", "ItemError", "load_model", "parse_model_spec"]


def __getattr__(name: str):
    # The backend base class (numpy) is imported on first use: `xling models` lists the registry only.
    if name in ("Backend", "Capability", "ItemError"):
        from . import base

        return getattr(base, name)
    raise AttributeError(name)
