"""The console command's quick exit: the command's exit code, exit handlers run, output complete."""

import os
import subprocess
import sys

import pytest

from xling.cli import entry as entry_module


def run(code: str, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # a pipe is block-buffered, as usual
    cmd = [sys.executable, "-c", code]
    return subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)


def test_a_finished_command_exits_with_its_code_after_the_exit_handlers(tmp_path):
    mark = tmp_path / "handler-ran"
    code = (
        "import atexit, sys\n"
        f"atexit.register(lambda: open({str(mark)!r}, 'w').write('yes'))\n"
        "atexit.register(lambda: print('said at exit'))  # buffered: a pipe gets it only if flushed\n"
        "sys.argv = ['xling', 'tasks', 'show', 'no-such-task']\n"
        "from xling.cli.entry import entry\n"
        "entry()\n"
        "print('not reached')\n"
    )
    res = run(code, tmp_path)
    assert res.returncode == 2
    assert "unknown task 'no-such-task'" in res.stderr and "not reached" not in res.stdout
    assert mark.read_text() == "yes"
    assert res.stdout.strip() == "said at exit"


def test_a_thread_still_working_finishes_before_the_process_ends(tmp_path):
    mark = tmp_path / "thread-done"
    code = (
        "import sys, threading, time\n"
        f"threading.Thread(target=lambda: (time.sleep(1), open({str(mark)!r}, 'w').write('done'))).start()\n"
        "sys.argv = ['xling', '--version']\n"
        "from xling.cli.entry import entry\n"
        "entry()\n"
    )
    res = run(code, tmp_path)
    assert res.returncode == 0 and "version" in res.stdout
    assert mark.read_text() == "done"


def test_everything_printed_reaches_a_pipe(tmp_path):
    quick = run("import sys; sys.argv = ['xling', 'tasks']; from xling.cli.entry import entry; entry()", tmp_path)
    plain = run("import sys; sys.argv = ['xling', 'tasks']; from xling.cli import main; main()", tmp_path)
    assert quick.returncode == plain.returncode == 0
    assert quick.stdout == plain.stdout and len(quick.stdout.splitlines()) > 50


@pytest.mark.parametrize(("code", "status"), [(None, 0), (0, 0), (3, 3), (256 + 7, 7)])
def test_exit_codes(code, status):
    assert entry_module.exit_code(code) == status


def test_a_message_as_exit_code_is_printed_and_gives_one(capsys):
    assert entry_module.exit_code("stopped: no data") == 1
    assert "stopped: no data" in capsys.readouterr().err
