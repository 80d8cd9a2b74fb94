"""The embedder benchmarks (MASSIVE, MasakhaNEWS, NusaX-senti, AmericasNLI, MIRACL) and MultiBLiMP:
metadata, fixtures written here in each release's own file layout and in the Hub's, and end-to-end
runs with a trigram test embedder or a scripted log-likelihood model. No row is copied from a
release."""

from __future__ import annotations

import json
import re

import pytest

from helpers import flaky_embedder, scripted_lm
from xling.errors import DataError
from xling.run.runner import evaluate
from xling.tasks import get_task

NAMES = ("massive", "masakhanews", "nusax_senti", "americasnli", "miracl", "multiblimp")


def test_metadata_sources_and_language_counts():
    counts = {"massive": 51, "masakhanews": 16, "nusax_senti": 12, "americasnli": 10, "miracl": 18}
    for name in NAMES:
        s = get_task(name).spec
        assert s.licence and s.citation and s.homepage and s.creation, name
        assert s.hub is not None and s.hub.note, name
        assert all(re.fullmatch(r"[a-z]{3}_[A-Z][a-z]{3}", lang) for lang in s.languages), name
        if name in counts:
            assert len(s.languages) == counts[name], name
    assert get_task("massive").spec.parallel_key == "id"
    assert get_task("nusax_senti").spec.parallel_key == "id"
    assert get_task("miracl").spec.local is None  # the official release needs a join: Hub only
    assert len(get_task("multiblimp").languages) >= 80


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def jsonl(rows):
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def massive_rows(locale, utts):
    """MASSIVE 1.1 records: every split in one file per locale (``partition``)."""
    return [
        {"id": str(i), "locale": locale, "partition": part, "scenario": "s", "intent": intent, "utt": utt}
        for i, (part, intent, utt) in enumerate(utts)
    ]


ENGLISH = [
    ("train", "alarm_set", "wake me up at seven"),
    ("train", "alarm_set", "set an alarm for seven"),
    ("train", "weather_query", "is it raining today"),
    ("train", "weather_query", "what is the weather today"),
    ("dev", "alarm_set", "alarm at six please"),
    ("test", "alarm_set", "wake me at six"),
    ("test", "weather_query", "will it rain tomorrow"),
]


def test_massive_local_release_layout_splits_by_partition_and_runs(tmp_path, monkeypatch):
    data = tmp_path / "data"
    write(data / "massive/1.1/data/en-US.jsonl", jsonl(massive_rows("en-US", ENGLISH)))
    sw = [
        ("train", "alarm_set", "niamshe saa moja"),
        ("test", "alarm_set", "wake me at six saa"),
        ("test", "weather_query", "will it rain kesho"),
        ("dev", "weather_query", "mvua leo"),
    ]
    write(data / "massive/1.1/data/sw-KE.jsonl", jsonl(massive_rows("sw-KE", sw)))
    task = get_task("massive", data)
    items = task.items("swh_Latn", "test")
    assert [(it.item_id, it.fields["text"], it.gold) for it in items] == [
        ("1", "wake me at six saa", "alarm_set"),
        ("2", "will it rain kesho", "weather_query"),
    ]
    assert [it.item_id for it in task.items("swh_Latn", "dev")] == ["3"]
    assert items[0].parallel_id == "1"
    flaky_embedder.register(monkeypatch)
    monkeypatch.setenv("XLING_CACHE_DIR", str(tmp_path / "cache"))
    res = evaluate("flaky", ["massive"], ["swh_Latn"], data_dir=data, output=tmp_path / "run")
    got = {(s["language"], s["n"]) for s in res.data["scores"]}
    assert got == {("eng_Latn", 2), ("swh_Latn", 2)}
    # trigram overlap with the English training sentences decides both Swahili items correctly
    assert {s["language"]: s["value"] for s in res.data["scores"]}["swh_Latn"] == 100.0


@pytest.fixture
def hub(mirror):
    from helpers.hub import hub_repo

    def make(repo, config, split, rows, features=None):
        from datasets import Features, Value

        feats = features or Features({k: Value("string") for k in rows})
        hub_repo(mirror, repo, config, split, rows, feats)

    return make


def test_massive_and_masakhanews_from_the_hub_layout(hub):
    hub(
        "mteb/amazon_massive_intent",
        "zh-TW",
        "test",
        {"id": ["7"], "label": ["alarm_set"], "label_text": ["alarm_set"], "text": ["七點叫我起床"]},
    )
    [it] = get_task("massive").items("zho_Hant", "test")
    assert (it.item_id, it.parallel_id, it.fields, it.gold) == ("7", "7", {"text": "七點叫我起床"}, "alarm_set")
    hub(
        "mteb/masakhanews",
        "orm",
        "test",
        {"category": ["sports"], "headline": ["Mataa"], "text": ["Gareen kubbaa miilaa injifatte."], "url": ["u"]},
    )
    [it] = get_task("masakhanews").items("gaz_Latn", "test")
    assert it.fields == {"text": "Gareen kubbaa miilaa injifatte."} and it.gold == "sports"


