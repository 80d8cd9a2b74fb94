"""One writer per run directory; unusable run directories and caches stop a run before the
model loads, naming the file and the fix (exit code 2)."""

import os
import sqlite3
import subprocess

import pandas as pd
import pytest

import xling.run.runner
from helpers.cli import xling_cmd
from xling.errors import UserError
from xling.results import write_parquet
from xling.run.rundir import RunLock

DEMO = ("--tasks", "demo-topics", "--languages", "swh_Latn", "--limit", "3", "-q")


@pytest.fixture
def no_model(monkeypatch):
    """Runs in this process whose model must never load."""

    def refuse(*a, **kw):
        raise AssertionError("the model was loaded")

    monkeypatch.setattr(xling.run.runner, "load_model", refuse)


def read_only_dir(tmp_path):
    """A folder this process cannot write in (as root, a sysfs folder)."""
    if os.geteuid() != 0:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        return ro
    for candidate in ("/sys/fs", "/sys/kernel"):
        try:
            open(f"{candidate}/xling-probe", "w").close()
        except OSError:
            return candidate
    pytest.skip("no read-only folder here")


def test_a_second_process_on_the_same_output_stops_at_once(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    lock = RunLock(run_dir).acquire()  # this test process is "the first run"
    try:
        res = subprocess.run(
            xling_cmd("run", *DEMO, "--output", str(run_dir)), capture_output=True, text=True, timeout=300
        )
    finally:
        lock.release()
    assert res.returncode == 2, res.stderr
    assert f"{run_dir} is in use by pid {os.getpid()}" in res.stderr
    assert not (run_dir / "predictions.sqlite").exists()


def test_the_lock_is_released_when_the_run_ends(tmp_path, no_model):
    (tmp_path / "predictions.sqlite").write_bytes(b"junk" * 100)
    with pytest.raises(UserError):
        xling.run.runner.evaluate(tasks=["demo-topics"], output=tmp_path)
    RunLock(tmp_path).acquire().release()  # not left held by the failed run


def test_concurrent_parquet_writers_use_their_own_temporary_files(tmp_path, monkeypatch):
    path = tmp_path / "predictions.parquet"
    real = pd.DataFrame.to_parquet
    nested = []

    def interleaved(self, target, **kw):  # a second writer runs while the first is writing
        real(self, target, **kw)
        if not nested:
            nested.append(target)
            write_parquet(pd.DataFrame({"prediction": ["b"], "gold": ["b"]}), path)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", interleaved)
    write_parquet(pd.DataFrame({"prediction": ["a", "a"], "gold": ["a", "a"]}), path)
    assert len(pd.read_parquet(path)) == 2  # the last writer to finish wins, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["predictions.parquet"]


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_result_files_get_the_permissions_the_umask_gives(tmp_path, umask):
    old = os.umask(umask)
    try:
        write_parquet(pd.DataFrame({"prediction": ["a"], "gold": ["a"]}), tmp_path / "predictions.parquet")
    finally:
        os.umask(old)
    assert (tmp_path / "predictions.parquet").stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("damage", ["junk", "truncated"])
def test_a_damaged_prediction_store_is_named_before_the_model_loads(tmp_path, damage, no_model):
    store = tmp_path / "run" / "predictions.sqlite"
    store.parent.mkdir()
    if damage == "junk":
        store.write_bytes(b"\x00not a database" * 500)
    else:
        _big_sqlite(store)
        store.write_bytes(store.read_bytes()[: store.stat().st_size // 2])
    with pytest.raises(UserError) as exc:
        xling.run.runner.evaluate(tasks=["demo-topics"], output=store.parent)
    assert str(store) in exc.value.message and "move" in exc.value.hint and "--output" in exc.value.hint


def _big_sqlite(path):
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (k BLOB PRIMARY KEY, v BLOB)")
    con.executemany("INSERT INTO t VALUES (?, ?)", [(os.urandom(16), os.urandom(1000)) for _ in range(500)])
    con.commit()
    con.close()


def test_a_damaged_response_cache_exits_2_naming_the_file_and_the_fix(tmp_path):
    cache = tmp_path / "cache" / "responses.sqlite"
    cache.parent.mkdir()
    _big_sqlite(cache)
    cache.write_bytes(cache.read_bytes()[: 4096 * 3])
    res = subprocess.run(
        xling_cmd("run", *DEMO, "--cache", str(cache), "--output", str(tmp_path / "run")),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 2, res.stderr
    err = " ".join(res.stderr.split())
    assert str(cache) in err and f"move {cache} away or pass --cache NEW; nothing else is lost" in err
    assert "Traceback" not in res.stderr


def test_a_read_only_cache_folder_is_an_error_before_the_model_loads(tmp_path, no_model):
    cache = f"{read_only_dir(tmp_path)}/responses.sqlite"
    with pytest.raises(UserError, match="cannot write the folder of the response cache") as exc:
        xling.run.runner.evaluate(tasks=["demo-topics"], output=tmp_path / "run", cache_path=cache)
    assert "--cache NEW" in exc.value.hint


@pytest.mark.parametrize("name", ["responses.sqlite", "run/predictions.sqlite"])
def test_a_read_only_sqlite_file_in_a_writable_folder_is_an_error_before_the_model_loads(
    tmp_path, no_model, monkeypatch, name
):
    path = tmp_path / name
    path.parent.mkdir(exist_ok=True)
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    real = sqlite3.connect

    def connect(target, *args, **kwargs):  # the file opens read-only, as one the user may not write
        if str(target) == str(path):
            return real(f"file:{target}?mode=ro", *args, uri=True, **kwargs)
        return real(target, *args, **kwargs)

    monkeypatch.setattr(sqlite3, "connect", connect)
    with pytest.raises(UserError, match="attempt to write a readonly database") as exc:
        xling.run.runner.evaluate(
            tasks=["demo-topics"], output=tmp_path / "run", cache_path=tmp_path / "responses.sqlite"
        )
    assert str(path) in str(exc.value) and "away" in exc.value.hint


def test_a_read_only_output_is_an_error_before_the_model_loads(tmp_path, no_model):
    output = f"{read_only_dir(tmp_path)}/run"
    with pytest.raises(UserError, match=f"cannot write the run directory {output}"):
        xling.run.runner.evaluate(tasks=["demo-topics"], output=output)
