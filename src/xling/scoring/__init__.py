"""Scoring: per-item metrics and their corpus aggregates, answer extraction, QA scorers, statistics."""
