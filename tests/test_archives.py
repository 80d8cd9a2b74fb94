"""Files read in place from .zip and tar archives (``archive.zip!member``), hostile archives, and a
language whose file has its own layout (``local.files`` with format, columns, delimiter...)."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from xling.errors import DataError, UserError
from xling.tasks import ReadPolicy, load_task_file
from xling.tasks.archives import Member, members, open_member, split_archive

BASE = """\
name: arch
description: test task
kind: classification
metric: accuracy
languages: [eng_Latn, swh_Latn]
creation: written-for-xling
licence: CC0-1.0
fields: {text: text}
gold: label
"""

ROWS = {"en": "text\tlabel\nhello\tpos\nbye\tneg\n", "sw": "text\tlabel\nhabari\tpos\nkwaheri\tneg\n"}


def task_file(tmp_path: Path, local: str, name: str = "task.yaml") -> Path:
    p = tmp_path / name
    p.write_text(BASE + local, encoding="utf-8")
    return p


def write_zip(path: Path, files: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return path


def write_tar(path: Path, files: dict[str, str | bytes], mode: str = "w:gz") -> Path:
    with tarfile.open(path, mode) as tf:
        for name, text in files.items():
            data = text.encode() if isinstance(text, str) else text
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def texts(task, lang: str, split: str = "test") -> list[tuple[str, str]]:
    return [(it.fields["text"], it.gold) for it in task.items(lang, split)]


@pytest.mark.parametrize(
    "archive,writer",
    [
        ("release.zip", write_zip),
        ("release.tar.gz", write_tar),
        ("release.tgz", write_tar),
        ("release.tar", lambda p, f: write_tar(p, f, "w")),
        ("release.tar.xz", lambda p, f: write_tar(p, f, "w:xz")),
    ],
)
def test_members_of_an_archive_are_read_in_place(tmp_path, archive, writer):
    data = tmp_path / "data"
    data.mkdir()
    writer(data / archive, {f"rel/{c}/test.tsv": t for c, t in ROWS.items()})
    spec = task_file(
        tmp_path,
        f"local: {{format: tsv, path: '{archive}!rel/{{lang}}/test.tsv'}}\nlanguages: {{eng_Latn: en, swh_Latn: sw}}\n",
    )
    task = load_task_file(spec, data)
    assert texts(task, "eng_Latn") == [("hello", "pos"), ("bye", "neg")]
    assert texts(task, "swh_Latn") == [("habari", "pos"), ("kwaheri", "neg")]
    assert task.count("swh_Latn", "test") == 2
    assert task.available_languages() == ["eng_Latn", "swh_Latn"]
    assert str(task.path_for("eng_Latn", "test")).endswith(f"{archive}!rel/en/test.tsv")
    assert sorted(p.name for p in data.iterdir()) == [archive]  # nothing extracted


def test_a_compressed_member_is_decompressed_by_its_name(tmp_path):
    import gzip

    write_zip(tmp_path / "r.zip", {"en.tsv.gz": gzip.compress(ROWS["en"].encode())})
    spec = task_file(
        tmp_path,
        "local: {root: task-file, format: tsv, path: 'r.zip!{lang}.tsv.gz'}\nlanguages: {eng_Latn: en, swh_Latn: sw}\n",
    )
    assert texts(load_task_file(spec), "eng_Latn") == [("hello", "pos"), ("bye", "neg")]


def test_a_missing_member_names_the_archive_the_member_and_the_closest(tmp_path):
    write_zip(tmp_path / "r.zip", {"data/en/test.tsv": ROWS["en"], "data/sw/tset.tsv": ROWS["sw"]})
    spec = task_file(
        tmp_path,
        "local: {root: task-file, format: tsv, path: 'r.zip!data/{lang}/test.tsv'}\n"
        "languages: {eng_Latn: en, swh_Latn: sw}\n",
    )
    task = load_task_file(spec)
    with pytest.raises(UserError) as exc:
        task.path_for("swh_Latn", "test")
    msg = str(exc.value)
    assert "r.zip" in msg and "'data/sw/test.tsv'" in msg and "closest: data/sw/tset.tsv" in msg
    assert "members: data/en/test.tsv, data/sw/tset.tsv" in msg
    assert task.available_languages() == ["eng_Latn"]  # a missing member is a missing file


def test_a_damaged_archive_is_a_data_error(tmp_path):
    (tmp_path / "r.zip").write_bytes(b"PK\x03\x04 not really a zip")
    spec = task_file(tmp_path, "local: {root: task-file, format: tsv, path: 'r.zip!en.tsv'}\n")
    with pytest.raises(DataError, match="not a readable archive"):
        load_task_file(spec).items("eng_Latn", "test")


def test_hostile_member_names_are_never_written_and_cannot_be_asked_for(tmp_path):
    """Zip-slip and absolute names in an archive: reading never extracts, so nothing lands
    outside (or inside) the data directory; a task cannot name such a member; a tar's link to a
    file outside the archive is not a member."""
    data = tmp_path / "data"
    data.mkdir()
    write_zip(
        data / "evil.zip",
        {"../../escaped.tsv": ROWS["sw"], "/tmp/absolute.tsv": ROWS["sw"], "ok/en.tsv": ROWS["en"]},
    )
    with tarfile.open(data / "evil.tar.gz", "w:gz") as tf:
        link = tarfile.TarInfo("ok/sw.tsv")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tf.addfile(link)
        info = tarfile.TarInfo("../up.tsv")
        info.size = len(ROWS["en"])
        tf.addfile(info, io.BytesIO(ROWS["en"].encode()))
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    ours = {"bad.yaml", "ok.yaml", "s.yaml", "l.yaml"}

    ok = task_file(
        tmp_path, "local: {format: tsv, path: 'evil.zip!ok/{lang}.tsv'}\nlanguages: {eng_Latn: en}\n", "ok.yaml"
    )
    assert texts(load_task_file(ok, data), "eng_Latn") == [("hello", "pos"), ("bye", "neg")]
    for bad in ("../../escaped.tsv", "/tmp/absolute.tsv"):
        with pytest.raises(DataError, match="relative path inside the archive"):
            load_task_file(task_file(tmp_path, f"local: {{format: tsv, path: 'evil.zip!{bad}'}}\n", "bad.yaml"), data)
    sneaky = task_file(
        tmp_path, "local: {format: tsv, path: 'evil.zip!{lang}'}\nlanguages: {eng_Latn: ../../escaped.tsv}\n", "s.yaml"
    )
    with pytest.raises(UserError, match="relative path inside the archive"):
        load_task_file(sneaky, data).items("eng_Latn", "test")
    link = task_file(tmp_path, "local: {format: tsv, path: 'evil.tar.gz!ok/sw.tsv'}\n", "l.yaml")
    with pytest.raises(UserError, match="has no member 'ok/sw.tsv'"):
        load_task_file(link, data).items("eng_Latn", "test")
    assert members(data / "evil.tar.gz") == ("../up.tsv",)  # listed (never extracted), the link is not

    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.name not in ours) == before
    assert not (tmp_path.parent / "escaped.tsv").exists() and not Path("/tmp/absolute.tsv").exists()


def test_an_archive_outside_the_data_directory_is_refused(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    write_zip(tmp_path / "outside.zip", {"en.tsv": ROWS["en"]})
    spec = task_file(tmp_path, "local: {format: tsv, path: '../outside.zip!en.tsv'}\n")
    with pytest.raises(UserError, match="outside its data directory"):
        load_task_file(spec, data).items("eng_Latn", "test")
    allowed = load_task_file(spec, data, ReadPolicy(allow_outside=True))
    assert texts(allowed, "eng_Latn")[0] == ("hello", "pos")


def test_a_path_with_an_exclamation_mark_but_no_archive_is_a_plain_path(tmp_path):
    assert split_archive("wow!/en.tsv") is None and split_archive("a.zip!b/c.tsv") == ("a.zip", "b/c.tsv")
    (tmp_path / "wow!").mkdir()
    (tmp_path / "wow!" / "en.tsv").write_text(ROWS["en"])
    spec = task_file(tmp_path, "local: {root: task-file, format: tsv, path: 'wow!/en.tsv'}\n")
    assert texts(load_task_file(spec), "eng_Latn")[1] == ("bye", "neg")


def test_open_member_streams_a_tar_member_without_a_seek(tmp_path):
    archive = write_tar(tmp_path / "r.tar.gz", {"a.txt": "one\ntwo\n", "b.txt": "three\n"})
    with open_member(Member(archive, "b.txt")) as fh:
        assert list(fh) == [b"three\n"]


def test_provenance_records_the_archive(tmp_path):
    from xling.tasks import provenance

    write_zip(tmp_path / "r.zip", {"en.tsv": ROWS["en"]})
    task = load_task_file(task_file(tmp_path, "local: {root: task-file, format: tsv, path: 'r.zip!en.tsv'}\n"))
    with provenance.recording() as reads:
        task.items("eng_Latn", "test")
    (entry,) = reads.files.values()
    assert entry["relpath"] == "r.zip" and len(entry["sha256"]) == 64


# --- one language's file in its own layout ------------------------------------------------------
PER_LANGUAGE = """\
local:
  root: task-file
  format: tsv
  path: "{lang}.tsv"
  files:
    swh_Latn:
      test: {path: sw.csv, format: csv, header: false, columns: [label, text], quoting: minimal}
