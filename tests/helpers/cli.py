"""Paths of the checkout and ``python -m xling`` as a subprocess."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = ROOT.parent / "shared" / "data"


def xling_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "xling", *args]


def run_cli(model: str, options: dict, task_file, out_dir, timeout: int):
    """``xling run`` as a user types it (a subprocess): ``-o`` per option, fresh run directory and
    cache under ``out_dir``; the CompletedProcess, for exit code and stderr assertions."""
    args = [a for k, v in options.items() for a in ("-o", f"{k}={v}")]
    return subprocess.run(xling_cmd("run", "-q", "--model", model, *args, "--task-file", str(task_file),
                                    "--output", str(out_dir), "--cache", f"{out_dir}.sqlite"),
                          capture_output=True, text=True, timeout=timeout)
