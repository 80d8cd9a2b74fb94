"""Fine-tuned sequence labelling: a tag per word, through the word's first subword token."""

from __future__ import annotations

from collections import Counter

import numpy as np

from ...errors import DataError
from ...scoring.metrics import METRICS, sentence_entity_f1
from .protocol import FineTuneKind
from .task_head import Features


class FineTuneSequenceLabelling(FineTuneKind):
    """Token tagging (``{tokens}``, gold = tags): WikiANN NER (entity F1), UD-POS (token accuracy).

    Each word is labelled through its first subword token (the XTREME convention); the other
    subwords are ignored in the loss. A word cut off by ``max_seq_length`` (or one the tokenizer
    maps to nothing) is predicted as the most frequent training tag and so counts against the
    model, never silently dropped.
    """

    name = "sequence_labelling"
    head = "token"
    description = "fine-tune a token tagger (first-subword labelling) on source-language train, test on every language"

    def label_list(self, task, train):
        """The tag set, most frequent training tag first (the fallback for unlabelled words)."""
        counts = Counter(t for it in train for t in it.gold)
        known = list(task.spec.labels or counts)
        unknown = sorted(set(counts) - set(known))
        if unknown:
            raise DataError(task.spec_path, None, f"training tags {unknown} are not in the task's labels {known}")
        return sorted(known, key=lambda t: (-counts[t], t))

    def features(self, tok, items, labels, hp, train):
        for it in items:
            toks = it.fields.get("tokens")
            if not isinstance(toks, list) or not isinstance(it.gold, list):
                raise DataError(
                    f"{it.task}:{it.language}",
                    None,
                    f"item {it.item_id}: a sequence-labelling item needs "
                    f"a list of 'tokens' and a list of gold tags; got {type(toks).__name__} tokens and a "
                    f"{type(it.gold).__name__} gold",
                    hint="declare the tags as gold: {path: tags, type: list}",
                )
            if len(toks) != len(it.gold):
                raise DataError(
                    f"{it.task}:{it.language}",
                    None,
                    f"item {it.item_id}: {len(toks)} tokens but "
                    f"{len(it.gold)} gold tags; a sequence-labelling item needs one tag per token",
                )
        enc = tok(
            [it.fields["tokens"] for it in items],
            is_split_into_words=True,
            truncation=True,
            max_length=hp["max_seq_length"],
        )
        index = {lab: i for i, lab in enumerate(labels)}
        out_labels, words = [], []
        for b, it in enumerate(items):
            wids = enc.word_ids(b)
            seen, lab = set(), []
            for w in wids:
                if w is None or w in seen:
                    lab.append(-100)
                else:
                    seen.add(w)
                    lab.append(index.get(it.gold[w], -100))
            out_labels.append(lab)
            words.append(wids)
        return Features(enc["input_ids"], out_labels, list(range(len(items))), words)

    def loss(self, torch, logits, labels, width):
        target = torch.full((len(labels), width), -100, dtype=torch.long)
        for i, lab in enumerate(labels):
            target[i, : len(lab)] = torch.tensor(lab, dtype=torch.long)
        return torch.nn.functional.cross_entropy(
            logits.reshape(-1, logits.shape[-1]), target.reshape(-1), ignore_index=-100
        )

    def decode(self, items, feats, outputs, labels, hp):
        fallback = labels[0]  # the most frequent training tag
        preds = []
        for it, wids, logits in zip(items, feats.extra, outputs, strict=True):
            tags = [fallback] * len(it.fields["tokens"])
            seen = set()
            for pos, w in enumerate(wids):
                if w is not None and w not in seen:
                    seen.add(w)
                    tags[w] = labels[int(np.argmax(logits[pos]))]
            preds.append(tags)
        return preds

    def item_score(self, pred, item, language, task):
        if task.spec.metric == "entity_f1":
            return sentence_entity_f1(pred, item.gold)
        return float(np.mean([p == g for p, g in zip(pred, item.gold, strict=True)]))

    def dev_value(self, preds, items, language, task):
        metric = METRICS.get(task.spec.metric)
        if metric is not None and hasattr(metric, "counts") and metric.counts is not None:
            total = sum(metric.counts(p, it.gold) for p, it in zip(preds, items, strict=True))
            return float(metric.combine(total))
        return super().dev_value(preds, items, language, task)
