"""The commonsense and reading catalog tasks (XStoryCloze, XWinograd, Global PIQA, IrokoBench's
AfriXNLI/AfriMMLU/AfriMGSM, IndicXNLI, Belebele's 122 Hub configs): each read from fixtures the
tests write in the Hub layout (README configs + Parquet, through $XLING_HUB_MIRROR) and, where the
release has files of its own, in the release's local layout; then run end to end with a scripted
model. Also the generic pieces they needed: Winograd-style partial scoring (``format: partial``),
option-letter gold (``type: letter``) and lists written as text (``text_lists``)."""

from __future__ import annotations

import json

import pytest

datasets = pytest.importorskip("datasets")
from datasets import ClassLabel, Features, Value  # noqa: E402

from helpers import scripted_lm  # noqa: E402
from test_catalog_hub import hub_repo  # noqa: E402
from xling.errors import DataError  # noqa: E402
from xling.kinds.llm.loglik import partial_requests, request_pairs  # noqa: E402
from xling.run.runner import evaluate  # noqa: E402
from xling.tasks import get_task, load_task_file  # noqa: E402
from xling.types import Item  # noqa: E402

STRING = Value("string")
NLI = ClassLabel(names=["entailment", "neutral", "contradiction"])

STORY_COLUMNS = ["story_id", *(f"input_sentence_{i}" for i in range(1, 5)), "sentence_quiz1", "sentence_quiz2"]


def story_rows(n_right: list[int], config: str) -> dict:
    rows = {c: [f"{c} {config}{i}." for i in range(len(n_right))] for c in STORY_COLUMNS}
    rows["story_id"] = [f"s{i}" for i in range(len(n_right))]
    rows["answer_right_ending"] = n_right
    return rows


def write_story_hub(mirror, config="sw", answers=(2, 1)):
    hub_repo(
        mirror,
        "juletxara/xstory_cloze",
        config,
        "eval",
        story_rows(list(answers), config),
        Features({**{c: STRING for c in STORY_COLUMNS}, "answer_right_ending": Value("int32")}),
    )


def test_xstorycloze_from_the_hub_joins_the_four_sentences(mirror):
    write_story_hub(mirror)
    items = get_task("xstorycloze").items("swh_Latn", "eval")
    assert [(it.item_id, it.parallel_id, it.gold) for it in items] == [("s0", "s0", 1), ("s1", "s1", 0)]
    assert items[0].fields == {
        "passage": "input_sentence_1 sw0. input_sentence_2 sw0. input_sentence_3 sw0. input_sentence_4 sw0.",
        "choices": ["sentence_quiz1 sw0.", "sentence_quiz2 sw0."],
    }


def test_xstorycloze_local_release_files(tmp_path):
    header = [
        "InputStoryid",
        *(f"InputSentence{i}" for i in range(1, 5)),
        "RandomFifthSentenceQuiz1",
        "RandomFifthSentenceQuiz2",
        "AnswerRightEnding",
    ]
    folder = tmp_path / "xstorycloze"
    folder.mkdir()
    row = ["id-7", "Juma aliamka.", "Alioga.", "Alivaa.", "Alitoka.", "Alifika kazini.", "Alilala tena.", "1"]
    (folder / "spring2016.val.sw.tsv.split_20_80_eval.tsv").write_text(
        "\t".join(header) + "\n" + "\t".join(row) + "\n", encoding="utf-8"
    )
    t = get_task("xstorycloze", tmp_path)
    assert not t.uses_hub()
    [it] = t.items("swh_Latn", "eval")
    assert it.item_id == "id-7" and it.gold == 0 and it.parallel_id == "id-7"
    assert it.fields["passage"] == "Juma aliamka. Alioga. Alivaa. Alitoka."
    assert it.fields["choices"] == ["Alifika kazini.", "Alilala tena."]


