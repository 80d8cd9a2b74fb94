"""The declarative task spec: one YAML file per benchmark, validated with pydantic.

Catalog tasks and users' one-file tasks share this schema (README: "Declare your own benchmark
in one YAML file"). Validation errors name the file, the line and the offending key.
"""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .. import yamlio
from ..errors import DataError, UserError, did_you_mean
from ..languages.codes import canonical, language_key
from .archives import check_member_name, split_archive
from .catalog_files import CATALOG_DIR
from .mapping import GOLD_TYPES, Gold, MappingError, Path_, check_path
from .options import TEMPLATE_HELPERS, TaskOptions, options_model, template_names
from .placeholder import FILL_ME, placeholders
from .readers import QUOTING, READERS

Creation = Literal["native", "human-translated", "machine-translated", "written-for-xling"]


def split_parts(split: str) -> list[str]:
    """The splits a split name stands for: ``train+dev+test`` (the Hugging Face ``datasets``
    convention) is those splits concatenated in that order; a plain name is itself."""
    return split.split("+")


def check_split(split: str) -> str:
    """A split name or union, or a ValueError saying what is wrong with it (empty or repeated part)."""
    parts = split_parts(split)
    for part in parts:
        if not part.strip():
            raise ValueError(f"{split!r} has an empty part; write splits joined by '+', e.g. 'train+dev+test'")
        if part != part.strip():
            raise ValueError(f"{split!r}: no spaces around '+' (write e.g. 'train+dev+test')")
    repeated = sorted({p for p in parts if parts.count(p) > 1})
    if repeated:
        raise ValueError(f"{split!r} names {', '.join(map(repr, repeated))} twice; each split may appear once")
    return split


def shared_splits(a: str | None, b: str | None) -> list[str]:
    """The splits two split names (or unions) have in common, in ``a``'s order."""
    if not a or not b:
        return []
    other = set(split_parts(b))
    return [p for p in split_parts(a) if p in other]


class Mapping(BaseModel):
    """Record -> item mapping; the hub source may override any of it for its own schema."""

    model_config = ConfigDict(extra="forbid")
    fields: dict[str, str | list[str]] | None = Field(
        None, description="The Hub rows' item fields, as the top-level `fields`; replaces them for the Hub source."
    )
    gold: str | Gold | None = Field(None, description="The Hub rows' gold answer, as the top-level `gold`.")
    id: str | None = Field(None, description="The Hub rows' item id path, as the top-level `id` (`null`: none).")
    parallel_key: str | None = Field(
        None, description="The Hub rows' parallel key, as the top-level `parallel_key` (`null`: not parallel)."
    )
    explode: str | list[str] | None = Field(
        None, description="As `local.explode`, for the Hub rows (the local value is not inherited)."
    )
    label_map: dict[str, str] | None = Field(
        None, description='As the top-level `label_map`, for the Hub rows (e.g. `{"0": negative}`).'
    )
    language_keyed: list[str] | None = Field(None, description="As the top-level `language_keyed`, for the Hub rows.")
    text_lists: list[str] | None = Field(None, description="As the top-level `text_lists`, for the Hub rows.")


class HubSource(BaseModel):
    """Where the benchmark lives on the Hugging Face Hub, for users online (``datasets``).

    ``config`` may contain ``{lang}`` (the language's hub code: ``languages`` below, else the
    local code) and ``{language}`` (canonical); ``split_configs`` names another config for a
    split. ``filter`` keeps rows whose ``path`` starts with ``startswith`` (same placeholders, and
    ``{code}``: the task's own code of the language) — for hubs that put all languages in one config.
    ``data_dir`` (same placeholders, and ``{variant}``) reads one folder of the repo instead of a
    config: the Hub's Parquet export (``refs/convert/parquet``: ``<config>/<split>/0000.parquet``)
    of a dataset whose main branch holds a loading script, which ``datasets`` no longer runs.
    """

    model_config = ConfigDict(extra="forbid")
    id: str = Field(description="The Hub dataset id (`owner/name`).")
    config: str | None = Field(
        None, description="The dataset config; may hold `{lang}` (the Hub code of the language) and `{language}`."
    )
    split_configs: dict[str, str] = Field(
        default_factory=dict,
        description="Hub: the config a split reads instead of `config` (same placeholders), e.g. "
        "{test: crosslingual_test} where the release keeps its test set apart.",
    )
    data_dir: str | None = Field(
        None,
        description="A folder of the repo to read instead of a config (same placeholders and `{variant}`), "
        "e.g. the Parquet export of a dataset whose main branch holds a loading script.",
    )
    revision: str | None = Field(None, description="The commit SHA to read (without it: a moving branch).")
    split_map: dict[str, str] = Field(
        default_factory=dict, description="The task's split name -> the Hub's (`{dev: validation}`)."
    )
    languages: dict[str, str] = Field(
        default_factory=dict,
        description="Canonical code -> the Hub's code of the language, where it differs from the local files' code.",
    )
    mapping: Mapping | None = Field(
        None, description="The record mapping of the Hub rows, where their columns differ from the local files'."
    )
    filter: dict[str, str] | None = Field(
        None,
        description="`{path: ..., startswith: ...}`: keep the rows whose value at `path` starts with that "
        "text (same placeholders), for a config holding every language.",
    )
    note: str | None = Field(
        None, description="Free text on the Hub copy: what differs from the release, where the revision is cited."
    )

    @field_validator("languages", mode="before")
    @classmethod
    def _canon(cls, value: Any) -> Any:
        if isinstance(value, dict):
            try:
                return {canonical(str(k)): str(v) for k, v in value.items()}
            except UserError as exc:
                raise ValueError(exc.message) from exc
        return value


