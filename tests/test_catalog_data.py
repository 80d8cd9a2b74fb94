"""Every catalog task on the real releases in ../shared/data (skipped when absent): the item counts
the releases publish, parallel ids, label sets, scripts of the text."""

from __future__ import annotations

import collections
import unicodedata

import pytest

from xling.errors import DataError, UserError
from xling.tasks import ReadPolicy, get_task, list_tasks

SKIP_BAD_ROWS = ReadPolicy(skip_bad_rows=True)

pytestmark = pytest.mark.data


def task(name, shared_data):
    return get_task(name, shared_data)


# (task, split, {language: published count}); None = every language of the task.
COUNTS = [
    ("sib200", "test", None, 204),
    ("sib200", "train", {"eng_Latn": 701, "swh_Latn": 701, "zho_Hans": 701, "nqo_Nkoo": 701}, None),
    ("sib200", "dev", {"eng_Latn": 99, "yor_Latn": 99, "amh_Ethi": 99}, None),
    (
        "flores-retrieval",
        "train+dev+test",
        {"eng_Latn": 1004, "tzm_Tfng": 1004, "zho_Hant": 1004, "nqo_Nkoo": 1004},
        None,
    ),
    (
        "tatoeba",
        "test",
        {
            "deu_Latn": 1000,
            "swh_Latn": 390,
            "amh_Ethi": 168,
            "tzl_Latn": 104,
            "ang_Latn": 134,
            "kzj_Latn": 1000,
            "dtp_Latn": 1000,
            "zho_Hans": 1000,
        },
        None,
    ),
    ("xnli", "dev", None, 2490),
    ("pawsx", "dev", None, 2000),
    ("xcopa", "test", None, 500),
    ("xcopa", "val", None, 100),
    ("xcopa", "train", {"eng_Latn": 400}, None),
    ("xcopa", "val", {"eng_Latn": 100}, None),
    ("xquad", "test", None, 1190),
    (
        "mlqa",
        "dev",
        {
            "arb_Arab": 517,
            "deu_Latn": 512,
            "eng_Latn": 1148,
            "spa_Latn": 500,
            "hin_Deva": 507,
            "vie_Latn": 511,
            "zho_Hans": 504,
        },
        None,
    ),
    (
        "tydiqa_goldp",
        "dev",
        {
            "arb_Arab": 921,
            "ben_Beng": 113,
            "eng_Latn": 440,
            "fin_Latn": 782,
            "ind_Latn": 565,
            "kor_Hang": 276,
            "rus_Cyrl": 812,
            "swh_Latn": 499,
            "tel_Telu": 669,
        },
        None,
    ),
    ("tydiqa_goldp", "train", {"eng_Latn": 3696}, None),
    ("mgsm", "test", None, 250),
    (
        "wikiann",
        "dev",
        {"eng_Latn": 10000, "deu_Latn": 10000, "swh_Latn": 1000, "yor_Latn": 100, "quy_Latn": 100},
        None,
    ),
    ("wikiann", "train", {"eng_Latn": 20000}, None),
    ("udpos", "dev", {"eng_Latn": 3974, "deu_Latn": 19233, "mar_Deva": 46, "tam_Taml": 80, "tel_Telu": 131}, None),
    ("udpos", "train", {"eng_Latn": 21253}, None),
    ("ud_pud", "test", None, 1000),
    ("stsb_multi_mt", "test", None, 1379),
    ("stsb_multi_mt", "dev", None, 1500),
    ("stsb_multi_mt", "train", {"eng_Latn": 5749}, None),
    ("belebele", "test", {"eng_Latn": 900, "deu_Latn": 900}, None),
]


@pytest.mark.parametrize("name,split,expected,every", COUNTS, ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(COUNTS)])
def test_published_counts(shared_data, name, split, expected, every):
    t = task(name, shared_data)
    expected = expected or {lang: every for lang in t.languages}
    got = {lang: t.count(lang, split) for lang in expected}
    assert got == expected


def test_mlqa_gxlt_covers_all_49_pairs(shared_data):
    t = task("mlqa-gxlt", shared_data)
    assert len(t.variants()) == 7
    assert sum(t.count(lang, "dev") for lang in t.languages) == 15747  # MLQA dev, all 49 pairs
    items = t.items("deu_Latn", "dev", variant="question=eng_Latn")
    assert len(items) == 512 and all(it.fields["question_language"] == "eng_Latn" for it in items)


