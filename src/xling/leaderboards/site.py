"""The leaderboard's self-contained static page: ``index.html``, its data inline, no network.

The page is one HTML file: the leaderboard document travels as JSON inside a
``<script type="application/json">`` block with ``<``, ``>`` and ``&`` written as ``\\u003c``,
``\\u003e`` and ``\\u0026`` (valid JSON; no string can close the tag), and the page's script builds
every table with ``textContent``, so model names and task names are never markup. A
Content-Security-Policy forbids every request.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup

SITE_HTML = "index.html"


def _json_for_script(obj) -> str:
    text = json.dumps(obj, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render(board: dict, title: str = "xling leaderboard") -> str:
    source = resources.files("xling.leaderboards").joinpath("site.html").read_text("utf-8")
    env = jinja2.Environment(autoescape=True)
    return env.from_string(source).render(title=title, data=Markup(_json_for_script(board)))


def write_site(board: dict, output: Path, title: str = "xling leaderboard") -> Path:
    output.mkdir(parents=True, exist_ok=True)
    path = output / SITE_HTML
    path.write_text(render(board, title), encoding="utf-8")
    return path