def test_masakhanews_local_layout(tmp_path):
    write(
        tmp_path / "masakhane-news/data/yor/test.tsv",
        "category\theadline\ttext\turl\nhealth\tÌlera\tÀwọn dókítà sọ̀rọ̀.\thttps://example.org/1\n",
    )
    [it] = get_task("masakhanews", tmp_path).items("yor_Latn", "test")
    assert it.fields == {"text": "Àwọn dókítà sọ̀rọ̀."} and it.gold == "health"


def test_nusax_local_csv_and_hub_integer_labels(tmp_path, hub):
    write(
        tmp_path / "nusax/datasets/sentiment/javanese/test.csv",
        'id,text,label\n11,"Panganane enak, regane murah",positive\n12,Ora apik,negative\n',
    )
    items = get_task("nusax_senti", tmp_path).items("jav_Latn", "test")
    assert [(it.parallel_id, it.fields["text"], it.gold) for it in items] == [
        ("11", "Panganane enak, regane murah", "positive"),
        ("12", "Ora apik", "negative"),
    ]
    write(tmp_path / "nusax/datasets/sentiment/javanese/train.csv", "id,text,label\n1,Apik,great\n")
    with pytest.raises(DataError, match="unknown label 'great'"):
        get_task("nusax_senti", tmp_path).items("jav_Latn", "train")
    from datasets import Features, Value

    hub("mteb/NusaX-senti", "bbc", "test", {"text": ["Denggan", "Ndang"], "label": [2, 0]},
        Features({"text": Value("string"), "label": Value("int64")}))  # fmt: skip
    items = get_task("nusax_senti").items("bbc_Latn", "test")
    assert [it.gold for it in items] == ["positive", "negative"]
    assert items[0].parallel_id.startswith("bbc_Latn")  # the Hub copy keeps no id: not linked across languages


AMERICAS = (
    "language\tpremise\thypothesis\tlabel\n"
    "quy\tWasiyqa hatunmi.\tWasiqa huch'uymi.\tcontradiction\n"
    "aym\tUtaxa jach'awa.\tUtaxa jisk'awa.\tcontradiction\n"
    "quy\tAllqu puñun.\tAllqu kachkan.\tentailment\n"
)


def test_americasnli_one_file_for_all_languages_is_filtered(tmp_path, hub, monkeypatch):
    write(tmp_path / "AmericasNLI/test.tsv", AMERICAS)
    items = get_task("americasnli", tmp_path).items("quy_Latn", "test")
    assert [(it.fields["text1"], it.gold) for it in items] == [
        ("Wasiyqa hatunmi.", "contradiction"),
        ("Allqu puñun.", "entailment"),
    ]
    [aym] = get_task("americasnli", tmp_path).items("aym_Latn", "test")
    assert aym.fields["text2"] == "Utaxa jisk'awa."
    dev = "".join(
        f"{lang}\t{p}\t{h}\t{label}\n"
        for lang in ("quy", "aym")
        for p, h, label in [
            ("Wasiyqa hatunmi.", "Wasiqa huch'uymi.", "contradiction"),
            ("Allqu puñun.", "Allqu kachkan.", "entailment"),
        ]
    )
    write(tmp_path / "AmericasNLI/dev.tsv", "language\tpremise\thypothesis\tlabel\n" + dev)
    flaky_embedder.register(monkeypatch)
    monkeypatch.setenv("XLING_CACHE_DIR", str(tmp_path / "cache"))
    res = evaluate("flaky", ["americasnli"], ["aym_Latn"], data_dir=tmp_path, output=tmp_path / "run")
    units = {(s["setting"], s["language"], s["n"]) for s in res.data["scores"]}
    # zero-shot: a head on Quechua's dev split; in-language: each language's own dev split
    assert units == {("zero-shot", "quy_Latn", 2), ("zero-shot", "aym_Latn", 1), ("in-language", "quy_Latn", 2),
                     ("in-language", "aym_Latn", 1)}  # fmt: skip
    from datasets import ClassLabel, Features, Value

    hub(
        "nala-cub/americas_nli",
        "gn",
        "validation",
        {"premise": ["Ko óga tuicha."], "hypothesis": ["Ko óga michĩ."], "label": [2]},
        Features(
            {
                "premise": Value("string"),
                "hypothesis": Value("string"),
                "label": ClassLabel(names=["entailment", "neutral", "contradiction"]),
            }
        ),
    )
    [it] = get_task("americasnli").items("gug_Latn", "dev")
    assert it.gold == "contradiction"