# Catalog tasks with a local layout whose release is not in ../shared/data (no summarization data is, nor MKQA).
NOT_IN_SHARED_DATA = {
    "xlsum",
    "mkqa",
    "mkqa_zh_hk",
    # knowledge and exam benchmarks other than m_arc: tested on fixtures (test_catalog_knowledge.py)
    "global_mmlu",
    "global_mmlu_lite",
    "include",
    "mmlu_prox",
    "mmlu_prox_lite",
    "mmmlu",
    "exams",
    "exams_crosslingual",
    "m_hellaswag",
    "m_mmlu",
    # embedder benchmarks: tested on fixtures (test_catalog_embedders.py)
    "massive",
    "masakhanews",
    "nusax_senti",
    "americasnli",
    "multiblimp",
    # commonsense and reading: tested on fixtures (test_catalog_commonsense.py)
    "xstorycloze",
    "xwinograd",
    "tydiqa",
}


def local_tasks(shared_data):
    """The catalog tasks read from ../shared/data (not the Hub-only ones, nor those it lacks)."""
    return [t for t in list_tasks(shared_data) if t.spec.local is not None and t.name not in NOT_IN_SHARED_DATA]


def test_items_build_for_every_task_language_split(shared_data):
    """Items (not just records) build without a single bad row, except TyDiQA's stripped dev gold."""
    for t in local_tasks(shared_data):
        if t.name.startswith("demo") or t.name == "tydiqa_goldp":
            continue
        for lang in t.languages[:3] + [t.spec.source_language]:
            for split in t.splits_of(lang) if lang in t.languages or t.spec.local.files.get(lang) else []:
                assert t.items(lang, split, limit=300), (t.name, lang, split)


def test_tydiqa_local_dev_gold_is_stripped_and_says_so(shared_data):
    t = task("tydiqa_goldp", shared_data)
    with pytest.raises(DataError) as e:
        t.items("swh_Latn", "dev", limit=1)
    assert "tydiqa.goldp.sw.dev.json" in str(e.value) and "empty gold" in str(e.value)
    t = get_task("tydiqa_goldp", shared_data, SKIP_BAD_ROWS)
    assert t.items("swh_Latn", "dev") == []
    assert next(iter(t.skipped.files.values()))["count"] == 499  # every row counted, none dropped silently
    train = get_task("tydiqa_goldp", shared_data).items("eng_Latn", "train")
    assert len(train) == 3696 and len({it.item_id for it in train}) == 3696


def _by_pid(items):
    return {it.parallel_id: it for it in items}


def test_xnli_line_i_is_the_same_item_in_all_15_languages(shared_data):
    t = task("xnli", shared_data)
    per = {lang: t.items(lang, "dev") for lang in t.languages}
    ref = [(it.parallel_id, it.gold) for it in per["eng_Latn"]]
    assert len({pid for pid, _ in ref}) == 2490
    for lang, items in per.items():
        assert [(it.parallel_id, it.gold) for it in items] == ref, lang  # same ids, same labels, same order


def test_flores_retrieval_is_all_1004_sentences_parallel_by_index_id(shared_data):
    """train+dev+test: the same 1,004 FLORES sentences (by index_id, in the same order, each in its
    SIB-200 split) in every one of the 205 languages, with the very texts sib200 reads."""
    t = task("flores-retrieval", shared_data)
    assert t.spec.eval_split == "train+dev+test"
    eng = t.items("eng_Latn", t.spec.eval_split)
    ref = [(it.split, it.parallel_id) for it in eng]
    assert len({pid for _, pid in ref}) == 1004 and all(it.item_id == it.parallel_id for it in eng)
    assert collections.Counter(split for split, _ in ref) == {"train": 701, "dev": 99, "test": 204}
    for lang in t.languages:
        assert [(it.split, it.parallel_id) for it in t.iter_items(lang, t.spec.eval_split)] == ref, lang
    sib = task("sib200", shared_data)
    for lang in ("eng_Latn", "zho_Hans"):
        texts = {(it.split, it.parallel_id): it.fields["text"] for it in t.items(lang, t.spec.eval_split)}
        assert texts == {
            (it.split, it.parallel_id): it.fields["text"]
            for split in ("train", "dev", "test")
            for it in sib.items(lang, split)
        }


