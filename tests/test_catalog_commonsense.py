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
from helpers.hub import hub_repo, hub_tsv  # noqa: E402
from xling.errors import DataError, UserError  # noqa: E402
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
    """The Hub repo's layout at the pinned commit: one config a language over the TSV files at the
    repo root, with snake_case column names."""
    cols = story_rows(list(answers), config)
    rows = [{c: cols[c][i] for c in cols} for i in range(len(answers))]
    path = f"spring2016.val.{config}.tsv.split_20_80_eval.tsv"
    hub_tsv(mirror, "juletxara/xstory_cloze", config, "eval", path, rows)


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


def test_global_piqa_parallel_configs_by_variety_with_four_solutions(mirror):
    solutions = ["mangez-le.", "secouez-le.", "tournez le couvercle.", "posez-le."]
    row = {"prompt": "Pour ouvrir un bocal,", **{f"solution{i}": s for i, s in enumerate(solutions)}, "label": 2}
    path = "data/parallel_fra_latn_fran.tsv"
    hub_tsv(mirror, "mrlbenchmarks/global-piqa-parallel", "fra_latn_fran", "test", path, [row])
    [it] = get_task("global_piqa").items("fra_Latn", "test")
    assert it.fields == {"passage": "Pour ouvrir un bocal,", "choices": solutions}
    assert it.gold == 2 and it.parallel_id == "1"


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
    if name == "afrimmlu":  # a question without a passage opens the prompt
        assert ("Question: q1?\nAnswer:", " c") in lm.loglik_seen
    if name == "xwinograd":  # the same continuation for both choices, the blank filled in the context
        seen = lm.loglik_seen
        assert ("Le trophée ne rentre pas dans la valise car la valise", " est trop petite.") in seen
        assert not any("_" in c for c, _ in seen)


def tydi_record(example_id, language, text, question, spans):
    """One record of the official TyDi QA release (tydiqa-v1.0-*.jsonl.gz); ``spans``: one
    (start, end) byte span per annotator, (-1, -1) for no minimal answer, "YES"/"NO" for a yes/no
    answer."""
    data = text.encode("utf-8")
    spans = [(-1, -1, a) if isinstance(a, str) else (*a, "NONE") for a in spans]
    return {
        "annotations": [
            {
                "annotation_id": 900 + i,
                "minimal_answer": {"plaintext_start_byte": s, "plaintext_end_byte": e},
                "passage_answer": {"candidate_index": 0 if s >= 0 or yes_no != "NONE" else -1},
                "yes_no_answer": yes_no,
            }
            for i, (s, e, yes_no) in enumerate(spans)
        ],
        "document_plaintext": text,
        "document_title": "t",
        "document_url": "https://example.org/wiki",
        "example_id": example_id,
        "language": language,
        "passage_answer_candidates": [{"plaintext_start_byte": 0, "plaintext_end_byte": len(data)}],
        "question_text": question,
    }


def span(text, answer):
    """The UTF-8 byte span of ``answer`` in ``text``."""
    start = text.encode("utf-8").index(answer.encode("utf-8"))
    return start, start + len(answer.encode("utf-8"))


RU = "Москва — столица России. Она стоит на реке Москве."
JA = "東京は日本の首都です。"


