"""Exports of a survey's results: an Excel workbook (one sheet per question) and a printable HTML
report with the charts in form order.

The HTML draws its charts as inline SVG (no script, no network), so it prints and saves as PDF from
any browser exactly as shown. Both take a summary already trimmed to the viewer (comments.trim).
"""

from __future__ import annotations

import datetime as dt
import html
from collections import Counter

import pandas as pd

from facilitation.files.exports import to_xlsx_bytes
from facilitation.surveys.charts import BAR_COLOUR, option_colours
from facilitation.surveys.questions import DATE, GRID, IDENTITY, MULTI, NUMBER, SCALE, SINGLE, TEXT
from facilitation.surveys.summary import (
    SMALL_LABEL,
    QuestionSummary,
    SurveySummary,
    count_text,
    is_hidden,
    share_text,
)
from facilitation.text.dates import ja_date, now_jst

KIND_LABELS = {SINGLE: "単一選択", SCALE: "段階評価", MULTI: "複数選択", NUMBER: "数値", DATE: "日付",
               GRID: "グリッド", TEXT: "自由記述", IDENTITY: "回答者情報"}
COLUMNS = {"option": "選択肢", "count": "件数", "percent": "割合（%）", "row": "項目", "base": "母数", "n": "回答数",
           "stat": "指標", "value": "値", "term": "語", "documents": "コメント数", "term_a": "語1", "term_b": "語2",
           "jaccard": "結びつきの強さ（0〜1）"}
