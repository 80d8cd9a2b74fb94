"""The self-contained HTML report of a run: plotly charts (plotly.js inlined, gzipped, no network) and
tables rendered by Jinja2 with autoescaping, so dataset text can never become markup.

Figures travel as JSON inside ``<script type="application/json">`` blocks with ``<``, ``>`` and
``&`` written as ``\\u003c``/``\\u003e``/``\\u0026`` (valid JSON, and no string can close the tag).
The only scripts on the page are plotly.js and the page's own few lines.
"""

from __future__ import annotations

import base64
import functools
import gzip
import json
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from ..analysis import consistency as consistency_of
from ..analysis import flipped_items, grouped_scores, language_pairs
from ..analysis.consistency import CORRECTNESS_RULES
from ..errors import XlingError
from ..languages import codes as L
from ..languages import meta as langmeta
from ..results import Results
from ..scoring.metrics import METRICS
from . import generation as gen
from .markdown import metric_label

REPORT_HTML = "report.html"
MAX_FLIPS = 400  # flipped items listed in the browser (the count of all is shown)
MAX_SAMPLE_CHARS = 2000  # longer generation texts are cut in the sample browser (the length is shown)
PLOTLY_TEMPLATE = "plotly_white"
FONT = "system-ui, -apple-system, 'Segoe UI', 'Noto Sans', sans-serif"


def _json_for_script(obj_json: str) -> str:
    return obj_json.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _label(code: str) -> str:
    return f"{L.name(code)} ({code})"


def _col(task: str, setting: str) -> str:
    return f"{task} · {setting}"


def _layout(title: str, height: int | None = None, **kw) -> dict:
    lay = {
        "title": {"text": title, "font": {"size": 15}},
        "font": {"family": FONT, "size": 12},
        "margin": {"l": 170, "r": 30, "t": 50, "b": 90},
        "template": PLOTLY_TEMPLATE,
    }
    if height:
        lay["height"] = height
    return lay | kw


def heatmap(scores: pd.DataFrame) -> go.Figure:
    """Language x (task, setting) heatmap of scores, languages sorted by their mean."""
    s = scores.assign(col=[_col(t, st) for t, st in zip(scores["task"], scores["setting"])])
    wide = s.pivot_table(index="language", columns="col", values="value", aggfunc="first")
    wide = wide.loc[wide.mean(axis=1).sort_values(ascending=True).index]
    z = wide.to_numpy(dtype=float)
    text = [[("" if np.isnan(v) else f"{v:.1f}") for v in row] for row in z]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=list(wide.columns),
            y=[_label(c) for c in wide.index],
            text=text,
            texttemplate="%{text}",
            colorscale="Viridis",
            zmin=0,
            zmax=100,
            colorbar={"title": {"text": "score"}},
            hovertemplate="%{y}<br>%{x}<br>score %{z:.1f}<extra></extra>",
        )
    )
    fig.update_layout(_layout("Score by language and task (0-100)", height=max(320, 28 * len(wide) + 160)))
    return fig


def bars(g: pd.DataFrame, task: str, setting: str, metric: str) -> go.Figure:
    g = g.sort_values("value", ascending=False)
    v = g["value"].to_numpy(dtype=float)
    fig = go.Figure(
        go.Bar(
            x=[_label(c) for c in g["language"]],
            y=v,
            error_y={
                "type": "data",
                "array": g["ci_high"].to_numpy(dtype=float) - v,
                "arrayminus": v - g["ci_low"].to_numpy(dtype=float),
                "visible": True,
            },
            customdata=np.stack([g["ci_low"], g["ci_high"], g["n"]], axis=1),
            hovertemplate="%{x}<br>%{y:.1f} [%{customdata[0]:.1f}, %{customdata[1]:.1f}],"
            " n=%{customdata[2]}<extra></extra>",
        )
    )
    fig.update_layout(
        _layout(
            f"{task} · {setting}: {metric} per language, 95% CI",
            height=380,
            yaxis={"range": [0, 100], "title": {"text": metric}},
        )
    )
    return fig


