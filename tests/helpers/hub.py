"""Folders laid out like Hugging Face Hub dataset repos (README configs + data files), for the
``$XLING_HUB_MIRROR`` tests. Rows are written by the tests, never copied from a dataset."""

from __future__ import annotations


def hub_repo(root, repo, config, split, rows, features):
    """Add one config's split to the repo ``repo`` under ``root`` as Parquet (<config>/<split>-*.parquet)."""
    from datasets import Dataset

    d = root / repo / config
    d.mkdir(parents=True, exist_ok=True)
    Dataset.from_dict(rows, features=features).to_parquet(str(d / f"{split}-00000-of-00001.parquet"))
    _list_in_readme(root / repo, config, split, f"{config}/{split}-*.parquet")


def hub_tsv(root, repo, config, split, path, rows: list[dict]):
    """Add one config's split to the repo ``repo`` as the tab-separated file ``path`` (relative to
    the repo), for repos whose configs point at the release's own TSV files."""
    f = root / repo / path
    f.parent.mkdir(parents=True, exist_ok=True)
    lines = ["\t".join(rows[0]), *("\t".join(str(v) for v in r.values()) for r in rows)]
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _list_in_readme(root / repo, config, split, path)


def _list_in_readme(repo_dir, config, split, path):
    """Name the file of ``config``/``split`` in the repo README's ``configs:`` block."""
    readme = repo_dir / "README.md"
    old = readme.read_text() if readme.exists() else "---\nconfigs:\n"
    entry = f"- config_name: {config}\n  data_files:\n  - split: {split}\n    path: {path}\n"
    readme.write_text(old.removesuffix("---\n") + entry + "---\n")
