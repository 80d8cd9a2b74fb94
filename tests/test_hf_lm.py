"""The transformers backend on the real Gemma-3-270M: exact log-likelihoods, batch invariance,
truncation, generation. The model is converted from the PyPI GGUF once (cached on disk)."""

from __future__ import annotations

import pytest

from xling.calls.cache import ResponseCache
from xling.calls.lm import LMClient
from xling.models import hf_lm
from xling.models.base import ItemError
from xling.models.lm_head import token_logprobs

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

pytestmark = pytest.mark.slow  # real models end to end

REQUESTS = [
    ("The man turned on the faucet therefore", " water flowed from the spout."),
    ("The man turned on the faucet therefore", " the toilet filled with water."),
    ("The man turned on the faucet therefore", " the toilet flushed."),  # shares " the toilet" with the one above
    ("Mwanaume alifungua bomba la maji therefore", " maji yalitiririka kutoka kwenye bomba."),
    ("Mwanaume alifungua bomba la maji therefore", " choo kilijaa maji."),
    ("女孩在她的麦片里发现了一只虫子 therefore", " 她失去了食欲。"),
    ("Die Hauptstadt von Frankreich ist", " Paris"),
    ("Die Hauptstadt von Frankreich ist ", "Paris"),  # trailing space moves to the continuation
    ("", " An empty context is conditioned on BOS."),
]


@pytest.fixture(scope="module")
def lm(gemma_gguf):
    from xling.models import load_model

    return load_model("hf:gemma3-270m", {"threads": 2})


def plain_loglik(lm, context, continuation):
    """The reference: one unpadded forward over context + continuation, full logits everywhere,
    normalised in float64 (a float32 log-softmax over 262k logits is itself off by ~1e-4)."""
    ctx, cont = lm._split(context, continuation)
    ids = torch.tensor([ctx + cont])
    with torch.inference_mode():
        logp = lm.model(input_ids=ids).logits[0].double().log_softmax(-1)
    pos = range(len(ctx), len(ctx) + len(cont))
    return (
        sum(logp[i - 1, ids[0, i]].item() for i in pos),
        len(cont),
        all(logp[i - 1].argmax().item() == ids[0, i].item() for i in pos),
    )


@pytest.mark.parametrize("budget", [4096, 12])
def test_loglik_equals_plain_forward(lm, budget, monkeypatch):
    """Also with a budget so small that a context's continuations take several passes, each on
    its own copy of the context's key/value cache."""
    monkeypatch.setattr(lm, "token_budget", budget)
    passes = []
    going_on = lm._continue
    monkeypatch.setattr(lm, "_continue", lambda cache, rows, *a: passes.append(len(rows)) or going_on(cache, rows, *a))
    got = lm.loglik(REQUESTS)
    contexts = {tuple(lm._split(c, x)[0]) for c, x in REQUESTS}
    assert len(passes) > len(contexts) if budget == 12 else len(passes) == 1
    for (c, x), (lp, n, greedy) in zip(REQUESTS, got, strict=True):
        ref_lp, ref_n, ref_greedy = plain_loglik(lm, c, x)
        assert n == ref_n and greedy == ref_greedy
        assert lp == pytest.approx(ref_lp, abs=1e-4), (c, x)
    assert got[6][0] == pytest.approx(got[7][0], abs=1e-4)  # same tokens either way


def test_output_head_runs_once_per_distinct_state(lm, monkeypatch):
    """Choices share the state after their context (first token) and after a common prefix: the
    vocabulary projection runs once for each distinct (context, continuation prefix)."""
    pairs = [REQUESTS[i] for i in (0, 1, 2)]
    splits = [lm._split(c, x) for c, x in pairs]
    states = {(tuple(c), tuple(x[:j])) for c, x in splits for j in range(len(x))}
    assert len(states) < sum(len(x) for _, x in splits)  # the test data does share states
    rows = []
    monkeypatch.setattr(
        hf_lm,
        "token_logprobs",
        lambda head, cap, hidden, *a: rows.append(len(hidden)) or token_logprobs(head, cap, hidden, *a),
    )
    got = lm.loglik(pairs)
    assert sum(rows) == len(states)
    for (c, x), (lp, n, greedy) in zip(pairs, got, strict=True):
        ref_lp, ref_n, ref_greedy = plain_loglik(lm, c, x)
        assert (n, greedy) == (ref_n, ref_greedy) and lp == pytest.approx(ref_lp, abs=1e-4)


def test_scores_do_not_depend_on_batching(lm, tmp_path):
    runs = []
    for budget, batch in [(16, 1), (64, 3), (100000, 64)]:
        lm.token_budget = budget
        client = LMClient(lm, ResponseCache(tmp_path / f"c{budget}.sqlite"), batch_size=batch)
        runs.append(client.loglik(REQUESTS))
    lm.token_budget = 4096
    for other in runs[1:]:
        for a, b in zip(runs[0], other, strict=True):
            assert a.n_tokens == b.n_tokens and a.greedy == b.greedy
            assert a.logprob == pytest.approx(b.logprob, abs=1e-4)
    # the chosen answer per item is the same whatever the batching
    for run in runs:
        assert [run[i].logprob > run[i + 1].logprob for i in (0, 3)] == [
            runs[0][i].logprob > runs[0][i + 1].logprob for i in (0, 3)
        ]


