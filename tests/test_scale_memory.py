"""A run holds one language's items at a time: the items a language's units read are released
after its last unit (the source language's stay: other languages' units read them too)."""

from __future__ import annotations

import gc
import json
import weakref

from helpers.parallel_choice import TASK
from helpers.scripted_lm import ScriptedBothLM, register_both
from xling.tasks.task import Task

LANGS = ["eng_Latn", "deu_Latn", "swh_Latn", "yor_Latn"]


class Items(list):
    """A list of items that a weak reference can watch."""


def test_a_languages_items_are_released_after_its_last_unit(tmp_path, monkeypatch):
    from xling.run.runner import evaluate

    data = tmp_path / "data"
    for lang in LANGS:
        (data / lang).mkdir(parents=True)
        choices = {"a": "yes", "b": "no", "c": "maybe"}
        rows = [{"id": i, "premise": f"{lang} premise {i}", **choices, "label": i % 3} for i in range(20)]
        (data / lang / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "task.yaml").write_text(TASK.format(languages=", ".join(LANGS)), encoding="utf-8")

    read: dict[str, weakref.ref] = {}
    limited = Task.limited_items

    def watched(self, language, split, limit, mode, seed):
        items = Items(limited(self, language, split, limit, mode, seed))
        read[language] = weakref.ref(items)
        return items

    alive: dict[str, list[str]] = {}

    def script(context: str, continuation: str) -> float:
        lang = context.split(" ")[0]
        if lang not in alive:
            gc.collect()
            alive[lang] = [other for other, ref in read.items() if ref() is not None]
        return -float(len(continuation))

    monkeypatch.setattr(Task, "limited_items", watched)
    register_both(monkeypatch)
    ScriptedBothLM.loglik_script = staticmethod(script)
    monkeypatch.setenv("XLING_DATA_DIR", str(data))
    evaluate("scripted-loglik", task_files=[tmp_path / "task.yaml"], output=tmp_path / "run", cache_path=tmp_path / "c")
    assert list(alive) == LANGS  # one unit per language, in this order
    assert alive["deu_Latn"] == ["eng_Latn", "deu_Latn"]
    assert alive["swh_Latn"] == ["eng_Latn", "swh_Latn"]  # German's items are gone, the source language's kept
    assert alive["yor_Latn"] == ["eng_Latn", "yor_Latn"]