def write_tydi_release(root):
    import gzip

    folder = root / "tydiqa"
    folder.mkdir()
    records = [
        tydi_record(11, "russian", RU, "На какой реке стоит Москва?", [span(RU, "реке Москве"), span(RU, "Москве")]),
        tydi_record(12, "japanese", JA, "日本の首都は?", [span(JA, "東京")]),
        tydi_record(13, "russian", RU, "Сколько лет Москве?", [(-1, -1), (-1, -1)]),  # null
        # one of two annotators answered: under TyDi's threshold of 2, a null gold
        tydi_record(14, "russian", RU, "Где Кремль?", [(-1, -1), span(RU, "столица России")]),
        tydi_record(15, "russian", RU, "Москва — столица?", ["YES", "YES", (-1, -1)]),
    ]
    with gzip.open(folder / "tydiqa-v1.0-dev.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def test_tydiqa_minimal_answers_from_byte_spans_of_the_compressed_release(tmp_path):
    write_tydi_release(tmp_path)
    t = get_task("tydiqa", tmp_path)
    items = t.items("rus_Cyrl", "dev")
    # null answers (no annotator, or fewer than 2) are No Answer golds; yes/no answers are words
    assert [(it.item_id, it.gold) for it in items] == [
        ("11", ["реке Москве", "Москве"]),
        ("13", [""]),
        ("14", [""]),
        ("15", ["yes"]),
    ]
    assert items[0].fields == {"context": RU, "question": "На какой реке стоит Москва?"}
    assert t.skipped.total == 0
    [ja] = t.items("jpn_Jpan", "dev")  # a single annotator's answer is the gold
    assert ja.gold == ["東京"]


def test_tydiqa_primary_task_from_the_hub(mirror):
    from datasets import Sequence

    rows = [
        ("russian", RU, "На какой реке стоит Москва?", [span(RU, "Москве")]),
        ("english", "Paris is in France.", "Where is Paris?", [span("Paris is in France.", "France")]),
        ("russian", RU, "Сколько лет Москве?", [(-1, -1)]),
        ("russian", RU, "Москва — столица?", [(-1, -1), (-1, -1)]),
    ]
    yes_no = [["NONE"], ["NONE"], ["NONE"], ["NO", "NO"]]
    hub_repo(
        mirror,
        "google-research-datasets/tydiqa",
        "primary_task",
        "validation",
        {
            "passage_answer_candidates": [{"plaintext_start_byte": [0], "plaintext_end_byte": [9]} for _ in rows],
            "question_text": [q for _, _, q, _ in rows],
            "document_title": ["t"] * len(rows),
            "language": [lang for lang, _, _, _ in rows],
            "annotations": [
                {
                    "passage_answer_candidate_index": [0] * len(s),
                    "minimal_answers_start_byte": [a for a, _ in s],
                    "minimal_answers_end_byte": [b for _, b in s],
                    "yes_no_answer": yn,
                }
                for (_, _, _, s), yn in zip(rows, yes_no)
            ],
            "document_plaintext": [text for _, text, _, _ in rows],
            "document_url": ["u"] * len(rows),
        },
        Features(
            {
                "passage_answer_candidates": {
                    "plaintext_start_byte": Sequence(Value("int32")),
                    "plaintext_end_byte": Sequence(Value("int32")),
                },
                "question_text": STRING,
                "document_title": STRING,
                "language": STRING,
                "annotations": {
                    "passage_answer_candidate_index": Sequence(Value("int32")),
                    "minimal_answers_start_byte": Sequence(Value("int32")),
                    "minimal_answers_end_byte": Sequence(Value("int32")),
                    "yes_no_answer": Sequence(ClassLabel(names=["NO", "YES", "NONE"])),
                },
                "document_plaintext": STRING,
                "document_url": STRING,
            }
        ),
    )
    items = get_task("tydiqa").items("rus_Cyrl", "dev")
    # the yes/no column is a nested ClassLabel, read as its names
    assert [(it.item_id, it.gold) for it in items] == [("1", ["Москве"]), ("3", [""]), ("4", ["no"])]


@pytest.mark.parametrize(
    ("spans", "error"),
    [
        ([(5, 500)], r"byte span \[5, 500\) is outside the text"),
        ([(3, 4), (1,)], r"no field 'annotations\[\*\]\.minimal_answer\.plaintext_end_byte'"),
    ],
)
def test_tydiqa_bad_spans_name_the_record(tmp_path, spans, error):
    import gzip

    rec = tydi_record(7, "russian", RU, "q?", [(0, 2)])
    rec["annotations"][0]["minimal_answer"] = {"plaintext_start_byte": spans[0][0], "plaintext_end_byte": spans[0][1]}
    if len(spans) > 1:
        rec["annotations"].append({"minimal_answer": {"plaintext_start_byte": 1}})
    (tmp_path / "tydiqa").mkdir()
    with gzip.open(tmp_path / "tydiqa" / "tydiqa-v1.0-dev.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write(json.dumps(rec) + "\n")
    with pytest.raises(DataError, match=r"tydiqa-v1\.0-dev\.jsonl\.gz:1: .*" + error):
        get_task("tydiqa", tmp_path).items("rus_Cyrl", "dev")


def test_a_broken_gzip_file_is_a_data_error(tmp_path):
    (tmp_path / "tydiqa").mkdir()
    (tmp_path / "tydiqa" / "tydiqa-v1.0-dev.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00broken")
    with pytest.raises(DataError, match="the compressed file is damaged"):
        get_task("tydiqa", tmp_path).items("rus_Cyrl", "dev")


def test_tydiqa_end_to_end_by_generation(tmp_path, monkeypatch):
    """Null answers are asked and scored: per item as No Answer (1 when both sides say it), and
    by TyDi's minimal-answer F1 (precision over answered questions, recall over gold answers)."""
    write_tydi_release(tmp_path)
    golds = {
        "На какой реке стоит Москва?": "реке Москве",  # right
        "Сколько лет Москве?": "No answer",  # right: a null gold
        "Где Кремль?": "столица России",  # answered, but the gold is null: wrong
        "Москва — столица?": "yes",  # right
        "Where is Paris?": "France",
    }
    seen = []

    def answer(prompt):
        seen.append(prompt)
        [q] = [q for q in golds if q in prompt]
        return " " + golds[q]

    import gzip

    en = tydi_record(20, "english", "Paris is in France.", "Where is Paris?", [span("Paris is in France.", "France")])
    with gzip.open(tmp_path / "tydiqa" / "tydiqa-v1.0-dev.jsonl.gz", "at", encoding="utf-8") as fh:
        fh.write(json.dumps(en) + "\n")
    scripted_lm.register(monkeypatch).script = staticmethod(answer)
    res = evaluate("scripted", tasks=["tydiqa"], languages=["rus_Cyrl"], data_dir=tmp_path, output=tmp_path / "run")
    scores = {(s["language"], s["metric"]): (s["value"], s["n"]) for s in res.data["scores"]}
    assert scores[("rus_Cyrl", "f1")] == (75.0, 4) and scores[("eng_Latn", "f1")] == (100.0, 1)
    # P = 2 / 3 answered, R = 2 / 2 with a gold answer: F1 = 0.8
    assert scores[("rus_Cyrl", "tydi_f1")][0] == pytest.approx(80.0)
    assert scores[("eng_Latn", "tydi_f1")][0] == pytest.approx(100.0)
    assert all('If the context does not answer it, write "No answer".' in p for p in seen)


def test_xwinograd_translate_test_without_the_blank_is_an_error_row(mirror, tmp_path, monkeypatch):
    """A translation that loses the blank cannot be scored Winograd-style: that item is an error
    row, the others are scored, and the run goes on."""
    import re

    for config in ("en", "fr"):
        hub_repo(
            mirror, "Muennighoff/xwinograd", config, "test", {k: [r[k] for r in WINO] for k in WINO[0]},
            Features({k: STRING for k in WINO[0]}),
        )  # fmt: skip
    scripted_lm.register_both(monkeypatch)
    pattern = re.compile(r"^Translate the following (\w+) text into English\..*\n\1: (?P<text>.*)\nEnglish:$", re.S)

    def translate(prompt):
        text = pattern.match(prompt)["text"]
        return " " + (text.replace("_", "it") if "valise car" in text else text)

    scripted_lm.ScriptedLM.script = staticmethod(translate)
    res = evaluate(
        "scripted-both",
        tasks=["xwinograd"],
        languages=["fra_Latn"],
        output=tmp_path / "run",
        protocol={"protocols": "translate-test", "translator": "scripted"},
    )
    [fr] = [s for s in res.data["scores"] if s["language"] == "fra_Latn"]
    assert (fr["errors"], fr["n"]) == (1, 2), fr
    errors = [p for p in res.predictions()["error"] if isinstance(p, str)]
    assert len(errors) == 1 and "translated input unusable" in errors[0] and "found 0" in errors[0]


def test_irokobench_translate_test_reads_the_released_english_translations(mirror, tmp_path, monkeypatch):
    """Under translate-test, AfriXNLI's items are read in the release's own English translations
    (masakhane/afrixnli-translate-test, matched by row), never machine-translated by the run;
    an item the translations lack is an error row."""
    write_afrixnli(mirror, Value("int64"))
    hub_repo(
        mirror, "masakhane/afrixnli", "eng", "test",
        {"premise": ["It rains."], "hypothesis": ["There is rain."], "label": [0]},
        Features({"premise": STRING, "hypothesis": STRING, "label": Value("int64")}),
    )  # fmt: skip
    hub_repo(
        mirror, "masakhane/afrixnli-translate-test", "yor", "test",
        {"premise": ["It is raining."], "hypothesis": ["There is rain."], "label": [0]},
        Features({"premise": STRING, "hypothesis": STRING, "label": Value("int64")}),
    )  # fmt: skip
    lm = scripted_lm.register_both(monkeypatch)
    res = evaluate(
        "scripted-loglik",
        tasks=["afrixnli"],
        languages=["yor_Latn"],
        output=tmp_path / "run",
        protocol={"protocols": "translate-test", "translator": "given"},
    )
    contexts = "\n".join(c for c, _ in lm.loglik_seen)
    assert "It is raining." in contexts and "Òjò" not in contexts and "Ológbò" not in contexts
    pred = res.predictions().set_index(["language", "item_id"])
    assert pred.loc[("yor_Latn", "1"), "prediction"] is not None
    assert (
        "not in the released translations (masakhane/afrixnli-translate-test)" in pred.loc[("yor_Latn", "2"), "error"]
    )
    assert {s["setting"].split("/")[0] for s in res.data["scores"]} == {"translate-test(given)"}


def test_translator_given_needs_released_translations(tmp_path, monkeypatch):
    scripted_lm.register_both(monkeypatch)
    with pytest.raises(UserError, match="'xwinograd' has no released translations"):
        evaluate(
            "scripted-loglik",
            tasks=["xwinograd"],
            languages=["fra_Latn"],
            output=tmp_path / "run",
            protocol={"protocols": "translate-test", "translator": "given"},
        )
