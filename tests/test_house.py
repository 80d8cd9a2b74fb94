"""The test suite's own rules: test modules import only helpers (fixtures come from conftest.py),
tests install no system packages (scripts/install-system-deps.sh does, and skips cleanly), and
the in-process CLI runner answers as the real command does."""

from __future__ import annotations

import ast
import os
import subprocess
from pathlib import Path

import pytest

from helpers.cli import ROOT, xling_cmd, xling_in_process

TESTS = ROOT / "tests"
INSTALL = ROOT / "scripts" / "install-system-deps.sh"


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted(TESTS.rglob("*.py")), ids=lambda p: str(p.relative_to(TESTS)))
def test_no_module_imports_a_test_module_or_conftest(path):
    bad = {m for m in imported_modules(path) if m.split(".")[0] == "conftest" or m.split(".")[-1].startswith("test_")}
    assert not bad, f"{path.name} imports {sorted(bad)}: move shared code to tests/helpers, fixtures to conftest.py"


def test_helper_code_lives_in_the_helpers_package():
    loose = [p.name for p in TESTS.glob("*.py") if not p.name.startswith("test_") and p.name != "conftest.py"]
    assert not loose, f"move {loose} into tests/helpers/"


def installs(node: ast.AST) -> bool:
    """A subprocess call whose literal arguments run apt-get or an install script."""
    func = node.func if isinstance(node, ast.Call) else None
    if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "subprocess"):
        return False
    words = [c.value for c in ast.walk(node) if isinstance(c, ast.Constant) and isinstance(c.value, str)]
    return any("apt-get" in w or w.startswith("install-") and w.endswith(".sh") for w in words)


@pytest.mark.parametrize("path", sorted(TESTS.rglob("*.py")), ids=lambda p: str(p.relative_to(TESTS)))
def test_no_test_installs_system_packages(path):
    calls = [node.lineno for node in ast.walk(ast.parse(path.read_text("utf-8"))) if installs(node)]
    assert not calls, f"{path.name}:{calls} installs system packages; scripts/install-system-deps.sh does, tests skip"


CLDR_FILE = Path("/usr/share/unicode/cldr/common/properties/labels.txt")


def tools_without(tmp_path: Path, *missing: str) -> dict:
    """An environment whose PATH has the tools the script needs but none of ``missing``."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in ("sh", "id", "grep", "cat", "true", "sudo", "apt-get", "chromium", "apertium"):
        found = subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True, text=True).stdout.strip()
        if found and tool not in missing:
            (folder / tool).symlink_to(found)
    return {**os.environ, "PATH": str(folder)}


def test_install_script_skips_cleanly_without_apt_get(tmp_path):
    env = tools_without(tmp_path, "apt-get", "chromium", "apertium")
    res = subprocess.run(["sh", str(INSTALL)], capture_output=True, text=True, env=env, timeout=60)
    assert res.returncode == 0, res.stderr
    cldr = (
        "" if Path("/usr/share/unicode/cldr/common/properties/labels.txt").is_file() else " cldr"
    )  # a file, not a tool
    assert (
        f"not installing chromium apertium{cldr}: no apt-get" in res.stderr and "tests that need it skip" in res.stderr
    )
    strict = subprocess.run(
        ["sh", str(INSTALL), "--require", "chromium"], capture_output=True, text=True, env=env, timeout=60
    )
    assert strict.returncode == 1 and "not installing chromium:" in strict.stderr


def test_install_script_is_silent_when_everything_is_there(tmp_path):
    """A stub apt-get that fails shows the script never calls it when the packages are present."""
    folder = tmp_path / "stubs"
    folder.mkdir()
    for tool, body in {"chromium": "exit 0", "apertium": "echo '  spa-eng'", "apt-get": "exit 99"}.items():
        (folder / tool).write_text(f"#!/bin/sh\n{body}\n")
        (folder / tool).chmod(0o755)
    env = {**os.environ, "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}"}
    groups = ["chromium", "apertium"] + (["cldr"] if CLDR_FILE.is_file() else [])  # cldr is a file: no stub
    res = subprocess.run(["sh", str(INSTALL), *groups], capture_output=True, text=True, env=env, timeout=60)
    assert (res.returncode, res.stdout, res.stderr) == (0, "", "")


def test_unknown_argument_is_refused():
    res = subprocess.run(["sh", str(INSTALL), "chromum"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 2 and "unknown argument 'chromum'" in res.stderr


@pytest.mark.parametrize("args", [["run", "--tasks", "demo-topix"], ["run", "--modle", "x"], ["tasks", "--help"]])
def test_the_in_process_cli_answers_as_the_command_does(args):
    real = subprocess.run(xling_cmd(*args), capture_output=True, text=True, timeout=300)
    here = xling_in_process(*args)
    typed = [text.replace("python -m xling", "xling") for text in (real.stdout, real.stderr)]
    assert (here.returncode, here.stdout, here.stderr) == (real.returncode, *typed)


def test_a_kind_without_a_setting_or_units_is_refused_when_declared():
    from xling.kinds.base import KINDS, Kind

    with pytest.raises(TypeError, match="declares neither a setting nor its own units"):

        class Unplanned(Kind):  # noqa: F841
            name = "unplanned-test-kind"

            def run(self, unit, task, ctx):
                return []

    assert "unplanned-test-kind" not in KINDS
