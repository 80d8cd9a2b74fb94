"""Analyses on constructed prediction tables with known answers."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from xling.analysis import consistency, flipped_items, grouped_scores, language_pairs, run_analyses, transfer_gap
from xling.analysis.consistency import _kappa_weighted, _resample_weights, pair_consistency
from xling.languages import meta as langmeta
from xling.scoring.metrics import METRICS
from xling.scoring.stats import holm, mcnemar_test, paired_test, permutation_test, seed_for


def table(rows):
    """rows: (task, setting, language, parallel_id, prediction, gold, score)."""
    out = [
        {
            "run_id": "r",
            "model": "m",
            "task": t,
            "setting": s,
            "language": lang,
            "split": "test",
            "item_id": f"{lang}-{pid}",
            "parallel_id": pid,
            "prediction": p,
            "gold": g,
            "score": sc,
            "error": None,
        }
        for t, s, lang, pid, p, g, sc in rows
    ]
    return pd.DataFrame(out)


def parallel(langs, n=30, flip=None, setting="zero-shot"):
    rows = []
    for lang in langs:
        for i in range(n):
            gold = ["a", "b", "c"][i % 3]
            pred = gold if i % 5 else ["a", "b", "c"][(i + 1) % 3]  # every 5th item wrong everywhere
            if flip and (lang, str(i)) == flip:
                pred = "c" if gold != "c" else "a"
            rows.append(("t", setting, lang, str(i), pred, gold, float(pred == gold)))
    return table(rows)


def test_a_planted_flip_shows_up_in_consistency_and_the_flip_list():
    pred = parallel(["eng_Latn", "swh_Latn", "yor_Latn"], flip=("swh_Latn", "7"))
    rows = {(r["language_a"], r["language_b"]): r for r in consistency(pred, seed=0)}
    es = rows[("eng_Latn", "swh_Latn")]
    assert es["flips"] == 1 and es["correct_only_first"] == 1
    assert es["agreement"] == pytest.approx(100 * 29 / 30)
    ey = rows[("eng_Latn", "yor_Latn")]
    assert ey["agreement"] == 100.0 and ey["flips"] == 0 and ey["kappa"] == pytest.approx(1.0)
    assert ey["agree_correct"] == pytest.approx(100 * 24 / 30)  # 6 of 30 wrong in both
    assert es["agreement_ci_low"] < es["agreement"] <= es["agreement_ci_high"]
    flips = flipped_items(pred)
    assert list(flips["parallel_id"]) == ["7"]
    assert flips.iloc[0]["wrong"] == ["swh_Latn"]
    assert flips.iloc[0]["correct"] == ["eng_Latn", "yor_Latn"]


def test_flip_list_over_many_items_equals_a_plain_loop_over_every_item():
    rng = np.random.default_rng(5)
    rows = []
    for task, setting in (("t", "zero-shot"), ("u", "xx->eng_Latn")):
        for i in range(300):
            for lang in ("eng_Latn", "swh_Latn", "yor_Latn", "deu_Latn"):
                if rng.random() < 0.1:
                    continue
                score = None if rng.random() < 0.05 else float(rng.choice([0.0, 0.3, 0.5, 1.0]))
                rows.append((task, setting, lang, str(i % 250), f"p{i}", "g", score))  # ids 0-49 repeat
    pred = table(rows)
    pred.loc[rng.random(len(pred)) < 0.05, "error"] = "failed"
    pred.loc[rng.random(len(pred)) < 0.02, "parallel_id"] = None
    want = []
    ok = pred[pred["error"].isna()]
    for (task, setting, pid), g in ok.groupby(["task", "setting", "parallel_id"], sort=True):
        right = {r.language: r.score >= 0.5 for r in g.itertuples() if pd.notna(r.score)}
        correct = sorted(k for k, v in right.items() if v)
        wrong = sorted(k for k, v in right.items() if not v)
        if correct and wrong:
            per = {r.language: (r.prediction, right.get(r.language)) for r in g.itertuples()}
            want.append((task, setting, pid, correct, wrong, per))
    got = flipped_items(pred)
    assert 50 < len(want) == len(got)
    for w, r in zip(want, got.itertuples(), strict=True):
        per = {lang: (p["prediction"], p["correct"]) for lang, p in r.per_language.items()}
        assert (r.task, r.setting, r.parallel_id, r.correct, r.wrong, per) == w


def test_kappa_matches_sklearn_and_its_vectorised_replicates():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 4, 200)
    b = np.where(rng.random(200) < 0.7, a, rng.integers(0, 4, 200))
    idx = np.vstack([np.arange(200), rng.integers(0, 200, 200)])
    reps = _kappa_weighted(a, b, _resample_weights(idx))
    assert reps[0] == pytest.approx(cohen_kappa_score(a, b))
    assert reps[1] == pytest.approx(cohen_kappa_score(a[idx[1]], b[idx[1]]))
    # the point estimate of pair_consistency (numpy, no scikit-learn at run time) is sklearn's too
    for x, y in ((a, b), (a, (a + 1) % 4), (np.zeros(200, int), b)):
        got = pair_consistency(list(x), list(y), np.ones(200), np.ones(200), np.random.default_rng(1), n_resamples=20)
        assert got["kappa"] == pytest.approx(cohen_kappa_score(x, y))


def test_error_rows_are_left_out_of_consistency():
    pred = parallel(["eng_Latn", "swh_Latn"], n=10)
    pred.loc[(pred["language"] == "swh_Latn") & (pred["parallel_id"] == "3"), ["error", "score", "prediction"]] = [
        "boom",
        None,
        None,
    ]
    (row,) = consistency(pred, seed=0)
    assert row["n"] == 9


def test_holm_matches_a_hand_checked_case():
    # sorted p: .005 .01 .03 .04 -> x4 x3 x2 x1 = .02 .03 .06 .04 -> running max .02 .03 .06 .06
    reject, adjusted = holm([0.01, 0.04, 0.03, 0.005], alpha=0.05)
    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert reject == [True, False, False, True]
    # x4 x3 x2 x1 = .04 .045 .04 .3 -> running max .04 .045 .045 .3: Holm rejects three,
    # Bonferroni (x4: .04 .06 .08 1) only the first
    reject, adjusted = holm([0.015, 0.3, 0.01, 0.02], alpha=0.05)
    assert adjusted == pytest.approx([0.045, 0.3, 0.04, 0.045])
    assert reject == [True, False, True, True]
    reject, adjusted = holm([0.2, float("nan")])
    assert reject == [False, False] and np.isnan(adjusted[1])


def test_mcnemar_counts_discordant_pairs_and_finds_a_planted_difference():
    rng = np.random.default_rng(1)
    a = (rng.random(400) < 0.80).astype(float)
    b = a.copy()
    b[np.flatnonzero(a == 1)[:40]] = 0  # b loses 40 items a gets right
    res = mcnemar_test(a, b, mid_p=True)
    assert (res.b, res.c) == (40, 0)
    assert res.p_value < 1e-6


def test_null_differences_are_flagged_at_about_the_nominal_rate():
    """Two systems with the same accuracy: McNemar mid-p rejects about 5% of the time, more often
    than the conservative exact test on the same data, never with a larger p-value."""
    rng = np.random.default_rng(2)
    mid, exact = [], []
    for _ in range(600):
        truth = rng.random(200) < 0.7
        a = (truth ^ (rng.random(200) < 0.15)).astype(float)
        b = (truth ^ (rng.random(200) < 0.15)).astype(float)
        mid.append(mcnemar_test(a, b, mid_p=True).p_value)
        exact.append(mcnemar_test(a, b).p_value)
    mid, exact = np.array(mid), np.array(exact)
    assert 0.025 <= (mid < 0.05).mean() <= 0.08
    assert (mid < 0.05).mean() > (exact < 0.05).mean()
    assert (mid <= exact).all() and (mid < exact).any()


def test_permutation_test_on_continuous_scores_null_rate_and_power():
    rng = np.random.default_rng(3)
    rej = 0
    trials = 150
    for i in range(trials):
        base = rng.random(60)
        a = base + rng.normal(0, 0.1, 60)
        b = base + rng.normal(0, 0.1, 60)
        rej += permutation_test(a, b, seed_for(i, "perm"), n_resamples=999).p_value < 0.05
    assert rej / trials <= 0.10
    base = rng.random(60)
    res = permutation_test(base + 0.1 + rng.normal(0, 0.05, 60), base, seed_for(0, "p"), n_resamples=999)
    assert res.p_value < 0.01


def test_language_pairs_flag_the_planted_gap_after_holm():
    rows = []
    for i in range(300):
        rows.append(("t", "zero-shot", "eng_Latn", str(i), "x", "x", 1.0 if i % 10 else 0.0))
        rows.append(("t", "zero-shot", "deu_Latn", str(i), "x", "x", 1.0 if i % 10 else 0.0))
        rows.append(("t", "zero-shot", "yor_Latn", str(i), "x", "x", 1.0 if i % 2 else 0.0))
    res = {(r["language_a"], r["language_b"]): r for r in language_pairs(table(rows), seed=0)}
    assert not res[("deu_Latn", "eng_Latn")]["significant"]
    assert res[("deu_Latn", "eng_Latn")]["p_value"] == 1.0
    assert res[("eng_Latn", "yor_Latn")]["significant"] and res[("deu_Latn", "yor_Latn")]["significant"]
    assert res[("eng_Latn", "yor_Latn")]["family_size"] == 3
    assert res[("eng_Latn", "yor_Latn")]["difference"] == pytest.approx(40.0)


def test_transfer_gap_for_a_protocol_without_source_rows_uses_the_reference_setting():
    rows = []
    for i in range(20):
        rows.append(("t", "in-language", "eng_Latn", str(i), "x", "x", 1.0))
        rows.append(("t", "in-language", "swh_Latn", str(i), "x", "x", 1.0 if i % 2 else 0.0))
        rows.append(("t", "translate-test", "swh_Latn", str(i), "x", "x", 1.0 if i % 4 else 0.0))
    gaps = {(g["setting"], g["language"]): g for g in transfer_gap(table(rows), {"t": "eng_Latn"}, seed=0)}
    assert gaps[("in-language", "swh_Latn")]["gap"] == pytest.approx(50.0)
    tt = gaps[("translate-test", "swh_Latn")]
    assert tt["reference_setting"] == "in-language" and tt["gap"] == pytest.approx(25.0) and tt["paired"]


def tagged(n_tokens, n_right):
    """(prediction, gold, per-sentence score) of a tagged sentence with ``n_right`` of ``n_tokens`` right."""
    return ["NOUN"] * n_right + ["VERB"] * (n_tokens - n_right), ["NOUN"] * n_tokens, n_right / n_tokens


def test_transfer_gap_of_token_accuracy_is_the_difference_of_the_reported_scores():
    # English tags long sentences worse and short ones better than German: its per-sentence mean
    # is higher (60 vs 25) while its token accuracy is lower (27.3 vs 45.5); the gap is negative
    source = [tagged(10, 2), tagged(1, 1)] * 30
    target = [tagged(10, 5), tagged(1, 0)] * 30 + [tagged(4, 4)] * 3  # 3 items English lacks: unpaired
    rows = [
        ("t", "zero-shot", lang, str(i), p, g, sc)
        for lang, items in (("eng_Latn", source), ("deu_Latn", target))
        for i, (p, g, sc) in enumerate(items)
    ]
    frame = table(rows)
    metric = METRICS["token_accuracy"]
    reported = {lang: metric.estimate(g, 0, ("t", "zero-shot", lang)).value for lang, g in frame.groupby("language")}
    assert reported["eng_Latn"] == pytest.approx(100 * 90 / 330) and reported["deu_Latn"] == pytest.approx(
        100 * 162 / 342
    )
    (gap,) = transfer_gap(frame, {"t": "eng_Latn"}, seed=0, metrics={"t": metric})
    assert gap["gap"] == pytest.approx(reported["eng_Latn"] - reported["deu_Latn"])
    assert gap["ci_low"] < gap["gap"] < gap["ci_high"] < 0
    assert gap["paired"] and gap["n"] == 60


def test_language_pairs_of_token_accuracy_compare_the_reported_scores():
    rows = [
        ("t", "zero-shot", lang, str(i), p, g, sc)
        for lang, items in (
            ("eng_Latn", [tagged(10, 2), tagged(1, 1)] * 40),
            ("deu_Latn", [tagged(10, 5), tagged(1, 0)] * 40),
        )
        for i, (p, g, sc) in enumerate(items)
    ]
    (row,) = language_pairs(table(rows), seed=0, metrics={"t": METRICS["token_accuracy"]})
    assert (row["language_a"], row["language_b"]) == ("deu_Latn", "eng_Latn")
    assert row["score_a"] == pytest.approx(100 * 5 / 11) and row["score_b"] == pytest.approx(100 * 3 / 11)
    assert row["difference"] == pytest.approx(100 * 2 / 11) and 0 < row["ci_low"] < row["difference"] < row["ci_high"]
    assert row["significant"] and row["test"] == "paired-permutation"


def test_transfer_gap_of_entity_f1_recomputes_f1_on_each_resample():
    # per sentence: one PER entity; English finds it (F1 1) or mislabels it as ORG and adds a LOC
    # (F1 0), German finds every entity but adds a spurious one in half the sentences (F1 2/3)
    gold = ["B-PER", "I-PER", "O", "O"]
    right, wrong = (["B-PER", "I-PER", "O", "O"], 1.0), (["B-ORG", "I-ORG", "O", "B-LOC"], 0.0)
    extra = (["B-PER", "I-PER", "O", "B-LOC"], 2 / 3)
    rows = []
    for i in range(40):
        p, sc = right if i % 4 else wrong
        rows.append(("t", "zero-shot", "eng_Latn", str(i), p, gold, sc))
        p, sc = extra if i % 2 else right
        rows.append(("t", "zero-shot", "deu_Latn", str(i), p, gold, sc))
    metric = METRICS["entity_f1"]
    frame = table(rows)
    f1 = {lang: metric.estimate(g, 0, ("k",)).value for lang, g in frame.groupby("language")}
    # English: tp 30, predicted 50, gold 40 -> 60/90; German: tp 40, predicted 60, gold 40 -> 80/100
    assert f1["eng_Latn"] == pytest.approx(100 * 60 / 90) and f1["deu_Latn"] == pytest.approx(80.0)
    (gap,) = transfer_gap(frame, {"t": "eng_Latn"}, seed=0, metrics={"t": metric})
    assert gap["gap"] == pytest.approx(f1["eng_Latn"] - 80.0)  # the mean of sentence F1s would say -8.3
    assert gap["ci_low"] < gap["gap"] < gap["ci_high"]


def test_grouped_scores_state_their_weighting_and_weigh_groups_uniformly():
    scores = [
        {"task": "t", "setting": "s", "metric": "accuracy", "language": lang, "value": v}
        for lang, v in [("eng_Latn", 90.0), ("deu_Latn", 80.0), ("fra_Latn", 70.0), ("swh_Latn", 40.0)]
    ]
    rows = {r["group"]: r for r in grouped_scores(scores, "family")}
    assert rows["Indo-European"]["value"] == pytest.approx(80.0)
    assert rows["Atlantic-Congo"]["value"] == pytest.approx(40.0)
    overall = rows["(all, per family)"]
    assert overall["value"] == pytest.approx(60.0) and overall["weighting"].startswith("uniform over family groups")


NUSAX = {
    "eng_Latn": 90.0,
    "ind_Latn": 88.0,
    "jav_Latn": 82.0,
    "ace_Latn": 70.0,
    "ban_Latn": 72.0,
    "bbc_Latn": 60.0,
    "bjn_Latn": 75.0,
    "bug_Latn": 58.0,
    "mad_Latn": 66.0,
    "min_Latn": 71.0,
    "nij_Latn": 62.0,
    "sun_Latn": 74.0,
}


def test_languages_joshi_et_al_do_not_list_are_grouped_by_uriel_and_counted_in_the_headline():
    # NusaX: Joshi et al. list only English (5), Indonesian (3) and Javanese (1); the other nine
    # are low-resource in URIEL+, and Nahuatl (a collective code) is in neither: a group of its own
    scores = [
        {"task": "t", "setting": "s", "metric": "accuracy", "language": lang, "value": v}
        for lang, v in {**NUSAX, "nah_Latn": 10.0}.items()
    ]
    tiers = {r["group"]: r for r in grouped_scores(scores, "tier")}
    silent = sorted(set(NUSAX) - {"eng_Latn", "ind_Latn", "jav_Latn"})
    assert tiers["URIEL+ low-resource"]["languages"] == silent
    assert tiers["URIEL+ low-resource"]["value"] == pytest.approx(np.mean([NUSAX[c] for c in silent]))
    assert tiers["unknown"]["languages"] == ["nah_Latn"]
    headline = tiers["(all, per tier)"]
    assert headline["languages"] == sorted([*NUSAX, "nah_Latn"])
    assert headline["value"] == pytest.approx(np.mean([90.0, 88.0, 82.0, np.mean([NUSAX[c] for c in silent]), 10.0]))
    assert "unknown tier are one group" in headline["weighting"]


def test_each_language_names_the_source_of_its_resource_tier():
    assert (langmeta.info("jav_Latn").resource_group, langmeta.info("jav_Latn").resource_source) == (
        "class 1",
        langmeta.JOSHI,
    )
    ace = langmeta.info("ace_Latn")
    assert (ace.tier, ace.resource_group, ace.resource_source) == ("unknown", "URIEL+ low-resource", langmeta.URIEL)
    assert (langmeta.info("nah_Latn").resource_group, langmeta.info("nah_Latn").resource_source) == ("unknown", None)
    pred = table([("t", "s", lang, "0", "x", "x", 1.0) for lang in ("eng_Latn", "ace_Latn")])
    meta = {m["code"]: m for m in run_analyses(pred, [], {"t": "eng_Latn"}, 0)["languages"]["metadata"]}
    assert (
        meta["ace_Latn"]["resource_source"] == langmeta.URIEL and meta["eng_Latn"]["resource_source"] == langmeta.JOSHI
    )


def test_language_metadata_comes_from_the_packages():
    sw = langmeta.info("swh_Latn")
    assert (sw.family, sw.tier, sw.script_name) == ("Atlantic-Congo", "2", "Latin")
    assert langmeta.info("zho_Hans").family == "Sino-Tibetan"
    assert langmeta.info("eus_Latn").family.startswith("isolate")
    assert langmeta.info("amh_Ethi").script_name == "Ethiopic"
    assert langmeta.tier("fij_Latn") == "unknown"


def test_vectorised_consistency_matches_the_per_pair_computation_and_limits_cis():
    from xling.analysis.consistency import pair_consistency

    rng = np.random.default_rng(4)
    langs = ["eng_Latn", "deu_Latn", "swh_Latn", "yor_Latn"]
    rows = []
    for lang in langs:
        for i in range(50):
            if lang == "yor_Latn" and i < 5:
                continue  # missing items: pairs use only shared ones
            gold = str(i % 3)
            pred = gold if rng.random() < 0.7 else str(rng.integers(0, 3))
            rows.append(("t", "s", lang, str(i), pred, gold, float(pred == gold)))
    pred = table(rows)
    full = {(r["language_a"], r["language_b"]): r for r in consistency(pred, seed=0)}
    p = pred.pivot(index="parallel_id", columns="language", values="prediction")
    s = pred.pivot(index="parallel_id", columns="language", values="score")
    for (la, lb), r in full.items():
        shared = p[[la, lb]].dropna().index
        ref = pair_consistency(
            p.loc[shared, la].tolist(),
            p.loc[shared, lb].tolist(),
            s.loc[shared, la],
            s.loc[shared, lb],
            seed_for(0, "x"),
        )
        for key in ("n", "agreement", "agree_correct", "kappa", "flips"):
            assert r[key] == pytest.approx(ref[key]), (la, lb, key)
    assert full[("deu_Latn", "yor_Latn")]["n"] == 45
    limited = {
        (r["language_a"], r["language_b"]): r
        for r in consistency(pred, seed=0, sources={"t": "eng_Latn"}, max_ci_languages=3)
    }
    assert np.isfinite(limited[("deu_Latn", "eng_Latn")]["agreement_ci_low"])
    assert np.isnan(limited[("deu_Latn", "swh_Latn")]["agreement_ci_low"])
    assert limited[("deu_Latn", "swh_Latn")]["agreement"] == full[("deu_Latn", "swh_Latn")]["agreement"]


def test_mcnemar_exact_and_mid_p_match_a_hand_computed_case():
    # 5 items only a gets right, 1 only b: exact p = 2 * P(X <= 1 | n=6, 1/2) = 2 * 7/64;
    # mid-p subtracts P(X = 1) = 6/64 -> 8/64.
    a = np.array([1, 1, 1, 1, 1, 0, 1, 0], dtype=float)
    b = np.array([0, 0, 0, 0, 0, 1, 1, 0], dtype=float)
    assert mcnemar_test(a, b).p_value == pytest.approx(14 / 64)
    assert mcnemar_test(a, b, mid_p=True).p_value == pytest.approx(8 / 64)
    res = paired_test(a, b, seed_for(0, "p"))  # what language pairs and compare use: mid-p
    assert (res.test, res.p_value) == ("mcnemar-mid-p", pytest.approx(8 / 64))


@pytest.mark.parametrize("k", [1, 3, 10])
def test_mcnemar_mid_p_of_an_even_split_is_one(k):
    # b = c = k: the uncapped exact p is 2 P(X <= k) = 1 + P(X = k); mid-p subtracts P(X = k) -> 1
    # (k = 3: exact 84/64, capped to 1; mid-p 84/64 - 20/64 = 1, not 1 - 20/64)
    a = np.array([1] * k + [0] * k + [1, 0], dtype=float)
    b = np.array([0] * k + [1] * k + [1, 0], dtype=float)
    res = mcnemar_test(a, b, mid_p=True)
    assert (res.b, res.c) == (k, k)
    assert res.p_value == pytest.approx(1.0)


def test_kappa_bootstrap_of_many_distinct_predictions_matches_sklearn_per_replicate():
    # retrieval-like: thousands of distinct predicted ids, some seen on one side only; and more
    # items than float32 counts hold exactly (n * n > 2**24)
    rng = np.random.default_rng(3)
    for n in (300, 4200):
        a = rng.permutation(n)
        b = np.where(rng.random(n) < 0.8, a, rng.integers(n, 3 * n, n))
        idx = rng.integers(0, n, size=(5, n))
        reps = _kappa_weighted(a, b, _resample_weights(idx))
        for r in range(5):
            assert reps[r] == pytest.approx(cohen_kappa_score(a[idx[r]], b[idx[r]]), abs=1e-12)


def test_transfer_gap_over_partly_shared_items_is_the_difference_of_the_reported_scores():
    # English has 6 items (4 right: 66.7), Swahili 4 of them, all right (100.0): on the shared
    # items alone English reads 75.0 and the gap -25.0 instead of the -33.3 between the scores shown
    eng = [1.0, 0.0, 1.0, 1.0, 1.0, 0.0]
    pred = table(
        [("t", "zero-shot", "eng_Latn", str(i), "a", "a" if sc else "b", sc) for i, sc in enumerate(eng)]
        + [("t", "zero-shot", "swh_Latn", str(i), "a", "a", 1.0) for i in range(4)]
    )
    (gap,) = transfer_gap(pred, {"t": "eng_Latn"}, seed=0, metrics={"t": METRICS["accuracy"]})
    assert gap["gap"] == pytest.approx(100 * 4 / 6 - 100) and gap["paired"] and gap["n"] == 4
    assert gap["ci_low"] <= gap["gap"] <= gap["ci_high"] and gap["ci_low"] < gap["ci_high"]


def test_consistency_of_many_items_draws_its_replicates_in_batches(monkeypatch):
    """A pair with more items than one batch of replicates holds gets its replicates batch by batch,
    the very ones a single draw gives: the same statistics to the bit, on every pass."""
    import importlib

    from xling.scoring import stats

    cons = importlib.import_module("xling.analysis.consistency")  # the package's `consistency` is the function

    rng = np.random.default_rng(5)
    x = rng.integers(0, 3, 3000)
    y = np.where(rng.random(3000) < 0.8, x, rng.integers(0, 3, 3000))
    right_x, right_y = (x == 0).astype(float), (y == 0).astype(float)

    def run():
        return pair_consistency(list(x), list(y), right_x, right_y, np.random.default_rng(1), n_resamples=400)

    whole = run()
    monkeypatch.setattr(stats, "MAX_DRAWS", 3000 * 64)
    replicates = cons._weights(3000, 400, lambda: np.random.default_rng(1))
    assert isinstance(replicates, cons.Replicates)
    shapes = [w.shape for w in replicates]
    assert shapes == [(3000, 64)] * 6 + [(3000, 16)]
    assert [w.sum() for w in replicates] == [w.sum() for w in replicates] == [3000 * s[1] for s in shapes]
    batched = run()
    assert batched == whole
    assert batched == run()
