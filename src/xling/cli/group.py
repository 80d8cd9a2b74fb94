"""The ``xling`` command group: errors become a message and an exit code, signals a clean stop."""

from __future__ import annotations

import importlib
import signal
import sys
import threading
import traceback

import click
from rich.markup import escape

from ..errors import UserError, XlingError
from ..redact import redact
from .console import err


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be, so that it stops the run as cleanly."""


def _on_sigterm(signum, frame) -> None:
    raise Terminated()


#: Every command: the module of ``xling.cli`` that defines it, imported only when the command is
#: used (so ``xling --help`` imports no model, task or analysis code), and its one-line help.
COMMANDS: dict[str, tuple[str, str]] = {
    "compare": ("report", "Compare runs on the same items: paired tests per task, setting and language."),
    "diagnose": (
        "diagnose",
        "Diagnostics: output-language fidelity, tokenizer fertility, translation artefacts, "
        "MEXA alignment, contamination.",
    ),
    "export": ("leaderboard", "Write a run's scores, predictions and metadata as Parquet (a Hub dataset layout)."),
    "init": ("init", "Write a first task YAML from a release's data files, to check with `xling tasks show`."),
    "judge": ("judge", "Judge run A against run B on the items both answered, in both answer orders."),
    "leaderboard": (
        "leaderboard",
        "Rank finished runs on the items they share: a static site, leaderboard.json and .parquet.",
    ),
    "models": ("catalog", "List model backends, their spec syntax and capabilities."),
    "prompt-words": (
        "prompt_words",
        "Check the prompt words of every language file against references written by native speakers "
        "(lighteval's translation literals, CLDR via babel) and list every disagreement.",
    ),
    "report": ("report", "Write report.md and a self-contained report.html for a run directory."),
    "run": ("run", "Evaluate a model and write a run directory (report.html, report.md, results.json, predictions)."),
    "suites": ("suites", "List the named suites, or `xling suites show NAME` for one suite's tasks and languages."),
    "tasks": ("catalog", "List catalog tasks, or `xling tasks show NAME` for one task's metadata."),
}


class Cli(click.Group):
    """Turns XlingError into a short message and exit code 2 (no traceback unless --debug);
    Ctrl-C exits with 130, SIGTERM with 143. Every text shown is redacted (no API keys).
    Commands load on first use (``COMMANDS``)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            importlib.import_module(f"{__package__}.{COMMANDS[cmd_name][0]}")
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names))
        rows = []
        for name in names:
            command = self.commands.get(name)
            if command is None:
                rows.append((name, click.utils.make_default_short_help(COMMANDS[name][1], limit)))
            elif not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):
        main_thread = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _on_sigterm) if main_thread else None
        try:
            return super().invoke(ctx)
        except XlingError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            text = exc.message if isinstance(exc, UserError) else str(exc)
            err.print(f"[bold red]error:[/] {escape(redact(text))}", markup=True, highlight=False)
            if isinstance(exc, UserError) and exc.hint:
                err.print(f"  [yellow]hint:[/] {escape(redact(exc.hint))}", markup=True, highlight=False)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt as exc:
            stop = "terminated (SIGTERM)" if isinstance(exc, Terminated) else "interrupted"
            err.print(f"{stop}: everything finished so far is stored; run the same command again to resume.")
            sys.exit(143 if isinstance(exc, Terminated) else 130)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            err.print(redact(traceback.format_exc()), markup=False, highlight=False)
            sys.exit(1)
        finally:
            if main_thread:
                signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


@click.group(cls=Cli, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--debug", is_flag=True, help="Show full tracebacks.")
@click.version_option(package_name="xling")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """xling: how well do a model's abilities carry across languages?

    Evaluates embedders, encoders and LLMs on cross-lingual benchmarks and reports per-language
    scores with confidence intervals and the gap to the source language.
    """
    ctx.ensure_object(dict)["debug"] = debug
