"""Headless Chromium for the HTML-report tests (offline flags) and a payload that shows whether
dataset text runs as markup."""

from __future__ import annotations

import subprocess
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
