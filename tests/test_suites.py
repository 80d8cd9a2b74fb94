"""Named suites: the suite files, `xling suites`, `xling run --suite` end to end on the demo tasks
with a trigram test embedder, and the aggregate with its coverage."""

from __future__ import annotations

import json

import pytest

from helpers import flaky_embedder
from helpers.cli import xling_in_process
from xling.analysis.suite import suite_summary
from xling.errors import UserError
from xling.run.runner import evaluate
from xling.tasks import get_task, list_tasks
from xling.tasks.suite import Suite, get_suite, list_suites


def test_the_named_suites_are_declared():
    suites = {s.name: s for s in list_suites()}
    assert {"xtreme", "llm-core", "african", "indic"} <= set(suites)
    xtreme = suites["xtreme"]
    assert xtreme.task_names() == ["xnli", "pawsx", "udpos", "wikiann", "xquad", "mlqa", "tydiqa_goldp", "tatoeba"]
    assert [a.name for a in xtreme.not_in_catalog] == ["bucc"]
    assert "english" in xtreme.protocol.lower() and "zero-shot" in xtreme.protocol.lower()
    assert set(suites["llm-core"].task_names()) == {
        "belebele",
        "global_mmlu_lite",
        "xcopa",
        "xstorycloze",
        "xwinograd",
        "mgsm",
        "flores",
    }


def test_every_suite_names_catalog_tasks_and_languages_they_have():
    """Passes once every catalog branch is merged: the LLM and IrokoBench tasks that llm-core,
    african and indic name are added to the catalog separately."""
    tasks = {t.name: t for t in list_tasks()}
    for suite in list_suites():
        assert not suite.missing_tasks(), f"{suite.name}: not in the catalog: {suite.missing_tasks()}"
        for entry in suite.tasks:
            have = tasks[entry.task].languages
            if entry.languages:
                assert set(entry.languages) <= set(have), f"{suite.name}/{entry.task}"
            assert suite.requested(entry.task, have), f"{suite.name}/{entry.task}: no language left"


def test_a_pool_intersects_each_task_and_a_task_list_is_exact():
    suite = Suite.model_validate(
        {
            "name": "s",
            "description": "d",
            "languages": ["sw", "yor_Latn", "hin_Deva"],
            "tasks": [{"task": "demo-topics"}, {"task": "sib200", "languages": ["zul_Latn", "eng"]}],
        }
    )
    assert suite.languages == ["swh_Latn", "yor_Latn", "hin_Deva"]
    assert suite.requested("demo-topics", get_task("demo-topics").languages) == ["hin_Deva", "swh_Latn", "yor_Latn"]
    assert suite.requested("sib200", get_task("sib200").languages) == ["eng_Latn", "zul_Latn"]
    with pytest.raises(ValueError, match="listed twice"):
        Suite.model_validate({"name": "s", "description": "d", "tasks": [{"task": "a"}, {"task": "a"}]})


def _score(task, setting, language, value, metric="accuracy"):
    return {"task": task, "setting": setting, "language": language, "metric": metric, "value": value}


def test_the_aggregate_weights_task_means_and_counts_only_requested_languages_and_settings():
    suite = Suite.model_validate(
        {
            "name": "s",
            "description": "d",
            "tasks": [
                {"task": "a", "weight": 3},
                {"task": "b", "settings": ["zero-shot"]},
                {"task": "c"},
            ],
        }
    )
    scores = [
        _score("a", "direct", "swh_Latn", 40.0),
        _score("a", "translate-test", "swh_Latn", 60.0),  # settings averaged per language: 50
        _score("a", "direct", "yor_Latn", 70.0),
        _score("a", "direct", "eng_Latn", 99.0),  # the source language, not requested
        _score("a", "direct", "swh_Latn", 1.0, metric="f1"),  # not the primary metric
        _score("b", "zero-shot", "swh_Latn", 20.0),
        _score("b", "in-language", "swh_Latn", 90.0),  # not a counted setting
    ]
    requested = {"a": ["swh_Latn", "yor_Latn"], "b": ["swh_Latn", "hau_Latn"], "c": ["swh_Latn"]}
    out = suite_summary(suite, scores, requested, {"a": "accuracy", "b": "accuracy", "c": "f1"}, "m")
    rows = {r["task"]: r for r in out["tasks"]}
    assert rows["a"]["score"] == pytest.approx(60.0)  # (50 + 70) / 2
    assert rows["b"]["score"] == pytest.approx(20.0)
    assert rows["b"]["present"] == ["swh_Latn"] and rows["b"]["missing"] == ["hau_Latn"]
    assert rows["c"]["score"] is None and rows["c"]["missing"] == ["swh_Latn"]
    assert out["aggregate"] == pytest.approx((3 * 60.0 + 20.0) / 4)
    assert (out["tasks_covered"], out["tasks_total"], out["complete"]) == (2, 3, False)
    assert out["coverage"] == "2 of 3 tasks covered, 2 requested language(s) without a score"
    one = Suite.model_validate({"name": "s", "description": "d", "tasks": [{"task": "a"}]})
    full = suite_summary(one, scores, {"a": ["swh_Latn", "yor_Latn"]}, {"a": "accuracy"}, "m")
    assert full["complete"] and full["aggregate"] == pytest.approx(60.0)
    empty = suite_summary(suite, [], requested, {}, "m")
    assert empty["aggregate"] is None and empty["tasks_covered"] == 0