def gap_chart(gaps: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    for (task, setting), g in gaps.groupby(["task", "setting"], sort=True):
        g = g.sort_values("gap")
        v = g["gap"].to_numpy(dtype=float)
        fig.add_trace(
            go.Bar(
                name=_col(task, setting),
                x=[_label(c) for c in g["language"]],
                y=v,
                error_y={
                    "type": "data",
                    "array": g["ci_high"].to_numpy(dtype=float) - v,
                    "arrayminus": v - g["ci_low"].to_numpy(dtype=float),
                },
                hovertemplate="%{x}<br>gap %{y:.1f}<extra>%{fullData.name}</extra>",
            )
        )
    fig.update_layout(
        _layout(
            "Transfer gap: source-language score minus target (points, 95% CI)",
            height=420,
            barmode="group",
            yaxis={"title": {"text": "gap"}},
        )
    )
    return fig


def consistency_matrix(rows: pd.DataFrame, task: str, setting: str) -> go.Figure:
    on_correctness = "compared" in rows and (rows["compared"] == "correctness").any()
    langs = sorted(set(rows["language_a"]) | set(rows["language_b"]))
    pos = {c: i for i, c in enumerate(langs)}
    z = np.full((len(langs), len(langs)), np.nan)
    np.fill_diagonal(z, 100.0)  # a language always agrees with itself
    info = [["" for _ in langs] for _ in langs]
    for r in rows.itertuples():
        i, j = pos[r.language_a], pos[r.language_b]
        z[i, j] = z[j, i] = r.agreement
        kappa = "–" if pd.isna(r.kappa) else f"{r.kappa:.2f}"
        info[i][j] = info[j][i] = f"agree-and-correct {r.agree_correct:.1f}, kappa {kappa}, flips {r.flips}, n {r.n}"
    labels = [_label(c) for c in langs]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=labels,
            y=labels,
            customdata=info,
            colorscale="Blues",
            zmin=0,
            zmax=100,
            texttemplate="%{z:.0f}",
            colorbar={"title": {"text": "agree %"}},
            hovertemplate="%{y} vs %{x}<br>agreement %{z:.1f}<br>%{customdata}<extra></extra>",
        )
    )
    fig.update_layout(
        _layout(
            f"{task} · {setting}: {'agreement on correctness' if on_correctness else 'prediction agreement'}"
            " between languages (%)",
            height=max(360, 30 * len(langs) + 180),
            # rows top to bottom in the order of the columns left to right (plotly counts y upwards)
            yaxis={"autorange": "reversed"},
        )
    )
    return fig


def generation_bars(section: dict) -> go.Figure:
    """Every metric of a generation (task, setting) per language, 95% CIs (one bar group per language)."""
    rows = section["languages"]
    x = [_label(r["language"]) for r in rows]
    fig = go.Figure()
    for metric in section["metrics"]:
        v, lo, hi = (
            np.array([np.nan if r["metrics"][metric][k] is None else r["metrics"][metric][k] for r in rows])
            for k in range(3)
        )
        fig.add_trace(
            go.Bar(
                name=metric,
                x=x,
                y=v,
                error_y={"type": "data", "array": hi - v, "arrayminus": v - lo, "visible": True},
                hovertemplate="%{x}<br>%{y:.1f}<extra>%{fullData.name}</extra>",
            )
        )
    return _grouped_0_100(fig, f"{section['task']} · {section['setting']}: metrics per language, 95% CI", 400)


def _clip(text: str) -> str:
    if len(text) <= MAX_SAMPLE_CHARS:
        return text
    return f"{text[:MAX_SAMPLE_CHARS]}… [{len(text)} characters in all]"


def generation_view(section: dict) -> dict:
    """A generation section (report.generation.sections) as the template shows it."""
    languages = [
        {
            "language": _label(r["language"]),
            "metrics": [
                (_fmt(v), f"[{_fmt(lo)}, {_fmt(hi)}]") for v, lo, hi in (r["metrics"][m] for m in section["metrics"])
            ],
            "wrong_language": "–" if r["wrong_language_rate"] is None else f"{100 * r['wrong_language_rate']:.1f}%",
            "max_tokens_hit": "–" if r["max_tokens_hit"] is None else r["max_tokens_hit"],
            "n": r["n"],
            "errors": r["errors"],
        }
        for r in section["languages"]
    ]
    samples = [
        s
        | {
            "language": _label(s["language"]),
            "fields": [(k, _clip(v)) for k, v in s["fields"]],
            "output": _clip(s["output"]),
            "raw": None if s["raw"] is None else _clip(s["raw"]),
            "references": [_clip(r) for r in s["references"]],
        }
        for s in section["samples"]
    ]
    return {
        "task": section["task"],
        "setting": section["setting"],
        "metrics": section["metrics"],
        "languages": languages,
        "samples": samples,
    }


