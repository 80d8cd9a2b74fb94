"""TEST DOUBLE, not a model: a generation backend of planted quality, for leaderboard tests.

``planted:SKILL-SHIFT`` answers the question "... item N?" of the planted QA task (gold ``cN``)
right when ``(N + SHIFT) % 10 < SKILL // 10``: SKILL percent of the items, and two models with the
same SKILL but another SHIFT are right on different items at the same rate.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from xling.models.base import Backend, Capability

PLANTED_TASK = """\
name: planted-qa
description: Questions whose answers a planted model knows for a chosen share of the items.
kind: generative_qa
metric: f1
languages: {eng_Latn: en, swh_Latn: sw}
eval_split: test
fields: {question: question}
gold: {path: answers, type: list}
id: id
creation: written-for-xling
licence: CC0-1.0
local:
  root: task-file
  format: jsonl
  path: "planted_{split}.jsonl"
  filter: {path: lang, equals: "{lang}"}
"""


class PlantedLM(Backend):
    name = "planted"
    capabilities = frozenset({Capability.GENERATE})

    def fingerprint(self) -> str:
        return f"planted-test-double:{self.target}:{sorted(self.options.items())}"

    def generate(self, prompts, *, stop, max_tokens):
        skill, shift = (int(v) for v in self.target.split("-"))
        out = []
        for p in prompts:
            n = int(re.findall(r"item (\d+)\?", p)[-1])
            out.append(f"c{n}" if (n + shift) % 10 < skill // 10 else "no idea")
        return out

    def generated_tokens(self, text):
        return len(text.split())


def register(monkeypatch) -> None:
    from xling.models import registry

    monkeypatch.setitem(
        registry.BACKENDS,
        "planted",
        registry.BackendInfo("planted", "helpers.planted_lm", "PlantedLM", ("generate",), "", "planted", "test double"),
    )


def write_planted_task(folder: Path, items: int = 200, name: str = "planted-qa") -> Path:
    """The planted QA task ``name``: ``items`` questions in English and in Swahili."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = [
        {"id": f"q{n}", "question": f"{word} item {n}?", "answers": [f"c{n}"], "lang": lang}
        for lang, word in (("en", "Which code belongs to"), ("sw", "Nambari gani ni ya"))
        for n in range(items)
    ]
    (folder / "planted_test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    spec = folder / "planted.yaml"
    spec.write_text(PLANTED_TASK.replace("name: planted-qa", f"name: {name}"), "utf-8")
    return spec
