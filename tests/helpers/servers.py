"""Waiting for a server the tests started in a subprocess."""

from __future__ import annotations

import subprocess
import time

import httpx
import pytest


def wait_until_healthy(proc: subprocess.Popen, health_url: str, name: str, timeout: float = 120) -> None:
    """Return once ``health_url`` answers 200; fail the test when ``proc`` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(health_url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.5)
        if proc.poll() is not None:
            pytest.fail(f"{name} exited at start")
    proc.kill()
    pytest.fail(f"{name} did not start within {timeout:g} s")
