"""Diagnostics on constructed inputs with known answers (fakes stand in for models)."""

import numpy as np
import pandas as pd
import pytest

from helpers.cli import xling_in_process
from xling.diagnostics import contamination_check, fertility, mexa, output_language_fidelity, translation_artefacts
from xling.diagnostics.contamination import perturb
from xling.diagnostics.mexa import alignment


def test_fertility_counts_tokens_words_bytes_and_parity():
    texts = {
        "eng_Latn": {"1": "one two three", "2": "four five"},
        "deu_Latn": {"1": "eins zwei drei", "2": "vier fünf"},
        "tha_Thai": {"1": "หนึ่งสองสาม", "2": "สี่ห้า"},
    }
    tok = lambda t: 2 + len(t) // 2  # noqa: E731  (2 special tokens + one token per two characters)
    rows = {r["language"]: r for r in fertility(tok, texts)}
    eng = rows["eng_Latn"]
    assert eng["tokens"] == len("one two three") // 2 + len("four five") // 2
    assert eng["words"] == 5 and eng["tokens_per_word"] == pytest.approx(eng["tokens"] / 5)
    assert rows["deu_Latn"]["bytes"] == len(b"eins zwei drei") + len("vier fünf".encode())
    assert rows["tha_Thai"]["words"] is None and rows["tha_Thai"]["tokens_per_word"] is None
    assert rows["tha_Thai"]["tokens_per_byte"] > 0 and eng["parity"] == pytest.approx(1.0)
    assert rows["deu_Latn"]["parity"] == pytest.approx(np.mean([7 / 6, 4 / 4]))


def _gen_table(rows):
    return pd.DataFrame(
        [
            {
                "task": "gen",
                "setting": "zero-shot",
                "language": lang,
                "item_id": str(i),
                "parallel_id": str(i),
                "prediction": p,
                "gold": "",
                "score": 0.0,
                "error": None,
            }
            for i, (lang, p) in enumerate(rows)
        ]
    )


def test_fidelity_detects_answers_in_the_wrong_language_and_skips_short_ones():
    de = "Die Kinder spielen heute Nachmittag im Garten hinter dem alten Haus."
    en = "The children are playing in the garden behind the old house this afternoon."
    sw = "Watoto wanacheza bustanini nyuma ya nyumba ya zamani mchana huu."
    pred = _gen_table(
        [("deu_Latn", de), ("deu_Latn", en), ("deu_Latn", de), ("deu_Latn", "42"), ("swh_Latn", sw), ("swh_Latn", sw)]
    )
    rows = {r["language"]: r for r in output_language_fidelity(pred)}
    de_row = rows["deu_Latn"]
    assert (de_row["generations"], de_row["judged"], de_row["too_short"]) == (4, 3, 1)
    assert de_row["fidelity"] == pytest.approx(200 / 3)
    assert de_row["other_languages"] == {"eng": 1}
    assert rows["swh_Latn"]["fidelity"] == 100.0 and rows["swh_Latn"]["expected"] == "swh"


def test_mexa_alignment_tracks_how_far_a_language_is_from_english():
    rng = np.random.default_rng(0)
    n, d = 40, 32
    eng = rng.normal(size=(n, d))
    noise = {"deu_Latn": 0.2, "swh_Latn": 1.0, "yor_Latn": 3.0}
    vecs = {"eng_Latn": eng} | {k: eng + rng.normal(scale=s, size=(n, d)) for k, s in noise.items()}
    texts = {lang: {str(i): f"{lang}|{i}" for i in range(n)} for lang in vecs}

    def embed(batch):
        return np.stack([vecs[t.split("|")[0]][int(t.split("|")[1])] for t in batch])

    res = mexa(embed, texts, scores={"deu_Latn": 90.0, "swh_Latn": 70.0, "yor_Latn": 30.0})
    al = {r["language"]: r["alignment"] for r in res["languages"]}
    assert al["deu_Latn"] == 100.0 and al["deu_Latn"] >= al["swh_Latn"] > al["yor_Latn"]
    assert res["correlation"]["spearman"] == pytest.approx(1.0)
    assert alignment(eng, eng[::-1]) == 0.0


