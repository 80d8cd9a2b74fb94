"""A :class:`Task`: a spec bound to where its data is.

The data is a local copy of the release (``--data-dir``, ``$XLING_DATA_DIR``, or files next to a
task YAML) or, when no data directory is given, the Hugging Face Hub. A task finds the files of
the languages and splits asked for (a split may be a union, ``train+dev+test``), keeps them inside
their data directory, and reads their items through :mod:`xling.tasks.loading`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..errors import DataError, UserError, unknown
from ..languages.codes import canonical, try_canonical
from ..types import Item, sides
from . import loading, provenance, sampling
from .archives import Member, member_problem, members, missing_member, split_archive
from .policy import DEFAULT_POLICY, ReadPolicy
from .readers import SkipLog, SymlinkLoop, resolved
from .spec import LocalSource, TaskSpec, split_parts

DATA_DIR_ENV = "XLING_DATA_DIR"
LABEL_KINDS = ("classification", "pair_classification")


class OutsideDataDir(UserError):
    """A task file's path leaves the data directory it names (without --allow-outside-data-dir)."""


@dataclass
class Task:
    """A task spec bound to where its files are, read under a :class:`ReadPolicy`; the rows that
    policy skips are counted in ``skipped`` (per file)."""

    spec: TaskSpec
    spec_path: Path
    data_dir: Path | None = None
    policy: ReadPolicy = DEFAULT_POLICY
    skipped: SkipLog = field(default_factory=SkipLog)
    no_items: dict[str, str] = field(default_factory=dict, init=False)  # language -> why it was left out
    _has_items: set[str] = field(default_factory=set, init=False, repr=False)  # languages seen to have items

    def __post_init__(self):
        self.spec_path = Path(self.spec_path)
        if self.data_dir is not None:
            self.data_dir = Path(self.data_dir)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def languages(self) -> list[str]:
        """The languages the task is evaluated in."""
        return list(self.spec.languages)

    # --- where the data is ----------------------------------------------------------------
    def _base_dir(self) -> Path | None:
        base = self.data_dir or (Path(os.environ[DATA_DIR_ENV]) if os.environ.get(DATA_DIR_ENV) else None)
        return base

    def uses_hub(self) -> bool:
        """True when this task reads from the Hugging Face Hub (no local copy given)."""
        if self.spec.local is None:
            return True
        if self.spec.local.root != "data-dir":
            return False
        return self._base_dir() is None and self.spec.hub is not None

    def root(self) -> Path:
        local = self.spec.local
        if local is None:
            raise UserError(f"task {self.name!r} has no local layout; it loads from the Hub ({self.spec.hub.id})")
        root = local.root
        if root.startswith("package:"):
            pkg, _, sub = root.removeprefix("package:").partition("/")
            base = Path(str(resources.files(pkg)))
            return self._confined(base / sub, base)
        if root == "task-file":
            base = self.spec_path.parent
        else:
            base = self._base_dir()
            if base is None:
                raise UserError(
                    f"task {self.name!r} reads its data from a local copy of the release,"
                    " and no data directory was given",
                    hint=f"pass --data-dir DIR (or set {DATA_DIR_ENV});"
                    f" the files are expected under DIR/{local.subdir or ''}",
                )
            if not base.is_dir():
                raise UserError(
                    f"data directory {str(base)!r} does not exist",
                    hint="pass --data-dir pointing at the folder holding the releases",
                )
        return self._confined(base / local.subdir, base) if local.subdir else base

    def _confined(self, path: Path, base: Path | None = None) -> Path:
        """``path``, or an error when it leaves the data directory (``..``, absolute paths,
        symlinks out) and the user did not pass --allow-outside-data-dir."""
        real = resolved(path)
        if self.policy.allow_outside:
            return path
        if base is None:
            base = self.root()
        if not real.is_relative_to(resolved(base)):
            raise OutsideDataDir(
                f"task {self.name!r} ({self.spec_path}) would read {path}, outside its data directory {base}",
                hint="fix the path pattern; if the file really lives elsewhere, pass --allow-outside-data-dir",
            )
        return path

    def check_language(self, language: str) -> str:
        """Canonical code of a language this task has data for (evaluated, or the source's)."""
        lang = try_canonical(language) or language
        known = (
            set(self.spec.languages)
            | {self.spec.source_language}
            | set(self.spec.local.files if self.spec.local else {})
        )
        if lang not in known:
            raise unknown(f"language for task {self.name!r}", language, self.spec.languages)
        return lang

    def code(self, language: str) -> str:
        return self.spec.languages.get(language) or language.split("_")[0]

    def variants(self) -> list[tuple[str, str, str]]:
        """``(setting label, canonical language, dataset code)`` of the variant axis (empty if none)."""
        v = self.spec.variant
        if v is None:
            return []
        langs = self.spec.languages if v.languages == "same" else {canonical(k): c for k, c in v.languages.items()}
        return [(f"{v.name}={lang}", lang, code) for lang, code in langs.items()]

    def variant_code(self, variant: str | None) -> str | None:
        if variant is None:
            return None
        for label, lang, code in self.variants():
            if variant in (label, lang, code):
                return code
        raise unknown(
            f"{self.spec.variant.name if self.spec.variant else 'variant'} of task {self.name!r}",
            variant,
            [lab for lab, _, _ in self.variants()],
        )

    def layout_for(self, language: str, split: str) -> LocalSource | None:
        """The local layout of one language's file for a (single) split: the task's, or the one its
        ``local.files`` entry gives; None when that entry lacks the split."""
        local = self.spec.local
        if local is None:
            raise UserError(f"task {self.name!r} has no local layout; it loads from the Hub ({self.spec.hub.id})")
        return local.layout_for(language, split)

    def _pattern(self, language: str, split: str) -> tuple[str, str | None] | None:
        layout = self.layout_for(language, split)
        return None if layout is None else (layout.path, layout.pivot_path)

    def splits_of(self, language: str) -> list[str]:
        """The splits a language has in the local layout (only those the spec names)."""
        language = self.check_language(language)
        local = self.spec.local
        if local and language in local.files:
            return sorted(local.files[language])
        wanted = [s for s in (self.spec.train_split, self.spec.eval_split) if s]
        out = []
        for s in dict.fromkeys(wanted):
            try:
                self.files_for(language, s)
                out.append(s)
            except (OutsideDataDir, SymlinkLoop):
                raise
            except UserError:
                pass
        return out

    def files_for(self, language: str, split: str, variant: str | None = None) -> list[Path]:
        """Every local file read for one language and split (two for line-aligned bitext or a
        ``local.aligned`` file; one per variant that has a file for a task with a variant axis and
        no ``variant`` given; those of every part of a union, in order)."""
        if len(parts := split_parts(split)) > 1:
            return [p for part in parts for p in self.files_for(language, part, variant)]
        if self.spec.variant is not None and variant is None:
            labels = self.variants_of(language, split) or [lab for lab, _, _ in self.variants()][:1]
            return [p for label in labels for p in self.files_for(language, split, label)]
        path = self.path_for(language, split, variant)
        pivot = self.pivot_path(language, split, variant)
        aligned = self.aligned_path(language, split, variant)
        return [path] + ([pivot] if pivot else []) + ([aligned] if aligned else [])

    def variants_of(self, language: str, split: str) -> list[str]:
        """The variant labels that have data for one language and (single) split: every variant
        on the Hub; locally those whose file exists, so that a sparse language x variant grid
        (a context x question matrix with missing cells) runs the cells it has."""
        labels = [lab for lab, _, _ in self.variants()]
        if self.uses_hub():
            return labels
        out = []
        for label in labels:
            try:
                self.path_for(language, split, label)
                out.append(label)
            except (OutsideDataDir, SymlinkLoop):
                raise
            except UserError:
                pass
        return out

    def side_codes(self, language: str) -> tuple[str, str]:
        """The dataset's codes of a pair's two sides, ``{lang_1}`` and ``{lang_2}`` in path
        patterns: its code split at ``pair_separator`` (``de-en``), else each side's own code."""
        code, sep = self.code(language), self.spec.pair_separator
        if sep and len(parts := code.split(sep)) == 2:
            return parts[0], parts[1]
        first, second = sides(language)
        return self.code(first), self.code(second)

    def _format(self, pattern: str, language: str, split: str, variant: str | None) -> str:
        codes = dict(zip(("lang_1", "lang_2"), self.side_codes(language), strict=True))
        languages = dict(zip(("language_1", "language_2"), sides(language), strict=True))
        try:
            variant_code = self.variant_code(variant) or ""
            return pattern.format(
                lang=self.code(language), language=language, split=split, variant=variant_code, **codes, **languages
            )
        except (KeyError, IndexError) as exc:
            raise DataError(
                self.spec_path,
                None,
                f"path pattern {pattern!r} uses an unknown placeholder {exc}",
                hint="placeholders: {lang} (dataset code), {language} (canonical), {split}, {variant}; for a "
                "language pair {lang_1}/{lang_2} and {language_1}/{language_2} (its first and second side)",
            ) from exc

    def formatted(self, pattern: str, language: str, split: str) -> str:
        """A further path pattern of the task (e.g. a gold file's) filled in for one language and split."""
        return self._format(pattern, language, split, None)

    def path_for(self, language: str, split: str, variant: str | None = None) -> Path | Member:
        """The file holding one language and (single) split; a clear error listing what exists when
        absent. A union has several files: see :meth:`files_for`."""
        language = self.check_language(language)
        if len(split_parts(split)) > 1:
            raise UserError(f"task {self.name!r}: split {split!r} is a union of several files; use files_for")
        pat = self._pattern(language, split)
        if pat is None:
            have = ", ".join(sorted(self.spec.local.files[language]))
            raise UserError(f"task {self.name!r} has no split {split!r} for {language}; it has: {have}")
        path, member = self._locate(pat[0], language, split, variant)
        if not path.is_file():
            existing = sorted(p.name for p in path.parent.glob("*"))[:20] if path.parent.is_dir() else []
            raise UserError(
                f"task {self.name!r} has no file for language {language} split {split!r}: {path} is missing",
                hint=("files there: " + ", ".join(existing)) if existing else f"folder {path.parent} does not exist",
            )
        return self._member(path, member)

    def _locate(self, pattern: str, language: str, split: str, variant: str | None) -> tuple[Path, str | None]:
        """``(file, member)`` a path pattern names: the file (an archive when the pattern points
        into one, ``archive.zip!member``) inside the data directory, and the member or None."""
        where = self._format(pattern, language, split, variant)
        inside = split_archive(where)
        return self._confined(self.root() / (inside[0] if inside else where)), inside[1] if inside else None

    def _member(self, archive: Path, name: str | None) -> Path | Member:
        """``archive`` itself when ``name`` is None, else its member ``name``, or an error naming the
        members there are."""
        if name is None:
            return archive
        if problem := member_problem(name):
            raise UserError(f"task {self.name!r} ({self.spec_path}): {problem}")
        member = Member(archive, name)
        if name not in members(archive):
            raise missing_member(member)
        return member

    def pivot_path(self, language: str, split: str, variant: str | None) -> Path | Member | None:
        pat = self._pattern(language, split)
        if not pat or not pat[1]:
            return None
        path, member = self._locate(pat[1], language, split, variant)
        if not path.is_file():
            raise UserError(f"task {self.name!r}: the aligned file {path} is missing")
        return self._member(path, member)

    def aligned_path(self, language: str, split: str, variant: str | None) -> Path | Member | None:
        """The ``local.aligned`` file beside one language's file (None when the task has none)."""
        aligned = self.spec.local.aligned if self.spec.local else None
        if aligned is None:
            return None
        path, member = self._locate(aligned.path, language, split, variant)
        if not path.is_file():
            raise UserError(
                f"task {self.name!r}: the line-aligned file {path} (local.aligned) is missing",
                hint=f"it holds {', '.join(aligned.columns)} for {self.path_for(language, split, variant)}",
            )
        return self._member(path, member)

    def available_languages(self, split: str | None = None) -> list[str]:
        """The task's languages that have data for ``split`` (default: the eval split) where the
        task reads from: all of them on the Hub; those with a file in the local copy (the local
        Belebele copy has 2 of 122)."""
        split = split or self.spec.eval_split
        if self.uses_hub():
            return self.languages
        root = self.root()  # no data directory at all is an error, not "no languages"
        out = []
        for lang in self.languages:
            try:
                self.files_for(lang, split)
                out.append(lang)
            except (OutsideDataDir, SymlinkLoop):
                raise  # a path that escapes or loops is an error to report, not a missing file
            except UserError:
                pass
        if not out:
            local = self.spec.local
            raise UserError(
                f"task {self.name!r}: no language has a {split!r} file under {root}",
                hint=f"expected files like {local.path} ({local.format}); is --data-dir the folder holding "
                f"{local.subdir or 'the release'}?",
            )
        return out

    def with_items(self, languages: list[str]) -> list[str]:
        """The languages whose local eval split yields an item. One that yields none (an empty or
        header-only file, or only bad rows) is a :class:`DataError` naming its files; under
        --skip-bad-rows it is left out, and ``no_items`` says why."""
        if self.uses_hub():
            return list(languages)
        split = self.spec.eval_split
        out = []
        for lang in languages:
            if lang in self._has_items or (
                lang not in self.no_items and next(iter(self.iter_items(lang, split, 1)), None) is not None
            ):
                self._has_items.add(lang)
                out.append(lang)
                continue
            files = ", ".join(str(p) for p in self.files_for(lang, split))
            if not self.policy.skip_bad_rows:
                raise DataError(
                    files,
                    None,
                    f"no items for {lang} (an empty file, a header only, or only bad rows)",
                    hint="restore the file, leave the language out with --languages, or pass "
                    "--skip-bad-rows to run the others (the language is listed as without data)",
                )
            self.no_items[lang] = f"{files} holds no items"
        return out

    def data_file(self, relpath: str) -> Path:
        """A further file of the local release (e.g. MGSM's few-shot exemplars), under the task's root."""
        path = self._confined(self.root() / relpath)
        if not path.is_file():
            raise UserError(f"task {self.name!r}: {path} is missing")
        provenance.note_file(self, path)
        return path

    def source_info(self) -> dict:
        """Where this run reads the task from, for results.json."""
        if self.uses_hub():
            h = self.spec.hub
            return {"hub": h.id, "config": h.config, "revision": h.revision}
        return {"local": str(self.root()), "format": self.spec.local.format}

    def given_translations(self) -> Task | None:
        """The release's translations of this task's items into its source language
        (``translate_test``), as a task read from their Hub source with this task's mapping; None
        without them."""
        given = self.spec.translate_test
        if given is None:
            return None
        spec = self.spec.model_copy(update={"hub": given.hub, "local": None, "translate_test": None})
        return Task(spec, self.spec_path, None, self.policy, self.skipped)

    # --- reading (see :mod:`xling.tasks.loading`) ----------------------------------------------
    def count(self, language: str, split: str, variant: str | None = None) -> int:
        """Records of one language and split (after ``explode``), without building items: fast."""
        return loading.count(self, language, split, variant)

    def items(self, language: str, split: str, limit: int | None = None, variant: str | None = None) -> list[Item]:
        """Items of one language and split, in file order (first ``limit`` only)."""
        return list(self.iter_items(language, split, limit, variant))

    def iter_items(
        self, language: str, split: str, limit: int | None = None, variant: str | None = None
    ) -> Iterator[Item]:
        """Items streamed from the file; reading stops once ``limit`` items are out (see
        :func:`xling.tasks.loading.iter_items` for unions and variants)."""
        return loading.iter_items(self, language, split, limit, variant)

    def limited_items(self, language: str, split: str, limit: int | None, mode: str, seed: int) -> list[Item]:
        """At most ``limit`` items (all without one): the first ones (``mode`` ``first``), or a
        seeded sample, the same parallel items in every language and stratified by label where
        the task declares labels (``sample``; see :mod:`xling.tasks.sampling`)."""
        if limit is None or mode == "first":
            return self.items(language, split, limit)
        return sampling.seeded_sample(self.iter_items(language, split), limit, seed, stratify=self.labelled())

    def labelled(self) -> bool:
        """Whether the gold answers are labels (declared, or a classification kind's): a sample stratifies by them."""
        return bool(self.spec.labels or self.spec.labels_by_language) or self.spec.kind in LABEL_KINDS


__all__ = ["Task", "OutsideDataDir", "DATA_DIR_ENV"]
