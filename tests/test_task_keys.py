"""The README's task-key reference: every key of the task schema is described, and the README
holds exactly the generated text."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import BaseModel, Field

from helpers.cli import ROOT
from xling.tasks import reference
from xling.tasks.options import OPTIONS_BY_KIND
from xling.tasks.spec import LocalSource, TaskSpec


def test_every_key_of_the_schema_has_a_description():
    assert reference.undocumented() == []


def test_the_readme_block_is_the_generated_reference():
    readme = (ROOT / "README.md").read_text("utf-8")
    assert reference.current_block(readme) == reference.render()


def test_the_reference_names_every_model_key_and_option_with_where_it_applies():
    text = reference.render()
    models = reference.schema_models()
    assert models[LocalSource] == ["local"] and models[TaskSpec] == [""]
    assert {m.__name__ for m in models} >= {"TaskSpec", "Mapping", "HubSource", "RowFilter", "LocalSource", "Gold"}
    for model in models:
        for name in model.model_fields:
            assert f"- `{name}` (" in text, (model.__name__, name)
    for model in OPTIONS_BY_KIND.values():
        for name in model.model_fields:
            assert f"- `{name}` (" in text, name
    assert "**Gold** — at `gold`, `hub.mapping.gold`" in text
    delimiter = next(line for line in text.splitlines() if line.startswith("- `delimiter`"))
    assert "token-tags" in delimiter and "(str; none)" in delimiter
    dev = next(line for line in text.splitlines() if line.startswith("- `dev_split`"))
    assert "(str; dev) [classification, pair_classification, extractive_qa, sequence_labelling]" in dev
    assert '- `quoting` ("none" | "minimal" | "all"; none)' in text
    assert "- `creation` (" in text and "required)" in text


def test_a_key_added_without_a_description_is_reported(monkeypatch):
    class Extra(BaseModel):
        told: int = Field(1, description="Said.")
        untold: str | None = None

    monkeypatch.setattr(reference, "schema_models", lambda: {TaskSpec: [""], Extra: ["extra"]})
    assert reference.undocumented() == ["Extra.untold"]


def test_models_held_by_an_option_are_described_with_their_keys(monkeypatch):
    from xling.tasks.options import LoglikTemplate

    text = reference.render()
    assert reference.option_models()[LoglikTemplate] == ["options.template"]
    assert "**LoglikTemplate** — at `options.template`" in text
    assert "- `context` (str; required): The scored prompt" in text
    monkeypatch.setattr(LoglikTemplate.model_fields["continuation"], "description", None)
    assert reference.undocumented() == ["LoglikTemplate.continuation"]


def test_replace_block_keeps_the_text_around_and_needs_the_markers():
    text = f"before\n{reference.BEGIN}\nold\n{reference.END}\nafter\n"
    assert reference.replace_block(text, "NEW") == "before\nNEW\nafter\n"
    assert reference.current_block(text) == f"{reference.BEGIN}\nold\n{reference.END}"
    with pytest.raises(ValueError, match="markers"):
        reference.replace_block("no markers", "NEW")


def test_the_script_checks_and_rewrites_the_readme(tmp_path):
    script = ROOT / "scripts" / "task_keys.py"
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n{reference.BEGIN}\n- `gone` (str; none): a removed key\n{reference.END}\ntail\n")

    def run(*args):
        cmd = [sys.executable, str(script), "--readme", str(readme), *args]
        return subprocess.run(cmd, capture_output=True, text=True, env={"PYTHONPATH": str(ROOT / "src")})

    r = run("--check")
    assert r.returncode == 1 and "stale" in r.stderr
    assert run().returncode == 0
    assert readme.read_text() == f"# title\n{reference.render()}\ntail\n"
    assert run("--check").returncode == 0
