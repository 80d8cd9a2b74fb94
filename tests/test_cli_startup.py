"""The command line loads only what a command needs: `xling --help`, `xling tasks` and `xling
models` import no model, scorer or analysis code (what keeps them fast), and every command is
listed with the help its own module declares."""

from __future__ import annotations

import json
import subprocess
import sys

import click

from xling.cli import group
from xling.tasks import list_tasks
from xling.tasks.spec import known_metrics

HEAVY = ("numpy", "pandas", "torch", "xling.kinds", "xling.models.base", "xling.scoring.metrics", "xling.analysis")


def _modules_after(argv: list[str]) -> set[str]:
    code = (
        "import sys, json, contextlib, io\n"
        "from xling.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    try: main({argv!r}, standalone_mode=False)\n"
        "    except SystemExit: pass\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_help_tasks_and_models_import_nothing_heavy():
    for argv in (["--help"], ["tasks"], ["models"]):
        loaded = _modules_after(argv)
        heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY or m.startswith(HEAVY))
        assert not heavy, f"xling {' '.join(argv)} imported {heavy[:8]}"
    assert "xling.cli.run" not in _modules_after(["--help"])


def test_every_command_is_in_the_table_with_its_own_help():
    import importlib
    import pkgutil

    import xling.cli

    for module in pkgutil.iter_modules(xling.cli.__path__):  # a command in a module missing from the table fails
        importlib.import_module(f"xling.cli.{module.name}")
    ctx = click.Context(group.main)
    registered = {n: c for n, c in group.main.commands.items() if not c.hidden}
    assert set(registered) == set(group.COMMANDS)
    for name, command in registered.items():
        module, help_text = group.COMMANDS[name]
        assert command.callback.__module__ == f"xling.cli.{module}"
        first = " ".join((command.help or "").split("\n\n")[0].split())
        assert first.startswith(help_text.rstrip(".")), name
        assert group.main.get_command(ctx, name) is command


def test_help_lists_every_command_without_importing_it():
    result = subprocess.run([sys.executable, "-m", "xling", "--help"], capture_output=True, text=True, check=True)
    listed = [line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines() if line.strip()]
    assert listed == sorted(group.COMMANDS)


def test_catalog_metrics_are_known():
    """Catalog files skip the metric check when read (it imports the scorers), so it is here."""
    for task in list_tasks():
        assert task.spec.metric in known_metrics(), task.name
