"""Where the time of log-likelihood multiple choice goes, one change at a time.

XCOPA (swh/ita/zho by default, first N test items each), Gemma-3-270M float32 through transformers
(the PyPI GGUF converted once). Each variant scores the same (context, continuation) requests:

  1. naive      - lm-eval's way: every request a full sequence, batches of 8 in file order,
                  right-padded, logits over the whole vocabulary at every position;
  2. sorted     - the same, but length-sorted batches under a token budget;
  3. head-only  - also: the output head (262k x 640) only at continuation positions;
  4. xling      - also: each item's context computed once, its KV cache shared by the choices
                  (HFCausalLM.loglik, what `xling run` does).

Prints wall and CPU time per variant (median of --rounds, variants alternated; CPU time is the
steadier figure on a shared machine), speed-up over naive, the
largest log-likelihood difference to naive and the agreement of the chosen answers; then the floor:
the multiply-adds variant 4 cannot skip (every body token, every distinct head row) at this machine's
measured float32 matrix-product rate.

    python benchmarks/llm_loglik.py --data-dir ../shared/data --limit 100 --threads 2
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import torch  # noqa: E402

from xling.kinds.llm.loglik import build_requests  # noqa: E402
from xling.models import load_model  # noqa: E402
from xling.tasks import get_task  # noqa: E402


def requests_for(data_dir: Path, languages: list[str], limit: int):
    task = get_task("xcopa", data_dir)
    reqs, items = [], []
    for lang in languages:
        for it in task.items(lang, "test", limit):
            ctx, conts = build_requests(it, task)
            items.append((len(reqs), len(conts), it.gold))
            reqs += [(ctx, c) for c in conts]
    return reqs, items


def full_sequences(lm, reqs, *, sort: bool, head_only: bool, batch: int = 8, budget: int = 4096):
    """Variants 1-3: one full (context + continuation) sequence per request."""
    enc = [lm._split(c, x) for c, x in reqs]
    order = sorted(range(len(enc)), key=lambda i: -(len(enc[i][0]) + len(enc[i][1]))) if sort else list(range(len(enc)))
    batches, cur = [], []
    for i in order:
        trial = cur + [i]
        if sort:
            cost = len(trial) * max(len(enc[j][0]) + len(enc[j][1]) for j in trial)
            if cur and cost > budget:
                batches.append(cur)
                trial = [i]
        elif len(cur) == batch:
            batches.append(cur)
            trial = [i]
        cur = trial
    if cur:
        batches.append(cur)
    out = [None] * len(reqs)
    pad = lm.tokenizer.pad_token_id or 0
    for b in batches:
        seqs = [enc[i][0] + enc[i][1] for i in b]
        width = max(map(len, seqs))
        ids = torch.full((len(b), width), pad)
        mask = torch.zeros((len(b), width), dtype=torch.long)
        for r, s in enumerate(seqs):
            ids[r, : len(s)] = torch.tensor(s)
            mask[r, : len(s)] = 1
        with torch.inference_mode():
            if head_only:
                hidden = lm._body(input_ids=ids, attention_mask=mask).last_hidden_state
            else:
                logits = lm.model(input_ids=ids, attention_mask=mask).logits
            for r, i in enumerate(b):
                nc, nx = len(enc[i][0]), len(enc[i][1])
                pos = torch.arange(nc - 1, nc + nx - 1)
                tgt = ids[r, nc : nc + nx]
                lg = lm._logits(hidden[r, pos]) if head_only else logits[r, pos].float()
                lsm = lg.log_softmax(-1)
                out[i] = (lsm.gather(1, tgt[:, None]).sum().item(), nx, bool((lg.argmax(-1) == tgt).all()))
    return out


def xling_work(lm, reqs) -> tuple[int, int]:
    """(tokens through the body, rows through the output head) of variant 4: each distinct context
    once, every continuation token but the last, one head row per distinct (context, prefix)."""
    enc = [lm._split(c, x) for c, x in reqs]
    contexts = {tuple(c) for c, _ in enc}
    body = sum(map(len, contexts)) + sum(len(x) - 1 for _, x in enc)
    heads = {(tuple(c), tuple(x[:j])) for c, x in enc for j in range(len(x))}
    return body, len(heads)


def gemm_rate(lm, rows: int = 256, repeats: int = 3) -> float:
    """FLOP/s of one float32 output-head product on this machine (the bulk of the model's work)."""
    w = lm._head.weight
    x = torch.randn(rows, w.shape[1], dtype=w.dtype)
    with torch.inference_mode():
        torch.nn.functional.linear(x, w)
        t = time.perf_counter()
        for _ in range(repeats):
            torch.nn.functional.linear(x, w)
    return 2 * rows * w.numel() * repeats / (time.perf_counter() - t)


def floor_report(lm, reqs, load_s: float, xling_s: float) -> None:
    """The arithmetic the fast path cannot skip, at the measured matrix-product rate."""
    head_params = lm._head.weight.numel()
    body_params = sum(p.numel() for p in lm._body.parameters()) - lm._body.get_input_embeddings().weight.numel()
    body, heads = xling_work(lm, reqs)
    flops = 2 * (body * body_params + heads * head_params)
    rate = gemm_rate(lm)
    print(
        f"\nfloor: {body} body tokens x {body_params / 1e6:.0f}M parameters + {heads} head rows x "
        f"{head_params / 1e6:.0f}M = {flops / 1e12:.2f} TFLOP; float32 products run at {rate / 1e9:.0f} GFLOP/s "
        f"here, so the model's arithmetic alone takes {flops / rate:.1f} s (variant 4 took {xling_s:.1f} s); "
        f"with the model load ({load_s:.1f} s) a whole run cannot take less than {flops / rate + load_s:.1f} s"
    )


def choices(results, items):
    return [max(range(n), key=lambda k: results[s + k][0]) for s, n, _ in items]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--languages", default="swh_Latn,ita_Latn,zho_Hans")
    ap.add_argument("--limit", type=int, default=100)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--model", default="hf:gemma3-270m")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    lm = load_model(args.model, {"threads": args.threads})
    load_s = time.perf_counter() - t0
    print(f"model load: {load_s:.1f} s ({lm.path})")
    reqs, items = requests_for(args.data_dir, args.languages.split(","), args.limit)
    n_tok = sum(len(c) + len(x) for c, x in (lm._split(*r) for r in reqs))
    print(f"{len(items)} items, {len(reqs)} requests, {n_tok} tokens as full sequences; threads={args.threads}")
    variants = {
        "1 naive (batch 8, full logits)": lambda: full_sequences(lm, reqs, sort=False, head_only=False),
        "2 + length-sorted, token budget": lambda: full_sequences(lm, reqs, sort=True, head_only=False),
        "3 + head only at continuations": lambda: full_sequences(lm, reqs, sort=True, head_only=True),
        "4 + context once, KV shared (xling)": lambda: lm.loglik(reqs),
    }
    times = {k: [] for k in variants}
    cpu = {k: [] for k in variants}
    results = {}
    for _ in range(args.rounds):
        for name, fn in variants.items():
            t, c = time.perf_counter(), time.process_time()
            results[name] = fn()
            times[name].append(time.perf_counter() - t)
            cpu[name].append(time.process_time() - c)
            print(f"  {name}: {times[name][-1]:.1f} s wall, {cpu[name][-1]:.1f} s CPU", flush=True)
    base_name = next(iter(variants))
    base, base_choice = results[base_name], choices(results[base_name], items)
    base_t = statistics.median(times[base_name])
    base_c = statistics.median(cpu[base_name])
    print(
        f"\n{'variant':40s} {'wall s':>8s} {'speed-up':>9s} {'CPU s':>8s} {'speed-up':>9s}"
        f" {'max |dLL|':>10s} {'same choice':>12s}"
    )
    for name in variants:
        t, c = statistics.median(times[name]), statistics.median(cpu[name])
        diff = max(abs(a[0] - b[0]) for a, b in zip(results[name], base))
        agree = sum(a == b for a, b in zip(choices(results[name], items), base_choice)) / len(items)
        print(f"{name:40s} {t:8.1f} {base_t / t:8.2f}x {c:8.1f} {base_c / c:8.2f}x {diff:10.2e} {agree:11.1%}")
    acc = sum(c == int(g) for c, (_, _, g) in zip(base_choice, items)) / len(items)
    print(f"\naccuracy (raw log-likelihood, all languages): {acc:.1%}")
    floor_report(lm, reqs, load_s, statistics.median(times[name]))


if __name__ == "__main__":
    main()
