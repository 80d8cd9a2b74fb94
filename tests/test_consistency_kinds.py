"""Cross-lingual consistency compares what each kind declares as its answer, in the shapes the
kinds store (src/xling/kinds/*.py), and says where answers cannot be compared across languages."""

import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

from helpers import scripted_lm
from xling import evaluate
from xling.analysis import consistency, run_analyses
from xling.analysis.consistency import ANSWERS, CORRECTNESS_RULES, NOT_APPLICABLE
from xling.kinds.base import KINDS
from xling.kinds.registry import _load_kind_modules

# answers of two languages on eight parallel items: they agree on six
FIRST = [0, 1, 0, 1, 0, 1, 1, 0]
SECOND = [0, 1, 1, 1, 0, 0, 1, 0]


def frame(kind_rows):
    """kind_rows: (language, parallel_id, stored prediction) -> a prediction table of task ``t``."""
    return pd.DataFrame(
        [
            {
                "task": "t",
                "setting": "s",
                "language": lang,
                "item_id": f"{lang}-{pid}",
                "parallel_id": pid,
                "prediction": p,
                "gold": None,
                "score": 1.0,
                "error": None,
            }
            for lang, pid, p in kind_rows
        ]
    )


def head_label(answer, i, lang):  # kinds/embedding.py HeadKind: the predicted label
    return ["neg", "pos"][answer]


def finetuned_label(answer, i, lang):  # kinds/finetune/protocol.py: per-seed predictions and scores
    label = ["neg", "pos"][answer]
    return {"seeds": [label, label], "scores": [1.0, 0.0], "epochs": [2, 3], "selection": f"source-dev ({lang}/dev)"}


def loglik_choice(answer, i, lang):  # kinds/loglik_choice.py: the chosen index and every choice's scores
    raw = [-1.5 - i - len(lang), -2.25 - i]
    return {
        "answer": answer,
        "by": "byte",
        "raw": raw,
        "token": [r / 2 for r in raw],
        "byte": [r / 9 for r in raw],
        "n_tokens": [2, 2],
        "greedy": [False, i % 2 == 0],
    }


def loglik_label(answer, i, lang):
    return loglik_choice(answer, i, lang) | {"answer": ["entailment", "contradiction"][answer]}


def generated_choice(answer, i, lang):  # kinds/generation.py: answers.Extracted.as_dict(raw text)
    return {"answer": answer, "status": "ok", "via": "letter", "raw": f" {'AB'[answer]} ({lang} {i})"}


def generated_label(answer, i, lang):
    word = ["entailment", "contradiction"][answer]
    return {"answer": word, "status": "ok", "via": "label-word", "raw": f" {word} ({lang})"}


def generated_number(answer, i, lang):  # one language's number read as a float: 12 and 12.0 agree
    value = 12 + answer
    return {
        "answer": float(value) if lang == "deu_Latn" else value,
        "status": "ok",
        "via": "answer-phrase",
        "raw": f"... the answer is {value} ({lang})",
    }


def retrieved_id(answer, i, lang):  # kinds/embedding.py, embedding_retrieval.py: the found sentence's id
    return str(i if answer else i + 100)


CASES = [
    ("classification", head_label),
    ("classification", finetuned_label),
    ("pair_classification", head_label),
    ("pair_classification", loglik_label),
    ("pair_classification", generated_label),
    ("multiple_choice", loglik_choice),
    ("multiple_choice", generated_choice),
    ("math", generated_number),
    ("bitext_retrieval", retrieved_id),
    ("many_to_many_retrieval", retrieved_id),
]