@cache
def _compiled(path: str) -> Path_:
    return Path_(path)


class RowFilter(BaseModel):
    """Keep the rows whose ``path`` (a key, or nested keys: ``info.language``) equals ``equals``
    or starts with ``startswith``; both may hold ``{lang}`` (the dataset's code of the language),
    ``{language}`` (canonical) and ``{split}``. For a release that keeps every language in one file
    (XOR-TyDi's ``lang`` column, EXAMS' ``info.language``) or every split (MASSIVE's ``partition``)."""

    model_config = ConfigDict(extra="forbid")
    path: str = Field(description="The record's key (or nested keys, `info.language`) to test.")
    equals: str | None = Field(
        None, description="Keep rows whose value is exactly this (`{lang}`, `{language}`, `{split}` allowed)."
    )
    startswith: str | None = Field(None, description="Keep rows whose value starts with this (same placeholders).")

    @model_validator(mode="after")
    def _one_test(self):
        if (self.equals is None) == (self.startswith is None):
            raise ValueError("a filter needs exactly one of 'equals' and 'startswith'")
        return self

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        return check_path(value, "filter path")

    def keeps(self, record: dict, code: str, language: str, split: str = "") -> bool:
        try:
            value = str(_compiled(self.path).get(record))
        except MappingError:
            value = ""
        if self.equals is not None:
            return value == self.equals.format(lang=code, language=language, split=split)
        return value.startswith(self.startswith.format(lang=code, language=language, split=split))


ALIGNABLE_FORMATS = ("tsv", "csv", "jsonl")


class AlignedFile(BaseModel):
    """Columns a release keeps in a file of their own, line by line beside the main file (STS-17's
    gold scores ``STS.gs.*`` beside its sentence pairs ``STS.input.*``)."""

    model_config = ConfigDict(extra="forbid")
    path: str = Field(
        description="Path pattern of the file, with the placeholders of local.path: its line n belongs to the "
        "main file's n-th record, and the two must have as many lines as records."
    )
    columns: list[str] = Field(
        min_length=1,
        description="Names of the columns each line holds (split at 'delimiter' when there are several), "
        "added to the record; map them with fields/gold like the main file's columns.",
    )
    delimiter: str = Field("\t", description="What separates the columns of a line (default: a tab).")

    @field_validator("delimiter")
    @classmethod
    def _one_char(cls, value: str) -> str:
        if len(value) != 1:
            raise ValueError(f"delimiter must be one character, not {value!r}")
        return value


def _check_layout_path(value: str | None) -> str | None:
    """A path pattern, checked where it points into an archive (``archive.zip!member``)."""
    inside = split_archive(value) if value else None
    if inside is not None:
        check_member_name(inside[1])
    return value


class FileLayout(BaseModel):
    """One language's file (under ``local.files``) whose layout differs from the task's: its
    path and whichever of the layout keys differ; the keys left out are the task's."""

    model_config = ConfigDict(extra="forbid")
    path: str = Field(description="The file, relative to the task's root (may point into an archive with '!').")
    format: str | None = Field(None, description="This file's format, when it differs from 'local.format'.")
    header: bool | None = Field(None, description="Whether this file starts with a header row (tsv/csv).")
    columns: list[str] | None = Field(None, description="This file's column names, in order (tsv/csv/token-tags).")
    delimiter: str | None = Field(None, description="This file's column separator (tsv/csv/token-tags).")
    quoting: Literal["none", "minimal", "all"] | None = Field(None, description="This file's quoting mode (tsv/csv).")
    records: str | None = Field(None, description="Key path of the list of records in this JSON file.")
    json_cells: list[str] | None = Field(None, description="Columns of this file whose cells hold JSON text.")
    comments: str | None = Field(None, description="Lines of this file starting with this text are skipped.")

    @field_validator("path")
    @classmethod
    def _archive_member(cls, value: str) -> str:
        return _check_layout_path(value)


