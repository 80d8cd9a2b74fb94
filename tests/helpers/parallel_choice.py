"""A synthetic task of parallel three-choice items (``premise``, choices ``a``/``b``/``c``, ``label``)
in the layout ``{lang}/test.jsonl``, for tests of the harness itself."""

from __future__ import annotations

TASK = """\
name: identity
description: synthetic parallel choice items
kind: multiple_choice
metric: accuracy
languages: [{languages}]
source_language: eng_Latn
eval_split: test
fields: {{premise: premise, choices: [a, b, c]}}
gold: {{path: label, type: int}}
id: id
parallel_key: id
creation: machine-translated
licence: CC0-1.0
local: {{format: jsonl, path: "{{lang}}/test.jsonl"}}
"""