def test_miracl_from_the_hub_layout_ranks_each_query_s_relevant_passage(hub, tmp_path, monkeypatch):
    from datasets import Features, Sequence, Value

    texts = Sequence(Value("string"))
    hub(
        "miracl/mmteb-miracl-reranking",
        "sw",
        "dev",
        {
            "query": ["Mji mkuu wa Kenya ni upi?", "Mlima mrefu zaidi Afrika ni upi?"],
            "positive": [
                ["Nairobi ni mji mkuu wa Kenya.", "Nairobi iko Kenya."],
                ["Kilimanjaro ni mlima mrefu zaidi Afrika."],
            ],
            "negative": [["Dodoma ni mji."], ["Mto Nile ni mrefu."]],
            "candidates": [["Nairobi ni mji mkuu wa Kenya.", "Dodoma ni mji."], ["Mto Nile ni mrefu."]],
        },
        Features({"query": Value("string"), "positive": texts, "negative": texts, "candidates": texts}),
    )  # fmt: skip
    hub(
        "miracl/mmteb-miracl-reranking",
        "en",
        "dev",
        {"query": ["Capital of Kenya?"], "positive": [["Nairobi is the capital of Kenya."]], "negative": [[]],
         "candidates": [[]]},
        Features({"query": Value("string"), "positive": texts, "negative": texts, "candidates": texts}),
    )  # fmt: skip
    task = get_task("miracl")
    items = task.items("swh_Latn", "dev")
    assert [it.fields["passage"] for it in items] == [
        "Nairobi ni mji mkuu wa Kenya.",
        "Kilimanjaro ni mlima mrefu zaidi Afrika.",
    ]
    flaky_embedder.register(monkeypatch)
    monkeypatch.setenv("XLING_CACHE_DIR", str(tmp_path / "cache"))
    res = evaluate("flaky", ["miracl"], ["swh_Latn"], output=tmp_path / "run")
    scores = {(s["language"], s["metric"]): s["value"] for s in res.data["scores"]}
    assert scores[("swh_Latn", "ndcg@10")] == 100.0 and scores[("swh_Latn", "mrr@10")] == 100.0


MINIMAL_PAIRS = (
    "sen\tverb\twrong_sen\tphenomenon\n"
    "Hunden springer.\tspringer\tHunden springerna.\tSV-#\n"  # the grammatical one is shorter
    "Barnen leker ute.\tleker\tBarnen lekerx ute.\tSV-#\n"
    "Vi är glada idag.\tär\tVi är glad.\tSP-#\n"  # here the ungrammatical one is shorter
)


def test_multiblimp_pairs_are_two_choices_with_the_grammatical_first(tmp_path, monkeypatch):
    write(tmp_path / "multiblimp/swe/data.tsv", MINIMAL_PAIRS)
    write(tmp_path / "multiblimp/eng/data.tsv", "sen\twrong_sen\nThey run.\tThey runs.\n")
    task = get_task("multiblimp", tmp_path)
    items = task.items("swe_Latn", "test")
    assert [it.gold for it in items] == [0, 0, 0]
    assert items[0].fields == {"choices": ["Hunden springer.", "Hunden springerna."]}
    write(tmp_path / "bad/multiblimp/swe/data.tsv", "sen\twrong_sen\nSamma.\tSamma.\n")
    with pytest.raises(DataError, match="more than once among the option labels"):
        get_task("multiblimp", tmp_path / "bad").items("swe_Latn", "test")
    lm = scripted_lm.register_both(monkeypatch)
    lm.loglik_script = staticmethod(lambda context, continuation: -float(len(continuation)))  # shorter wins
    monkeypatch.setenv("XLING_CACHE_DIR", str(tmp_path / "cache"))
    res = evaluate("scripted-loglik", ["multiblimp"], ["swe_Latn"], data_dir=tmp_path, output=tmp_path / "run")
    [score] = [s for s in res.data["scores"] if s["language"] == "swe_Latn" and s["metric"] == "accuracy"]
    assert score["n"] == 3 and score["value"] == pytest.approx(200 / 3)
    # no context: each choice is scored as a whole sentence
    assert {c for c, _ in lm.loglik_seen} == {""}


def test_multiblimp_from_the_hub_layout_one_tsv_per_language(mirror):
    """The pinned Hub repo: one config a language over <lang>/data.tsv, its single split train read
    as xling's test split."""
    from helpers.hub import hub_tsv

    rows = [{"sen": "Hunden springer.", "verb": "springer", "wrong_sen": "Hunden springerna.", "phenomenon": "SV-#"}]
    hub_tsv(mirror, "jumelet/multiblimp", "swe", "train", "swe/data.tsv", rows)
    task = get_task("multiblimp")
    assert task.uses_hub() and task.spec.hub.revision
    [it] = task.items("swe_Latn", "test")
    assert it.fields == {"choices": ["Hunden springer.", "Hunden springerna."]} and it.gold == 0
