"""Task ``options:``: one typed model per kind, checked when the task file loads."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from xling.errors import DataError
from xling.tasks import get_task, load_task_file
from xling.tasks.options import (
    OPTIONS_BY_KIND,
    BitextRetrievalOptions,
    ClassificationOptions,
    ExtractiveQAOptions,
    MultipleChoiceOptions,
    PairClassificationOptions,
)
from xling.tasks.spec import KINDS_VOCABULARY, load_spec

DEMO_TOPICS = get_task("demo-topics").spec_path


def with_options(tmp_path: Path, options: str, source: Path = DEMO_TOPICS) -> tuple[Path, int]:
    """A copy of a catalog task with an ``options:`` line; the path and that line's number."""
    lines = [ln for ln in source.read_text("utf-8").splitlines() if not ln.startswith("options:")]
    path = tmp_path / "task.yaml"
    path.write_text("\n".join([*lines, f"options: {options}"]) + "\n", "utf-8")
    return path, len(lines) + 1


def test_every_kind_has_an_options_model():
    assert set(OPTIONS_BY_KIND) == set(KINDS_VOCABULARY)


def test_a_misspelt_option_names_the_file_line_and_known_keys(tmp_path):
    path, line = with_options(tmp_path, "{in_langauge: true}")
    with pytest.raises(DataError) as err:
        load_task_file(path)
    message = err.value.message
    assert f"{path}:{line}:" in message
    assert "options.in_langauge" in message and "unknown key" in message
    assert "in_language" in message and "train_limit" in message  # the known keys of a classification task
    assert "Did you mean 'in_language'" in message


def test_an_option_of_another_kind_is_unknown(tmp_path):
    path, line = with_options(tmp_path, "{threshold: 1.2}")  # a bitext_retrieval option on a classification task
    with pytest.raises(DataError, match=f"{line}:.*options.threshold.*unknown key"):
        load_spec(path)


@pytest.mark.parametrize(
    "options, key",
    [
        ("{in_language: 'yes'}", "in_language"),
        ("{train_limit: '12'}", "train_limit"),
        ("{C: true}", "C"),
        ("{train_task: 5}", "train_task"),
    ],
)
def test_an_option_of_the_wrong_type_is_an_error(tmp_path, options, key):
    path, line = with_options(tmp_path, options)
    with pytest.raises(DataError, match=f"{path}:{line}: key 'options.{key}'"):
        load_spec(path)


def test_a_value_outside_the_allowed_ones_is_an_error(tmp_path):
    bitext = get_task("demo-bitext").spec_path
    path, _ = with_options(tmp_path, "{scoring: dot}", bitext)
    with pytest.raises(DataError, match="options.scoring.*'margin' or 'cosine'"):
        load_spec(path)
    path, _ = with_options(tmp_path, "{k: 0}", bitext)
    with pytest.raises(DataError, match="options.k.*greater than or equal to 1"):
        load_spec(path)


def test_options_come_typed_with_the_old_defaults(tmp_path):
    topics = get_task("demo-topics").spec.options
    assert type(topics) is ClassificationOptions
    assert (topics.C, topics.head_fraction, topics.in_language, topics.train_limit) == (1.0, 0.5, False, None)
    assert topics.dev_split == "dev" and topics.train_task is None
    bitext = get_task("demo-bitext").spec.options
    assert type(bitext) is BitextRetrievalOptions and (bitext.scoring, bitext.k) == ("margin", 4)
    assert bitext.threshold is None and not bitext.declared()  # no silent mining threshold
    assert get_task("xquad").spec.options == ExtractiveQAOptions(qa_normalisation="squad")
    assert ExtractiveQAOptions().qa_normalisation == "mlqa"
    path, _ = with_options(tmp_path, "{C: 2, in_language: true}")
    loaded = load_spec(path).options
    assert loaded.C == 2.0 and isinstance(loaded.C, float) and loaded.in_language is True


def test_label_words_read_yaml_scalars_as_the_text_they_were_written_as():
    words = PairClassificationOptions.model_validate({"label_words": {0: True, 1: "No"}}).label_words
    assert words == {"0": "True", "1": "No"}
    with pytest.raises(ValidationError, match="label_words"):
        PairClassificationOptions.model_validate({"label_words": {"0": ["Yes"]}})


def test_prompt_templates_read_the_typed_prompt_options():
    from xling.prompts import templates as T

    assert T.family_of("multiple_choice", MultipleChoiceOptions(prompt_family="nli"), None) == "nli"
    assert T.family_of("multiple_choice", MultipleChoiceOptions(), None) == "choice"
    keys = T.label_keys("paraphrase", PairClassificationOptions(prompt_labels={"a": "yes", "b": "no"}), ["a", "b"])
    assert keys == {"a": "yes", "b": "no"}