WINO = [
    {"sentence": "The trophy does not fit in the case because _ is too big.", "option1": "the trophy",
     "option2": "the case", "answer": "1"},
    {"sentence": "Le trophée ne rentre pas dans la valise car _ est trop petite.", "option1": "le trophée",
     "option2": "la valise", "answer": "2"},
]  # fmt: skip


def test_xwinograd_partial_scoring_fills_the_blank_and_scores_the_rest():
    task = get_task("xwinograd")
    it = Item("xwinograd", "test", "eng_Latn", "1", None, {"passage": WINO[0]["sentence"],
              "choices": ["the trophy", "the case"]}, 0)  # fmt: skip
    assert request_pairs(it, task) == [
        ("The trophy does not fit in the case because the trophy", " is too big."),
        ("The trophy does not fit in the case because the case", " is too big."),
    ]
    bad = Item("xwinograd", "test", "eng_Latn", "9", None, {"passage": "No blank here.", "choices": ["a", "b"]}, 0)
    with pytest.raises(DataError, match="exactly one blank '_'.*found 0"):
        partial_requests(bad, task)


def test_xwinograd_local_and_hub_layouts(tmp_path, mirror):
    folder = tmp_path / "xwinograd" / "test"
    folder.mkdir(parents=True)
    (folder / "fr.jsonl").write_text(json.dumps(WINO[1], ensure_ascii=False) + "\n", encoding="utf-8")
    [it] = get_task("xwinograd", tmp_path).items("fra_Latn", "test")
    assert it.gold == 1 and it.fields["choices"] == ["le trophée", "la valise"]

    hub_repo(
        mirror,
        "Muennighoff/xwinograd",
        "jp",
        "test",
        {k: [r[k] for r in WINO] for k in WINO[0]},
        Features({k: STRING for k in WINO[0]}),
    )
    items = get_task("xwinograd").items("jpn_Jpan", "test")
    assert [(it.item_id, it.gold) for it in items] == [("1", 0), ("2", 1)]


def test_global_piqa_parallel_configs_by_variety(mirror):
    hub_repo(
        mirror,
        "mrlbenchmarks/global-piqa-parallel",
        "fra_latn_fran",
        "test",
        {"prompt": ["Pour ouvrir un bocal,"], "solution0": ["tournez le couvercle."], "solution1": ["mangez-le."],
         "label": [0]},
        Features({"prompt": STRING, "solution0": STRING, "solution1": STRING, "label": Value("int64")}),
    )  # fmt: skip
    [it] = get_task("global_piqa").items("fra_Latn", "test")
    assert it.fields == {"passage": "Pour ouvrir un bocal,", "choices": ["tournez le couvercle.", "mangez-le."]}
    assert it.gold == 0 and it.parallel_id == "1"


def write_afrixnli(mirror, label_feature):
    hub_repo(
        mirror,
        "masakhane/afrixnli",
        "yor",
        "test",
        {"premise": ["Òjò ń rọ̀.", "Ológbò ń sùn."], "hypothesis": ["Òjò wà.", "Ológbò ń sáré."], "label": [0, 2]},
        Features({"premise": STRING, "hypothesis": STRING, "label": label_feature}),
    )


@pytest.mark.parametrize("label_feature", [NLI, Value("int64")], ids=["class-label", "int"])
def test_afrixnli_labels_as_class_labels_or_ints(mirror, label_feature):
    write_afrixnli(mirror, label_feature)
    items = get_task("afrixnli").items("yor_Latn", "test")
    assert [it.gold for it in items] == ["entailment", "contradiction"]
    assert items[1].fields == {"text1": "Ológbò ń sùn.", "text2": "Ológbò ń sáré."}


MMLU_FEATURES = Features({"subject": STRING, "question": STRING, "choices": STRING, "answer": STRING})


