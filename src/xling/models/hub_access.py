"""Whether a model named by a Hugging Face Hub id can load here, decided before any download:
offline (``HF_HUB_OFFLINE``) or with the Hub unreachable, a model missing from the local cache
fails at once with an error that says so, instead of minutes of retries."""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path

from ..errors import UserError, did_you_mean

PROBE_SECONDS = 5.0
OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


def hub_endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def offline_by_setting() -> str | None:
    """The variable that puts the Hub offline (``HF_HUB_OFFLINE=1``...), or None."""
    for name in OFFLINE_VARIABLES:
        if os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on"):
            return name
    return None


def unreachable(timeout: float = PROBE_SECONDS) -> str | None:
    """Why the Hub cannot be reached (one request, no retries), or None when it answers at all."""
    try:
        urllib.request.urlopen(urllib.request.Request(hub_endpoint(), method="HEAD"), timeout=timeout).close()
    except urllib.error.HTTPError:
        return None  # it answered
    except (OSError, ValueError) as exc:
        return str(getattr(exc, "reason", None) or exc)
    return None


def in_local_cache(repo_id: str, revision: str | None = None) -> bool:
    """Whether the Hugging Face cache holds ``repo_id``'s config.json (at ``revision``)."""
    from huggingface_hub import try_to_load_from_cache

    try:
        found = try_to_load_from_cache(repo_id, "config.json", revision=revision)
    except ValueError:  # not a valid repo id
        return False
    return isinstance(found, str)


def check_hub_model(target: str, *, aliases: tuple[str, ...] = (), revision: str | None = None) -> bool:
    """Check that a model named by ``target`` can load; True when it must load from the local
    cache only (the Hub is offline or unreachable, the cache has it).

    A local directory passes. A name close to one of ``aliases`` that is no Hub-style id
    (``gemma3-27b``) is taken for a typo of the alias. Otherwise a model missing from the local
    cache needs the Hub: offline or unreachable, that is an error now.
    """
    if Path(target).expanduser().exists():
        return False
    if target.startswith(("/", "~", ".")):
        raise UserError(
            f"model directory {target!r} does not exist", hint="give an existing directory, or a Hub id ORG/NAME"
        )
    if "/" not in target:
        hint = did_you_mean(target, aliases)
        if hint:
            raise UserError(
                f"{target!r} is neither a local directory nor a model alias.{hint}",
                hint=f"aliases: {', '.join(aliases)}; a Hub model is named ORG/NAME",
            )
    reason = offline_by_setting()
    reason = f"{reason} is set" if reason else unreachable()
    if reason is None:
        return False
    if in_local_cache(target, revision):
        return True
    raise UserError(
        f"model {target!r} is not in the local Hugging Face cache, and the Hub is out of reach here: {reason}",
        hint="give a local model directory, or download the model where the Hub is reachable "
        f"(`hf download {target}`) and copy the cache (~/.cache/huggingface) here",
    )
