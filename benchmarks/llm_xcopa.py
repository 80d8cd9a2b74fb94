"""XCOPA log-likelihood multiple choice with Gemma-3-270M (float32, CPU): xling (hf backend) vs
lm-evaluation-harness (HF backend) on the same local files and the same prompts.

    python benchmarks/llm_xcopa.py                  # sw, it, zh x 100 test items, 2 alternations
    python benchmarks/llm_xcopa.py --quick          # sw, it x 10 items, 1 run each

Prompts: lm-eval's COPA format, ``"<premise minus final punctuation> because|therefore"`` +
``" <choice, first letter lower-cased>"`` - what xling's loglik_choice kind builds. lm-eval's
built-in ``xcopa_*`` tasks translate the connector into each language; to compare per-item
choices on identical prompts, lm-eval gets a task YAML (``dataset_path: json`` + ``data_files``)
with the English connectors. Answers by the summed log-likelihood (lm-eval's ``acc``), so xling
runs with ``options.normalisation: raw``.

xling runs from this checkout's ``src`` (or ``--xling-src``). The GGUF -> transformers conversion is done once by
xling (``~/.cache/xling/models``) and the same directory is given to lm-eval.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _peers  # noqa: E402

LANGS = {"swh_Latn": "sw", "ita_Latn": "it", "zho_Hans": "zh"}
XLING_TASK = {
    "name": "xcopa-raw",
    "kind": "multiple_choice",
    "metric": "accuracy",
    "description": "XCOPA test split from the local release, answers by summed log-likelihood (lm-eval's acc).",
    "source_language": "ita_Latn",
    "eval_split": "test",
    "fields": {"premise": "premise", "question": "question", "choices": ["choice1", "choice2"]},
    "gold": {"path": "label", "type": "int"},
    "id": "idx",
    "parallel_key": "idx",
    "options": {"normalisation": "raw"},
    "creation": "human-translated",
    "licence": "CC-BY-4.0",
    "local": {"subdir": "xcopa", "format": "jsonl", "path": "{lang}/{split}.{lang}.jsonl"},
}
LMEVAL_TASK = {
    "dataset_path": "json",
    "output_type": "multiple_choice",
    "test_split": "test",
    "doc_to_text": "{{premise.strip()[:-1]}} {{'because' if question == 'cause' else 'therefore'}}",
    "doc_to_choice": "{{[(choice1[0]|lower) + choice1[1:], (choice2[0]|lower) + choice2[1:]]}}",
    "doc_to_target": "label",
    "metric_list": [{"metric": "acc", "aggregation": "mean", "higher_is_better": True}],
}


def xling_src(arg: str | None) -> Path:
    for cand in [arg, os.environ.get("XLING_SRC"), str(_peers.ROOT / "src")]:
        if cand and (Path(cand) / "xling" / "models" / "hf_lm.py").is_file():
            return Path(cand).resolve()
    sys.exit("this checkout has no hf backend: pass --xling-src PATH/src of a checkout that has it")


def gemma_dir(src: Path) -> Path:
    """The converted transformers directory (xling builds it once)."""
    code = (
        "import sys; from xling.models.model_files import gemma3_270m_gguf, hf_dir_from_gguf; "
        "print(hf_dir_from_gguf(gemma3_270m_gguf()))"
    )
    out = _peers.subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(src)},
        check=True,
    )
    return Path(out.stdout.strip().splitlines()[-1])


def thread_env(threads: int) -> dict:
    return {"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads), "TOKENIZERS_PARALLELISM": "false"}


def run_xling(src: Path, spec: Path, limit: int, threads: int) -> tuple[_peers.Timing, dict]:
    work = _peers.fresh_dir("xcopa")
    t = _peers.timed(
        "xling",
        [
            sys.executable,
            "-m",
            "xling",
            "run",
            "--model",
            "hf:gemma3-270m",
            "--task-file",
            str(spec),
            "--data-dir",
            str(_peers.DATA),
            "--limit",
            str(limit),
            "--limit-mode",
            "first",
            "--cache",
            str(work / "cache.sqlite"),
            "--output",
            str(work / "run"),
            "-q",
        ],
        env={"PYTHONPATH": str(src), "PYTHONDONTWRITEBYTECODE": "1", **thread_env(threads)},
    )
    import pandas as pd

    df = pd.read_parquet(work / "run" / "predictions.parquet")
    preds = {}
    for row in df.itertuples():
        code = LANGS.get(row.language)
        if code:
            preds[(code, str(row.item_id))] = _answer(row.prediction)
    return t, preds


def _answer(pred):
    """The chosen index from xling's prediction column (a dict with ``answer``, or its JSON)."""
    if isinstance(pred, (str, bytes)):
        pred = json.loads(pred)
    if isinstance(pred, dict):
        pred = pred.get("answer")
    return None if pred is None else int(pred)


def lmeval_tasks(langs: list[str]) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="xling-bench-lmeval-tasks-"))
    for code in langs:
        task = {
            "task": f"xcopa_local_{code}",
            **LMEVAL_TASK,
            "dataset_kwargs": {"data_files": {"test": str(_peers.DATA / "xcopa" / code / f"test.{code}.jsonl")}},
        }
        (folder / f"xcopa_local_{code}.yaml").write_text(yaml.safe_dump(task, sort_keys=False))
    return folder