def test_sib200_parallel_by_index_id(shared_data):
    t = task("sib200", shared_data)
    eng = _by_pid(t.items("eng_Latn", "test"))
    for lang in ["swh_Latn", "zho_Hans", "nqo_Nkoo", "yor_Latn", "arb_Arab"]:
        other = _by_pid(t.items(lang, "test"))
        assert other.keys() == eng.keys()
        assert all(other[k].gold == eng[k].gold for k in eng)  # the topic travels with the sentence


def test_xquad_parallel_by_question_id(shared_data):
    t = task("xquad", shared_data)
    eng = t.items("eng_Latn", "test")
    for lang in t.languages:
        items = t.items(lang, "test")
        assert [it.parallel_id for it in items] == [it.parallel_id for it in eng], lang
        assert all(it.gold and all(a.strip() for a in it.gold) for it in items)


def test_parallel_gold_agrees_across_languages(shared_data):
    # STS scores, MGSM answers, PUD sentence ids, Belebele answers, XCOPA val vs English COPA val.
    for name, split, langs in [
        ("stsb_multi_mt", "test", None),
        ("mgsm", "test", None),
        ("ud_pud", "test", None),
        ("belebele", "test", ["eng_Latn", "deu_Latn"]),
        ("pawsx", "dev", None),
    ]:
        t = task(name, shared_data)
        langs = langs or t.languages
        ref = _by_pid(t.items(langs[0], split))
        for lang in langs[1:]:
            other = _by_pid(t.items(lang, split))
            assert other.keys() == ref.keys(), (name, lang)
            same = sum(other[k].gold == ref[k].gold for k in ref) / len(ref)
            if name == "pawsx":
                # PAWS-X labels were re-checked after translation: ~1-2% of pairs differ from English.
                assert same > 0.97, (name, lang, same)
            elif name != "ud_pud":  # tag sequences differ by language; the sentence ids must not
                assert same == 1.0, (name, lang, same)
    t = task("xcopa", shared_data)
    eng = _by_pid(t.items("eng_Latn", "val"))
    for lang in t.languages:
        other = _by_pid(t.items(lang, "val"))
        assert other.keys() == eng.keys() and all(other[k].gold == eng[k].gold for k in eng), lang


def test_kinds_fields_follow_the_shared_vocabulary(shared_data):
    want = {
        "classification": {"text"},
        "pair_classification": {"text1", "text2"},
        "multiple_choice": {"choices"},
        "extractive_qa": {"context", "question"},
        "math": {"question"},
        "generative_qa": {"question"},
        "sequence_labelling": {"tokens"},
        "bitext_retrieval": {"text"},
        "sts": {"text1", "text2"},
        "many_to_many_retrieval": {"text"},
        "translation": {"text"},
        "open_ended": {"turns", "category"},
        "judge_validity": {"instruction", "response", "reference", "rubric"},
    }
    for t in local_tasks(shared_data):
        lang = t.languages[0] if t.name != "belebele" else "eng_Latn"
        split = t.spec.eval_split
        if t.name == "tydiqa_goldp":
            t = get_task(t.name, shared_data, SKIP_BAD_ROWS)
        items = t.items(lang, split, limit=5) or get_task(t.name, shared_data).items("eng_Latn", "train", limit=5)
        it = items[0]
        assert want[t.spec.kind] <= set(it.fields), t.name
        if t.spec.kind == "multiple_choice":
            assert isinstance(it.gold, int) and 0 <= it.gold < len(it.fields["choices"])
        if t.spec.kind in ("extractive_qa", "sequence_labelling"):
            assert isinstance(it.gold, list)
        if t.spec.kind == "sts":
            assert isinstance(it.gold, float)
        if t.spec.kind == "math":
            assert isinstance(it.gold, str) and float(it.gold.replace(",", "")) == float(it.gold.replace(",", ""))


