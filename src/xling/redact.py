"""Secrets out of every text xling shows or stores: API key values, URL credentials, auth tokens.

Backends register the key values they read (:func:`add_secret`); :func:`redact` is applied where
text leaves xling's hands (error texts of remote models, the recorded model spec and command, the
run directory's name, the CLI's error output).
"""

from __future__ import annotations

import base64
import re
from typing import Any
from urllib.parse import unquote, urlsplit

MASK = "***"
_SECRETS: set[str] = set()
_USERINFO = re.compile(r"(?<=://)[^/\s@]+@")  # user:password@ in a URL
_QUERY_SECRET = re.compile(r"([?&](?:api[_-]?key|key|token|access[_-]?token|secret|password|sig)=)[^&#\s'\"]+", re.I)
_AUTH_TOKEN = re.compile(r"((?:Bearer|Basic)\s+)[A-Za-z0-9._~+/=-]{8,}")  # an echoed Authorization header


def add_secret(value: str | None) -> None:
    """Remember a secret value (an API key) so that :func:`redact` masks it from now on."""
    if value and len(value.strip()) >= 4:  # a one-letter "key" would mask every such letter
        _SECRETS.add(value.strip())


def add_url_secrets(url: str) -> None:
    """Remember the credentials in ``url`` (``user:password@``): the password as written and
    decoded, and the Basic token an HTTP client makes of them (a token alone when there is no
    password), so that a server echoing them in any form is masked too."""
    parts = urlsplit(url)
    if parts.username is None:
        return
    secret = parts.password if parts.password is not None else parts.username
    add_secret(secret)
    add_secret(unquote(secret))
    user, password = unquote(parts.username), unquote(parts.password or "")
    add_secret(base64.b64encode(f"{user}:{password}".encode()).decode())


def redact(text: str) -> str:
    """``text`` with every registered secret, URL user info, key-like query value and
    Authorization token replaced by ``***``."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _USERINFO.sub(MASK + "@", text)
    text = _QUERY_SECRET.sub(r"\1" + MASK, text)
    return _AUTH_TOKEN.sub(r"\1" + MASK, text)


def redact_obj(obj: Any) -> Any:
    """:func:`redact` applied to every string (keys too) in nested dicts, lists and tuples."""
    if isinstance(obj, str):
        return redact(obj)
    if isinstance(obj, dict):
        return {redact_obj(k): redact_obj(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(redact_obj(v) for v in obj)
    return obj
