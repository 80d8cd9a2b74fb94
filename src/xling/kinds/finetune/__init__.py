"""Fine-tuning kinds (the XTREME zero-shot transfer protocol) for fit/predict encoders.

Fit a task head plus the encoder on the source language's train split, select the checkpoint
(epoch) on the source language's dev split (``selection=source-dev``, default) or on each
target's own dev split (``selection=target-dev``, the oracle), and predict every language's
eval split. Several seeds; each item's row holds every seed's prediction and score
(``{"seeds": [...], "scores": [...], "epochs": [...], "selection": ...}``), its score is the
mean over seeds, so a language's value is the mean over seeds, with a bootstrap CI over items.

Fine-tuned weights are cached on disk per (base model fingerprint, task, head, labels, train
data hash, seed, hyperparameters): a resumed or repeated run loads them instead of training.

``protocol`` runs a unit (seeds, epochs, scores); ``trainer`` trains and predicts with the
checkpoint cache; ``selection`` picks each seed's epoch on a dev split; ``heads`` and
``frozen_bottom`` build the model; ``sentence``, ``tagging`` and ``qa`` are the task kinds.
"""
