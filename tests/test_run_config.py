"""One run configuration for the whole run: kinds built once per worker, the translator loaded once
per worker and called in batches of ``--batch-size`` (scripted test doubles as models, real data)."""

from __future__ import annotations

import pickle

import pytest

from helpers import scripted_lm
from helpers.runs import run
from xling.errors import UserError
from xling.kinds import RunConfig, WorkerKinds, registry
from xling.kinds.llm.generation import GenerationKind
from xling.models import registry as models
from xling.prompts.protocols import ProtocolOptions
from xling.tasks import get_task
from xling.types import Unit

TRANSLATE_TEST = {"protocols": "direct,translate-test", "translator": "scripted"}


@pytest.fixture
def lm(monkeypatch):
    lm = scripted_lm.register_both(monkeypatch)
    lm.script = staticmethod(lambda prompt: "EN" if prompt.startswith("Translate the following") else "yes")
    return lm


@pytest.fixture
def loads(monkeypatch):
    """The model specs loaded through the model registry, in order."""
    specs: list[str] = []
    real = models.load_model

    def counting(spec, options=None):
        specs.append(spec)
        return real(spec, options)

    monkeypatch.setattr(models, "load_model", counting)
    return specs


def test_the_translator_loads_once_for_every_task_and_kind(tmp_path, shared_data, lm, loads):
    res = run(tmp_path, ["xnli", "pawsx"], ["spa_Latn"], 2, TRANSLATE_TEST, model="scripted-both")
    assert {(t, s) for t, s in zip(res.to_pandas()["task"], res.to_pandas()["setting"])} == {
        (t, s)
        for t in ("xnli", "pawsx")
        for s in ("direct/prompt-en/0-shot", "translate-test(scripted)/prompt-en/0-shot")
    }
    assert any(p.startswith("Translate the following") for p in lm.seen)
    assert loads.count("scripted") == 1


def test_each_tasks_kind_is_built_once_in_a_local_run(tmp_path, shared_data, lm, monkeypatch):
    built: list[str] = []
    real = registry.get_kind

    def counting(name, *args, task="", **kw):
        built.append(task)
        return real(name, *args, task=task, **kw)

    monkeypatch.setattr(registry, "get_kind", counting)
    run(tmp_path, ["xnli", "pawsx"], ["spa_Latn"], 2, model="scripted-both")
    assert sorted(built) == ["pawsx", "xnli"]


def test_the_translator_is_called_in_batches_of_the_runs_batch_size(tmp_path, shared_data, lm, monkeypatch):
    batches: list[int] = []
    real = scripted_lm.ScriptedLM.generate

    def recording(self, prompts, **kw):
        if prompts and prompts[0].startswith("Translate the following"):
            batches.append(len(prompts))
        return real(self, prompts, **kw)

    monkeypatch.setattr(scripted_lm.ScriptedLM, "generate", recording)
    cache = tmp_path / "fresh.sqlite"
    run(tmp_path, ["xnli"], ["spa_Latn"], 3, TRANSLATE_TEST, model="scripted-both", batch_size=2, cache_path=cache)
    assert batches == [2, 2]  # the 4 distinct texts of 3 items (one premise is shared), 2 per call


def test_kinds_run_the_settings_they_planned(shared_data, lm):
    options = ProtocolOptions(protocols=("direct", "xlt"))
    kinds = WorkerKinds(models.load_model("scripted", {}), RunConfig(options), model="scripted")
    task = get_task("xnli", shared_data)
    kind = kinds[task]
    assert isinstance(kind, GenerationKind) and kinds[task] is kind
    planned = {u.setting for u in kind.units(task, ["eng_Latn"])}
    assert planned == {"direct/prompt-en/0-shot", "xlt/prompt-en/0-shot"} == set(kind.settings)
    with pytest.raises(KeyError):  # a setting this run did not plan is not run under a guessed protocol
        kind.run(Unit("xnli", "translate-test(x)/prompt-en/0-shot", "eng_Latn"), task, None)


def test_the_run_configuration_travels_to_workers_and_checks_its_numbers():
    config = RunConfig(ProtocolOptions(protocols=("translate-test",), translator="apertium:spa-eng"), 4, 10, 7)
    assert pickle.loads(pickle.dumps(config)) == config
    with pytest.raises(UserError, match="--batch-size must be at least 1"):
        RunConfig(batch_size=0)
    with pytest.raises(UserError, match="--limit must be at least 1"):
        RunConfig(limit=0)
