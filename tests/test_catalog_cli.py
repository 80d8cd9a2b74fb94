"""Discovery: `xling tasks --language/--kind` and `xling tasks show` (metadata, licence, counts)."""

from __future__ import annotations

import re

from click.testing import CliRunner

from helpers.cli import ROOT
from xling import cli


def run(*args, env=None):
    r = CliRunner().invoke(cli.main, list(args), env=env)
    return r.exit_code, r.output


def names(output: str) -> set[str]:
    return {m.group(1) for m in re.finditer(r"^│ (\S+)\s+│", output, re.M)}


def test_filter_by_language_and_kind():
    code, out = run("tasks", "--language", "swh_Latn")
    assert code == 0
    assert {"sib200", "tatoeba", "xnli", "xcopa", "tydiqa_goldp", "mgsm", "wikiann", "demo-topics"} <= names(out)
    assert not {"pawsx", "xquad", "udpos", "stsb_multi_mt"} & names(out)
    code, out = run("tasks", "--language", "sw")  # any code form
    assert code == 0 and "sib200" in names(out)
    code, out = run("tasks", "--kind", "qa")
    assert code == 0 and names(out) == {
        "xquad",
        "mlqa",
        "mlqa-gxlt",
        "tydiqa_goldp",
        "tydiqa",
        "xor_tydi",
        "mkqa",
        "mkqa_zh_hk",
    }


def test_show_prints_metadata_and_counts(shared_data, monkeypatch):
    monkeypatch.setattr(cli.out, "width", 200)
    code, out = run("tasks", "show", "tatoeba", "--data-dir", str(shared_data))
    assert code == 0, out
    assert "licence: CC-BY-2.0-FR" in out and "69e8f12da6e31d59addadda9a9c8a2e601a0e282" in out
    assert re.search(r"amh_Ethi\s+│ Amharic\s+│ amh\s+│ 168", out)
    assert re.search(r"swh_Latn\s+│ Swahili\s+│ swh\s+│ 390", out)
    code, again = run("tasks", "show", "tatoeba", "--data-dir", str(shared_data))  # cached counts: same table
    assert again == out


def test_show_without_data_dir_and_of_a_yaml_file(monkeypatch):
    monkeypatch.setattr(cli.out, "width", 200)
    monkeypatch.delenv("XLING_DATA_DIR", raising=False)
    code, out = run("tasks", "show", "xnli")
    assert code == 0 and "CC-BY-NC-4.0" in out and "Hugging Face Hub" in out
    assert "revision b8dd5d7af51114dbda02c0e3f6133f332186418e" in out and "embeddings-benchmark/mteb" in out
    code, out = run("tasks", "show", "ud_pud")
    assert code == 0 and "revision NOT PINNED" in out and "Hub note: Revision NOT pinned, deliberately" in out
    code, out = run("tasks", "show", str(ROOT / "examples" / "kitchen-intents" / "task.yaml"))
    assert code == 0 and re.search(r"spa_Latn\s+│ Spanish\s+│ spa_Latn\s+│ 6", out)
    code, out = run("tasks", "show", "nope")
    assert code == 2


def test_show_counts_a_union_eval_split(tmp_path, monkeypatch):
    monkeypatch.setattr(cli.out, "width", 200)
    for split, n in (("train", 3), ("dev", 1), ("test", 2)):
        (tmp_path / split).mkdir()
        (tmp_path / split / "eng_Latn.tsv").write_text("id\ttext\n" + "".join(f"{split}{i}\tx\n" for i in range(n)))
    p = tmp_path / "u.yaml"
    p.write_text(
        "name: u\ndescription: d\nkind: many_to_many_retrieval\nmetric: p@1\nlanguages: [eng_Latn]\n"
        "creation: native\nlicence: CC0-1.0\neval_split: train+dev+test\nfields: {text: text}\nid: id\n"
        "local: {root: task-file, format: tsv, path: '{split}/{language}.tsv'}\n"
    )
    code, out = run("tasks", "show", str(p))
    assert code == 0, out
    assert "eval split: train+dev+test" in out and re.search(r"eng_Latn\s+│ English\s+│ eng_Latn\s+│ 6 ", out), out