def grouped_chart(rows: pd.DataFrame, by: str) -> go.Figure:
    fig = go.Figure()
    rows = rows[~rows["group"].str.startswith("(all")]
    for (task, setting), g in rows.groupby(["task", "setting"], sort=True):
        fig.add_trace(
            go.Bar(
                name=_col(task, setting),
                x=list(g["group"]),
                y=list(g["value"]),
                customdata=[", ".join(v) for v in g["languages"]],
                hovertemplate="%{x}: %{y:.1f}<br>%{customdata}<extra></extra>",
            )
        )
    return _grouped_0_100(fig, f"Mean score by {by} (uniform over each group's languages)", 380)


def _grouped_0_100(fig: go.Figure, title: str, height: int) -> go.Figure:
    """Grouped bars on the 0-100 score axis."""
    fig.update_layout(_layout(title, height=height, barmode="group", yaxis={"range": [0, 100]}))
    return fig


def _fig_json(fig: go.Figure) -> str:
    """A figure's JSON without its layout template (the page holds the one template once)."""
    spec = json.loads(fig.to_json())
    spec["layout"].pop("template", None)
    return _json_for_script(json.dumps(spec, separators=(",", ":")))


@functools.cache
def figure_template() -> str:
    """The layout template every figure shares (plotly_white), as JSON for the page."""
    spec = json.loads(go.Figure(layout={"template": PLOTLY_TEMPLATE}).to_json())
    return _json_for_script(json.dumps(spec["layout"]["template"], separators=(",", ":")))


@functools.cache
def packed_plotly_js() -> str:
    """plotly.js gzipped and base64-encoded (2.0 MB instead of 4.8 MB): the page unpacks it with
    the browser's own DecompressionStream, still with no network."""
    return base64.b64encode(gzip.compress(get_plotlyjs().encode("utf-8"), 9, mtime=0)).decode("ascii")


def item_texts(
    results: Results, languages: list[str], data_dir: str | Path | None = None, task_files: tuple[str | Path, ...] = ()
) -> tuple[dict, list[str]]:
    """{(task, language, item_id): {field: text}} read from the tasks' data; and notes on what
    could not be read (shown in the report, never silently dropped)."""
    from ..tasks import get_task, load_task_file

    data_dir = Path(data_dir) if data_dir else None
    by_file = {}
    for p in task_files:
        t = load_task_file(p, data_dir)
        by_file[t.name] = t
    texts, notes = {}, []
    limit = None
    for t in results.data["run"].get("tasks", []):
        name, limit = t["name"], t.get("limit")
        try:
            task = by_file.get(name) or get_task(name, data_dir)
        except XlingError as exc:
            notes.append(f"texts of task {name} are not shown: {getattr(exc, 'message', exc)}")
            continue
        for lang in languages:
            if lang not in task.languages:
                continue
            try:
                for it in task.iter_items(lang, t.get("eval_split") or task.spec.eval_split, limit):
                    texts[(name, lang, it.item_id)] = {k: v for k, v in it.fields.items() if isinstance(v, str | list)}
            except XlingError as exc:
                notes.append(f"texts of {name}/{lang} are not shown: {getattr(exc, 'message', exc)}")
    return texts, notes


