"""FLORES translation eng_Latn->xx with Gemma-3-270M (float32, CPU, greedy): xling vs
lm-evaluation-harness (``generate_until``) on the same sentences, prompts and token limit.

    python benchmarks/generation_flores.py                 # fra, swh x 50 test sentences
    python benchmarks/generation_flores.py --quick         # fra, swh x 5 sentences

Data: the SIB-200 release in ``../shared/data/sib200`` (the FLORES-200 sentences, aligned by
``index_id``), the first ``--limit`` sentences of each language's ``test`` split. Prompt (a plain
base model, zero-shot)::

    Translate the following sentence from English to French.
    English: <source sentence>
    French:

generation stops at the first line break or after ``--max-tokens`` tokens; the output is that
line, stripped. lm-eval gets one JSON-lines file per language holding these exact prompts and a
task YAML (``output_type: generate_until``, ``until: ["\\n"]``, ``do_sample: false``,
``max_gen_toks``), written into a temporary folder; model ``hf`` on the transformers directory
xling converts its Gemma-3-270M GGUF into (the weights of ``hf:gemma3-270m``), float32, BOS
added as xling does. xling's side is a child process that loads ``hf:gemma3-270m`` and sends the
same prompts through the backend's batched ``generate`` (length-sorted, left-padded batches under
a token budget, KV cache), the call the generation kinds make.

Both sides run as subprocesses under ``/usr/bin/time -v`` (wall time and peak RSS, model loading
included), alternated; per-item outputs are compared (share identical, the differing ones shown)
and both are scored with sacreBLEU corpus chrF++ against the references.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _peers  # noqa: E402
from llm_xcopa import gemma_dir, thread_env, xling_src  # noqa: E402

SOURCE = "eng_Latn"
PROMPT = "Translate the following sentence from {source} to {target}.\n{source}: {sentence}\n{target}:"
STOP = "\n"


def read_split(lang: str, limit: int) -> dict[str, str]:
    """index_id -> sentence of the first ``limit`` rows of a language's test split."""
    path = _peers.DATA / "sib200" / "annotated" / lang / "test.tsv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return {r["index_id"]: r["text"] for r in rows[:limit]}


def items(languages: list[str], limit: int, src: Path) -> list[dict]:
    """One request per (target language, sentence): id, language, prompt, reference."""
    sys.path.insert(0, str(src))
    from xling.languages.codes import name

    source = read_split(SOURCE, limit)
    out = []
    for lang in languages:
        for index_id, reference in read_split(lang, limit).items():
            prompt = PROMPT.format(source=name(SOURCE), target=name(lang), sentence=source[index_id])
            out.append({"id": index_id, "language": lang, "prompt": prompt, "reference": reference})
    return out


def first_line(text: str) -> str:
    return text.split(STOP, 1)[0].strip()


def xling_child(prompts_file: Path, out_file: Path, threads: int, max_tokens: int) -> None:
    """The xling side, in its own process: load hf:gemma3-270m, generate, write the outputs."""
    from xling.models import load_model

    prompts = json.loads(prompts_file.read_text("utf-8"))
    lm = load_model("hf:gemma3-270m", {"threads": threads})
    outputs = lm.generate(prompts, stop=[STOP], max_tokens=max_tokens)
    out_file.write_text(json.dumps([o if isinstance(o, str) else f"ERROR {o}" for o in outputs]), "utf-8")


def run_xling(src: Path, requests: list[dict], threads: int, max_tokens: int) -> tuple[_peers.Timing, dict]:
    work = _peers.fresh_dir("flores-xling")
    (work / "prompts.json").write_text(json.dumps([r["prompt"] for r in requests]), "utf-8")
    cmd = [sys.executable, __file__, "--xling-child", str(work / "prompts.json"), str(work / "out.json")]
    cmd += ["--threads", str(threads), "--max-tokens", str(max_tokens)]
    t = _peers.timed("xling", cmd, env={"PYTHONPATH": str(src), "PYTHONDONTWRITEBYTECODE": "1", **thread_env(threads)})
    outputs = json.loads((work / "out.json").read_text("utf-8"))
    return t, {(r["language"], r["id"]): first_line(o) for r, o in zip(requests, outputs, strict=True)}


def lmeval_tasks(requests: list[dict], languages: list[str], max_tokens: int) -> Path:
    """One JSON-lines file and one ``generate_until`` task YAML per language."""
    folder = Path(tempfile.mkdtemp(prefix="xling-bench-lmeval-flores-"))
    for lang in languages:
        data = folder / f"{lang}.jsonl"
        data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in requests if r["language"] == lang))
        task = {
            "task": f"flores_local_{lang}",
            "dataset_path": "json",
            "dataset_kwargs": {"data_files": {"test": str(data)}},
            "output_type": "generate_until",
            "test_split": "test",
            "doc_to_text": "{{prompt}}",
            "doc_to_target": "{{reference}}",
            "generation_kwargs": {"until": [STOP], "do_sample": False, "max_gen_toks": max_tokens},
            "metric_list": [{"metric": "exact_match", "aggregation": "mean", "higher_is_better": True}],
        }
        (folder / f"flores_local_{lang}.yaml").write_text(yaml.safe_dump(task, sort_keys=False))
    return folder


