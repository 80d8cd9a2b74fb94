"""The catalog files themselves (no data needed): names, vocabulary, metadata, pinned sources."""

from __future__ import annotations

import re

from xling.tasks import list_tasks
from xling.tasks.spec import KINDS_VOCABULARY, METRICS_VOCABULARY

BENCHMARKS = {
    "sib200",
    "tatoeba",
    "xnli",
    "pawsx",
    "xcopa",
    "xquad",
    "mlqa",
    "mlqa-gxlt",
    "tydiqa_goldp",
    "mgsm",
    "wikiann",
    "udpos",
    "ud_pud",
    "stsb_multi_mt",
    "belebele",
    "flores-retrieval",
}


def test_catalog_has_every_benchmark_with_full_metadata():
    tasks = {t.name: t for t in list_tasks()}
    assert BENCHMARKS <= set(tasks)
    for name in BENCHMARKS:
        s = tasks[name].spec
        assert tasks[name].spec_path.stem == s.name
        assert s.kind in KINDS_VOCABULARY and s.metric in METRICS_VOCABULARY
        assert s.licence and s.citation and s.homepage and s.creation
        assert s.local is not None and s.hub is not None, name
        assert all(re.fullmatch(r"[a-z]{3}_[A-Z][a-z]{3}", lang) for lang in s.languages)
        if s.eval_split == "dev" or s.kind != "bitext_retrieval" and name in {"xnli", "pawsx", "wikiann", "udpos"}:
            assert s.split_note, f"{name}: say that dev stands in for test"


def test_language_counts_match_the_releases():
    n = {t.name: len(t.languages) for t in list_tasks()}
    assert (
        n["sib200"],
        n["flores-retrieval"],
        n["tatoeba"],
        n["xnli"],
        n["pawsx"],
        n["xcopa"],
        n["xquad"],
        n["mlqa"],
        n["tydiqa_goldp"],
        n["mgsm"],
        n["wikiann"],
        n["udpos"],
        n["ud_pud"],
        n["stsb_multi_mt"],
        n["belebele"],
    ) == (205, 205, 112, 15, 7, 11, 12, 7, 9, 11, 47, 34, 7, 11, 122)


# Hub sources that are deliberately not pinned, each with a note saying why. Pinning one later
# means removing it here: a conscious change, not a silent one.
UNPINNED = {
    "ud_pud",
    "crosssum",
    "wikilingua",
    "m_mmlu",
    "americasnli",
    "indicxnli",
}


def test_every_hub_source_is_pinned_to_a_commit_or_says_why_not():
    with_hub = [t for t in list_tasks() if t.spec.hub is not None]
    assert BENCHMARKS <= {t.name for t in with_hub}
    for t in with_hub:
        hub = t.spec.hub
        if t.name in UNPINNED:
            assert hub.revision is None, f"{t.name} is pinned now: take it out of UNPINNED"
            assert hub.note and "not pinned" in hub.note.lower(), t.name
        else:
            assert hub.revision and re.fullmatch(r"[0-9a-f]{40}", hub.revision), (
                f"{t.name}: hub revision must be a full 40-hex commit sha, got {hub.revision!r}"
            )
            assert "not pinned" not in (hub.note or "").lower(), f"{t.name}: stale 'not pinned' note"


def test_catalog_tasks_use_the_current_id_and_gold_spelling():
    """``id:`` and ``gold:`` at the top level, not the old ``fields: {id:, label:}``."""
    for t in list_tasks():
        assert t.spec.legacy_fields() == [], t.name