def test_afrimmlu_choices_written_as_text_and_letter_answers(mirror):
    hub_repo(
        mirror,
        "masakhane/afrimmlu",
        "hau",
        "test",
        {
            "subject": ["global_facts", "elementary_mathematics"],
            "question": ["Wace ƙasa ce mafi girma?", "Nawa ne 2 + 2?"],
            "choices": ["['Najeriya', 'Nijar', \"Cote d'Ivoire\", 'Chadi']", '["3", "4", "5", "6"]'],
            "answer": ["B", "b"],
        },
        MMLU_FEATURES,
    )
    items = get_task("afrimmlu").items("hau_Latn", "test")
    assert items[0].fields["choices"] == ["Najeriya", "Nijar", "Cote d'Ivoire", "Chadi"]
    assert items[0].fields["subject"] == "global_facts"
    assert [it.gold for it in items] == [1, 1]
    assert items[1].fields["choices"] == ["3", "4", "5", "6"]


@pytest.mark.parametrize(
    ("choices", "answer", "error"),
    [
        ("Najeriya, Nijar", "A", "expected a list written as text"),
        ("['a', 'b']", "7", "is not an option letter"),
        ("['a', 'b']", "D", "gold index 3 is out of range for 2 choices"),
    ],
)
def test_afrimmlu_bad_rows_name_the_problem(mirror, choices, answer, error):
    hub_repo(
        mirror,
        "masakhane/afrimmlu",
        "hau",
        "test",
        {"subject": ["s"], "question": ["q?"], "choices": [choices], "answer": [answer]},
        MMLU_FEATURES,
    )
    with pytest.raises(DataError, match=error):
        get_task("afrimmlu").items("hau_Latn", "test")


def test_text_lists_must_name_a_field(tmp_path):
    spec = tmp_path / "t.yaml"
    spec.write_text(
        "name: t\ndescription: d\nkind: multiple_choice\nmetric: accuracy\nlanguages: [eng_Latn]\n"
        "fields: {question: q, choices: c}\ntext_lists: [options]\ngold: {path: a, type: letter}\n"
        "creation: native\nlicence: CC0-1.0\nlocal: {root: task-file, format: jsonl, path: x.jsonl}\n"
    )
    with pytest.raises(DataError, match=r"t\.yaml:7: key .text_lists.: text_lists names 'options', not a key"):
        load_task_file(spec)


def test_afrimgsm_and_indicxnli_from_the_hub(mirror):
    hub_repo(
        mirror,
        "masakhane/afrimgsm",
        "swa",
        "test",
        {"question": ["Juma ana machungwa 3 na anapata 4 zaidi. Ana mangapi?"], "answer": [""],
         "answer_number": [7], "equation_solution": [""]},
        Features({"question": STRING, "answer": STRING, "answer_number": Value("int64"),
                  "equation_solution": STRING}),
    )  # fmt: skip
    [it] = get_task("afrimgsm").items("swh_Latn", "test")
    assert it.gold == "7" and it.fields == {"question": "Juma ana machungwa 3 na anapata 4 zaidi. Ana mangapi?"}

    hub_repo(
        mirror,
        "Divyanshu/indicxnli",
        "ta",
        "validation",
        {"premise": ["மழை பெய்கிறது."], "hypothesis": ["வானம் தெளிவாக உள்ளது."], "label": [2]},
        Features({"premise": STRING, "hypothesis": STRING, "label": NLI}),
    )
    [it] = get_task("indicxnli").items("tam_Taml", "dev")
    assert it.gold == "contradiction"


def test_catalog_entries_of_this_group():
    """Languages as the releases have them, each resolving to a canonical code, and the labels
    that say how each set was made."""
    n = {name: len(get_task(name).languages) for name in ("xstorycloze", "xwinograd", "afrixnli", "indicxnli")}
    assert n == {"xstorycloze": 11, "xwinograd": 6, "afrixnli": 18, "indicxnli": 11}
    assert get_task("indicxnli").spec.creation == "machine-translated"
    assert get_task("afrimmlu").spec.creation == "human-translated"
    assert get_task("xwinograd").code("jpn_Jpan") == "jp"
    assert get_task("afrixnli").code("gaz_Latn") == "orm" and get_task("afrixnli").code("swh_Latn") == "swa"
    assert get_task("global_piqa").code("zho_Hans") == "cmn_hans"