def test_truncation_keeps_bos_and_the_end(lm):
    context = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen"
    before = lm.truncated
    window, lm._window = lm._window, 12
    try:
        ((lp, n, _),) = lm.loglik([(context, " fifteen")])
        too_long = lm.loglik([("x", " a b c d e f g h i j k l m n o p")])[0]
    finally:
        lm._window = window
    assert lm.truncated == before + 1
    ctx, cont = lm._split(context, " fifteen")
    kept = ctx[:1] + ctx[len(ctx) - (12 - len(cont)) + 1 :]
    ids = torch.tensor([kept + cont])
    with torch.inference_mode():
        logp = lm.model(input_ids=ids).logits[0].double().log_softmax(-1)
    ref = sum(logp[i - 1, ids[0, i]].item() for i in range(len(kept), ids.shape[1]))
    assert n == len(cont) and lp == pytest.approx(ref, abs=1e-4)
    assert isinstance(too_long, ItemError) and "window" in str(too_long)


def test_generation_is_greedy_and_cut_at_stop(lm):
    a = lm.generate(["The capital of France is", "1, 2, 3, 4,"], stop=["\n", "."], max_tokens=12)
    b = lm.generate(["1, 2, 3, 4,"], stop=["\n", "."], max_tokens=12)
    assert a[1] == b[0]  # alone or batched: the same text
    assert all(isinstance(t, str) and "." not in t and "\n" not in t for t in a)
    assert lm.generate(["Hello"], stop=[], max_tokens=0) == [""]


def test_conversion_is_cached_and_fingerprinted(lm, gemma_gguf):
    from xling.models.model_files import hf_dir_from_gguf

    path = hf_dir_from_gguf(gemma_gguf)
    assert (path / "model.safetensors").is_file() and (path / "xling-conversion.json").is_file()
    assert str(path) == lm.path
    assert lm.fingerprint().startswith("hf|") and lm.chat_template is None


TOKENIZER_PROBES = [
    "",
    " ",
    "  two spaces",
    "trailing ",
    "\ttab\nnewline\r\n",
    "The man turned on the faucet.",
    "Mwanaume alifungua bomba la maji.",
    "女孩在她的麦片里发现了一只虫子。",
    "Привет, мир!",
    "مرحبا بالعالم",
    "नमस्ते दुनिया",
    "ສະບາຍດີ",
    "é (e + \u0301), ﬁ ligature, 𝔘 maths, emoji 😀, zero\u200bwidth",
    "<bos>already has BOS",
    "<bos><bos>twice",
    "a<eos>b",
    "<pad><unk><mask>",
    "[multimodal]",
    "<unused0>x",
    "<start_of_turn>user\nhi<end_of_turn>",
    "12345 67.89 1,000",
    "code: def f(x): return x**2",
]


def test_fast_tokenizer_gives_autotokenizers_ids(lm, shared_data):
    """xling reads its conversions' tokenizer.json with `tokenizers` (cheaper than AutoTokenizer's
    class rebuild): the same ids, specials and decoding, on probes and on every XCOPA text."""
    import json

    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    assert type(lm.tokenizer) is PreTrainedTokenizerFast  # the fast path was taken
    auto = AutoTokenizer.from_pretrained(lm.path)
    assert type(auto) is not PreTrainedTokenizerFast
    texts = list(TOKENIZER_PROBES)
    for path in sorted((shared_data / "xcopa").glob("*/*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            texts += [row["premise"], " " + row["choice1"], row["premise"] + " therefore ", row["choice2"]]
    assert len(texts) > 10000
    for special in (True, False):
        ours = lm.tokenizer(texts, add_special_tokens=special)["input_ids"]
        ref = auto(texts, add_special_tokens=special)["input_ids"]
        assert ours == ref
    for attr in (
        "bos_token_id",
        "eos_token_id",
        "pad_token_id",
        "unk_token_id",
        "all_special_ids",
        "chat_template",
        "padding_side",
    ):
        assert getattr(lm.tokenizer, attr) == getattr(auto, attr), attr
    assert len(lm.tokenizer) == len(auto)
    ids = auto(TOKENIZER_PROBES[6:13])["input_ids"]
    assert lm.tokenizer.batch_decode(ids) == auto.batch_decode(ids)


GEN_PROMPTS = [
    "The capital of France is",
    "Translate the following sentence from English to French.\nEnglish: I like cheese.\nFrench:",
    "1, 2, 3, 4,",
    "Once upon a time",
]


@pytest.mark.parametrize("stop", [["\n"], [".", "\n"], []])
def test_greedy_loop_gives_transformers_generate_texts(lm, stop):
    prompts = [lm._encode(p) for p in GEN_PROMPTS]
    ours = lm._greedy(prompts, stop, 20)
    assert ours == lm._hf_generate(prompts, stop, 20)
    assert len({len(lm._encode(t, False)) for t in ours}) > 1 or not stop  # rows left the batch at different steps


def test_a_row_ends_at_end_of_sequence_and_the_others_go_on(lm, monkeypatch):
    prompts = [lm._encode(p) for p in GEN_PROMPTS[:3]]
    alone = [lm._greedy([p], ["\n"], 12)[0] for p in prompts]
    first = lm._encode(alone[1], False)[0]  # the second prompt's first generated token
    monkeypatch.setattr(lm, "_eos_ids", lambda: {first})
    out = lm._greedy(prompts, ["\n"], 12)
    assert out[1] == ""
    assert [out[0], out[2]] == [alone[0], alone[2]] and first not in lm._encode(alone[0] + alone[2], False)


def test_generation_config_processors_use_transformers_generate(lm, monkeypatch):
    assert lm._plain_greedy()
    monkeypatch.setattr(lm.model.generation_config, "repetition_penalty", 1.3)
    assert not lm._plain_greedy()
    monkeypatch.setattr(lm.model.generation_config, "repetition_penalty", 1.0)
    monkeypatch.setattr(lm.model.generation_config, "no_repeat_ngram_size", 2)
    assert not lm._plain_greedy()