def lmeval_choice(sample: dict) -> int:
    """The choice lm-eval's ``acc`` takes in one logged sample: the highest summed log-likelihood."""
    ll = [r[0] if isinstance(r, (list, tuple)) else r for r in sample["filtered_resps"]]
    ll = [x[0] if isinstance(x, (list, tuple)) else x for x in ll]
    return max(range(len(ll)), key=lambda i: float(ll[i]))


def run_lmeval(
    py: Path, model_dir: Path, tasks: Path, langs: list[str], limit: int, batch: int, threads: int
) -> tuple[_peers.Timing, dict]:
    out = _peers.fresh_dir("lmeval-out")
    t = _peers.timed(
        "lm_eval",
        [
            str(py),
            "-m",
            "lm_eval",
            "--model",
            "hf",
            "--model_args",
            f"pretrained={model_dir},dtype=float32",
            "--device",
            "cpu",
            "--batch_size",
            str(batch),
            "--include_path",
            str(tasks),
            "--tasks",
            ",".join(f"xcopa_local_{c}" for c in langs),
            "--limit",
            str(limit),
            "--log_samples",
            "--output_path",
            str(out),
        ],
        env={"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", **thread_env(threads)},
    )
    preds = {}
    for f in out.rglob("samples_xcopa_local_*.jsonl"):
        code = f.name.split("samples_xcopa_local_")[1].split("_")[0]
        for line in f.read_text().splitlines():
            s = json.loads(line)
            preds[(code, str(s["doc"]["idx"]))] = lmeval_choice(s)
    return t, preds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="2 languages x 10 items, 1 run each")
    ap.add_argument("--limit", type=int, default=100)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument(
        "--threads", type=int, default=os.cpu_count() or 1, help="torch threads for both (default: all cores)"
    )
    ap.add_argument("--lmeval-batch", type=int, default=8, help="lm-eval --batch_size (the issue measured 8)")
    ap.add_argument("--xling-src", help="src/ folder of an xling checkout with the hf backend")
    ap.add_argument(
        "--before-src", help="src/ folder of another xling checkout (e.g. the code before a change), run alternated too"
    )
    ap.add_argument("--no-peer", action="store_true")
    args = ap.parse_args()
    langs = dict(list(LANGS.items())[:2]) if args.quick else LANGS
    limit = 10 if args.quick else args.limit
    repeats = 1 if args.quick else args.repeats
    src = xling_src(args.xling_src)
    print(
        f"# XCOPA {','.join(langs.values())} x {limit} items, Gemma-3-270M float32, {args.threads} threads; "
        f"xling from {src}; machine: {_peers.machine()}"
    )
    model_dir = gemma_dir(src)
    spec = Path(tempfile.mkdtemp(prefix="xling-bench-task-")) / "xcopa-raw.yaml"
    spec.write_text(yaml.safe_dump({**XLING_TASK, "languages": langs}, sort_keys=False))
    py = None if args.no_peer else _peers.optional_peer("lm_eval")
    tasks = lmeval_tasks(list(langs.values()))
    preds: dict[str, dict] = {}

    def keep(label, pair):
        preds[label] = pair[1]
        return pair[0]

    runners = {"xling": lambda i: keep("xling", run_xling(src, spec, limit, args.threads))}
    if args.before_src:
        before = xling_src(args.before_src)
        runners["xling_before"] = lambda i: keep("xling_before", run_xling(before, spec, limit, args.threads))
    if py:
        runners["lm_eval"] = lambda i: keep(
            "lm_eval", run_lmeval(py, model_dir, tasks, list(langs.values()), limit, args.lmeval_batch, args.threads)
        )
    timings = _peers.alternate(runners, repeats)
    n = len(langs) * limit
    print("\n## Accuracy and per-item agreement\n")
    print("| language | xling acc | lm_eval acc | same choice |")
    print("|---|---|---|---|")
    gold = {}
    for code in langs.values():
        for line in (_peers.DATA / "xcopa" / code / f"test.{code}.jsonl").read_text().splitlines()[:limit]:
            d = json.loads(line)
            gold[(code, str(d["idx"]))] = int(d["label"])
    for code in langs.values():
        keys = [k for k in gold if k[0] == code]
        acc = {lab: 100 * sum(preds[lab].get(k) == gold[k] for k in keys) / len(keys) for lab in preds}
        same = (
            f"{sum(preds['xling'].get(k) == preds['lm_eval'].get(k) for k in keys)}/{len(keys)}"
            if "lm_eval" in preds
            else "-"
        )
        print(f"| {code} | {acc['xling']:.1f} | {acc.get('lm_eval', float('nan')):.1f} | {same} |")
    if "xling_before" in preds:
        same = sum(preds["xling_before"].get(k) == preds["xling"].get(k) for k in gold)
        print(f"\nxling before / now: {same}/{len(gold)} same choices")
    print("\n## Cost (medians)\n")
    print(_peers.summarise(timings, n, baseline="lm_eval" if py else None))


if __name__ == "__main__":
    main()