def test_belebele_reads_any_of_the_hubs_122_configs(mirror):
    """Belebele's catalog entry lists all 122 Hub configs; one the local two-language copy lacks
    (Burmese, Myanmar script) loads from the Hub by its FLORES code."""
    t = get_task("belebele")
    assert len(t.languages) == 122 and {"mya_Mymr", "zul_Latn", "arb_Latn", "ben_Latn"} <= set(t.languages)
    cols = ["link", "question_number", "flores_passage", "question", "mc_answer1", "mc_answer2", "mc_answer3",
            "mc_answer4", "correct_answer_num", "dialect", "ds"]  # fmt: skip
    row = ["https://example.org/q", 1, "passage", "question?", "w", "x", "y", "z", "4", "mya_Mymr", "2023"]
    hub_repo(
        mirror,
        "facebook/belebele",
        "mya_Mymr",
        "test",
        {c: [v] for c, v in zip(cols, row, strict=True)},
        Features({c: Value("int64" if c == "question_number" else "string") for c in cols}),
    )
    [it] = t.items("mya_Mymr", "test")
    assert it.gold == 3 and it.fields["choices"] == ["w", "x", "y", "z"]


def gold_continuation_wins(items):
    """A log-likelihood script that gives the gold choice's request the best score."""
    best = set()
    for it in items:
        pairs = request_pairs(it, task_of[it.task])
        best.add(pairs[it.gold])

    def script(context, continuation):
        return 0.0 if (context, continuation) in best else -50.0

    return script


task_of: dict = {}


@pytest.mark.parametrize("name", ["xstorycloze", "xwinograd", "afrimmlu"])
def test_end_to_end_by_log_likelihood(name, mirror, tmp_path, monkeypatch):
    """A run through ``evaluate`` on the Hub fixtures, scored by a model that prefers each item's
    gold request: 100 shows every request carried its own item (blank filled, choices decoded)."""
    write_story_hub(mirror, "en", (1, 2))
    write_story_hub(mirror, "sw", (2, 1))
    for config in ("en", "fr"):
        hub_repo(
            mirror, "Muennighoff/xwinograd", config, "test", {k: [r[k] for r in WINO] for k in WINO[0]},
            Features({k: STRING for k in WINO[0]}),
        )  # fmt: skip
    for config in ("eng", "swa"):
        hub_repo(
            mirror, "masakhane/afrimmlu", config, "test",
            {"subject": ["s", "s"], "question": ["q1?", "q2?"], "choices": ["['a', 'b', 'c']", "['d', 'e', 'f']"],
             "answer": ["C", "A"]}, MMLU_FEATURES,
        )  # fmt: skip
    task = get_task(name)
    task_of[name] = task
    language = "fra_Latn" if name == "xwinograd" else "swh_Latn"
    items = [it for lang in (language, "eng_Latn") for it in task.items(lang, task.spec.eval_split)]
    lm = scripted_lm.register_both(monkeypatch)
    lm.loglik_script = staticmethod(gold_continuation_wins(items))
    res = evaluate("scripted-loglik", tasks=[name], languages=[language], output=tmp_path / "run")
    scores = {s["language"]: s for s in res.data["scores"]}
    assert set(scores) == {language, "eng_Latn"}
    assert all(s["value"] == 100.0 and s["n"] == 2 and s["errors"] == 0 for s in scores.values()), scores
    if name == "xwinograd":  # the same continuation for both choices, the blank filled in the context
        seen = lm.loglik_seen
        assert ("Le trophée ne rentre pas dans la valise car la valise", " est trop petite.") in seen
        assert not any("_" in c for c, _ in seen)