class FakeLM:
    """loglik = fluency (the real word order scores better) + a bonus for memorised pairs."""

    def __init__(self, fluent: set[str], memorised: set[tuple[str, str]]):
        self.fluent, self.memorised, self.calls = fluent, memorised, 0

    def loglik(self, requests):
        self.calls += len(requests)
        out = []
        for ctx, cont in requests:
            nbytes = len(cont.encode())
            ll = -1.0 * nbytes + (0.3 * nbytes if cont in self.fluent else 0.0)
            if (ctx.rstrip("\n"), cont) in self.memorised:
                ll += 0.5 * nbytes
            out.append((ll, max(1, nbytes // 4), False))
        return out


def _pairs(prefix, n):
    return [
        (f"source sentence {prefix} {i} about things", f"la frase {prefix} numero {i} sobre cosas varias")
        for i in range(n)
    ]


def test_contamination_flags_memorised_translations_and_not_a_clean_model():
    bench, control = {"spa_Latn": _pairs("b", 40)}, {"spa_Latn": _pairs("c", 40)}
    fluent = {t for _, t in bench["spa_Latn"] + control["spa_Latn"]}
    leaky = FakeLM(fluent, set(bench["spa_Latn"]))
    (row,) = contamination_check(leaky.loglik, bench, control, seed=1)
    assert row["significant"] and row["flag"].startswith("suspect") and row["excess"] > 0.4
    assert row["true_beats_all"] == 100.0
    clean = FakeLM(fluent, set())
    (row,) = contamination_check(clean.loglik, bench, control, seed=1)
    assert not row["significant"] and row["flag"] == "no evidence"
    assert row["excess"] == pytest.approx(0.0, abs=1e-9)
    (row,) = contamination_check(clean.loglik, bench, None)
    assert row["flag"] == "not tested (no control set)" and row["preference"] > 0


def test_perturbations_keep_the_bytes_and_change_the_order():
    rng = np.random.default_rng(0)
    t = "the quick brown fox jumps"
    p = perturb(t, "Latn", rng)
    assert p != t and sorted(p.split()) == sorted(t.split())
    th = "สวัสดีครับ"
    assert sorted(perturb(th, "Thai", rng)) == sorted(th)
    assert perturb("same same", "Latn", rng) == "same same"


def test_translation_artefacts_find_a_planted_gap():
    rows_h, rows_m = [], []
    for lang in ("deu_Latn", "swh_Latn"):
        for i in range(200):
            h = float(i % 4 != 0)
            m = 0.0 if (lang == "swh_Latn" and i % 4 == 1) else h  # machine version loses 25% in swh
            rows_h.append({"language": lang, "parallel_id": str(i), "score": h})
            rows_m.append({"language": lang, "parallel_id": str(i), "score": m})
    res = {r["language"]: r for r in translation_artefacts(pd.DataFrame(rows_h), pd.DataFrame(rows_m))}
    assert res["swh_Latn"]["gap"] == pytest.approx(25.0) and res["swh_Latn"]["significant"]
    assert res["deu_Latn"]["gap"] == 0.0 and not res["deu_Latn"]["significant"]


def test_cli_fertility_runs_and_contamination_needs_loglik():
    res = xling_in_process(
        "diagnose", "fertility", "--languages", "eng_Latn,deu_Latn,zho_Hans", "--limit", "5", env={"COLUMNS": "150"}
    )
    assert res.returncode == 0, res.stderr
    assert "zho_Hans" in res.stdout and "word policy" in res.stdout
    res = xling_in_process("diagnose", "contamination", "--languages", "deu_Latn", "--limit", "5")
    assert res.returncode == 2 and "loglik" in res.stderr