def _fmt(v, digits=1) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "–"
    return f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def _show(value) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def context(results: Results, texts: dict | None = None, notes: list[str] | None = None) -> dict:
    """Everything the template shows, as plain data (strings escaped by the template)."""
    run = results.data["run"]
    scores = results.to_pandas()
    pred = results.predictions()
    seed = run["seed"]
    analyses = results.data["analyses"]
    creation = analyses.get("by_creation", [])
    figs, sections = [], {}

    def add(fig, section):
        figs.append(_fig_json(fig))
        sections.setdefault(section, []).append(len(figs) - 1)

    generation = gen.sections(scores, pred, texts)
    generation_tasks = {s["task"] for s in generation}
    if not scores.empty:
        add(heatmap(scores), "heatmap")
        for (task, setting), g in scores.groupby(["task", "setting"], sort=True):
            if task in generation_tasks:  # the primary metric here; every metric in the generation section
                g = g[g["metric"] == g["metric"].iloc[0]]
            add(bars(g, task, setting, g["metric"].iloc[0]), "bars")
    for section in generation:
        add(generation_bars(section), "generation")
    gaps = pd.DataFrame(analyses.get("transfer_gap", []))
    if not gaps.empty:
        add(gap_chart(gaps), "gap")
    sources = {t["name"]: t.get("source_language") for t in run.get("tasks", [])}
    kinds = {t["name"]: t.get("kind") for t in run.get("tasks", [])}
    cons = pd.DataFrame(
        analyses["consistency"]
        if "consistency" in analyses
        else consistency_of(pred, seed, sources=sources, kinds=kinds)
    )
    if not cons.empty:
        for (task, setting), g in cons.groupby(["task", "setting"], sort=True):
            add(consistency_matrix(g, task, setting), "consistency")
    grouped = {}
    for by in langmeta.GROUPINGS:
        rows = pd.DataFrame(grouped_scores(results.scores, by))
        if not rows.empty:
            add(grouped_chart(rows, by), f"group-{by}")
            grouped[by] = [
                {
                    "task": r.task,
                    "setting": r.setting,
                    "group": r.group,
                    "value": _fmt(r.value),
                    "range": f"{_fmt(r.min)}–{_fmt(r.max)}",
                    "languages": ", ".join(r.languages),
                    "weighting": r.weighting,
                }
                for r in rows.itertuples()
            ]
    metrics = {t["name"]: METRICS.get(t.get("metric")) for t in run.get("tasks", [])}
    pairs = language_pairs(pred, seed, sources=sources, metrics=metrics) if not pred.empty else []
    flips = flipped_items(pred, kinds=kinds) if not pred.empty else pd.DataFrame()
    texts = texts or {}
    flip_rows = []
    for r in flips.head(MAX_FLIPS).itertuples():
        per = []
        for lang in sorted(r.per_language):
            p = r.per_language[lang]
            fields = texts.get((r.task, lang, p["item_id"]), {})
            per.append(
                {
                    "language": _label(lang),
                    "correct": bool(p["correct"]),
                    "prediction": _show(p["prediction"]),
                    "gold": _show(p["gold"]),
                    "fields": [(k, _show(v)) for k, v in fields.items()],
                }
            )
        flip_rows.append(
            {
                "task": r.task,
                "setting": r.setting,
                "parallel_id": str(r.parallel_id),
                "correct": ", ".join(r.correct),
                "wrong": ", ".join(r.wrong),
                "per": per,
            }
        )
    meta = [langmeta.info(c) for c in sorted(set(scores["language"]))] if not scores.empty else []
    return {
        "run": run,
        "figs": figs,
        "sections": sections,
        "plotly_gz": packed_plotly_js(),
        "fig_template": figure_template(),
        "scores": [
            {
                "task": r.task,
                "setting": r.setting,
                "language": _label(r.language),
                "metric": metric_label(r),
                "value": _fmt(r.value),
                "ci": f"[{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]",
                "n": r.n,
                "errors": r.errors,
            }
            for r in scores.itertuples()
        ]
        if not scores.empty
        else [],
        "gaps": [
            {
                "task": g["task"],
                "setting": g["setting"],
                "language": _label(g["language"]),
                "source": g["source"],
                "reference": g.get("reference_setting", g["setting"]),
                "gap": _fmt(g["gap"]),
                "ci": f"[{_fmt(g['ci_low'])}, {_fmt(g['ci_high'])}]",
                "n": g["n"],
            }
            for g in analyses.get("transfer_gap", [])
        ],
        "pairs": [
            {
                "task": p["task"],
                "setting": p["setting"],
                "a": _label(p["language_a"]),
                "b": _label(p["language_b"]),
                "n": p["n"],
                "diff": _fmt(p["difference"]),
                "ci": f"[{_fmt(p['ci_low'])}, {_fmt(p['ci_high'])}]",
                "test": p["test"],
                "p": f"{p['p_value']:.3g}",
                "p_holm": f"{p['p_holm']:.3g}",
                "significant": p["significant"],
            }
            for p in pairs
        ],
        "n_significant": sum(p["significant"] for p in pairs),
        "slices": _slice_rows(analyses),
        "prompt_words": run.get("prompt_words", []),
        "by_creation": creation if len({r["creation"] for r in creation}) > 1 else [],
        "grouped": grouped,
        "flips": flip_rows,
        "generation": [generation_view(s) for s in generation],
        "correctness_rules": [(t, CORRECTNESS_RULES[k]) for t, k in sorted(kinds.items()) if k in CORRECTNESS_RULES],
        "n_flips": len(flips),
        "max_flips": MAX_FLIPS,
        "meta": [m.as_dict() for m in meta],
        "meta_sources": langmeta.sources(),
        "tasks": run.get("tasks", []),
        "notes": notes or [],
        "suite": results.data.get("suite"),
    }