class LocalSource(BaseModel):
    """The release's file layout, relative to a data root.

    ``path`` is a pattern with ``{lang}`` (the dataset's own code), ``{language}`` (canonical),
    ``{split}``, for tasks with a variant axis ``{variant}``, and for language pairs the sides'
    codes ``{lang_1}``/``{lang_2}`` and ``{language_1}``/``{language_2}``. ``root`` is ``data-dir`` (the
    user's ``--data-dir``), ``task-file`` (next to the YAML) or ``package:<pkg>/<dir>``.
    ``files`` overrides the path for single languages and splits (``{eng_Latn: {train: ...}}``),
    or the path and layout (:class:`FileLayout`); a language listed there has exactly those splits.
    ``filter`` keeps one language's rows of a file shared by all (:class:`RowFilter`).
    """

    model_config = ConfigDict(extra="forbid")
    format: str = Field(
        description="The files' format: tsv, csv, jsonl, json, squad, conllu, token-tags, bitext or parquet; "
        "a name ending in .gz, .bz2 or .xz is decompressed as it is read."
    )
    path: str = Field(
        description="The file pattern below the root: {lang}, {language}, {split}, {variant}; "
        "'archive.zip!member' (or .tar.gz, .tgz, .tar...) reads a file inside an archive without extracting it."
    )
    pivot_path: str | None = Field(
        None, description="`bitext` only (required there): the pattern of the file line-aligned with `path`."
    )
    root: str = Field(
        "data-dir",
        description="Where `path` starts: `data-dir` (the user's `--data-dir`), `task-file` (the YAML's folder) "
        "or `package:<pkg>/<dir>`.",
    )
    subdir: str | None = Field(None, description="A folder under a `data-dir` root that holds the release.")
    header: bool = Field(True, description="`tsv`/`csv`: the first line names the columns.")
    columns: list[str] | None = Field(
        None,
        description="`tsv`/`csv`: the column names, in order (required with `header: false`; renames a "
        "header's); `token-tags`: the names of a line's columns (default `[tokens, tags]`).",
    )
    delimiter: str | None = Field(
        None,
        description="The one-character column separator of `tsv`, `csv` and `token-tags` "
        "(default: TAB, or `,` for `csv`; e.g. a space for CoNLL-2003-style `token tag` lines).",
    )
    quoting: Literal["none", "minimal", "all"] = Field(
        "none",
        description="`tsv`/`csv`: `none` (quotes are text; a line is a row) or `minimal`/`all` "
        "(fields may be quoted and span lines).",
    )
    records: str | None = Field(None, description="`json`: the dotted key path of the list of records (`data.items`).")
    explode: str | list[str] | None = Field(
        None,
        description="A path to a list in each record: one record per element (its keys, the parent's, `_index`); "
        "or a list of columns, each becoming a record's `value`.",
    )
    json_cells: list[str] = Field(
        default_factory=list,
        description="Columns whose cells hold JSON text (XWinograd's option lists), decoded before the "
        "mapping so that paths reach into them: 'options[*][0]'.",
    )
    comments: str | None = Field(
        None,
        description="token-tags: lines starting with this text are skipped (Universal NER's '# text = ...').",
    )
    files: dict[str, dict[str, str | FileLayout]] = Field(
        default_factory=dict,
        description="Per language and split, the file's path, or {path: ..., and the layout keys that differ: "
        "format, header, columns, delimiter, quoting, records, json_cells, comments}. A language listed here "
        "has exactly these splits.",
    )
    filter: RowFilter | None = Field(None, description="Keep one language's (or split's) rows of a shared file.")
    aligned: AlignedFile | None = Field(
        None,
        description="Columns kept in a second file line-aligned with each main file (tsv, csv and jsonl), "
        "e.g. gold scores one per line: {path: 'gs/STS.gs.{lang}.txt', columns: [score]}.",
    )
    options: dict[str, Any] = Field(
        default_factory=dict, description="Extra keyword arguments handed to the format's reader."
    )

    @field_validator("format")
    @classmethod
    def _format(cls, v: str) -> str:
        if v not in READERS:
            raise ValueError(f"unknown format {v!r}; known: {', '.join(sorted(READERS))}")
        return v

    @field_validator("path", "pivot_path")
    @classmethod
    def _archive_member(cls, value: str | None) -> str | None:
        return _check_layout_path(value)

    @field_validator("files", mode="before")
    @classmethod
    def _canon(cls, value: Any) -> Any:
        if isinstance(value, dict):
            try:
                return {canonical(str(k)): v for k, v in value.items()}
            except UserError as exc:
                raise ValueError(exc.message) from exc
        return value

    @model_validator(mode="after")
    def _bitext(self):
        if self.format == "bitext" and not self.pivot_path:
            raise ValueError("format 'bitext' needs 'pivot_path' (the pattern of the aligned file)")
        if self.format in ("tsv", "csv") and not self.header and not self.columns:
            raise ValueError("a file without header needs 'columns' (the column names, in order)")
        if self.aligned is not None and self.format not in ALIGNABLE_FORMATS:
            raise ValueError(
                f"'aligned' needs a file of one record a line ({', '.join(ALIGNABLE_FORMATS)}), not {self.format!r}"
            )
        return self

    @field_validator("files")
    @classmethod
    def _file_layouts(cls, value: dict, info) -> dict:
        """Each file's own layout, the task's with its overrides, is a valid layout."""
        if "format" not in info.data:  # the task's own layout is wrong: that error says so
            return value
        base = {k: v for k, v in info.data.items() if k != "pivot_path"}
        for language, splits in value.items():
            for split, over in splits.items():
                if isinstance(over, FileLayout):
                    try:
                        cls.model_validate({**base, **over.model_dump(exclude_none=True)})
                    except ValidationError as exc:
                        msg = exc.errors()[0]["msg"].removeprefix("Value error, ")
                        raise ValueError(f"files.{language}.{split}: {msg}") from None
        return value

    def _merged(self, over: FileLayout) -> LocalSource:
        base = self.model_dump(exclude={"files", "pivot_path"}, exclude_unset=False)
        return LocalSource.model_validate({**base, **over.model_dump(exclude_none=True)})

    def layout_for(self, language: str, split: str) -> LocalSource | None:
        """The layout of one language's file for ``split`` (the task's, or its ``files`` entry's);
        None when ``files`` lists the language without that split."""
        over = self.files.get(language)
        if over is None:
            return self
        if split not in over:
            return None
        entry = over[split]
        if isinstance(entry, str):
            return self.model_copy(update={"path": entry, "pivot_path": None, "files": {}})
        return self._merged(entry)


