"""SIGTERM (what `kill`, systemd and schedulers send) stops a run as cleanly as Ctrl-C: a message,
exit code 143, every finished unit stored, and the same command resumes to the same scores."""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import time

import pytest

from helpers.cli import xling_cmd
from helpers.embed import EMBED_DATA
from helpers.fake_embed_server import FakeEmbedServer


def german_texts() -> set[str]:
    with open(EMBED_DATA / "sts" / "test" / "deu_Latn.tsv", encoding="utf-8") as fh:
        return {r[k] for r in csv.DictReader(fh, delimiter="\t") for k in ("s1", "s2")}


def stored_units(db) -> int:
    try:
        return sqlite3.connect(db, timeout=1).execute("SELECT COUNT(*) FROM units").fetchone()[0]
    except sqlite3.Error:
        return 0


def scores(run_dir) -> dict:
    data = json.loads((run_dir / "results.json").read_text())
    return {(s["setting"], s["language"]): s["value"] for s in data["scores"]}


@pytest.mark.slow
def test_sigterm_stops_cleanly_and_the_same_command_resumes(tmp_path):
    env = {**os.environ, "XLING_CACHE_DIR": str(tmp_path / "cache")}
    # the German unit's requests wait until released: the run is stopped after the English unit, surely
    with FakeEmbedServer(hold=german_texts()) as server:
        args = xling_cmd(
            "run",
            "-q",
            "-m",
            f"openai:{server.url}#fake",
            "--task-file",
            str(EMBED_DATA / "sts.yaml"),
            "--output",
            str(tmp_path / "run"),
        )
        proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        db = tmp_path / "run" / "predictions.sqlite"
        while proc.poll() is None and stored_units(db) < 1:
            time.sleep(0.05)
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGTERM)
        said = ""
        while line := proc.stderr.readline():  # ends at the message, or at exit
            said += line
            if "run the same command again" in line:
                break
        server.release()  # the request in flight may now end, and the process with it (held no more)
        proc.wait(timeout=120)
        assert proc.returncode == 143 and said.startswith("terminated (SIGTERM)"), said
        con = sqlite3.connect(db)
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert con.execute("SELECT language FROM units").fetchall() == [("eng_Latn",)]
        con.close()
        resumed = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
        ref = subprocess.run(
            [*args[:-1], str(tmp_path / "ref")],
            capture_output=True,
            text=True,
            timeout=300,
            env={**env, "XLING_CACHE_DIR": str(tmp_path / "cache2")},
        )
    assert resumed.returncode == 0 and "units resumed: 1/2" in resumed.stdout, resumed.stdout + resumed.stderr
    assert ref.returncode == 0 and scores(tmp_path / "run") == scores(tmp_path / "ref")
