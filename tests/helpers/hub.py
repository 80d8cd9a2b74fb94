"""A dataset repo laid out like the Hugging Face Hub (README configs + Parquet), for $XLING_HUB_MIRROR."""

from __future__ import annotations

from datasets import Dataset


def hub_repo(root, repo, config, split, rows, features):
    d = root / repo / config
    d.mkdir(parents=True, exist_ok=True)
    Dataset.from_dict(rows, features=features).to_parquet(str(d / f"{split}-00000-of-00001.parquet"))
    readme = root / repo / "README.md"
    old = readme.read_text() if readme.exists() else "---\nconfigs:\n"
    readme.write_text(
        old.removesuffix("---\n") + f"- config_name: {config}\n  data_files:\n"
        f"  - split: {split}\n    path: {config}/{split}-*.parquet\n---\n"
    )