def run_lmeval(
    py: Path, model_dir: Path, tasks: Path, languages: list[str], batch: int, threads: int
) -> tuple[_peers.Timing, dict]:
    out = _peers.fresh_dir("flores-lmeval-out")
    cmd = [str(py), "-m", "lm_eval", "--model", "hf", "--device", "cpu", "--batch_size", str(batch)]
    cmd += ["--model_args", f"pretrained={model_dir},dtype=float32,add_bos_token=True"]
    cmd += ["--include_path", str(tasks), "--tasks", ",".join(f"flores_local_{lang}" for lang in languages)]
    cmd += ["--log_samples", "--output_path", str(out)]
    t = _peers.timed("lm_eval", cmd, env={"HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", **thread_env(threads)})
    outputs = {}
    for lang in languages:
        for f in out.rglob(f"samples_flores_local_{lang}_*.jsonl"):
            for line in f.read_text("utf-8").splitlines():
                s = json.loads(line)
                text = s["resps"][0][0] if isinstance(s["resps"][0], list) else s["resps"][0]
                outputs[(lang, str(s["doc"]["id"]))] = first_line(text)
    return t, outputs


def chrf_pp(outputs: dict, requests: list[dict], lang: str) -> float:
    import sacrebleu

    rows = [r for r in requests if r["language"] == lang]
    hyps = [outputs.get((lang, r["id"]), "") for r in rows]
    return sacrebleu.corpus_chrf(hyps, [[r["reference"] for r in rows]], word_order=2).score


def compare(outputs: dict[str, dict], requests: list[dict], languages: list[str], show: int) -> None:
    have_peer = "lm_eval" in outputs
    print("\n## chrF++ and identical outputs\n")
    print("| language | xling chrF++ | lm_eval chrF++ | identical outputs |")
    print("|---|---:|---:|---:|")
    differ = []
    for lang in languages:
        keys = [(lang, r["id"]) for r in requests if r["language"] == lang]
        peer = f"{chrf_pp(outputs['lm_eval'], requests, lang):.1f}" if have_peer else "-"
        same = "-"
        if have_peer:
            equal = [outputs["xling"][k] == outputs["lm_eval"].get(k) for k in keys]
            same = f"{sum(equal)}/{len(keys)}"
            differ += [k for k, e in zip(keys, equal) if not e]
        print(f"| {lang} | {chrf_pp(outputs['xling'], requests, lang):.1f} | {peer} | {same} |")
    if have_peer:
        total = len(requests)
        print(f"\nidentical: {total - len(differ)}/{total} ({100 * (total - len(differ)) / total:.1f}%)")
        for lang, index_id in differ[:show]:
            print(f"\n{lang} {index_id}\n  xling:   {outputs['xling'][(lang, index_id)]!r}")
            print(f"  lm_eval: {outputs['lm_eval'].get((lang, index_id))!r}")
        if len(differ) > show:
            print(f"\n... and {len(differ) - show} more differences")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--languages", default="fra_Latn,swh_Latn", help="targets, FLORES-200 codes")
    ap.add_argument("--limit", type=int, default=50, help="test sentences per language")
    ap.add_argument("--max-tokens", type=int, default=64, help="generation limit, the same for both")
    ap.add_argument("--repeats", type=int, default=1, help="alternated runs of each side")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="torch threads for both")
    ap.add_argument("--lmeval-batch", type=int, default=8, help="lm-eval --batch_size")
    ap.add_argument("--show", type=int, default=10, help="differing outputs printed")
    ap.add_argument("--quick", action="store_true", help="5 sentences per language, 1 run each")
    ap.add_argument("--xling-src", help="src/ folder of the xling checkout to measure")
    ap.add_argument("--no-peer", action="store_true", help="xling only")
    ap.add_argument("--xling-child", nargs=2, type=Path, metavar=("PROMPTS", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.xling_child:
        xling_child(*args.xling_child, args.threads, args.max_tokens)
        return
    languages = args.languages.split(",")
    limit = 5 if args.quick else args.limit
    src = xling_src(args.xling_src)
    print(
        f"# FLORES {SOURCE}->{{{','.join(languages)}}} x {limit} test sentences, Gemma-3-270M float32, greedy, "
        f"max {args.max_tokens} tokens, {args.threads} threads; xling from {src}; machine: {_peers.machine()}"
    )
    requests = items(languages, limit, src)
    py = None if args.no_peer else _peers.optional_peer("lm_eval")
    outputs: dict[str, dict] = {}

    def keep(label, pair):
        outputs[label] = pair[1]
        return pair[0]

    runners = {"xling": lambda i: keep("xling", run_xling(src, requests, args.threads, args.max_tokens))}
    if py:
        model_dir = gemma_dir(src)
        tasks = lmeval_tasks(requests, languages, args.max_tokens)
        runners["lm_eval"] = lambda i: keep(
            "lm_eval", run_lmeval(py, model_dir, tasks, languages, args.lmeval_batch, args.threads)
        )
    timings = _peers.alternate(runners, 1 if args.quick else args.repeats)
    compare(outputs, requests, languages, args.show)
    print("\n## Cost (medians; wall and peak RSS include loading the model)\n")
    print(_peers.summarise(timings, len(requests), baseline="lm_eval" if py else None))


if __name__ == "__main__":
    main()
