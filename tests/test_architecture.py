"""The layout of docs/architecture.md: layers, no import cycles, and the seams between folders."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from xling.errors import UserError
from xling.kinds.base import KINDS
from xling.kinds.registry import _load_kind_modules, get_kind
from xling.models.base import Capability
from xling.models.training import DEFAULTS, TRAIN_KEYS, hyperparameters
from xling.tasks.spec import KINDS_VOCABULARY

ROOT = Path(__file__).resolve().parents[1]


def test_folders_import_only_lower_layers_and_no_module_cycles():
    """The import-linter contracts in pyproject.toml: layers (cli > run > ... > errors) and acyclic siblings."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    code = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert "2 kept, 0 broken" in r.stdout


def test_task_file_vocabulary_is_the_registered_kinds():
    _load_kind_modules()
    assert set(KINDS_VOCABULARY) == set(KINDS)


def test_the_default_implementation_does_not_depend_on_import_order(monkeypatch):
    _load_kind_modules()
    for name in ("multiple_choice", "pair_classification"):
        monkeypatch.setitem(KINDS, name, list(reversed(KINDS[name])))  # as if imported the other way round
    both = frozenset({Capability.LOGLIK, Capability.GENERATE})
    assert get_kind("multiple_choice", both).needs == Capability.LOGLIK
    assert get_kind("pair_classification", both).needs == Capability.LOGLIK
    assert get_kind("pair_classification", frozenset(Capability)).needs == Capability.EMBED
    assert get_kind("multiple_choice", both, prefer="generate").needs == Capability.GENERATE


def test_checking_a_task_files_kind_imports_no_kind_module(tmp_path):
    """A user's task file is checked against the vocabulary, so tasks/ never imports kinds/."""
    spec = tmp_path / "task.yaml"
    spec.write_text(
        (ROOT / "src/xling/tasks/catalog/demo-topics.yaml")
        .read_text("utf-8")
        .replace("kind: classification", "kind: clasification"),
        "utf-8",
    )
    code = (
        "import sys\nfrom xling.errors import DataError\nfrom xling.tasks.spec import load_spec\n"
        f"try:\n    load_spec({str(spec)!r}, check_kind=True)\nexcept DataError as e:\n    print(e.message)\n"
        "print(sorted(m for m in sys.modules if m.startswith('xling.kinds')))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    message, kinds_imported = r.stdout.strip().splitlines()[-2:]
    assert "unknown kind 'clasification'" in message and "classification" in message
    assert kinds_imported == "[]"


def test_fine_tuning_hyperparameters_are_checked_outside_the_backend():
    hp = hyperparameters({"epochs": 2, "pooling": "mean", "revision": "main"}, "cls")
    assert hp["epochs"] == 2 and hp["pooling"] == "mean" and "revision" not in hp
    assert set(TRAIN_KEYS) <= set(hp) and set(DEFAULTS) < set(hp)
    with pytest.raises(UserError, match="selection"):
        hyperparameters({"selection": "test-dev"}, "cls")
    with pytest.raises(UserError, match="freeze_layers"):
        hyperparameters({"freeze_layers": -1}, "cls")
