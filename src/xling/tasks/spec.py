"""The declarative task spec: one YAML file per benchmark, validated with pydantic.

Catalog tasks and users' one-file tasks share this schema (README: "Declare your own benchmark
in one YAML file"). Validation errors name the file, the line and the offending key.
"""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .. import yamlio
from ..errors import DataError, UserError, did_you_mean
from ..languages.codes import canonical
from .mapping import GOLD_TYPES, Gold, MappingError, Path_, check_path
from .options import TaskOptions, options_model
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
    fields: dict[str, str | list[str]] | None = None
    gold: str | Gold | None = None
    id: str | None = None
    parallel_key: str | None = None
    explode: str | list[str] | None = None
    label_map: dict[str, str] | None = None
    language_keyed: list[str] | None = None
    text_lists: list[str] | None = None


class HubSource(BaseModel):
    """Where the benchmark lives on the Hugging Face Hub, for users online (``datasets``).

    ``config`` may contain ``{lang}`` (the language's hub code: ``languages`` below, else the
    local code) and ``{language}`` (canonical). ``filter`` keeps rows whose ``path`` starts with
    ``startswith`` (same placeholders) — for hubs that put all languages in one config.
    ``data_dir`` (same placeholders, and ``{variant}``) reads one folder of the repo instead of a
    config: the Hub's Parquet export (``refs/convert/parquet``: ``<config>/<split>/0000.parquet``)
    of a dataset whose main branch holds a loading script, which ``datasets`` no longer runs.
    """

    model_config = ConfigDict(extra="forbid")
    id: str
    config: str | None = None
    data_dir: str | None = None
    revision: str | None = None
    split_map: dict[str, str] = Field(default_factory=dict)
    languages: dict[str, str] = Field(default_factory=dict)
    mapping: Mapping | None = None
    filter: dict[str, str] | None = None
    note: str | None = None

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
    path: str
    equals: str | None = None
    startswith: str | None = None

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


class LocalSource(BaseModel):
    """The release's file layout, relative to a data root.

    ``path`` is a pattern with ``{lang}`` (the dataset's own code), ``{language}`` (canonical),
    ``{split}`` and, for tasks with a variant axis, ``{variant}``. ``root`` is ``data-dir`` (the
    user's ``--data-dir``), ``task-file`` (next to the YAML) or ``package:<pkg>/<dir>``.
    ``files`` overrides the path for single languages and splits (``{eng_Latn: {train: ...}}``);
    a language listed there has exactly those splits. ``filter`` keeps one language's rows of a
    file shared by all (:class:`RowFilter`).
    """

    model_config = ConfigDict(extra="forbid")
    format: str
    path: str
    pivot_path: str | None = None
    root: str = "data-dir"
    subdir: str | None = None
    header: bool = True
    columns: list[str] | None = None
    delimiter: str | None = None
    quoting: Literal["none", "minimal", "all"] = "none"
    records: str | None = None
    explode: str | list[str] | None = None
    files: dict[str, dict[str, str]] = Field(default_factory=dict)
    filter: RowFilter | None = None
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("format")
    @classmethod
    def _format(cls, v: str) -> str:
        if v not in READERS:
            raise ValueError(f"unknown format {v!r}; known: {', '.join(sorted(READERS))}")
        return v

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
        return self


class Variant(BaseModel):
    """A second language axis (MLQA: the question language). Each value becomes a setting
    ``<name>=<language>``; the path pattern gets ``{variant}`` (its dataset code)."""

    model_config = ConfigDict(extra="forbid")
    name: str
    languages: dict[str, str] | Literal["same"] = "same"


class TaskSpec(BaseModel):
    """Everything xling knows about one benchmark."""

    model_config = ConfigDict(extra="forbid")
    name: str
    description: str
    kind: str
    metric: str
    languages: dict[str, str]  # canonical code -> the dataset's own code
    source_language: str = "eng_Latn"
    eval_split: str = "test"
    train_split: str | None = None
    split_note: str | None = None
    fields: dict[str, str | list[str]] = Field(default_factory=dict)
    gold: str | Gold | None = None
    id: str | None = None
    parallel_key: str | None = None
    labels: list[str] | None = None
    labels_by_language: dict[str, list[str]] = Field(
        default_factory=dict,
        description="The labels one language's files hold where that differs from `labels` (MasakhaNEWS: English "
        "has six topics, Hausa seven), keyed by language: its gold labels are checked against its own list, and a "
        "run warns when a language's test items hold labels the head's training data lacks.",
    )
    label_map: dict[str, str] | None = None
    optional_fields: list[str] = Field(default_factory=list)  # fields a record may lack or leave empty
    slices: list[str] = Field(default_factory=list)  # item fields the analyses group scores by
    # top-level columns holding one value per language, keyed by the dataset's language code
    # (MKQA's `queries`, `answers`): a record keeps the language's value in their place
    language_keyed: list[str] = Field(default_factory=list)
    text_lists: list[str] = Field(default_factory=list)  # fields holding a list written as text: "['a', 'b']"
    variant: Variant | None = None
    creation: Creation
    licence: str
    citation: str = ""
    homepage: str = ""
    hub: HubSource | None = None
    local: LocalSource | None = None
    options: TaskOptions = Field(default_factory=TaskOptions)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        import re

        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", v):
            raise ValueError(f"{v!r}: use letters, digits, '-', '_' and '.' (it names files and results)")
        return v

    @field_validator("languages", mode="before")
    @classmethod
    def _canonical_languages(cls, value: Any) -> dict[str, str]:
        if isinstance(value, list) and not any(isinstance(v, list | dict) for v in value):
            value = {v: v for v in value}
        if not isinstance(value, dict) or not value:
            raise ValueError("languages must be a non-empty list of codes or a mapping canonical: dataset-code")
        out = {}
        for k, v in value.items():
            try:
                code = canonical(str(k))
            except UserError as exc:
                raise ValueError(exc.message) from exc
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
    def _canonical_source(cls, value: str) -> str:
        try:
            return canonical(value)
        except UserError as exc:
            raise ValueError(exc.message) from exc

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


CATALOG_DIR = Path(__file__).resolve().parent / "catalog"


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
    if check_kind and isinstance(raw.get("kind"), str):  # first: the options a task takes depend on its kind
        _check_known(path, text, "kind", raw["kind"], set(KINDS_VOCABULARY))
    try:
        spec = TaskSpec.model_validate(raw)
    except ValidationError as exc:
        errors = exc.errors()  # a value that fits no branch of a union: the branch that says why
        err = next((e for e in errors if e["type"] == "value_error"), errors[0])
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p in ("str", "list[str]"))))
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
    if legacy := spec.legacy_fields():
        new = {"id": "id: <path>", "label": "gold: <path>"}
        warnings.warn(
            f"{path}:{_line_of(text, ('fields',))}: {' and '.join(f'fields.{k}' for k in legacy)} is an old spelling"
            f" that will stop working; write {' and '.join(new[k] for k in legacy)} at the top level instead",
            FutureWarning,
            stacklevel=2,
        )
    return spec


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
    model: Any = TaskSpec
    for key in loc:
        if not isinstance(key, str):
            continue
        f = getattr(model, "model_fields", {}).get(key)
        if f is None:
            return None
        ann = f.annotation
        args = getattr(ann, "__args__", None) or (ann,)
        model = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if model is None:
            return None
    return model


__all__ = [
    "TaskSpec",
    "LocalSource",
    "HubSource",
    "Gold",
    "Mapping",
    "Variant",
    "load_spec",
    "QUOTING",
    "GOLD_TYPES",
    "split_parts",
    "check_split",
    "shared_splits",
]
