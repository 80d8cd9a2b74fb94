"""Folders laid out like Hugging Face Hub dataset repos (README configs + Parquet), for the
``$XLING_HUB_MIRROR`` tests. Rows are written by the tests, never copied from a dataset."""

from __future__ import annotations


def hub_repo(root, repo, config, split, rows, features):
    """Add one config's split to the repo ``repo`` under ``root`` (its README lists the configs)."""
    from datasets import Dataset

    d = root / repo / config
    d.mkdir(parents=True, exist_ok=True)
    Dataset.from_dict(rows, features=features).to_parquet(str(d / f"{split}-00000-of-00001.parquet"))
    readme = root / repo / "README.md"
    old = readme.read_text() if readme.exists() else "---\nconfigs:\n"
    readme.write_text(
        old.removesuffix("---\n") + f"- config_name: {config}\n  data_files:\n"
        f"  - split: {split}\n    path: {config}/{split}-*.parquet\n---\n"
    )