def _slice_rows(analyses: dict) -> list[dict]:
    """Each slice score with the gap to the source language on the same slice, formatted."""
    gaps = {(g["task"], g["setting"], g["slice"], g["value"], g["language"]): g for g in analyses.get("slice_gaps", [])}
    out = []
    for r in analyses.get("slices", []):
        g = gaps.get((r["task"], r["setting"], r["slice"], r["value"], r["language"]))
        out.append(
            {
                "task": r["task"],
                "setting": r["setting"],
                "slice": f"{r['slice']} = {r['value']}",
                "language": _label(r["language"]),
                "score": _fmt(r["score"]),
                "ci": f"[{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]",
                "n": r["n"],
                "gap": "–" if g is None else _fmt(g["gap"]),
                "gap_ci": "" if g is None else f"[{_fmt(g['ci_low'])}, {_fmt(g['ci_high'])}] (n={g['n']})",
            }
        )
    return out


TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; font-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>xling report {{ run.run_id }}</title>
<style>
body{font-family:system-ui,-apple-system,'Segoe UI','Noto Sans',sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;color:#222}
h1{font-size:1.5em} h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0} td,th{border:1px solid #ddd;padding:.2em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4} td.num{text-align:right} .sig{font-weight:bold;color:#a40000} .ok{color:#1a7f37} .bad{color:#a40000}
.fig{min-height:300px} .note{color:#666;font-size:.9em} details{margin:.3em 0} code{background:#f4f4f4;padding:0 .2em}
.fields{white-space:pre-wrap;word-break:break-word} #flipfilter,#samplefilter{width:30em;padding:.3em}
nav a{margin-right:1em}
</style></head><body>
<h1>xling run <code>{{ run.run_id }}</code></h1>
<ul>
<li>model: <code>{{ run.model.spec }}</code> (fingerprint <code>{{ run.model.fingerprint }}</code>)</li>
<li>started {{ run.started }}, finished {{ run.finished }}; seed {{ run.seed }}</li>
<li>{{ run.statistics.ci if run.statistics else "" }}; scores on a 0-100 scale; items with errors: {{ run.errors }}</li>
{% for t in tasks %}<li>task <b>{{ t.name }}</b>: {{ t.kind }}, metric {{ t.metric }}, licence {{ t.licence }}, items {{ t.creation }}{% if t.split_note %}; {{ t.split_note }}{% endif %}</li>{% endfor %}
</ul>
{% for n in notes %}<p class="note">{{ n }}</p>{% endfor %}
{% if suite %}
<h2 id="suite">Suite {{ suite.name }}: {{ "%.1f"|format(suite.aggregate) if suite.aggregate is not none else "–" }}{% if not suite.complete %} (partial: {{ suite.coverage }}){% endif %}</h2>
<p class="note">Aggregate: {{ suite.weighting }}.{% if suite.protocol %} Protocol: {{ suite.protocol }}{% endif %}</p>
<table><tr><th>task</th><th>metric</th><th>weight</th><th>score</th><th>languages present / requested</th><th>missing</th></tr>
{% for t in suite.tasks %}<tr><td>{{ t.task }}</td><td>{{ t.metric }}</td><td class="num">{{ t.weight }}</td><td class="num">{{ "%.1f"|format(t.score) if t.score is not none else "–" }}</td><td>{{ t.present|length }} / {{ t.requested|length }}</td><td>{{ t.missing|join(", ") or "–" }}</td></tr>{% endfor %}
</table>
{% for a in suite.not_in_catalog %}<p class="note">Not in the catalog, so not in the aggregate: {{ a.name }}: {{ a.note }}</p>{% endfor %}
{% endif %}
<nav><a href="#heatmap">heatmap</a><a href="#bars">per language</a>{% if generation %}<a href="#generation">generation</a>{% endif %}<a href="#gap">transfer gap</a><a href="#consistency">consistency</a>{% if slices %}<a href="#slices">slices</a>{% endif %}<a href="#groups">groups</a><a href="#pairs">paired tests</a><a href="#flips">flipped items</a>{% if prompt_words %}<a href="#prompt-words">prompt words</a>{% endif %}<a href="#languages">languages</a></nav>

<h2 id="heatmap">Language × task</h2>
{% for i in sections.get('heatmap', []) %}<div class="fig" id="fig-{{ i }}"></div>{% endfor %}

<h2 id="bars">Per-language scores with 95% CIs</h2>
{% for i in sections.get('bars', []) %}<div class="fig" id="fig-{{ i }}"></div>{% endfor %}
<details><summary>table of all scores</summary><table><tr><th>task</th><th>setting</th><th>language</th><th>metric</th><th>score</th><th>95% CI</th><th>n</th><th>errors</th></tr>
{% for s in scores %}<tr><td>{{ s.task }}</td><td>{{ s.setting }}</td><td>{{ s.language }}</td><td>{{ s.metric }}</td><td class="num">{{ s.value }}</td><td>{{ s.ci }}</td><td class="num">{{ s.n }}</td><td class="num">{{ s.errors }}</td></tr>{% endfor %}
</table></details>

{% if generation %}
<h2 id="generation">Generation</h2>
<p class="note">Every metric per language with its 95% CI; wrong language: share of the outputs long enough to identify (CLD3) that are not in the expected language; max tokens hit: generations cut by the token limit. The sample browser shows the first parallel items in every language: inputs, the scored output (and the model's raw text where thinking spans or extra lines were removed), the references. Type to filter.</p>
{% for i in sections.get('generation', []) %}<div class="fig" id="fig-{{ i }}"></div>{% endfor %}
<input id="samplefilter" type="search" placeholder="filter sample outputs…">
{% for g in generation %}
<h3>{{ g.task }} · {{ g.setting }}</h3>
<table><tr><th>language</th>{% for m in g.metrics %}<th>{{ m }}</th><th>95% CI</th>{% endfor %}<th>wrong language</th><th>max tokens hit</th><th>n</th><th>errors</th></tr>
{% for r in g.languages %}<tr><td>{{ r.language }}</td>{% for v, ci in r.metrics %}<td class="num">{{ v }}</td><td>{{ ci }}</td>{% endfor %}<td class="num">{{ r.wrong_language }}</td><td class="num">{{ r.max_tokens_hit }}</td><td class="num">{{ r.n }}</td><td class="num">{{ r.errors }}</td></tr>{% endfor %}
</table>
<details><summary>sample outputs ({{ g.samples|length }})</summary><table class="samples"><tr><th>parallel id</th><th>language</th><th>score</th><th>output language</th><th>input</th><th>output</th><th>references</th></tr>
{% for x in g.samples %}<tr class="sample"><td>{{ x.parallel_id }}</td><td>{{ x.language }}<br><span class="note">{{ x.item_id }}</span></td><td class="num">{{ x.score if x.score is not none else "–" }}</td>
<td class="{{ 'bad' if x.wrong_language else '' }}">{{ x.detected or "–" }}{% for f in x.flags %}<br><span class="note">{{ f }}</span>{% endfor %}</td>
<td class="fields">{% for k, v in x.fields %}<b>{{ k }}</b>: {{ v }}
{% endfor %}</td><td class="fields">{{ x.output }}{% if x.raw is not none %}<details><summary>raw generation</summary>{{ x.raw }}</details>{% endif %}</td>
<td class="fields">{% for r in x.references %}{{ r }}{% if not loop.last %}
<hr>{% endif %}{% endfor %}</td></tr>{% endfor %}
</table></details>
{% endfor %}
{% endif %}

<h2 id="gap">Transfer gap</h2>
<p class="note">Source-language score minus the target's; paired bootstrap over items sharing a parallel id. Where a setting has no source-language rows, the source's score under the reference setting is used.</p>
{% for i in sections.get('gap', []) %}<div class="fig" id="fig-{{ i }}"></div>{% endfor %}
<details><summary>table</summary><table><tr><th>task</th><th>setting</th><th>language</th><th>source (reference setting)</th><th>gap</th><th>95% CI</th><th>n</th></tr>
{% for g in gaps %}<tr><td>{{ g.task }}</td><td>{{ g.setting }}</td><td>{{ g.language }}</td><td>{{ g.source }} ({{ g.reference }})</td><td class="num">{{ g.gap }}</td><td>{{ g.ci }}</td><td class="num">{{ g.n }}</td></tr>{% endfor %}
</table></details>

<h2 id="consistency">Cross-lingual consistency</h2>
<p class="note">Per pair of languages on shared parallel items: how often the predictions agree (cell), agree and are both correct, and Cohen's kappa (hover). {% if correctness_rules %}Generation tasks are compared on correctness, since free text in two languages is never the same string: {% for task, rule in correctness_rules %}{{ task }}: an item is correct when {{ rule }}{{ "; " if not loop.last else "." }}{% endfor %}{% endif %}</p>
{% for i in sections.get('consistency', []) %}<div class="fig" id="fig-{{ i }}"></div>{% endfor %}

{% if slices %}<h2 id="slices">Slices by item metadata</h2>
<p class="note">Scores on the items of each value of a task's <code>slices</code> fields, and the gap to the source language on the same slice, paired over parallel items (95% bootstrap CIs).</p>
<table><tr><th>task</th><th>setting</th><th>slice</th><th>language</th><th>score</th><th>95% CI</th><th>n</th><th>gap to source</th><th>95% CI</th></tr>
{% for r in slices %}<tr><td>{{ r.task }}</td><td>{{ r.setting }}</td><td>{{ r.slice }}</td><td>{{ r.language }}</td><td class="num">{{ r.score }}</td><td>{{ r.ci }}</td><td class="num">{{ r.n }}</td><td class="num">{{ r.gap }}</td><td>{{ r.gap_ci }}</td></tr>{% endfor %}
</table>
{% endif %}
{% if by_creation %}<h3>By how the items were made</h3>
<table><tr><th>setting</th><th>language</th><th>creation</th><th>mean over tasks</th><th>tasks</th></tr>
{% for r in by_creation %}<tr><td>{{ r.setting }}</td><td>{{ r.language }}</td><td>{{ r.creation }}</td><td class="num">{{ "%.1f"|format(r.value) }}</td><td>{{ r.tasks|join(", ") }}</td></tr>{% endfor %}
</table>
{% endif %}

<h2 id="groups">Grouped views</h2>
<p class="note">Sources: {% for k, v in meta_sources.items() %}{{ k }}: {{ v }}{% if not loop.last %}; {% endif %}{% endfor %}.</p>
{% for by, rows in grouped.items() %}
<h3>By {{ by }}</h3>
{% for i in sections.get('group-' ~ by, []) %}<div class="fig" id="fig-{{ i }}"></div>{% endfor %}
<details><summary>table by {{ by }}</summary><table><tr><th>task</th><th>setting</th><th>{{ by }}</th><th>mean</th><th>range</th><th>weighting</th><th>languages</th></tr>
{% for r in rows %}<tr><td>{{ r.task }}</td><td>{{ r.setting }}</td><td>{{ r.group }}</td><td class="num">{{ r.value }}</td><td>{{ r.range }}</td><td>{{ r.weighting }}</td><td>{{ r.languages }}</td></tr>{% endfor %}
</table></details>
{% endfor %}

<h2 id="pairs">Paired tests between languages</h2>
<p class="note">Same items in both languages; McNemar (mid-p) for 0/1 scores, paired permutation test otherwise; Holm-Bonferroni over all {{ pairs|length }} comparisons; {{ n_significant }} significant at 0.05 after correction.</p>
<details><summary>all comparisons</summary><table><tr><th>task</th><th>setting</th><th>language A</th><th>language B</th><th>n</th><th>A − B</th><th>95% CI</th><th>test</th><th>p</th><th>p (Holm)</th><th>decision</th></tr>
{% for p in pairs %}<tr><td>{{ p.task }}</td><td>{{ p.setting }}</td><td>{{ p.a }}</td><td>{{ p.b }}</td><td class="num">{{ p.n }}</td><td class="num">{{ p.diff }}</td><td>{{ p.ci }}</td><td>{{ p.test }}</td><td class="num">{{ p.p }}</td><td class="num">{{ p.p_holm }}</td><td{% if p.significant %} class="sig"{% endif %}>{{ "differ" if p.significant else "no significant difference" }}</td></tr>{% endfor %}
</table></details>

<h2 id="flips">Flipped items</h2>
<p class="note">{{ n_flips }} parallel items are correct in some languages and wrong in others{% if n_flips > max_flips %}; the first {{ max_flips }} are listed{% endif %}. Type to filter (language, id, text).</p>
<input id="flipfilter" type="search" placeholder="filter flipped items…">
<table id="fliptable"><tr><th>task · setting</th><th>parallel id</th><th>correct in</th><th>wrong in</th><th>items</th></tr>
{% for f in flips %}<tr class="flip"><td>{{ f.task }} · {{ f.setting }}</td><td>{{ f.parallel_id }}</td><td class="ok">{{ f.correct }}</td><td class="bad">{{ f.wrong }}</td>
<td><details><summary>per language</summary><table>{% for p in f.per %}<tr><td>{{ p.language }}</td><td class="{{ 'ok' if p.correct else 'bad' }}">{{ "✓" if p.correct else "✗" }}</td>
<td class="fields">{% for k, v in p.fields %}<b>{{ k }}</b>: {{ v }}
{% endfor %}<b>prediction</b>: {{ p.prediction }}
<b>gold</b>: {{ p.gold }}</td></tr>{% endfor %}</table></details></td></tr>{% endfor %}
</table>

{% if prompt_words %}<h2 id="prompt-words">Prompt words</h2>
<p class="note">The words each language's prompts were built with (en: the English file; native: the language's own), the file's review status and each word's: checked against a reference written by native speakers (lighteval's translation literals, CLDR), disagrees with one, or draft.</p>
<table><tr><th>language</th><th>prompt language</th><th>file</th><th>status</th><th>words</th><th>tasks</th></tr>
{% for r in prompt_words %}<tr><td>{{ r.language }}</td><td>{{ r.prompt_language }}</td><td>{{ r.file or "no file" }}</td><td>{{ r.status }}</td><td>{% for key, w in r.words.items() %}<b>{{ key }}</b>: {{ w.word }} <span class="{{ 'ok' if w.status == 'checked' else 'bad' if w.status == 'disagrees' else '' }}">({{ w.status }}{% if w.source %}: {{ w.source }}{% endif %})</span><br>{% endfor %}</td><td>{{ r.tasks|join(", ") }}</td></tr>{% endfor %}
</table>
{% endif %}

<h2 id="languages">Languages</h2>
<table><tr><th>code</th><th>name</th><th>script</th><th>family (Glottolog)</th><th>glottocode</th><th>Joshi class</th><th>URIEL+ resource</th></tr>
{% for m in meta %}<tr><td>{{ m.code }}</td><td>{{ m.name }}</td><td>{{ m.script }} ({{ m.script_name }})</td><td>{{ m.family }}</td><td>{{ m.glottocode or "–" }}</td><td>{{ m.tier }}</td><td>{{ m.uriel_resource }}</td></tr>{% endfor %}
</table>

<script type="application/octet-stream" id="plotly-gz">{{ plotly_gz }}</script>
<script type="application/json" id="fig-template">{{ fig_template|safe }}</script>
{% for f in figs %}<script type="application/json" id="fig-{{ loop.index0 }}-data">{{ f|safe }}</script>
{% endfor %}
<script>
(function () {
  function draw() {
    var template = JSON.parse(document.getElementById("fig-template").textContent);
    document.querySelectorAll("div.fig").forEach(function (div) {
      var spec = JSON.parse(document.getElementById(div.id + "-data").textContent);
      spec.layout.template = template;
      Plotly.newPlot(div, spec.data, spec.layout, {responsive: true, displaylogo: false, typesetMath: false});
    });
  }
  if (typeof DecompressionStream === "undefined") {
    document.querySelectorAll("div.fig").forEach(function (div) {
      div.textContent = "This browser cannot unpack the charts (they need DecompressionStream: " +
        "Chrome 80, Firefox 113, Safari 16.4 or later); the tables are complete without them.";
    });
  } else {
    var packed = atob(document.getElementById("plotly-gz").textContent);
    var bytes = new Uint8Array(packed.length);
    for (var i = 0; i < packed.length; i++) bytes[i] = packed.charCodeAt(i);
    new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text().then(function (js) {
      var script = document.createElement("script");
      script.text = js;
      document.head.appendChild(script);
      draw();
    });
  }
  function filter(boxId, rows) {
    var box = document.getElementById(boxId);
    if (!box) return;
    box.addEventListener("input", function () {
      var q = box.value.toLowerCase();
      document.querySelectorAll(rows).forEach(function (tr) {
        tr.style.display = tr.textContent.toLowerCase().indexOf(q) >= 0 ? "" : "none";
      });
    });
  }
  filter("flipfilter", "#fliptable tr.flip");
  filter("samplefilter", "table.samples tr.sample");
})();
</script>
</body></html>
"""  # noqa: E501 (an HTML template: its lines are the page, not code)


def html(results: Results, texts: dict | None = None, notes: list[str] | None = None) -> str:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(TEMPLATE).render(**context(results, texts, notes))


def write_html(
    results: Results,
    path: Path | None = None,
    *,
    data_dir: str | Path | None = None,
    task_files: tuple[str | Path, ...] = (),
) -> Path:
    """Write ``report.html`` (self-contained) into the run directory or ``path``."""
    pred_langs = sorted(set(results.to_pandas()["language"])) if results.scores else []
    texts, notes = item_texts(results, pred_langs, data_dir, task_files)
    path = Path(path) if path else results.run_dir / REPORT_HTML
    path.write_text(html(results, texts, notes), encoding="utf-8")
    return path
