"""Files inside a release archive, read in place.

A task's path may point into a ``.zip`` or a tar archive (``.tar``, ``.tar.gz``/``.tgz``,
``.tar.bz2``, ``.tar.xz``) with ``!``: ``masakhaner2.zip!data/{lang}/test.txt``. A member is
streamed from the archive, never extracted: a hostile member name (``../x``, ``/etc/x``) is never
a path on disk, and only regular files are members (a tar's links and devices are not). A member
whose own name ends in ``.gz``, ``.bz2`` or ``.xz`` is decompressed as it is read.
"""

from __future__ import annotations

import bz2
import difflib
import gzip
import lzma
import tarfile
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import IO

from ..errors import DataError, UserError

ZIP_SUFFIXES = (".zip",)
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
ARCHIVE_SUFFIXES = ZIP_SUFFIXES + TAR_SUFFIXES
SEPARATOR = "!"
# Compressed members by their name's ending: each reads the decompressed bytes of a byte stream.
DECOMPRESSORS = {".gz": lambda raw: gzip.GzipFile(fileobj=raw), ".bz2": bz2.BZ2File, ".xz": lzma.LZMAFile}
#: What a damaged archive or compressed stream raises while it is read.
DAMAGED = (OSError, EOFError, zipfile.BadZipFile, tarfile.TarError, lzma.LZMAError)


def split_archive(path: str) -> tuple[str, str] | None:
    """``(archive, member)`` of a path written ``archive.zip!member`` (the part before the first
    ``!`` ends in an archive suffix), or None for a plain path (a ``!`` elsewhere is a character)."""
    head, sep, member = path.partition(SEPARATOR)
    if not sep or not head.lower().endswith(ARCHIVE_SUFFIXES):
        return None
    return head, member


def member_problem(member: str) -> str | None:
    """Why ``member`` cannot name a file inside an archive (absolute, ``..``, backslashes), or None."""
    if not member or member.startswith("/") or "\\" in member or ".." in PurePosixPath(member).parts:
        return (
            f"archive member {member!r} must be a relative path inside the archive, "
            "written with '/' and without '..' (e.g. 'data/{lang}/test.txt')"
        )
    return None


def check_member_name(member: str) -> str:
    """``member`` when it is a relative path inside an archive, else a ValueError saying why."""
    if problem := member_problem(member):
        raise ValueError(problem)
    return member


@dataclass(frozen=True)
class Member:
    """One file inside an archive; shown as ``archive!member``."""

    archive: Path
    member: str

    def __str__(self) -> str:
        return f"{self.archive}{SEPARATOR}{self.member}"

    @property
    def name(self) -> str:
        return PurePosixPath(self.member).name

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.member).suffix

    def stat(self):
        """The archive's status: a member changes only when its archive does."""
        return self.archive.stat()

    def resolve(self) -> Member:
        return Member(self.archive.resolve(), self.member)

    def is_file(self) -> bool:
        return self.archive.is_file() and self.member in members(self.archive)


def _is_zip(archive: Path) -> bool:
    return archive.name.lower().endswith(ZIP_SUFFIXES)


def _damaged(archive: Path, exc: Exception) -> DataError:
    return DataError(archive, None, f"not a readable archive: {exc}", hint="download the release file again")


@lru_cache(maxsize=64)
def _members(archive: str, size: int, mtime_ns: int) -> tuple[str, ...]:
    path = Path(archive)
    try:
        if _is_zip(path):
            with zipfile.ZipFile(path) as zf:
                return tuple(i.filename for i in zf.infolist() if not i.is_dir())
        with tarfile.open(path, "r|*") as tf:  # streamed: a .tar.gz is read once, front to back
            return tuple(m.name for m in tf if m.isfile())
    except DAMAGED as exc:
        raise _damaged(path, exc) from exc


def members(archive: Path) -> tuple[str, ...]:
    """The regular files an archive holds, in its order (memoised per size and modification time)."""
    st = archive.stat()
    return _members(str(archive), st.st_size, st.st_mtime_ns)


def missing_member(member: Member) -> UserError:
    """The error for a member the archive lacks: the archive, the member, the closest names and
    the members there are."""
    names = members(member.archive)
    close = difflib.get_close_matches(member.member, names, n=3, cutoff=0.5)
    listing = ", ".join(names[:20]) + (f" (and {len(names) - 20} more)" if len(names) > 20 else "")
    hint = (f"closest: {', '.join(close)}; " if close else "") + f"members: {listing or 'none'}"
    return UserError(f"archive {member.archive} has no member {member.member!r}", hint=hint)


class _Opened:
    """A member's byte stream that closes the archive it came from when it is closed."""

    def __init__(self, stream: IO[bytes], *owners):
        self.stream, self.owners = stream, owners

    def __iter__(self):
        return iter(self.stream)

    def read(self, size: int = -1) -> bytes:
        return self.stream.read(size)

    def close(self) -> None:
        self.stream.close()
        for owner in self.owners:
            owner.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_member(member: Member) -> _Opened:
    """The bytes of one member, streamed (decompressed when its name ends in .gz/.bz2/.xz)."""
    archive = member.archive
    owner = None
    try:
        if _is_zip(archive):
            owner = zipfile.ZipFile(archive)
            raw = owner.open(member.member)
        else:
            owner = tarfile.open(archive, "r|*")
            raw = next((owner.extractfile(m) for m in owner if m.isfile() and m.name == member.member), None)
        if raw is None:
            raise KeyError(member.member)
    except KeyError:
        owner.close()
        raise missing_member(member) from None
    except (RuntimeError, NotImplementedError) as exc:  # an encrypted member, an unknown compression
        owner.close()
        raise DataError(member, None, f"cannot read this member: {exc}") from None
    except DAMAGED as exc:
        if owner is not None:
            owner.close()
        raise _damaged(archive, exc) from exc
    decompress = DECOMPRESSORS.get(member.suffix.lower())
    return _Opened(decompress(raw) if decompress else raw, raw, owner)


__all__ = ["Member", "split_archive", "check_member_name", "member_problem", "members", "missing_member", "open_member"]
