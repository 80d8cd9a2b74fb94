"""Servers the tests start in a subprocess: a free port for one, and waiting until it answers."""

from __future__ import annotations

import subprocess
import time

import httpx
import pytest


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