@pytest.fixture
def demo_suite(tmp_path):
    path = tmp_path / "demo-suite.yaml"
    path.write_text(
        "name: demo-suite\ndescription: two demo tasks\nprotocol: zero-shot from English\n"
        "tasks:\n  - {task: demo-topics, languages: [swh_Latn, yor_Latn, zho_Hans], weight: 2}\n"
        "  - {task: demo-bitext}\n"
        "not_in_catalog:\n  - {name: later, note: a task added later}\n",
        encoding="utf-8",
    )
    return path


def test_run_suite_end_to_end_states_its_aggregate_and_coverage(demo_suite, tmp_path, monkeypatch):
    flaky_embedder.register(monkeypatch)
    monkeypatch.setenv("XLING_CACHE_DIR", str(tmp_path / "cache"))
    res = evaluate(
        "flaky",
        languages=["swh_Latn", "zho_Hans", "jpn_Jpan"],
        suite=str(demo_suite),
        output=tmp_path / "run",
        limit=6,
    )
    suite = res.data["suite"]
    assert suite["name"] == "demo-suite" and suite["model"] == "flaky"
    rows = {r["task"]: r for r in suite["tasks"]}
    # --languages intersects the suite's: yor_Latn is not asked, jpn_Jpan only of demo-bitext
    assert rows["demo-topics"]["requested"] == ["zho_Hans", "swh_Latn"]
    assert rows["demo-topics"]["present"] == ["zho_Hans", "swh_Latn"]
    assert set(rows["demo-bitext"]["requested"]) == {"swh_Latn", "zho_Hans", "jpn_Jpan"}
    # recomputed from the run's own scores: the source language (run for the gap) is not counted
    per_setting = {}
    for s in res.data["scores"]:
        if s["metric"] in ("accuracy", "p@1"):
            per_setting.setdefault((s["task"], s["language"]), []).append(s["value"])
    assert len(per_setting[("demo-bitext", "swh_Latn")]) == 2  # both directions: averaged per language
    by = {key: sum(v) / len(v) for key, v in per_setting.items()}
    assert ("demo-topics", "eng_Latn") in by
    topics = (by[("demo-topics", "zho_Hans")] + by[("demo-topics", "swh_Latn")]) / 2
    assert rows["demo-topics"]["score"] == pytest.approx(topics)
    bitext = sum(by[("demo-bitext", lang)] for lang in ("swh_Latn", "zho_Hans", "jpn_Jpan")) / 3
    assert rows["demo-bitext"]["score"] == pytest.approx(bitext)
    assert suite["aggregate"] == pytest.approx((2 * topics + bitext) / 3)
    assert not suite["complete"] and suite["not_in_catalog"][0]["name"] == "later"
    assert res.data["run"]["config"]["suite"] == "demo-suite"
    report = (tmp_path / "run" / "report.md").read_text()
    assert "## Suite demo-suite" in report and "weighted mean over tasks" in report
    assert "(partial: 2 of 2 tasks covered, 1 task(s) not in the catalog)" in report
    assert "| demo-topics | accuracy | 2 |" in report and "later" in report
    from xling.report.html import html

    page = html(res)
    assert "Suite demo-suite" in page and "a task added later" in page
    assert "(partial: 2 of 2 tasks covered, 1 task(s) not in the catalog)" in page
    written = json.loads((tmp_path / "run" / "results.json").read_text())
    assert written["suite"]["aggregate"] == pytest.approx(suite["aggregate"])


def test_run_suite_errors_before_any_model_loads(demo_suite, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\ndescription: d\ntasks:\n  - {task: demo-topics}\n  - {task: no_such_task}\n"
        "  - {task: nor_this_one}\n",
        encoding="utf-8",
    )
    with pytest.raises(UserError, match="not in the catalog: no_such_task, nor_this_one"):
        evaluate("no-such-backend", suite=str(bad))
    with pytest.raises(UserError, match="drop --tasks"):
        evaluate("no-such-backend", tasks=["sib200"], suite=str(demo_suite))
    with pytest.raises(UserError, match="unknown language of suite 'demo-suite' 'kat_Geor'"):
        evaluate("no-such-backend", languages=["swh_Latn", "kat_Geor"], suite=str(demo_suite))
    with pytest.raises(UserError, match="unknown suite 'xtrem'.*xtreme"):
        get_suite("xtrem")


def test_suites_cli_lists_and_shows(demo_suite):
    res = xling_in_process("suites")
    assert res.returncode == 0, res.stderr
    for name in ("xtreme", "llm-core", "african", "indic", "bucc", "weighted mean over tasks"):
        assert name in res.stdout
    res = xling_in_process("suites", "show", "xtreme")
    assert res.returncode == 0, res.stderr
    assert "tydiqa_goldp" in res.stdout and "BUCC" in res.stdout and "Zero-shot" in res.stdout
    res = xling_in_process("suites", "show", str(demo_suite))
    assert "demo-topics" in res.stdout and "zho_Hans, swh_Latn, yor_Latn" in res.stdout
    res = xling_in_process("run", "--suite", "no-such-suite")
    assert res.returncode != 0 and "unknown suite" in res.stderr


def test_run_suite_from_the_command_line_prints_the_aggregate(demo_suite, tmp_path, monkeypatch):
    flaky_embedder.register(monkeypatch)
    env = {"XLING_CACHE_DIR": str(tmp_path / "cache")}
    res = xling_in_process(
        "run", "--suite", str(demo_suite), "-m", "flaky", "-l", "swh_Latn", "--limit", "4", "-q",
        "--output", str(tmp_path / "run"), env=env,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    data = json.loads((tmp_path / "run" / "results.json").read_text())
    aggregate = data["suite"]["aggregate"]
    assert f"suite demo-suite: {aggregate:.1f}" in res.stdout
    assert "weighted mean over tasks" in res.stdout and "later: a task added later" in res.stdout
