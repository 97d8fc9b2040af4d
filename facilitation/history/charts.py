"""Trend charts of the participation history (plotly figures, used by the page and the pack).

Every figure takes the tables that `facilitation.history` / `facilitation.coverage` return, so
what the chart shows is exactly what the table next to it says. No personal data goes in.
The tables have English column names; trace names, titles and hover texts are the tables' Japanese
headers (their *_LABELS dicts), so a chart reads like the table next to it.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from facilitation.history import participation, presence
from facilitation.history.participation import MEETING_LABELS, YEAR_LABELS
from facilitation.history.presence import FLOW_LABELS
from facilitation.text import vocab
from facilitation.text.dates import PLOTLY_DAY, PLOTLY_MONTH

COLOURS = {
    vocab.CATEGORY_GROUP: "#1f77b4",
    vocab.CATEGORY_GOVERNMENT: "#2ca02c",
    vocab.CATEGORY_NATIONAL: "#ff7f0e",
    "newcomers": "#17becf",
    "continuing": "#1f77b4",
    "returned": "#9467bd",
    "newly_lapsed": "#d62728",
}
FONT = {"family": "Noto Sans JP, Hiragino Sans, Meiryo, sans-serif"}


def _layout(fig: go.Figure, title: str, height: int = 360) -> go.Figure:
    fig.update_layout(title=title, height=height, font=FONT, barmode="stack",
                      margin={"l": 40, "r": 20, "t": 80, "b": 40},
                      legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0})
    return fig


def _dates(table: pd.DataFrame) -> pd.Series:
    """Meeting dates from the tables' 「2024年6月10日（月）」 date column, for a real time axis."""
    text = table["date"].astype("string")  # an empty history's column has no strings to tell its type
    return pd.to_datetime(text.str.replace(r"（.）$", "", regex=True), format="%Y年%m月%d日")


def _time_axis(fig: go.Figure) -> None:
    fig.update_xaxes(type="date", tickformat=PLOTLY_MONTH, hoverformat=PLOTLY_DAY)


def meetings_figure(table: pd.DataFrame, national_label: str = "厚労省") -> go.Figure:
    """People per meeting stacked by category, with the number of 機関 as a line."""
    fig = go.Figure()
    x = _dates(table)
    for cat in vocab.COUNT_CATEGORIES:
        name = national_label if cat == vocab.CATEGORY_NATIONAL else cat
        fig.add_bar(x=x, y=table[f"people_{participation.CATEGORY_KEYS[cat]}"], name=f"{name}（名）",
                    marker_color=COLOURS[cat], customdata=table["meeting"],
                    hovertemplate="%{customdata}<br>" + name + " %{y}名<extra></extra>")
    fig.add_scatter(x=x, y=table["organisations"], name=MEETING_LABELS["organisations"], mode="lines+markers",
                    customdata=table["meeting"],
                    line={"color": "#444"}, hovertemplate="%{customdata}<br>%{y}機関<extra></extra>")
    _time_axis(fig)
    return _layout(fig, "会ごとの参加者数と機関数")


def years_figure(table: pd.DataFrame) -> go.Figure:
    """Per fiscal year: 延べ and 実人数 as bars, 実機関数 as a line."""
    fig = go.Figure()
    x = table["fiscal_year"]
    fig.add_bar(x=x, y=table["total"], name=YEAR_LABELS["total"], marker_color="#aec7e8")
    fig.add_bar(x=x, y=table["distinct_people"], name=YEAR_LABELS["distinct_people"], marker_color="#1f77b4")
    fig.add_scatter(x=x, y=table["distinct_orgs"], name=YEAR_LABELS["distinct_orgs"], mode="lines+markers",
                    line={"color": "#ff7f0e"})
    _layout(fig, "年度ごとの延べ参加者数・実人数・実機関数")
    fig.update_layout(barmode="group")
    return fig


def flows_figure(table: pd.DataFrame, unit_label: str = "人") -> go.Figure:
    """Newcomers, continuing and returning per meeting (stacked) and the newly lapsed (line)."""
    fig = go.Figure()
    x = _dates(table)
    for col in ("newcomers", "continuing", "returned"):
        fig.add_bar(x=x, y=table[col], name=FLOW_LABELS[col], marker_color=COLOURS[col])
    fig.add_scatter(x=x, y=table["newly_lapsed"], name=FLOW_LABELS["newly_lapsed"], mode="lines+markers",
                    line={"color": COLOURS["newly_lapsed"]})
    _time_axis(fig)
    return _layout(fig, f"初参加・継続・再参加・離脱（{unit_label}）")


def retention_figure(table: pd.DataFrame) -> go.Figure:
    """The share of a meeting's participants who came to the next one (%)."""
    fig = go.Figure()
    fig.add_scatter(x=_dates(table), y=table["came_next_rate"], mode="lines+markers",
                    name=FLOW_LABELS["came_next_rate"],
                    hovertemplate="%{x}<br>%{y}%<extra></extra>")
    _time_axis(fig)
    fig.update_yaxes(range=[0, 100], ticksuffix="%")
    return _layout(fig, "次の会にも参加した割合")


def cohort_figure(table: pd.DataFrame) -> go.Figure:
    """Cohort retention as a heat map: rows = first fiscal year, columns = year of participation."""
    cols = [c for c in table.columns if c not in presence.COHORT_LABELS]  # the years of participation
    z = table[cols].to_numpy(dtype=float) if len(table) else [[]]
    fig = go.Figure(go.Heatmap(
        z=z, x=cols, y=[f"{y}（{n}）" for y, n in zip(table["fiscal_year"], table["size"], strict=True)],
        colorscale="Blues", zmin=0, zmax=100, colorbar={"ticksuffix": "%"},
        hovertemplate="%{y} → %{x}: %{z}%<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "初参加の年度別の継続率（コホート）", height=380)


def coverage_figure(table: pd.DataFrame, label: str) -> go.Figure:
    """Coverage of the target population per fiscal year (%)."""
    fig = go.Figure()
    fig.add_bar(x=table["fiscal_year"], y=table["share"], name="参加率",
                text=[f"{a}/{b}" for a, b in zip(table["reached"], table["targets"], strict=True)],
                textposition="outside", marker_color="#2ca02c")
    fig.update_yaxes(range=[0, 110], ticksuffix="%")
    return _layout(fig, f"{label}の参加率（年度別）")