STATS = {"mean": "平均", "median": "中央値", "min": "最小", "max": "最大"}
PALETTE = ("#4f7fc9", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f", "#bab0ac")


def base_note(q: QuestionSummary) -> str:
    """「回答 n=11（割合の母数 10：参加できなかった 1件を除く）」 style note for one question."""
    text = f"回答 n={q.n}"
    if q.kind == MULTI:
        text += f"（割合は回答者 {q.base}名に対する％。複数選択のため合計は100％を超えます）"
    elif q.kind in (SINGLE, SCALE) and q.base != q.n:
        na = "、".join(f"{r.option} {count_text(r.count)}" for r in q.not_applicable.itertuples())
        text += f"（割合の母数 {q.base}：{na}を除く）" if na else f"（割合の母数 {q.base}）"
    elif q.kind == GRID and len(q.not_applicable):
        na = "、".join(f"{r.row}：{r.option} {count_text(r.count)}" for r in q.not_applicable.itertuples())
        text += f"（割合の母数から除外：{na}）"
    if q.positive_share is not None:
        text += f"　「{q.positive_label}」{q.positive_share:.1f}%"
    return text


def question_table(q: QuestionSummary) -> pd.DataFrame:
    """The table of one question with Japanese column names (what the workbook and report show)."""
    if q.kind in (SINGLE, SCALE, MULTI):
        t = q.table.copy()
        if len(q.not_applicable):
            na = q.not_applicable.copy()
            na["percent"] = None
            na["option"] = na.option + "（集計対象外）"
            t = pd.concat([t, na], ignore_index=True)
    elif q.kind == GRID:
        t = q.table[["row", "option", "count", "percent", "base"]].copy()
    elif q.kind == NUMBER:
        t = q.table.assign(stat=q.table.stat.map(lambda s: STATS.get(s, s)))
    elif q.kind == DATE:
        t = q.table.assign(option=[ja_date(dt.date.fromisoformat(d)) for d in q.table.option])
    elif q.kind == TEXT and q.terms is not None:
        t = q.terms.copy()
    else:
        t = pd.DataFrame({"n": [q.n]})
    return _shown(t).rename(columns=COLUMNS)


def _shown(t: pd.DataFrame) -> pd.DataFrame:
    """Counts as whole numbers, a hidden count as 「非表示」 and its percentage (and blanks) as 「—」."""
    if "count" not in t or not t["count"].map(is_hidden).any():
        return t.astype(object).fillna("—") if t.isna().any().any() else t
    t = t.copy()
    hidden = t["count"].map(is_hidden)
    t["count"] = [SMALL_LABEL if h else int(c) for c, h in zip(t["count"], hidden, strict=True)]
    for col in ("percent", "base"):
        if col in t:
            t[col] = [("—" if v is None or v != v else v) for v in t[col]]
    return t


def workbook(summary: SurveySummary, title: str = "", comments: dict[str, pd.DataFrame] | None = None) -> bytes:
    """An .xlsx: 「概要」 then one sheet per question in form order (identity columns left out).

    `comments`: question key → a frame of comments to add as its own sheet (secretariat only).
    """
    overview = pd.DataFrame(
        [(i, q.title, KIND_LABELS[q.kind], q.n, q.base if q.kind != IDENTITY else None, base_note(q))
         for i, q in enumerate(summary.questions, start=1)],
        columns=["No.", "質問", "種類", "回答数", "母数", "注記"])
    sheets: dict[str, pd.DataFrame] = {"概要": overview}
    for i, q in enumerate(summary.questions, start=1):
        if q.kind == IDENTITY:
            continue
        sheets[f"Q{i} {q.title}"] = question_table(q)
        if q.kind == TEXT and q.pairs is not None and len(q.pairs):
            sheets[f"Q{i} 共起"] = q.pairs.rename(columns=COLUMNS)
        if comments and q.key in comments:
            sheets[f"Q{i} コメント"] = comments[q.key]
    return to_xlsx_bytes(sheets)


# --- SVG charts ---------------------------------------------------------------------------------

def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _svg_hbars(labels: list[str], values: list[float], texts: list[str], colour: str = BAR_COLOUR) -> str:
    width, label_w, row_h = 720, 260, 26
    top = max(values, default=0) or 1
    h = row_h * len(labels) + 10
    parts = [f'<svg class="chart" viewBox="0 0 {width} {h}" width="{width}" height="{h}" role="img">']
    for i, (label, v, t) in enumerate(zip(labels, values, texts, strict=False)):
        y = 5 + i * row_h
        w = (width - label_w - 120) * v / top
        parts.append(f'<text x="{label_w - 6}" y="{y + 17}" text-anchor="end">{_e(_short(label))}</text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 8}" fill="{colour}"/>'
                     f'<text x="{label_w + w + 6:.1f}" y="{y + 17}">{_e(t)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _short(label: str, n: int = 20) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def _svg_stacked(rows: list[tuple[str, dict[str, float]]], options: list[str], ordered: bool) -> str:
    """One 100% bar per row; for a scale, centred on the neutral point (diverging)."""
    width, label_w, row_h, legend_h = 720, 200, 30, 24
    plot_w = width - label_w - 20
    colours = option_colours(options) if ordered else {o: PALETTE[i % len(PALETTE)] for i, o in enumerate(options)}
    h = legend_h + row_h * len(rows) + 10
    parts = [f'<svg class="chart" viewBox="0 0 {width} {h}" width="{width}" height="{h}" role="img">']
    x = 0.0
    for o in options:  # legend
        parts.append(f'<rect x="{x:.0f}" y="4" width="12" height="12" fill="{colours[o]}"/>'
                     f'<text x="{x + 16:.0f}" y="15" class="small">{_e(_short(o, 14))}</text>')
        x += 26 + 11 * min(len(o), 14)
    half = len(options) // 2
    for i, (label, shares) in enumerate(rows):
        y = legend_h + i * row_h
        parts.append(f'<text x="{label_w - 6}" y="{y + 19}" text-anchor="end">{_e(_short(label))}</text>')
        if ordered:
            neg = sum(shares.get(o, 0.0) for o in options[len(options) - half:])
            neg += shares.get(options[half], 0.0) / 2 if len(options) % 2 else 0.0
            centre = label_w + plot_w / 2
            start = centre - plot_w / 2 * neg / 100
            scale = plot_w / 2 / 100
        else:
            start, scale = label_w, plot_w / 100
        cx = start
        for o in options:
            w = shares.get(o, 0.0) * scale
            if w <= 0:
                continue
            parts.append(f'<rect x="{cx:.1f}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" fill="{colours[o]}">'
                         f'<title>{_e(o)}: {shares.get(o, 0.0):.1f}%</title></rect>')
            if shares.get(o, 0.0) >= 8:
                parts.append(f'<text x="{cx + w / 2:.1f}" y="{y + 19}" text-anchor="middle" class="inbar">'
                             f'{shares.get(o, 0.0):.0f}%</text>')
            cx += w
        if ordered:
            parts.append(f'<line x1="{label_w + plot_w / 2}" x2="{label_w + plot_w / 2}" y1="{y}" y2="{y + row_h}" '
                         f'stroke="#333"/>')
    parts.append("</svg>")
    return "".join(parts)


def _shares(t: pd.DataFrame) -> dict[str, float]:
    """option → percent; a hidden cell (「非表示」) draws no bar."""
    return {o: (0.0 if is_hidden(p) else p) for o, p in zip(t.option, t.percent, strict=False)}


def svg_chart(q: QuestionSummary) -> str:
    """The chart of one question as inline SVG ("" for identity columns or no answers)."""
    if q.kind in (SINGLE, SCALE, MULTI):
        if q.base == 0:
            return ""
        if q.ordered and len(q.options) >= 2:
            return _svg_stacked([(f"n={q.base}", _shares(q.table))], q.options, True)
        t = q.table.sort_values(["count", "option"], ascending=[False, True], kind="stable")
        return _svg_hbars(t.option.tolist(), t["count"].fillna(0).tolist(),
                          [share_text(c, p) for c, p in zip(t["count"], t.percent, strict=False)])
    if q.kind == GRID:
        rows = []
        for row in q.rows:
            part = q.table[q.table.row == row]
            rows.append((f"{row}（n={int(part.base.iloc[0]) if len(part) else 0}）", _shares(part)))
        options = q.options if q.ordered else list(dict.fromkeys(q.table.option))
        return _svg_stacked(rows, options, q.ordered)
    if q.kind == NUMBER and q.values:
        counts = Counter(q.values)
        keys = sorted(counts)
        if len(keys) > 15:  # bin into 10 equal ranges
            lo, hi = min(keys), max(keys)
            step = (hi - lo) / 10 or 1
            binned: Counter[str] = Counter()
            for v in q.values:
                k = min(int((v - lo) / step), 9)
                binned[f"{lo + k * step:g}–{lo + (k + 1) * step:g}"] += 1
            labels = list(dict.fromkeys(f"{lo + k * step:g}–{lo + (k + 1) * step:g}" for k in range(10)))
            return _svg_hbars(labels, [binned[x] for x in labels], [f"{binned[x]}件" for x in labels])
        return _svg_hbars([f"{k:g}" for k in keys], [counts[k] for k in keys], [f"{counts[k]}件" for k in keys])
    if q.kind == DATE and len(q.table):
        labels = [ja_date(dt.date.fromisoformat(d)) for d in q.table.option]
        return _svg_hbars(labels, q.table["count"].fillna(0).tolist(), [count_text(c) for c in q.table["count"]])
    if q.kind == TEXT and q.terms is not None and len(q.terms):
        t = q.terms.head(15)
        return _svg_hbars(t.term.tolist(), t["count"].tolist(), [f"{c}回" for c in t["count"]])
    return ""


def _table_html(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in df.columns)
    body = []
    for row in df.itertuples(index=False):
        cells = []
        for v in row:
            if v is None or (isinstance(v, float) and v != v):
                v = ""
            elif isinstance(v, float):
                v = f"{v:.1f}" if not v.is_integer() else f"{v:.0f}" if abs(v) >= 100 else f"{v:.1f}"
            cells.append(f"<td>{_e(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'


CSS = """
body { font-family: "Noto Sans CJK JP", "Hiragino Sans", Meiryo, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; border-left: 6px solid #4f7fc9; padding-left: .5em; }
section { page-break-inside: avoid; margin-bottom: 2em; }
.note { color: #555; font-size: .9em; }
table { border-collapse: collapse; margin-top: .5em; font-size: .9em; }
th, td { border: 1px solid #bbb; padding: .2em .6em; } td { text-align: right; }
td:first-child { text-align: left; } th { background: #eef3f8; }
svg.chart { max-width: 100%; height: auto; font-size: 13px; }
svg .small { font-size: 11px; } svg .inbar { fill: #fff; font-size: 11px; }
@media print { body { margin: 1cm; } a { color: inherit; } }
"""


def html_report(summary: SurveySummary, title: str = "", generated: dt.date | None = None) -> str:
    """A self-contained printable HTML page: every question in form order with chart, table and n."""
    generated = generated or now_jst().date()
    parts = [f'<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><title>{_e(title or "アンケート結果")}</title>'
             f"<style>{CSS}</style></head><body>",
             f"<h1>{_e(title or 'アンケート結果')}</h1>",
             f'<p class="note">回答者 {summary.respondents}名　作成日 {ja_date(generated)}</p>']
    number = 0
    for q in summary.questions:
        if q.kind == IDENTITY:
            continue
        number += 1
        parts.append(f"<section><h2>Q{number}. {_e(q.title)}</h2>"
                     f'<p class="note">{_e(KIND_LABELS[q.kind])}　{_e(base_note(q))}</p>')
        parts.append(svg_chart(q))
        if q.kind != TEXT or (q.terms is not None and len(q.terms)):
            t = question_table(q)
            parts.append(_table_html(t.head(20) if q.kind == TEXT else t))
        parts.append("</section>")
    parts.append("</body></html>")
    return "".join(parts)