_SCRIPT = {
    "LATIN": "Latn",
    "CYRILLIC": "Cyrl",
    "ARABIC": "Arab",
    "GREEK": "Grek",
    "HEBREW": "Hebr",
    "DEVANAGARI": "Deva",
    "BENGALI": "Beng",
    "TAMIL": "Taml",
    "TELUGU": "Telu",
    "THAI": "Thai",
    "HANGUL": "Hang",
    "HIRAGANA": "Jpan",
    "KATAKANA": "Jpan",
    "CJK": "Hani",
    "ETHIOPIC": "Ethi",
    "GEORGIAN": "Geor",
    "ARMENIAN": "Armn",
    "MALAYALAM": "Mlym",
    "KHMER": "Khmr",
    "TIFINAGH": "Tfng",
    "GUJARATI": "Gujr",
    "GURMUKHI": "Guru",
    "MYANMAR": "Mymr",
    "KANNADA": "Knda",
    "ORIYA": "Orya",
    "SINHALA": "Sinh",
    "TIBETAN": "Tibt",
    "LAO": "Laoo",
    "NKO": "Nkoo",
    "OL": "Olck",
}
_MIXED = {("tatoeba", "srp_Latn"), ("tatoeba", "lfn_Latn"), ("tatoeba", "uzn_Latn")}


def _script(texts) -> str:
    c = collections.Counter()
    for text in texts:
        for ch in text:
            if ch.isalpha():
                c[_SCRIPT.get(unicodedata.name(ch, "?").split()[0], "other")] += 1
    return c.most_common(1)[0][0]


def test_declared_scripts_match_the_text(shared_data):
    """The canonical code's script is the script the text is written in (catches mapping slips)."""
    for t in local_tasks(shared_data):
        if t.name.startswith("demo"):
            continue
        for lang in t.languages:
            if (t.name, lang) in _MIXED:
                continue
            try:
                items = t.items(lang, t.spec.eval_split, limit=30)
            except UserError:
                continue  # no local file for this language (Belebele, PAN-X th)
            texts = []
            for it in items:
                for k, v in it.fields.items():
                    if k != "pivot_text" and not k.endswith("_language"):  # the English side / a code
                        texts += v if isinstance(v, list) else [v]
            got = _script(texts)
            declared = lang.split("_")[1]
            ok = (
                got == declared
                or (declared in ("Hans", "Hant", "Jpan") and got in ("Hani", "Jpan"))
                or (declared == "Kore" and got == "Hang")
            )
            assert ok, f"{t.name} {lang}: text is mostly {got}"


def test_variant_files_and_fingerprints(shared_data):
    t = task("mlqa-gxlt", shared_data)
    files = t.files_for("deu_Latn", "dev")
    assert len(files) == 7 and all("dev-context-de-question-" in f.name for f in files)
    assert t.files_for("deu_Latn", "dev", "question=zho_Hans")[0].name == "dev-context-de-question-zh.json"


@pytest.mark.slow
def test_every_row_of_every_release_file_is_well_formed(shared_data):
    """All languages and splits, every row through the mapping (labels, empty text, column counts):
    nothing is skipped except TyDiQA-GoldP's stripped dev gold."""
    for t in list_tasks(shared_data, SKIP_BAD_ROWS):
        if t.name.startswith("demo") or t.name == "flores-retrieval":  # the same files as sib200
            continue
        langs = dict.fromkeys(t.languages + [t.spec.source_language])
        for lang in langs:
            # the train split is read for the source language only (as the kinds do)
            train = t.spec.train_split if lang == t.spec.source_language else None
            for split in dict.fromkeys(s for s in (t.spec.eval_split, train) if s):
                try:
                    t.files_for(lang, split)
                except UserError:
                    continue
                for _ in t.iter_items(lang, split):
                    pass
        skipped = {p: e["count"] for p, e in t.skipped.files.items()}
        if t.name == "tydiqa_goldp":
            assert sum(skipped.values()) == 5077 and all(".dev.json" in p for p in skipped)
        else:
            assert skipped == {}, (t.name, [e["examples"][:2] for e in t.skipped.files.values()])


def test_default_languages_are_those_with_data_and_the_rest_is_said(shared_data, tmp_path):
    import shutil

    from helpers.cli import ROOT
    from xling.run.runner import task_languages
    from xling.tasks import load_task_file

    bele = task("belebele", shared_data)
    assert bele.available_languages() == ["deu_Latn", "eng_Latn"]
    with pytest.raises(UserError, match="no language has a 'test' file"):
        get_task("belebele", tmp_path).available_languages()
    ex = tmp_path / "ex"
    shutil.copytree(ROOT / "examples" / "kitchen-intents", ex)
    shutil.rmtree(ex / "data" / "deu_Latn")
    languages = task_languages([load_task_file(ex / "task.yaml"), task("sib200", shared_data)], None)
    assert languages["kitchen-intents"] == ["eng_Latn", "spa_Latn", "fra_Latn"]
    assert len(languages["sib200"]) == 205
