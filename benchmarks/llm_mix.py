"""A larger log-likelihood mix with Gemma-3-270M (float32, CPU): Belebele (eng, deu) and Okapi M-ARC
(5 languages), xling (hf backend, the catalog tasks as a user runs them) vs lm-evaluation-harness
(HF backend, task YAMLs over the same items), alternating, with per-item choices compared.

    python benchmarks/llm_mix.py --threads 2               # 200 items per language, 2 alternations
    python benchmarks/llm_mix.py --quick                    # 10 items per language, 1 run each

Prompts are xling's built-in multiple-choice format, given to lm-eval as its task YAMLs:
Belebele ``"<passage>\\nQuestion: <question>\\nAnswer:"`` + ``" <answer text>"``, M-ARC
``"Question: <question>\\nAnswer:"`` + ``" <option text>"`` (lm-eval's own ``arc_*`` format).
Answers by summed log-likelihood (lm-eval's ``acc``; xling's catalog tasks with
``options.normalisation: raw``). Both take the first N items of each file (xling ``--limit-mode first``;
lm-eval ``--limit``). xling reads the releases in place (Belebele's regrouped two-language copy, M-ARC's
JSON lists); lm-eval gets the same items flattened to JSON lines (its ``json`` loader cannot regroup).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _peers  # noqa: E402
from llm_xcopa import _answer, gemma_dir, lmeval_choice, thread_env, xling_src  # noqa: E402

BELEBELE = ["eng_Latn", "deu_Latn"]
M_ARC = {"arb_Arab": "ar", "deu_Latn": "de", "hin_Deva": "hi", "rus_Cyrl": "ru", "zho_Hans": "zh"}
CATALOG = _peers.ROOT / "src" / "xling" / "tasks" / "catalog"
PROMPTS = {
    "belebele": "{{passage}}\nQuestion: {{question}}\nAnswer:",
    "m_arc": "Question: {{question}}\nAnswer:",
}


def belebele_items(lang: str, limit: int) -> list[dict]:
    """The first ``limit`` questions of the local copy, with xling's item ids (``url#position``)."""
    out = []
    for line in (_peers.DATA / "belebele_partial" / f"{lang}.jsonl").read_text(encoding="utf-8").splitlines():
        rec = json.loads(line)
        for pos, q in enumerate(rec["items"], start=1):
            answers = q["answers"]
            out.append(
                {
                    "id": f"{rec['metadata']['extra']['url']}#{pos}",
                    "passage": rec["text"].strip(),
                    "question": q["question"].strip(),
                    "choices": [a["text"].strip() for a in answers],
                    "label": next(i for i, a in enumerate(answers) if a["correct"]),
                }
            )
            if len(out) == limit:
                return out
    return out


def m_arc_items(code: str, limit: int) -> list[dict]:
    out = []
    for rec in json.loads((_peers.DATA / "m_arc" / f"{code}_test.json").read_text(encoding="utf-8"))[:limit]:
        letters = [k for k in "abcde" if rec.get(f"option_{k}") is not None]
        out.append(
            {
                "id": rec["id"],
                "question": rec["instruction"].strip(),
                "choices": [str(rec[f"option_{k}"]).strip() for k in letters],
                "label": letters.index(rec["answer"].lower()),
            }
        )
    return out


def work_items(limit: int) -> dict[tuple[str, str], list[dict]]:
    """(task, language) -> the items both harnesses score."""
    items = {("belebele", lang): belebele_items(lang, limit) for lang in BELEBELE}
    items.update({("m_arc", lang): m_arc_items(code, limit) for lang, code in M_ARC.items()})
    return items


def xling_task_files(folder: Path) -> list[Path]:
    """The catalog's Belebele and M-ARC files with answers by summed log-likelihood, on the benchmark's
    languages (the local Belebele copy has only two)."""
    files = []
    for name, langs in (("belebele", {lang: lang for lang in BELEBELE}), ("m_arc", M_ARC)):
        spec = yaml.safe_load((CATALOG / f"{name}.yaml").read_text(encoding="utf-8"))
        spec["options"] = {**(spec.get("options") or {}), "normalisation": "raw"}
        spec["languages"] = list(langs) if name == "belebele" else langs
        path = folder / f"{name}.yaml"
        path.write_text(yaml.safe_dump(spec, sort_keys=False, allow_unicode=True), encoding="utf-8")
        files.append(path)
    return files


def run_xling(src: Path, task_files: list[Path], limit: int, threads: int) -> tuple[_peers.Timing, dict]:
    work = _peers.fresh_dir("llm-mix")
    cmd = [sys.executable, "-m", "xling", "run", "--model", "hf:gemma3-270m"]
    for f in task_files:
        cmd += ["--task-file", str(f)]
    cmd += ["--limit", str(limit), "--limit-mode", "first", "--data-dir", str(_peers.DATA)]
    cmd += ["--cache", str(work / "cache.sqlite"), "--output", str(work / "run"), "-q"]
    t = _peers.timed("xling", cmd, env={"PYTHONPATH": str(src), "PYTHONDONTWRITEBYTECODE": "1", **thread_env(threads)})
    import pandas as pd

    df = pd.read_parquet(work / "run" / "predictions.parquet")
    return t, {(row.task, row.language, str(row.item_id)): _answer(row.prediction) for row in df.itertuples()}


