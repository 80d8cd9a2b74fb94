"""Headless Chromium for the HTML-report tests (offline flags) and a payload that shows whether
dataset text runs as markup."""

from __future__ import annotations

import subprocess
from html.parser import HTMLParser
from pathlib import Path

PAYLOAD = '<script>console.error("xss-script-ran")</script><img src=x onerror="console.error(\'xss-img-ran\')">'
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=15000",
    "--enable-logging=stderr",
    "--v=0",
]


def browse(chromium: str, page: Path, tmp: Path, *extra: str) -> subprocess.CompletedProcess:
    profile = tmp / f"profile{len(list(tmp.glob('profile*')))}"
    return subprocess.run(
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=180,
    )


class _Refs(HTMLParser):
    """Start tags that would load something (script/link/img/iframe with src or href); script
    bodies are CDATA to the parser, so URLs inside plotly.js do not count."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value and not value.startswith("#"):
                self.found.append((tag, name, value))


def external_references(html: str) -> list:
    parser = _Refs()
    parser.feed(html)
    return parser.found
