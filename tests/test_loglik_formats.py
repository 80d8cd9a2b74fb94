"""The log-likelihood formats a multiple-choice task file declares: ``template`` (format strings
over the item's fields and the choice) and ``substitute`` (each choice in the passage's blank, the
choice and the rest scored): the exact requests sent, and the errors for bad templates and blanks."""

from __future__ import annotations

import json

import pytest

from xling.calls.cache import ResponseCache
from xling.calls.counters import CallStats
from xling.errors import DataError
from xling.kinds import RunConfig, RunContext
from xling.kinds.llm.loglik import SETTING
from xling.kinds.registry import get_kind
from xling.models.base import Backend, Capability
from xling.tasks import load_task_file
from xling.types import Unit


class RecordingLM(Backend):
    """Records every (context, continuation) request; scores a continuation higher the more 'B' it holds."""

    name = "recording"
    capabilities = frozenset({Capability.LOGLIK})

    def __init__(self):
        super().__init__("recording", None, {})
        self.requests: list[tuple[str, str]] = []

    def fingerprint(self):
        return "recording-v1"

    def loglik(self, requests):
        self.requests += [tuple(r) for r in requests]
        return [(-10.0 + x.count("B"), max(len(x.split()), 1), False) for _, x in requests]


def write_task(tmp_path, rows, options, fields="{question: question, choices: [a, b, c]}"):
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "eng.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    spec = tmp_path / "task.yaml"
    spec.write_text(
        f"""name: t
description: test
kind: multiple_choice
metric: accuracy
languages: [eng_Latn]
eval_split: test
fields: {fields}
gold: {{path: label, type: int}}
id: idx
creation: native
licence: CC0-1.0
options:
{options}
local: {{root: task-file, format: jsonl, path: "data/eng.jsonl"}}
""",
        encoding="utf-8",
    )
    return load_task_file(spec)


def sent(tmp_path, task):
    lm = RecordingLM()
    ctx = RunContext(
        backend=lm, cache=ResponseCache(tmp_path / "c.sqlite"), client=None, stats=CallStats(), config=RunConfig()
    )
    preds = get_kind("multiple_choice", lm.capabilities).run(Unit("t", SETTING, "eng_Latn"), task, ctx)
    return sorted(lm.requests), preds  # the client may reorder requests


MMLU = """  format: template
  template:
    context: "{question}\\n{choices_lettered}\\nAnswer:"
    continuation: " {letter}"
"""


def test_template_letter_scoring_sends_the_declared_requests(tmp_path):
    rows = [{"idx": 0, "question": "2 + 2 =", "a": "3", "b": "4", "c": "5", "label": 1}]
    requests, [pred] = sent(tmp_path, write_task(tmp_path, rows, MMLU))
    context = "2 + 2 =\nA. 3\nB. 4\nC. 5\nAnswer:"
    assert requests == [(context, " A"), (context, " B"), (context, " C")]
    assert pred.prediction["answer"] == 1 and pred.score == 1.0


def test_template_choice_index_and_indexed_fields(tmp_path):
    options = """  format: template
  template: {context: "{question} ({choices[0]} or {choices[2]}) #{index}", continuation: " so{choice}"}
"""
    rows = [{"idx": 0, "question": "Q", "a": "x", "b": "y", "c": "z", "label": 0}]
    requests, _ = sent(tmp_path, write_task(tmp_path, rows, options))
    assert requests == [("Q (x or z) #0", " sox"), ("Q (x or z) #1", " soy"), ("Q (x or z) #2", " soz")]


def test_a_template_placeholder_naming_no_field_fails_at_load_with_its_line(tmp_path):
    options = MMLU.replace("{question}", "{questoin}")
    with pytest.raises(DataError) as err:
        write_task(tmp_path, [], options)
    message = str(err.value)
    assert "task.yaml" in message and ":15" in message  # the line of options.template.context
    assert "{questoin} is no item field" in message and "question, choices" in message
    assert "choices_lettered" in message and "Did you mean 'question'" in message


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("  format: template\n", "'template' .* goes with 'format: template'"),
        ('  template: {context: "{question}", continuation: " {choice}"}\n', "goes with 'format: template'"),
        ('  format: template\n  template: {context: "{question", continuation: " {choice}"}\n', "template.context"),
        ('  format: template\n  template: {context: "{0}", continuation: " {choice}"}\n', "must name a field"),
        ('  format: template\n  template: {context: "{question}"}\n', "template.continuation'.*missing"),
    ],
)
def test_bad_templates_are_errors_at_load(tmp_path, options, message):
    with pytest.raises(DataError, match=message):
        write_task(tmp_path, [], options)


def test_a_template_that_fails_on_an_item_names_it(tmp_path):
    options = '  format: template\n  template: {context: "{question} {choices[3]}", continuation: " {choice}"}\n'
    rows = [{"idx": 7, "question": "Q", "a": "x", "b": "y", "c": "z", "label": 0}]
    with pytest.raises(DataError, match="item 7 .*options.template"):
        sent(tmp_path, write_task(tmp_path, rows, options))


WINO_FIELDS = "{passage: sentence, choices: [option1, option2]}"


def wino(idx, sentence, label=0):
    return {"idx": idx, "sentence": sentence, "option1": "the trophy", "option2": "the case", "label": label}


def test_substitute_scores_the_choice_and_the_rest_after_the_text_before_the_blank(tmp_path):
    rows = [wino(0, "The trophy does not fit in the case because _ is too big.")]
    requests, [pred] = sent(tmp_path, write_task(tmp_path, rows, "  format: substitute\n", WINO_FIELDS))
    context = "The trophy does not fit in the case because"
    assert requests == [(context, " the case is too big."), (context, " the trophy is too big.")]
    assert all(c + x == "The trophy does not fit in the case because " + o + " is too big." for (c, x), o in
               zip(requests, ["the case", "the trophy"], strict=True))  # fmt: skip
    assert pred.prediction["answer"] == 0


def test_substitute_and_partial_take_the_declared_blank(tmp_path):
    rows = [wino(0, "Ann_1 met [BLANK] at noon.")]
    requests, _ = sent(tmp_path, write_task(tmp_path, rows, "  format: substitute\n  blank: '[BLANK]'\n", WINO_FIELDS))
    assert requests == [("Ann_1 met", " the case at noon."), ("Ann_1 met", " the trophy at noon.")]
    requests, _ = sent(tmp_path, write_task(tmp_path, rows, "  format: partial\n  blank: '[BLANK]'\n", WINO_FIELDS))
    assert requests == [("Ann_1 met the case", " at noon."), ("Ann_1 met the trophy", " at noon.")]


@pytest.mark.parametrize(
    ("sentence", "message"),
    [
        ("No blank here.", "item 3 .*format 'substitute' needs exactly one blank '_' .*found 0"),
        ("Two _ and _.", "item 3 .*found 2"),
        ("_ is too big.", "item 3 .*needs text before the blank"),
    ],
)
def test_substitute_errors_name_the_item(tmp_path, sentence, message):
    task = write_task(tmp_path, [wino(3, sentence)], "  format: substitute\n", WINO_FIELDS)
    with pytest.raises(DataError, match=message):
        sent(tmp_path, task)