def lmeval_tasks(items: dict[tuple[str, str], list[dict]]) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="xling-bench-lmeval-mix-"))
    for (task, lang), rows in items.items():
        data = folder / f"{task}_{lang}.jsonl"
        data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        spec = {
            "task": f"{task}_local_{lang}",
            "dataset_path": "json",
            "dataset_kwargs": {"data_files": {"test": str(data)}},
            "output_type": "multiple_choice",
            "test_split": "test",
            "doc_to_text": PROMPTS[task],
            "doc_to_choice": "choices",
            "doc_to_target": "label",
            "metric_list": [{"metric": "acc", "aggregation": "mean", "higher_is_better": True}],
        }
        (folder / f"{task}_local_{lang}.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return folder


def run_lmeval(
    py: Path, model_dir: Path, tasks: Path, names: list[str], limit: int, batch: int, threads: int
) -> tuple[_peers.Timing, dict]:
    out = _peers.fresh_dir("lmeval-mix-out")
    cmd = [str(py), "-m", "lm_eval", "--model", "hf", "--model_args", f"pretrained={model_dir},dtype=float32"]
    cmd += ["--device", "cpu", "--batch_size", str(batch), "--include_path", str(tasks), "--tasks", ",".join(names)]
    cmd += ["--limit", str(limit), "--log_samples", "--output_path", str(out)]
    t = _peers.timed("lm_eval", cmd, env={"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", **thread_env(threads)})
    preds = {}
    for f in out.rglob("samples_*_local_*.jsonl"):
        task, lang = f.name.removeprefix("samples_").split("_local_")
        lang = "_".join(lang.split("_")[:2])  # drop the timestamp suffix
        for line in f.read_text(encoding="utf-8").splitlines():
            s = json.loads(line)
            preds[(task, lang, str(s["doc"]["id"]))] = lmeval_choice(s)
    return t, preds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="10 items per language, 1 run each")
    ap.add_argument("--limit", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2, help="torch threads for both")
    ap.add_argument("--lmeval-batch", type=int, default=8, help="lm-eval --batch_size (the issue measured 8)")
    ap.add_argument("--xling-src", help="src/ folder of an xling checkout")
    ap.add_argument("--no-peer", action="store_true")
    args = ap.parse_args()
    limit = 10 if args.quick else args.limit
    repeats = 1 if args.quick else args.repeats
    src = xling_src(args.xling_src)
    items = work_items(limit)
    n = sum(len(v) for v in items.values())
    print(
        f"# Belebele {','.join(BELEBELE)} + M-ARC {','.join(M_ARC)} x {limit} items ({n} items, "
        f"{sum(len(r['choices']) for v in items.values() for r in v)} requests), Gemma-3-270M float32, "
        f"{args.threads} threads; xling from {src}; machine: {_peers.machine()}"
    )
    task_files = xling_task_files(Path(tempfile.mkdtemp(prefix="xling-bench-mix-")))
    py = None if args.no_peer else _peers.optional_peer("lm_eval")
    preds: dict[str, dict] = {}

    def keep(label, pair):
        preds[label] = pair[1]
        return pair[0]

    runners = {"xling": lambda i: keep("xling", run_xling(src, task_files, limit, args.threads))}
    if py:
        model_dir = gemma_dir(src)
        tasks = lmeval_tasks(items)
        names = [f"{t}_local_{lang}" for t, lang in items]
        runners["lm_eval"] = lambda i: keep(
            "lm_eval", run_lmeval(py, model_dir, tasks, names, limit, args.lmeval_batch, args.threads)
        )
    timings = _peers.alternate(runners, repeats)
    print("\n## Accuracy and per-item agreement\n")
    print("| task | language | items | xling acc | lm_eval acc | same choice |")
    print("|---|---|---|---|---|---|")
    for (task, lang), rows in items.items():
        keys = [(task, lang, r["id"]) for r in rows]
        gold = {k: r["label"] for k, r in zip(keys, rows)}
        acc = {lab: 100 * sum(p.get(k) == gold[k] for k in keys) / len(keys) for lab, p in preds.items()}
        same = "-"
        if "lm_eval" in preds:
            same = f"{sum(preds['xling'].get(k) == preds['lm_eval'].get(k) for k in keys)}/{len(keys)}"
        peer = acc.get("lm_eval", float("nan"))
        print(f"| {task} | {lang} | {len(rows)} | {acc['xling']:.1f} | {peer:.1f} | {same} |")
    print("\n## Cost (medians)\n")
    print(_peers.summarise(timings, n, baseline="lm_eval" if py else None))


if __name__ == "__main__":
    main()
