"""Agreement of two runs' multiple-choice answers, item by item (e.g. transformers vs llama.cpp).

    python benchmarks/llm_agreement.py runs/hf-gemma3-270m-... runs/llamacpp-gemma3-270m-...

Prints, per task and language, the items both runs scored, the share with the same answer under
each normalisation (raw, per token, per byte) and each run's accuracy with its 95% CI, then the
spread of the per-choice log-likelihood differences.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from xling.run.store import PredictionStore  # noqa: E402


def answers(run_dir: Path):
    frame = PredictionStore(run_dir).frame()
    return {(r.task, r.language, r.item_id): r.prediction for r in frame.itertuples() if isinstance(r.prediction, dict)}


def main() -> None:
    a_dir, b_dir = map(Path, sys.argv[1:3])
    a, b = answers(a_dir), answers(b_dir)
    scores = {}
    for d in (a_dir, b_dir):
        for s in json.loads((d / "results.json").read_text())["scores"]:
            scores[(d, s["task"], s["language"])] = f"{s['value']:.1f} [{s['ci_low']:.1f}, {s['ci_high']:.1f}]"
    keys = sorted(set(a) & set(b))
    groups = sorted({k[:2] for k in keys})
    print(
        f"{'task':12s} {'language':9s} {'n':>4s} {'raw':>6s} {'token':>6s} {'byte':>6s}"
        f"   {'A accuracy':>18s} {'B accuracy':>18s}"
    )
    total = {"raw": 0, "token": 0, "byte": 0}
    for g in groups:
        ks = [k for k in keys if k[:2] == g]
        row = {}
        for norm in total:
            same = sum(
                max(range(len(a[k][norm])), key=a[k][norm].__getitem__)
                == max(range(len(b[k][norm])), key=b[k][norm].__getitem__)
                for k in ks
            )
            total[norm] += same
            row[norm] = same / len(ks)
        print(
            f"{g[0]:12s} {g[1]:9s} {len(ks):4d} {row['raw']:6.1%} {row['token']:6.1%} {row['byte']:6.1%}   "
            f"{scores.get((a_dir, *g), '-'):>18s} {scores.get((b_dir, *g), '-'):>18s}"
        )
    if keys:
        print(f"{'all':22s} {len(keys):4d} " + " ".join(f"{total[n] / len(keys):6.1%}" for n in total))
        diffs = sorted(abs(x - y) for k in keys for x, y in zip(a[k]["raw"], b[k]["raw"]))
        print(
            f"|log-likelihood A - B| per choice (nats, summed over its tokens): median {diffs[len(diffs) // 2]:.3f}, "
            f"90th percentile {diffs[int(0.9 * (len(diffs) - 1))]:.3f}, max {diffs[-1]:.3f} over {len(diffs)} choices"
        )


if __name__ == "__main__":
    main()