"""


def test_one_language_file_may_have_another_format_and_columns(tmp_path):
    (tmp_path / "eng_Latn.tsv").write_text(ROWS["en"])
    (tmp_path / "sw.csv").write_text('pos,"habari, rafiki"\nneg,kwaheri\n')
    task = load_task_file(task_file(tmp_path, PER_LANGUAGE))
    assert texts(task, "eng_Latn") == [("hello", "pos"), ("bye", "neg")]
    assert texts(task, "swh_Latn") == [("habari, rafiki", "pos"), ("kwaheri", "neg")]


def test_a_per_language_layout_is_validated_with_its_line(tmp_path):
    bad = PER_LANGUAGE.replace("columns: [label, text], ", "")
    with pytest.raises(DataError) as exc:
        load_task_file(task_file(tmp_path, bad))
    assert "files.swh_Latn.test" in str(exc.value) and "needs 'columns'" in str(exc.value)
    assert exc.value.line == 14  # the line of local.files
    typo = PER_LANGUAGE.replace("quoting:", "quotng:")
    with pytest.raises(DataError) as exc:
        load_task_file(task_file(tmp_path, typo, "t.yaml"))
    assert "local.files.swh_Latn.test.quotng" in str(exc.value) and "Did you mean 'quoting'" in str(exc.value)
    assert exc.value.line == 16
    fmt = PER_LANGUAGE.replace("format: csv", "format: xlsx")
    with pytest.raises(DataError, match="unknown format 'xlsx'"):
        load_task_file(task_file(tmp_path, fmt, "f.yaml"))


def test_a_per_language_file_reports_bad_rows_at_its_own_line(tmp_path):
    (tmp_path / "eng_Latn.tsv").write_text(ROWS["en"])
    (tmp_path / "sw.csv").write_text("pos,habari\nneg,kwaheri,extra\n")
    task = load_task_file(task_file(tmp_path, PER_LANGUAGE))
    with pytest.raises(DataError) as exc:
        task.items("swh_Latn", "test")
    assert exc.value.path.endswith("sw.csv") and exc.value.line == 2 and "expected 2 columns" in str(exc.value)


def test_open_member_errors_name_the_member(tmp_path):
    tar = write_tar(tmp_path / "r.tar.gz", {"data/en.tsv": ROWS["en"]})
    with pytest.raises(UserError, match="has no member 'data/eng.tsv'") as exc:
        open_member(Member(tar, "data/eng.tsv"))
    assert "closest: data/en.tsv" in str(exc.value)
    write_zip(tmp_path / "s.zip", {"en.tsv": ROWS["en"]})
    raw = bytearray((tmp_path / "s.zip").read_bytes())
    raw[raw.index(b"PK\x01\x02") + 8] |= 0x1  # the central directory marks the member encrypted
    (tmp_path / "s.zip").write_bytes(bytes(raw))
    with pytest.raises(DataError, match=r"s\.zip!en\.tsv: cannot read this member: .*encrypted"):
        open_member(Member(tmp_path / "s.zip", "en.tsv"))