class Variant(BaseModel):
    """A second language axis (MLQA: the question language). Each value becomes a setting
    ``<name>=<language>``; the path pattern gets ``{variant}`` (its dataset code)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="The axis' name; settings are named `<name>=<language>` (e.g. `question`).")
    languages: dict[str, str] | Literal["same"] = Field(
        "same",
        description="Canonical code -> the files' code of each value of the axis; `same`: the task's `languages`.",
    )


class GivenTranslations(BaseModel):
    """The release's own translations of the evaluation items into the source language
    (IrokoBench's translate-test sets), read under ``--protocol translate-test`` instead of
    machine-translating: rows are read with the task's mapping and matched to its items by id."""

    model_config = ConfigDict(extra="forbid")
    hub: HubSource = Field(
        description="translate_test: the Hub dataset of the translated items (id, config, revision, split_map), "
        "one config per item language as in the task's own source."
    )
    note: str | None = Field(None, description="translate_test: how the translations were made and where they are.")


class TaskSpec(BaseModel):
    """Everything xling knows about one benchmark."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="The task's name in results and on the command line (letters, digits, `-_.`).")
    description: str = Field(description="What the benchmark measures and how its items were made.")
    kind: str = Field(
        description="How items become model requests: classification, pair_classification, multiple_choice, "
        "extractive_qa, sequence_labelling, sts, bitext_retrieval, ... (`xling tasks` lists them)."
    )
    metric: str = Field(description="The headline metric: accuracy, f1, em, spearman, entity_f1, p@1, ndcg@10, ...")
    extra_metrics: list[str] = Field(
        default_factory=list,
        description=(
            "More metrics reported per language with CIs beside `metric` (e.g. `[mining_f1]` for a task scored by"
            " `p@1`). `metric` stays the primary one: transfer gaps, consistency and leaderboards use it."
        ),
    )
    pair_separator: str | None = Field(
        None,
        description="Lets 'languages' (and source_language) name language pairs in the dataset's short form: "
        "with '-', 'en-ar' is the pair English–Arabic (first text English, second Arabic). Without it, write "
        "a pair with both canonical codes, eng_Latn-arb_Arab.",
    )
    languages: dict[str, str] = Field(
        description="The languages (or language pairs) the task is evaluated in: a list of codes, or a mapping "
        "canonical code: the dataset's own code (used in path patterns as {lang}). A pair key, eng_Latn-arb_Arab, "
        "is an axis of its own: the first text's language, then the second's (STS-17's en-ar, cross-lingual "
        "retrieval's query-document languages)."
    )
    source_language: str = Field(
        "eng_Latn",
        description="The language a head or fine-tuned model is trained on, and the reference of the transfer gap.",
    )
    eval_split: str = Field(
        "test", description="The split scored; `train+dev+test` reads those splits one after another."
    )
    train_split: str | None = Field(
        None,
        description="The split heads and fine-tuning train on (source language); may not share a part with "
        "`eval_split`. Fine-tuning also picks its epoch on `options.dev_split` (`dev`) where that file exists.",
    )
    split_note: str | None = Field(None, description="Free text on the splits, e.g. that dev stands in for test.")
    fields: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description="Item field -> path into each record (`text: utterance.text`); the names a kind reads: "
        "`text`, `text1`/`text2`, `context`/`question`, `choices`, `tokens`, ...",
    )
    gold: str | Gold | None = Field(None, description="The gold answer: a path, or a `gold:` mapping (below).")
    id: str | None = Field(
        None,
        description="Path (or template) of the item id, unique per file; default: the JSON path or line number.",
    )
    parallel_key: str | None = Field(
        None,
        description="Path whose value is the same for the translations of one item in every language "
        "(`_line` for line-aligned files); without it items are not linked across languages.",
    )
    labels: list[str] | None = Field(None, description="The label set; any other gold value is a bad row.")
    labels_by_language: dict[str, list[str]] = Field(
        default_factory=dict,
        description="The labels one language's files hold where that differs from `labels` (MasakhaNEWS: English "
        "has six topics, Hausa seven), keyed by language: its gold labels are checked against its own list, and a "
        "run warns when a language's test items hold labels the head's training data lacks.",
    )
    label_map: dict[str, str] | None = Field(
        None, description='Raw gold value -> label, applied before `labels` is checked (`{"0": negative}`).'
    )
    optional_fields: list[str] = Field(
        default_factory=list, description="Keys of `fields` a record may lack or leave empty."
    )
    slices: list[str] = Field(
        default_factory=list,
        description="Item fields whose values group the analyses (a score and gap per value), e.g. `region`.",
    )
    language_keyed: list[str] = Field(
        default_factory=list,
        description="Columns holding one value per language keyed by the dataset's code (all languages in one "
        "file, MKQA): a record keeps its language's value.",
    )
    text_lists: list[str] = Field(
        default_factory=list, description="Keys of `fields` holding a list written as text: `\"['a', 'b']\"`."
    )
    variant: Variant | None = Field(
        None, description="A second language axis (MLQA's question language); paths get `{variant}`."
    )
    creation: Creation = Field(
        description="How the items were made: native, human-translated, machine-translated or written-for-xling."
    )
    licence: str = Field(description="The data's licence (SPDX id where there is one); shown in reports.")
    citation: str = Field("", description="The paper to cite.")
    homepage: str = Field("", description="The release's home page.")
    hub: HubSource | None = Field(None, description="The Hugging Face Hub copy, read when no data directory is given.")
    local: LocalSource | None = Field(None, description="The release's files and their layout.")
    translate_test: GivenTranslations | None = Field(
        None,
        description="The release's translations of the evaluation items into the source language: "
        "--protocol translate-test reads them instead of machine-translating (--translator given: only them).",
    )
    options: TaskOptions = Field(
        default_factory=TaskOptions, description="The kind's own options (typed per kind, listed below)."
    )

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        import re

        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", v):
            raise ValueError(f"{v!r}: use letters, digits, '-', '_' and '.' (it names files and results)")
        return v

    @field_validator("pair_separator")
    @classmethod
    def _separator(cls, value: str | None) -> str | None:
        if value is not None and (not value or value.isalnum() or value == "_"):
            raise ValueError(f"pair_separator {value!r} must be a punctuation mark such as '-' (codes use '_')")
        return value

    @field_validator("languages", mode="before")
    @classmethod
    def _canonical_languages(cls, value: Any, info) -> dict[str, str]:
        if isinstance(value, list) and not any(isinstance(v, list | dict) for v in value):
            value = {v: v for v in value}
        if not isinstance(value, dict) or not value:
            raise ValueError("languages must be a non-empty list of codes or a mapping canonical: dataset-code")
        out = {}
        for k, v in value.items():
            try:
                code = language_key(str(k), info.data.get("pair_separator"))
            except UserError as exc:
                raise ValueError(f"{exc.message} ({exc.hint})" if exc.hint else exc.message) from exc
            if code in out:
                raise ValueError(
                    f"{k!r} and another code both mean {code}; write the canonical code (xxx_Scrp) as the key"
                )
            out[code] = str(v)
        return out

    @field_validator("labels_by_language", mode="before")
    @classmethod
    def _canonical_label_languages(cls, value: Any, info) -> Any:
        if not isinstance(value, dict):
            return value
        try:
            out = {canonical(str(k)): v for k, v in value.items()}
        except UserError as exc:
            raise ValueError(exc.message) from exc
        every = set(info.data.get("labels") or ())
        for lang, labels in out.items():
            extra = sorted(set(labels) - every) if every and isinstance(labels, list) else []
            if extra:
                listed = ", ".join(map(repr, extra))
                raise ValueError(f"{lang}: {listed} not in 'labels' (the labels of every language)")
        return out

    @field_validator("options", mode="before")
    @classmethod
    def _kind_options(cls, value: Any, info) -> Any:
        """The options as the model of the spec's kind (see :mod:`xling.tasks.options`)."""
        model = options_model(info.data.get("kind"))
        return value if isinstance(value, model) else model.model_validate({} if value is None else value)

    @model_validator(mode="after")
    def _options_of_kind(self):
        if type(self.options) is TaskOptions:  # the default, made before the kind was known
            self.options = options_model(self.kind)()
        return self

    @field_validator("eval_split")
    @classmethod
    def _eval_split(cls, value: str) -> str:
        return check_split(value)

    @field_validator("train_split")
    @classmethod
    def _train_split(cls, value: str | None, info) -> str | None:
        if value is None:
            return value
        check_split(value)
        both = shared_splits(value, info.data.get("eval_split"))
        if both:
            raise ValueError(
                f"{'+'.join(both)!r} is both trained on and part of eval_split "
                f"{info.data['eval_split']!r}: a model would be tested on its own training items; "
                f"drop it from one of the two"
            )
        return value

    @field_validator("source_language")
    @classmethod
    def _canonical_source(cls, value: str, info) -> str:
        try:
            return language_key(value, info.data.get("pair_separator"))
        except UserError as exc:
            raise ValueError(f"{exc.message} ({exc.hint})" if exc.hint else exc.message) from exc

    @field_validator("fields")
    @classmethod
    def _fields(cls, value: dict) -> dict:
        for k, v in value.items():
            check_path(v, f"field {k!r}")
        return value

    @field_validator("id", "parallel_key")
    @classmethod
    def _paths(cls, value):
        return check_path(value, "path")

    @field_validator("text_lists")
    @classmethod
    def _text_lists_are_fields(cls, value: list[str], info) -> list[str]:
        unknown = [f for f in value if f not in info.data.get("fields", {})]
        if unknown:
            raise ValueError(f"text_lists names {', '.join(map(repr, unknown))}, not a key of 'fields'")
        return value

    @model_validator(mode="after")
    def _mining(self):
        """A mining metric needs a declared threshold; BUCC-style mining needs its pivot corpus and gold pairs."""
        options = self.options
        mining = [m for m in self.metrics() if m.startswith("mining_")]
        if mining and hasattr(options, "declared") and not options.declared():
            raise ValueError(
                f"metric {mining[0]} needs a mined-pair threshold: set options.threshold_split (the split to choose it"
                " on, e.g. training), options.threshold: best (the best one on the evaluated split, reported as such)"
                " or options.threshold: <number> (applied as given, e.g. LASER's 1.06)"
            )
        if self.kind == "bitext_mining":
            missing = [k for k in ("pivot_path", "gold_path") if getattr(options, k, None) is None]
            if missing:
                raise ValueError(f"kind bitext_mining needs options.{' and options.'.join(missing)} (path patterns)")
            if self.local is None:
                raise ValueError("kind bitext_mining reads a local copy of the release: give 'local' (format, path)")
        return self

    def metrics(self) -> list[str]:
        """The task's metrics, the primary one first."""
        return list(dict.fromkeys([self.metric, *self.extra_metrics]))

    @model_validator(mode="after")
    def _slices(self):
        """Every slice is an item field of each source's mapping."""
        for hub in [False] * (self.local is not None or self.hub is None) + [True] * (self.hub is not None):
            fields = self.mapping(hub=hub)["fields"] or {}
            for name in self.slices:
                if name not in fields:
                    where = "hub.mapping.fields" if hub else "fields"
                    raise ValueError(
                        f"slice {name!r} is not an item field: declare it in {where} (known: "
                        f"{', '.join(fields) or 'none'}); the task's creation is grouped by without a slice"
                    )
        if len(set(self.slices)) != len(self.slices):
            raise ValueError("slices names a field twice")
        return self

    @model_validator(mode="after")
    def _sources(self):
        if self.local is None and self.hub is None:
            raise ValueError("a task needs 'local' (files) or 'hub' (a Hugging Face dataset), or both")
        return self

    def labels_of(self, language: str | None) -> list[str] | None:
        """The gold labels a language's items may hold: its own list, else ``labels`` (None: any)."""
        return self.labels_by_language.get(language or "", self.labels)

    def legacy_fields(self) -> list[str]:
        """The keys of ``fields`` in the old spelling: ``fields: {id:, label:}`` for ``id:`` and ``gold:``."""
        return [k for k in ("id", "label") if k in self.fields]

    # --- the mapping, with the legacy `fields: {id:, label:}` spelling folded in -------------
    def mapping(self, hub: bool = False) -> dict:
        """Field paths, gold, id, parallel key, explode, label map and language-keyed columns for the
        local or hub source."""
        fields = dict(self.fields)
        legacy_id, legacy_label = fields.pop("id", None), fields.pop("label", None)
        id_path = self.id or legacy_id
        gold = self.gold if self.gold is not None else legacy_label
        out = {
            "fields": fields,
            "gold": gold,
            "id": id_path,
            "parallel_key": self.parallel_key,
            "explode": self.local.explode if self.local else None,
            "label_map": self.label_map,
            "language_keyed": self.language_keyed,
            "text_lists": self.text_lists,
        }
        if hub and self.hub and self.hub.mapping:
            over = self.hub.mapping.model_dump(exclude_unset=True)
            if "explode" not in over:
                out["explode"] = None
            out.update(over)
        if isinstance(out["gold"], str):
            out["gold"] = Gold(path=out["gold"])
        elif isinstance(out["gold"], dict):  # from the hub override's model_dump
            out["gold"] = Gold.model_validate(out["gold"])
        return out


def _line_of(text: str, loc: tuple) -> int | None:
    """The line of the YAML node at ``loc`` (keys and list indices), or of its nearest parent."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        return None
    line = None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k.value == str(key):
                    line, node = k.start_mark.line + 1, v
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def load_spec(path: Path, *, check_kind: bool = False) -> TaskSpec:
    """Read and validate one task YAML; errors name the file, the line and the offending key.

    ``check_kind`` also checks ``kind`` and ``metric`` against the kinds and metrics that exist
    (users' task files; catalog files are checked by tests, so listing the catalog imports no
    scorer)."""
    try:
        text = Path(path).read_text("utf-8")
    except OSError as exc:
        raise DataError(path, None, f"cannot read task file: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise DataError(path, None, "task file is not UTF-8 text") from exc
    try:
        raw = yamlio.load_packaged(text) if Path(path).resolve().parent == CATALOG_DIR else yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DataError(
            path, mark.line + 1 if mark else None, f"not valid YAML: {getattr(exc, 'problem', exc)}"
        ) from exc
    except RecursionError:
        raise DataError(path, None, "not readable YAML: nested too deeply") from None
    if not isinstance(raw, dict):
        raise DataError(path, 1, "a task file must be a YAML mapping (key: value lines)")
    if left := placeholders(raw):
        keys = list(dict.fromkeys(".".join(map(str, loc)) for loc in left))
        raise DataError(
            path,
            _line_of(text, left[0]),
            f"key '{keys[0]}' still holds {FILL_ME}, a placeholder written by `xling init`"
            + (f" ({len(keys)} left: {', '.join(keys)})" if len(keys) > 1 else ""),
            hint=f"replace each {FILL_ME} with the real value; the '# check:' comment beside it says what to look up",
        )
    if check_kind and isinstance(raw.get("kind"), str):  # first: the options a task takes depend on its kind
        _check_known(path, text, "kind", raw["kind"], set(KINDS_VOCABULARY))
    try:
        spec = TaskSpec.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()  # a value that fits no branch of a union: the branch that says why
        err = next((e for e in errors if e["type"] == "value_error"), None) or next(
            (e for e in errors if not (e["loc"] and e["loc"][-1] in _UNION_TAGS)), errors[0]
        )
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p in _UNION_TAGS)))
        key = ".".join(str(p) for p in loc) or "(top level)"
        line = _line_of(text, loc) if loc else None
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            model = _model_at(loc[:-1], raw.get("kind"))
            known = ", ".join(model.model_fields) if model else ""
            msg = f"unknown key{f' (known keys here: {known})' if known else ''}"
            msg += did_you_mean(str(loc[-1]), known.split(", ")) if known else ""
        elif err["type"] == "missing":
            msg = "required key is missing"
            line = _line_of(text, loc[:-1]) if len(loc) > 1 else None
        raise DataError(path, line, f"key '{key}': {msg}") from exc
    if check_kind:
        _check_known(path, text, "metric", spec.metric, known_metrics())
        for metric in spec.extra_metrics:
            _check_known(path, text, "extra_metrics", metric, known_metrics())
    _check_template(path, text, spec)
    if legacy := spec.legacy_fields():
        new = {"id": "id: <path>", "label": "gold: <path>"}
        warnings.warn(
            f"{path}:{_line_of(text, ('fields',))}: {' and '.join(f'fields.{k}' for k in legacy)} is an old spelling"
            f" that will stop working; write {' and '.join(new[k] for k in legacy)} at the top level instead",
            FutureWarning,
            stacklevel=2,
        )
    return spec


def _check_template(path: Path, text: str, spec: TaskSpec) -> None:
    """Every placeholder of ``options.template`` names an item field of each source, or a helper."""
    template = getattr(spec.options, "template", None)
    if template is None:
        return
    for hub in [False] * (spec.local is not None) + [True] * (spec.hub is not None):
        fields = list(spec.mapping(hub=hub)["fields"] or {})
        for key in ("context", "continuation"):
            known = fields + list(TEMPLATE_HELPERS)
            unknown = [n for n in template_names(getattr(template, key)) if n not in known]
            if unknown:
                where = "hub.mapping.fields" if hub else "fields"
                raise DataError(
                    path,
                    _line_of(text, ("options", "template", key)),
                    f"key 'options.template.{key}': {{{unknown[0]}}} is no item field; the fields in {where} are "
                    f"{', '.join(fields) or 'none'}, and the helpers {', '.join(TEMPLATE_HELPERS)}."
                    + did_you_mean(unknown[0], known),
                )


# The names pydantic puts in an error's location for the branch of a union it tried.
_UNION_TAGS = ("str", "list[str]", "FileLayout")


def _check_known(path: Path, text: str, key: str, value: str, known: set[str]) -> None:
    if value not in known:
        raise DataError(
            path,
            _line_of(text, (key,)),
            f"key '{key}': unknown {key} {value!r}.{did_you_mean(value, known)} Known: {', '.join(sorted(known))}",
        )


# The kinds a task file may name: exactly the kinds implemented (tests keep the two equal, so a
# task file is checked without importing the kind modules). Metrics: the scorers may add more.
KINDS_VOCABULARY = (
    "classification",
    "pair_classification",
    "multiple_choice",
    "extractive_qa",
    "generative_qa",
    "summarization",
    "math",
    "sequence_labelling",
    "bitext_retrieval",
    "bitext_mining",
    "sts",
    "many_to_many_retrieval",
    "retrieval",
    "translation",
    "open_ended",
    "judge_validity",
)
METRICS_VOCABULARY = ("accuracy", "p@1", "f1", "em", "spearman", "entity_f1", "ndcg@10", "mrr@10")


def known_metrics() -> set[str]:
    from ..scoring.metrics import METRICS

    return set(METRICS_VOCABULARY) | set(METRICS)


def _model_at(loc: tuple, kind: object) -> type[BaseModel] | None:
    """The model of the node at ``loc``; ``kind``: the task's, which decides the options model."""
    if loc == ("options",):
        return options_model(kind)
    node: Any = TaskSpec
    for key in loc:
        if not isinstance(key, str):
            continue
        if get_origin(node) is dict:  # the key is one of the mapping's own (a language, a split)
            node = _structured(get_args(node)[1])
            continue
        f = getattr(node, "model_fields", {}).get(key)
        node = _structured(f.annotation) if f is not None else None
        if node is None:
            return None
    return node if isinstance(node, type) and issubclass(node, BaseModel) else None


def _structured(ann: Any) -> Any:
    """The part of an annotation that holds keys: its pydantic model or mapping type (the branch
    of a union that is one), else None."""
    args = (ann,) if get_origin(ann) is dict else (getattr(ann, "__args__", None) or (ann,))
    return next((a for a in args if (isinstance(a, type) and issubclass(a, BaseModel)) or get_origin(a) is dict), None)


__all__ = [
    "TaskSpec",
    "LocalSource",
    "FileLayout",
    "HubSource",
    "Gold",
    "Mapping",
    "Variant",
    "AlignedFile",
    "load_spec",
    "QUOTING",
    "GOLD_TYPES",
    "split_parts",
    "check_split",
    "shared_splits",
]
