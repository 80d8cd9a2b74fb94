"""``apertium:<pair>``: rule-based machine translation with Apertium (a translator backend).

Needs the ``apertium`` program and the language pair's package (Debian/Ubuntu:
``scripts/install-apertium.sh`` installs ``apertium`` and ``apertium-eng-spa``). The target is
an Apertium mode such as ``spa-eng``; ``apertium -l`` lists the installed ones. Deterministic:
the same text always gets the same translation, so responses are cached like any model's.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cached_property
from typing import Any

from pydantic import Field

from ..errors import UserError
from ..languages.codes import try_canonical
from .base import Backend, Capability, ItemError
from .options import BackendOptions

_CHUNK = 2000  # texts per apertium process


class ApertiumOptions(BackendOptions):
    timeout: float = Field(600.0, gt=0)  # seconds per apertium process


class Apertium(Backend):
    name = "apertium"
    capabilities = frozenset({Capability.TRANSLATE})
    Options = ApertiumOptions
    opt: ApertiumOptions

    def __init__(self, spec: str, target: str | None, options: dict[str, Any]):
        super().__init__(spec, target, options)
        if shutil.which("apertium") is None:
            raise UserError(
                "the apertium program is not installed",
                hint="run scripts/install-apertium.sh (apt-get install apertium apertium-eng-spa)",
            )
        if not target:
            raise UserError(
                "apertium needs a language pair, e.g. apertium:spa-eng",
                hint=f"installed pairs: {', '.join(self.modes) or 'none'}",
            )
        if target not in self.modes:
            raise UserError(
                f"Apertium pair {target!r} is not installed. Installed: {', '.join(self.modes) or 'none'}",
                hint="e.g. apt-get install apertium-eng-spa for spa-eng; see `apt-cache search apertium-`",
            )
        src, _, tgt = target.partition("-")
        self.source = try_canonical(src)
        self.target_language = try_canonical(tgt.split("_")[0])
        self.timeout = self.opt.timeout

    @cached_property
    def modes(self) -> list[str]:
        out = subprocess.run(["apertium", "-l"], capture_output=True, text=True, timeout=60)
        return [m.strip() for m in out.stdout.split() if m.strip()]

    @cached_property
    def version(self) -> str:
        out = subprocess.run(["apertium", "-V"], capture_output=True, text=True, timeout=60)
        pair = ""
        try:
            pkg = subprocess.run(
                ["dpkg-query", "-W", "-f=${Version}", f"apertium-{'-'.join(sorted(self.target.split('-')))}"],
                capture_output=True,
                text=True,
                timeout=60,
            )
            pair = pkg.stdout.strip()
        except OSError:
            pass
        return f"{(out.stdout or out.stderr).strip()} pair {pair or 'unknown'}"

    def fingerprint(self) -> str:
        return f"apertium:{self.target}:{self.version}:unknown-marks-off"

    def info(self) -> dict[str, Any]:
        return super().info() | {"version": self.version}

    def translates(self, source: str, target: str) -> bool:
        return (self.source, self.target_language) == (try_canonical(source) or source, try_canonical(target) or target)

    def translate(self, texts: list[str], source: str, target: str) -> list[str | ItemError]:
        """Translate ``texts`` (one line each) from ``source`` into ``target``."""
        if not self.translates(source, target):
            raise UserError(
                f"apertium:{self.target} translates {self.source} -> {self.target_language}, not {source} -> {target}",
                hint="choose the pair for the languages you evaluate, e.g. --languages spa_Latn with apertium:spa-eng",
            )
        out: list[str | ItemError] = []
        for start in range(0, len(texts), _CHUNK):
            out += self._run(texts[start : start + _CHUNK])
        return out

    def _run(self, texts: list[str]) -> list[str | ItemError]:
        # Plain-text mode keeps punctuation and line breaks: one input line -> one output line.
        lines = [" ".join(t.split()) for t in texts]
        res = subprocess.run(
            ["apertium", "-u", self.target],
            input="\n".join(lines) + "\n",
            capture_output=True,
            text=True,
            timeout=self.timeout,
        )
        got = res.stdout.split("\n")
        if got and got[-1] == "":
            got = got[:-1]
        if res.returncode == 0 and len(got) == len(lines):
            return [g.strip() for g in got]
        if len(lines) == 1:
            return [ItemError(f"apertium failed (exit {res.returncode}): {res.stderr.strip()[:200]}")]
        return [r for t in texts for r in self._run([t])]  # misaligned output: one text at a time
