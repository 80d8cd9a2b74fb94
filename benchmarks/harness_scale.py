"""Harness overhead at scale: 10k, 100k and 1M items x languages through a zero-cost backend.

Each size runs in a fresh interpreter (``xling.evaluate`` on a synthetic multiple-choice task of
parallel items in 10 languages, two choices each, through the response cache, the prediction
store, scoring with bootstrap CIs and the analyses). Printed per size: wall time, harness time per
item, peak memory (RSS) of the whole run and of the scoring phase (after the model phase), the
time of each phase (wall and CPU: user + sys) and the load average at the start. No model runs, so
every second is the harness's. ``--profile PREFIX`` writes a cProfile of each size.

    python benchmarks/harness_scale.py                 # 10k, 100k, 1M
    python benchmarks/harness_scale.py --sizes 10000,100000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

LANGUAGES = [
    "eng_Latn",
    "fra_Latn",
    "deu_Latn",
    "swh_Latn",
    "hin_Deva",
    "zho_Hans",
    "arb_Arab",
    "yor_Latn",
    "tha_Thai",
    "rus_Cyrl",
]

TASK = """\
name: scale
description: synthetic parallel two-choice items (harness benchmark)
kind: multiple_choice
metric: accuracy
languages: [{languages}]
source_language: eng_Latn
eval_split: test
fields: {{premise: premise, choices: [a, b]}}
gold: {{path: label, type: int}}
id: id
parallel_key: id
creation: machine-translated
licence: CC0-1.0
local: {{format: jsonl, path: "{{lang}}/test.jsonl"}}
"""

CHILD = textwrap.dedent(
    r"""
    import json, resource, sys, threading, time
    sys.path.insert(0, sys.argv[4])
    from xling.models import registry
    info = registry.BackendInfo("zero", "_zero_backend", "ZeroCostLM", ("loglik",), "", "zero", "benchmark")
    registry.BACKENDS["zero"] = info
    from xling.run import runner

    peak = {"now": 0, "scoring": 0}
    phase = {"name": "model"}
    marks = {}

    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize()

    def watch():
        while True:
            now = rss()
            peak["now"] = max(peak["now"], now)
            if phase["name"] == "scoring":
                peak["scoring"] = max(peak["scoring"], now)
            time.sleep(0.02)

    threading.Thread(target=watch, daemon=True).start()
    frame = runner.PredictionStore.frame

    def cpu():
        r = resource.getrusage(resource.RUSAGE_SELF)
        return r.ru_utime + r.ru_stime

    def frame_and_mark(self, run_id, **kwargs):
        marks["model_done"] = time.perf_counter()
        marks["model_cpu"] = cpu()
        phase["name"] = "scoring"
        return frame(self, run_id, **kwargs)

    runner.PredictionStore.frame = frame_and_mark
    t0, cpu0 = time.perf_counter(), cpu()
    evaluate = lambda: runner.evaluate(
        "zero", task_files=[sys.argv[1]], output=sys.argv[2], cache_path=sys.argv[3], batch_size=256
    )
    if sys.argv[5]:
        import cProfile
        with cProfile.Profile() as prof:
            res = evaluate()
        prof.dump_stats(sys.argv[5])
    else:
        res = evaluate()
    end, cpu1 = time.perf_counter(), cpu()
    n = sum(s["n"] for s in res.data["scores"])
    print("RESULT " + json.dumps({"items": n, "wall": end - t0, "model_phase": marks["model_done"] - t0,
          "scoring_phase": end - marks["model_done"], "cpu": cpu1 - cpu0, "model_cpu": marks["model_cpu"] - cpu0,
          "scoring_cpu": cpu1 - marks["model_cpu"], "peak_rss": peak["now"], "scoring_peak_rss": peak["scoring"],
          "ru_maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
    """
)


def write_task(root: Path, per_language: int) -> Path:
    for lang in LANGUAGES:
        folder = root / lang
        folder.mkdir(parents=True)
        with open(folder / "test.jsonl", "w", encoding="utf-8") as f:
            for i in range(per_language):
                row = {
                    "id": i,
                    "premise": f"{lang} premise number {i} of the scale benchmark",
                    "a": f"first answer {i % 97}",
                    "b": f"second answer {i % 89}",
                    "label": i % 2,
                }
                f.write(json.dumps(row) + "\n")
    task = root / "task.yaml"
    task.write_text(TASK.format(languages=", ".join(LANGUAGES)), encoding="utf-8")
    return task


def run_size(total: int, profile: str = "") -> dict:
    per_language = total // len(LANGUAGES)
    with tempfile.TemporaryDirectory(prefix="xling-scale-") as tmp:
        root = Path(tmp)
        task = write_task(root / "data", per_language)
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                CHILD,
                str(task),
                str(root / "run"),
                str(root / "cache.sqlite"),
                str(Path(__file__).parent),
                profile and f"{profile}.{total}",
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "XLING_DATA_DIR": str(root / "data")},
        )
        if done.returncode:
            sys.exit(f"size {total}: the run failed:\n{done.stderr[-3000:]}")
        line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
        return json.loads(line[len("RESULT ") :])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000,1000000", help="items x languages per run, comma-separated")
    parser.add_argument("--profile", default="", help="write a cProfile of each size to PROFILE.<items>")
    args = parser.parse_args()
    print(
        f"{'items':>9} {'wall s':>8} {'cpu s':>8} {'ms/item':>8} {'cpu ms/item':>11} {'model s':>8} {'model cpu':>9}"
        f" {'scoring s':>9} {'scoring cpu':>11} {'peak MB':>8} {'scoring MB':>10} {'load':>5}"
    )
    for total in (int(s) for s in args.sizes.split(",")):
        load = os.getloadavg()[0]
        r = run_size(total, args.profile)
        print(
            f"{r['items']:>9} {r['wall']:>8.1f} {r['cpu']:>8.1f} {1000 * r['wall'] / r['items']:>8.3f}"
            f" {1000 * r['cpu'] / r['items']:>11.3f} {r['model_phase']:>8.1f} {r['model_cpu']:>9.1f}"
            f" {r['scoring_phase']:>9.1f} {r['scoring_cpu']:>11.1f} {r['peak_rss'] / 2**20:>8.0f}"
            f" {r['scoring_peak_rss'] / 2**20:>10.0f} {load:>5.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
