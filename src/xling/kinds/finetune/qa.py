"""Fine-tuned extractive QA: the answer as a span of the context, scored by EM or F1."""

from __future__ import annotations

from ...errors import DataError
from ...scoring.qa import best_over_golds, scorer_of
from .protocol import FineTuneKind
from .task_head import Features


class FineTuneExtractiveQA(FineTuneKind):
    """Extractive QA (``{context, question}``, gold = answer strings): XQuAD, MLQA, TyDiQA-GoldP.

    Question and context are encoded together; a context longer than ``max_seq_length`` is cut
    into windows overlapping by ``doc_stride`` tokens. Training marks the answer's first and last
    token (the CLS token when a window does not contain the answer); prediction takes the best
    span (start + end logit) of at most ``max_answer_tokens`` tokens over all windows. Answer
    start offsets come from the item's ``answer_starts`` field, else the first occurrence of the
    answer in the context. Scores are EM/F1 after MLQA's language-aware normalisation.
    """

    name = "extractive_qa"
    head = "qa"
    description = (
        "fine-tune span extraction on source-language train, test on every language (EM/F1, MLQA normalisation)"
    )

    def n_out(self, labels):
        return 2

    def features(self, tok, items, labels, hp, train):
        for it in items:
            if "context" not in it.fields or "question" not in it.fields:
                raise DataError(
                    f"{it.task}:{it.language}", None, f"item {it.item_id}: extractive QA needs 'context' and 'question'"
                )
        enc = tok(
            [str(it.fields["question"]).lstrip() for it in items],
            [str(it.fields["context"]) for it in items],
            truncation="only_second",
            max_length=hp["max_seq_length"],
            stride=min(hp["doc_stride"], hp["max_seq_length"] // 4),  # overlap must fit in a window
            return_overflowing_tokens=True,
            return_offsets_mapping=True,
        )
        mapping = enc["overflow_to_sample_mapping"]
        labels_out, extra = [], []
        for f, b in enumerate(mapping):
            seq = enc.sequence_ids(f)
            offsets = [o if s == 1 else None for o, s in zip(enc["offset_mapping"][f], seq, strict=True)]
            extra.append(offsets)
            if not train:
                labels_out.append(None)
                continue
            it = items[b]
            answer = str(it.gold[0]) if isinstance(it.gold, list) else str(it.gold)
            starts = it.fields.get("answer_starts")
            start_char = (
                int(starts[0])
                if isinstance(starts, list) and starts and int(starts[0]) >= 0
                else str(it.fields["context"]).find(answer)
            )
            end_char = start_char + len(answer)
            span = (0, 0)
            if start_char >= 0:
                toks = [i for i, o in enumerate(offsets) if o is not None and o[0] < end_char and o[1] > start_char]
                ctx_toks = [i for i, o in enumerate(offsets) if o is not None]
                if toks and ctx_toks and offsets[ctx_toks[0]][0] <= start_char and offsets[ctx_toks[-1]][1] >= end_char:
                    span = (toks[0], toks[-1])
            labels_out.append(span)
        return Features(enc["input_ids"], labels_out, list(mapping), extra)

    def loss(self, torch, logits, labels, width):
        start = torch.tensor([s for s, _ in labels], dtype=torch.long)
        end = torch.tensor([e for _, e in labels], dtype=torch.long)
        ce = torch.nn.functional.cross_entropy
        return (ce(logits[..., 0], start) + ce(logits[..., 1], end)) / 2

    def decode(self, items, feats, outputs, labels, hp):
        best: dict[int, tuple[float, str]] = {}
        max_len = int(hp.get("max_answer_tokens", 30))
        for f, logits in enumerate(outputs):
            b = feats.item_index[f]
            offsets = feats.extra[f]
            ctx = [i for i, o in enumerate(offsets) if o is not None and i < len(logits)]
            if not ctx:
                continue
            start_l, end_l = logits[:, 0], logits[:, 1]
            top_s = sorted(ctx, key=lambda i: -start_l[i])[:20]
            top_e = sorted(ctx, key=lambda i: -end_l[i])[:20]
            for s in top_s:
                for e in top_e:
                    if e < s or e - s + 1 > max_len:
                        continue
                    score = float(start_l[s] + end_l[e])
                    if b not in best or score > best[b][0]:
                        context = str(items[b].fields["context"])
                        best[b] = (score, context[offsets[s][0] : offsets[e][1]])
        return [best.get(b, (0.0, ""))[1] for b in range(len(items))]

    def item_score(self, pred, item, language, task):
        golds = item.gold if isinstance(item.gold, list) else [item.gold]
        em, f1 = best_over_golds(pred, [str(g) for g in golds], language, scorer_of(task.spec))
        return em if task.spec.metric == "em" else f1
