"""TyDi QA's minimal-answer F1 with null answers (scoring/tydi.py) and the gold it reads."""

import pandas as pd
import pytest

from xling.prompts import templates as T
from xling.prompts.lexicon import lexicon
from xling.scoring.metrics import METRICS
from xling.tasks.mapping import Gold, Mapper, MappingError
from xling.types import Item


def rows(*rows):
    return pd.DataFrame(rows, columns=["prediction", "gold", "error", "score"])


def value(frame):
    return METRICS["tydi_f1"].estimate(frame, 0, ("t",)).value


def test_precision_over_answered_recall_over_gold_answers():
    frame = rows(
        ({"answer": "Москве", "f1": 1.0}, ["Москве"], None, 1.0),  # right
        ({"answer": "река", "f1": 0.5}, ["реке Москве"], None, 0.5),  # half right
        ({"answer": "", "no_answer": True, "f1": 1.0}, [""], None, 1.0),  # a right null: counts nowhere
        ({"answer": "Кремль", "f1": 0.0}, [""], None, 0.0),  # answered a null: precision drops
        ({"answer": "", "no_answer": True, "f1": 0.0}, ["yes"], None, 0.0),  # missed: recall drops
    )
    precision, recall = 1.5 / 3, 1.5 / 3
    assert value(frame) == pytest.approx(100 * 2 * precision * recall / (precision + recall))


def test_an_error_row_answered_nothing_and_a_plain_span_uses_its_stored_score():
    frame = rows(
        (None, ["a"], "model call failed", None),  # recall counts its gold
        ("the span", ["span"], None, 0.8),  # a fine-tuned model's span: its stored F1
    )
    precision, recall = 0.8 / 1, 0.8 / 2
    assert value(frame) == pytest.approx(100 * 2 * precision * recall / (precision + recall))


def test_nothing_answered_and_no_gold_answer_is_zero():
    assert value(rows(({"answer": "", "no_answer": True}, [""], None, 1.0))) == 0.0


TEXT = "ab"


def mapper(**gold):
    spec = Gold(path=["s", "e"], spans_in="text", type="list", **gold)
    return Mapper(fields={}, gold=spec, id_path=None, parallel=None, labels=None, label_map=None, explode=None)


@pytest.mark.parametrize(
    ("starts", "ends", "yes_no", "gold"),
    [
        ([0, 1], [1, 2], ["NONE", "NONE"], ["a", "b"]),
        ([0, -1, -1], [1, -1, -1], ["NONE", "NONE", "NONE"], [""]),  # 1 of 3: under the threshold
        ([-1, -1, -1], [-1, -1, -1], ["YES", "NO", "NONE"], ["yes", "no"]),
        ([0], [1], ["NONE"], ["a"]),  # a single annotator (train) needs only itself
        ([], [], [], [""]),
    ],
)
def test_annotated_gold_with_a_threshold(starts, ends, yes_no, gold):
    m = mapper(yes_no="yn", min_answers=2, no_answer=True)
    assert m._gold({"text": TEXT, "s": starts, "e": ends, "yn": yes_no}) == gold


def test_below_the_threshold_without_no_answer_is_no_gold():
    m = mapper(min_answers=2, if_empty="skip")
    with pytest.raises(MappingError, match="no answer given"):
        m._gold({"text": TEXT, "s": [0, -1], "e": [1, -1]})


def test_yes_no_needs_one_answer_per_annotator_and_spans():
    with pytest.raises(MappingError, match="1 answers for 2 annotators"):
        mapper(yes_no="yn", no_answer=True)._gold({"text": TEXT, "s": [0, 1], "e": [1, 2], "yn": ["NONE"]})
    with pytest.raises(ValueError, match="need 'spans_in'"):
        Gold(path="answers", type="list", min_answers=2)


def test_the_qa_prompt_says_what_to_write_without_an_answer():
    en, ru = lexicon("eng_Latn"), lexicon("rus_Cyrl")
    assert T.instruction("qa", en, no_answer="No answer").endswith('write "No answer".')
    assert T.instruction("qa", en) == en.instruction("qa")
    if not ru.data.instructions.qa_no_answer:  # a file without the words: the plain instruction
        assert T.instruction("qa", ru, no_answer="No answer") == ru.instruction("qa")
    null_demo = Item("tydiqa", "train", "eng_Latn", "1", "1", {"context": "c", "question": "q"}, gold=[""])
    assert T.gold_answer("qa", null_demo, en, {}, "No answer") == "No answer"
