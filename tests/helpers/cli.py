"""Paths of the checkout, and ``xling`` as a subprocess or in this interpreter."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = ROOT.parent / "shared" / "data"


def xling_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "xling", *args]


def xling_in_process(*args: str, cwd: Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """``xling ARGS`` run by click in this interpreter (no new interpreter, no fresh imports): the
    exit code, stdout and stderr, as ``subprocess.run`` gives them. For tests about what a command
    does, not about processes (signals, kills, locks between processes stay subprocesses)."""
    from click.testing import CliRunner

    from xling.cli import main

    with contextlib.chdir(cwd) if cwd else contextlib.nullcontext():
        res = CliRunner().invoke(main, list(args), env=env, prog_name="xling")
    stderr = res.stderr
    if res.exception is not None and not isinstance(res.exception, SystemExit):  # as the interpreter prints it
        stderr += "".join(traceback.format_exception(res.exception))
    return subprocess.CompletedProcess(["xling", *args], res.exit_code, res.stdout, stderr)


def run_cli(model: str, options: dict, task_file, out_dir, timeout: int):
    """``xling run`` as a user types it (a subprocess): ``-o`` per option, fresh run directory and
    cache under ``out_dir``; the CompletedProcess, for exit code and stderr assertions."""
    args = [a for k, v in options.items() for a in ("-o", f"{k}={v}")]
    return subprocess.run(
        xling_cmd(
            "run",
            "-q",
            "--model",
            model,
            *args,
            "--task-file",
            str(task_file),
            "--output",
            str(out_dir),
            "--cache",
            f"{out_dir}.sqlite",
        ),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
