"""Plotly figures for survey results: the right chart for each kind of question.

Scales and scale grids: diverging stacked bars (unfavourable answers to the left of zero, the
neutral answer split across it); choices: horizontal bars sorted by count, labelled 「n件（x%）」;
numbers: a histogram; dates: bars per day. Percentages use the summary's base.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from facilitation.surveys.questions import DATE, GRID, MULTI, NUMBER, SCALE, SINGLE
from facilitation.surveys.summary import QuestionSummary, count_text, share_text
from facilitation.text.dates import PLOTLY_DAY

# Labels shown on the charts (Japanese, one place).
PERCENT = "割合（%）"
COUNT = "件数"
VALUE = "回答の値"
SHARE = "「{label}」の割合（%）"
POSITIVE_COLOURS = ("#1f4e99", "#4f7fc9", "#8fb0e0", "#c0d3ef", "#dfe8f7")
NEGATIVE_COLOURS = ("#b2182b", "#d6604d", "#f4a582", "#f8c8b0", "#fbe2d4")
NEUTRAL_COLOUR = "#bdbdbd"
BAR_COLOUR = "#4f7fc9"
FONT = "Noto Sans CJK JP, Hiragino Sans, Meiryo, sans-serif"


def _layout(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=10), font=dict(family=FONT, size=13),
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0), plot_bgcolor="white")
    return fig


def option_colours(options: list[str]) -> dict[str, str]:
    """Best answers dark blue … worst dark red, the mildest lighter; a neutral middle grey."""
    half = len(options) // 2
    span = 4 if half >= 5 else min(half - 1, 3)
    shade = [round(i * span / max(half - 1, 1)) for i in range(half)]
    out = {}
    for i, o in enumerate(options[:half]):
        out[o] = POSITIVE_COLOURS[shade[i]]
    for i, o in enumerate(reversed(options[len(options) - half:])):
        out[o] = NEGATIVE_COLOURS[shade[i]]
    if len(options) % 2:
        out[options[half]] = NEUTRAL_COLOUR
    return out


def _pct(value) -> float:
    """A percentage for drawing: a hidden cell (「非表示」, NaN) draws nothing."""
    return 0.0 if value is None or value != value else float(value)


def _cell(count, percent) -> str:
    return share_text(count, percent if percent is not None else 0.0)


def diverging(rows: list[tuple[str, dict[str, float], dict[str, int]]], options: list[str]) -> go.Figure:
    """A diverging stacked bar per row: (label, option → percent, option → count); options best first."""
    half = len(options) // 2
    positive, negative = options[:half], options[len(options) - half:]
    neutral = options[half] if len(options) % 2 else None
    colours = option_colours(options)
    labels = [r[0] for r in rows]
    fig = go.Figure()

    def add(option: str, sign: int, share: float = 1.0) -> None:
        xs = [sign * _pct(r[1].get(option)) * share for r in rows]
        text = [f"{_pct(r[1].get(option)):.0f}%" if _pct(r[1].get(option)) >= 5 and share == 1.0 else "" for r in rows]
        custom = [[_cell(r[2].get(option, 0), r[1].get(option, 0.0))] for r in rows]
        fig.add_trace(go.Bar(
            y=labels, x=xs, orientation="h", name=option, marker_color=colours[option], text=text,
            textposition="inside", customdata=custom, legendgroup=option, showlegend=share == 1.0 or sign < 0,
            hovertemplate=f"{option}: %{{customdata[0]}}<extra></extra>"))

    # Stack outward from zero: the mildest answers next to the axis.
    if neutral:
        add(neutral, -1, 0.5)
    for o in reversed(negative):
        add(o, -1)
    if neutral:
        add(neutral, 1, 0.5)
    for o in reversed(positive):
        add(o, 1)
    fig.update_layout(barmode="relative")
    fig.update_xaxes(title_text=PERCENT, range=[-100, 100], tickvals=[-100, -50, 0, 50, 100],
                     ticktext=["100", "50", "0", "50", "100"], zeroline=True, zerolinecolor="#444")
    fig.update_yaxes(autorange="reversed")
    # Legend in scale order (best first), whatever the stacking order.
    for t in fig.data:
        t.legendrank = options.index(t.name) + 1
    return _layout(fig, 110 + 45 * len(rows))


def choice_bars(table: pd.DataFrame) -> go.Figure:
    """Horizontal bars sorted by count (most chosen on top), labelled 「n件（x%）」."""
    t = table.sort_values(["count", "option"], ascending=[False, True], kind="stable")
    texts = [share_text(c, p) for c, p in zip(t["count"], t.percent, strict=False)]
    fig = go.Figure(go.Bar(
        y=t.option.tolist(), x=t["count"].fillna(0).tolist(), orientation="h", marker_color=BAR_COLOUR,
        text=texts, textposition="auto", customdata=texts, hovertemplate="%{y}: %{customdata}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text=COUNT, rangemode="tozero")
    return _layout(fig, 90 + 32 * len(t))


def stacked_shares(rows: list[tuple[str, dict[str, float], dict[str, int]]], options: list[str]) -> go.Figure:
    """100% stacked bars per row for unordered choices (a grid of plain options, cross-tabs)."""
    fig = go.Figure()
    palette = ("#4f7fc9", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f", "#bab0ac")
    labels = [r[0] for r in rows]
    for i, o in enumerate(options):
        fig.add_trace(go.Bar(
            y=labels, x=[_pct(r[1].get(o)) for r in rows], orientation="h", name=o,
            marker_color=palette[i % len(palette)],
            text=[f"{_pct(r[1].get(o)):.0f}%" if _pct(r[1].get(o)) >= 5 else "" for r in rows], textposition="inside",
            customdata=[[_cell(r[2].get(o, 0), r[1].get(o, 0.0))] for r in rows],
            hovertemplate=f"{o}: %{{customdata[0]}}<extra></extra>"))
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title_text=PERCENT, range=[0, 100])
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, 110 + 45 * len(rows))


def histogram(values: list[float]) -> go.Figure:
    fig = go.Figure(go.Histogram(x=values, marker_color=BAR_COLOUR, hovertemplate="%{x}: %{y}件<extra></extra>"))
    fig.update_xaxes(title_text=VALUE)
    fig.update_yaxes(title_text=COUNT)
    return _layout(fig, 300)


def date_bars(table: pd.DataFrame) -> go.Figure:
    fig = go.Figure(go.Bar(x=table.option.tolist(), y=table["count"].tolist(), marker_color=BAR_COLOUR))
    fig.update_yaxes(title_text=COUNT)
    fig.update_xaxes(type="date", tickformat=PLOTLY_DAY, hoverformat=PLOTLY_DAY)  # not "Feb 2026"
    return _layout(fig, 280)


def _grid_rows(s: QuestionSummary) -> list[tuple[str, dict[str, float], dict[str, int]]]:
    out = []
    for row in s.rows:
        part = s.table[s.table.row == row]
        out.append((f"{row}（n={int(part.base.iloc[0]) if len(part) else 0}）",
                    dict(zip(part.option, part.percent, strict=False)), dict(zip(part.option, part["count"], strict=False))))
    return out


def figure(s: QuestionSummary) -> go.Figure | None:
    """The chart for one question's result; None for free text and identity columns or no answers."""
    if s.kind in (SINGLE, MULTI, SCALE) and s.base == 0:
        return None
    if s.kind == SCALE and s.ordered and len(s.options) >= 2:
        row = (f"n={s.base}", dict(zip(s.table.option, s.table.percent, strict=False)), dict(zip(s.table.option, s.table["count"], strict=False)))
        return diverging([row], s.options)
    if s.kind in (SINGLE, MULTI, SCALE):
        return choice_bars(s.table)
    if s.kind == GRID:
        rows = _grid_rows(s)
        return diverging(rows, s.options) if s.ordered else stacked_shares(rows, list(dict.fromkeys(s.table.option)))
    if s.kind == NUMBER and s.values:
        return histogram(s.values)
    if s.kind == DATE and len(s.table):
        return date_bars(s.table)
    return None