@pytest.mark.parametrize(("kind", "stored"), CASES, ids=[f"{k}-{f.__name__}" for k, f in CASES])
def test_agreement_and_kappa_are_over_the_declared_answers(kind, stored):
    rows = [
        (lang, str(i), stored(a, i, lang))
        for lang, answers in (("eng_Latn", FIRST), ("deu_Latn", SECOND))
        for i, a in enumerate(answers)
    ]
    (row,) = consistency(frame(rows), seed=0, kinds={"t": kind})
    assert row["n"] == 8 and row["agreement"] == pytest.approx(75.0)
    # a retrieved id is the item's own (answer 1) or another one; other kinds' answers map 1:1 to 0/1
    first, second = (
        [stored(a, i, "") if stored is retrieved_id else a for i, a in enumerate(x)] for x in (FIRST, SECOND)
    )
    assert row["kappa"] == pytest.approx(cohen_kappa_score(second, first))  # row order: deu_Latn, eng_Latn


def test_an_unreadable_answer_agrees_with_nothing():
    unread = {"answer": None, "status": "unparseable", "via": None, "raw": "hmm"}
    read = {"answer": 0, "status": "ok", "via": "letter", "raw": " A"}
    rows = [(lang, str(i), unread if i < 3 else read) for lang in ("eng_Latn", "deu_Latn") for i in range(6)]
    (row,) = consistency(frame(rows), seed=0, kinds={"t": "multiple_choice"})
    assert row["n"] == 6 and row["agreement"] == pytest.approx(50.0)


def test_every_kind_declares_an_answer_or_why_it_has_none():
    _load_kind_modules()
    declared = set(ANSWERS) | set(NOT_APPLICABLE) | set(CORRECTNESS_RULES)
    assert set(KINDS) <= declared
    # only generation kinds may be declared before their module registers them
    assert declared - set(KINDS) <= set(CORRECTNESS_RULES)
    assert not set(ANSWERS) & set(NOT_APPLICABLE)


@pytest.mark.parametrize("kind", sorted(NOT_APPLICABLE))
def test_kinds_without_comparable_answers_are_reported_not_applicable(kind):
    # tag sequences of parallel sentences tokenised differently (lengths 3 and 4)
    rows = [("eng_Latn", str(i), ["O", "B-PER", "O"]) for i in range(4)]
    rows += [("deu_Latn", str(i), ["O", "O", "B-PER", "O"]) for i in range(4)]
    pred = frame(rows)
    assert consistency(pred, seed=0, kinds={"t": kind}) == []
    out = run_analyses(pred, [], {"t": "eng_Latn"}, 0, kinds={"t": kind})
    assert out["consistency"] == []
    assert out["consistency_not_applicable"] == [{"task": "t", "kind": kind, "reason": NOT_APPLICABLE[kind]}]


def test_xcopa_by_log_likelihood_end_to_end_agrees_on_the_chosen_options(tmp_path, shared_data, monkeypatch):
    """The audit's case: a loglik XCOPA run stored full records (chosen option + per-choice
    log-probs) and reported agreement 0 where most chosen options agreed."""
    lm = scripted_lm.register_both(monkeypatch)
    lm.loglik_script = staticmethod(lambda context, continuation: -float(len(continuation.encode()) % 7))
    res = evaluate(
        "scripted-loglik",
        tasks=["xcopa"],
        languages=["ita_Latn", "swh_Latn"],
        limit=20,
        data_dir=shared_data,
        output=tmp_path / "run",
        cache_path=tmp_path / "cache.sqlite",
    )
    pred = res.predictions()
    chosen = pred.assign(answer=[p["answer"] for p in pred["prediction"]]).pivot(
        index="parallel_id", columns="language", values="answer"
    )
    ita, swh = chosen["ita_Latn"].to_numpy(dtype=int), chosen["swh_Latn"].to_numpy(dtype=int)
    assert 0 < (ita == swh).sum() < len(ita)
    (row,) = res.data["analyses"]["consistency"]
    assert row["n"] == 20 and row["agreement"] == pytest.approx(100 * (ita == swh).mean())
    assert row["kappa"] == pytest.approx(cohen_kappa_score(ita, swh))