def crosstab_figure(table: pd.DataFrame, options: list[str], ordered: bool) -> go.Figure:
    """A cross-tab (summary.crosstab) as one bar per group: diverging for scales, else 100% stacked."""
    rows = []
    for g, part in table.groupby("group", sort=False):
        base = count_text(part.base.iloc[0], "") if len(part) else "0"
        rows.append((f"{g}（n={base}）", dict(zip(part.option, part.percent, strict=False)), dict(zip(part.option, part["count"], strict=False))))
    opts = options + [o for o in dict.fromkeys(table.option) if o not in options]
    return diverging(rows, options) if ordered and len(options) >= 2 else stacked_shares(rows, opts)


def trend_figure(trend: pd.DataFrame) -> go.Figure:
    """The favourable share per meeting (store.trend), with n in the hover text (a hidden share: no point)."""
    label = trend.label.iloc[0] if len(trend) else ""
    fig = go.Figure(go.Scatter(
        x=trend.meeting.tolist(), y=trend.positive_share.tolist(), mode="lines+markers+text",
        text=["" if v != v else f"{v:.0f}%" for v in trend.positive_share], textposition="top center",
        customdata=[[count_text(p, ""), int(b)] for p, b in zip(trend.positive, trend.base, strict=True)],
        line=dict(color=BAR_COLOUR),
        hovertemplate="%{x}<br>%{y:.1f}%（%{customdata[0]}／%{customdata[1]}件）<extra></extra>"))
    fig.update_yaxes(title_text=SHARE.format(label=label), range=[0, 105])
    return _layout(fig, 340)


def terms_figure(terms: pd.DataFrame, top: int = 20) -> go.Figure:
    """Word frequencies as horizontal bars (most frequent on top)."""
    t = terms.head(top)
    fig = go.Figure(go.Bar(y=t.term.tolist(), x=t["count"].tolist(), orientation="h", marker_color=BAR_COLOUR,
                           customdata=t.documents.tolist(),
                           hovertemplate="%{y}: %{x}回（%{customdata}件のコメント）<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title_text="出現回数")
    return _layout(fig, 90 + 24 * len(t))
