"""Charts of the open chat's activity (plotly figures for the page), beside the tables they draw.

Each figure takes a frame of `facilitation.openchat.activity` (counts only: no names, no text), so a
chart shows exactly what the functions return. Axis dates read in Japanese (plotly's own ticks are
English: "Feb 2026").
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from facilitation.text.dates import PLOTLY_DAY, PLOTLY_MONTH


def _figure(traces: list, height: int = 320, x: str = "", y: str = "", **layout) -> go.Figure:
    """A plain figure from graph objects (plotly.express costs ~0.1 s per chart in set-up alone)."""
    fig = go.Figure(data=traces)
    fig.update_layout(height=height, margin=dict(t=10, b=10, l=10, r=10), xaxis_title=x, yaxis_title=y,
                      legend=dict(orientation="h", y=-0.2), **layout)
    if _dates_on_x(traces):
        fig.update_xaxes(type="date", tickformat=PLOTLY_MONTH, hoverformat=PLOTLY_DAY)
    return fig


def _dates_on_x(traces: list) -> bool:
    for t in traces:
        xs = getattr(t, "x", None)
        if xs is not None and len(xs):
            return isinstance(xs[0], (dt.date, pd.Timestamp, np.datetime64))
    return False


def members_figure(mot: pd.DataFrame) -> go.Figure:
    """Members at each month's end, with joins and leaves (`activity.members_over_time`)."""
    return _figure([
        go.Scatter(x=mot["month"], y=mot["members"], mode="lines+markers", name="メンバー数"),
        go.Bar(x=mot["month"], y=mot["joins"], name="参加"),
        go.Bar(x=mot["month"], y=-mot["leaves"], name="退出"),
    ], x="月", y="人数", barmode="relative")


def active_figure(apm: pd.DataFrame) -> go.Figure:
    """Members who posted, per month (`activity.active_per_month`)."""
    return _figure([go.Bar(x=apm["month"], y=apm["active_members"], name="投稿した人数")], x="月", y="投稿した人数")


def weekly_figure(mpw: pd.DataFrame) -> go.Figure:
    """Posts per week, text and media stacked (`activity.messages_per_week`)."""
    return _figure([go.Bar(x=mpw["week"], y=mpw["messages"], name="文章"),
                    go.Bar(x=mpw["week"], y=mpw["media"], name="写真・スタンプ等")],
                   height=300, x="週（月曜始まり）", y="件数", barmode="stack")


def regions_figure(regs: pd.DataFrame) -> go.Figure:
    """Members per region, with organisations and posts on hover (`activity.regions`)."""
    return _figure([go.Bar(
        y=regs["region"], x=regs["members"], orientation="h", name="メンバー数",
        customdata=regs[["organisations", "messages"]],
        hovertemplate="%{y}: メンバー %{x}名・%{customdata[0]}機関・投稿 %{customdata[1]}件<extra></extra>")],
        height=360, x="メンバー数", yaxis={"categoryorder": "array", "categoryarray": list(regs["region"])[::-1]})


def questions_figure(per: pd.DataFrame) -> go.Figure:
    """Questions per month, answered and unanswered (`activity.answer_stats_per_month`)."""
    return _figure([go.Bar(x=per["month"], y=per["answered"], name="回答あり"),
                    go.Bar(x=per["month"], y=per["unanswered"], name="未回答")],
                   height=300, x="月", y="質問の数", barmode="stack")


def terms_figure(terms: pd.DataFrame) -> go.Figure:
    """A month's frequent words, the most frequent on top (`activity.topics`)."""
    rev = terms.iloc[::-1]
    return _figure([go.Bar(x=rev["count"], y=rev["term"], orientation="h", name="出現回数")], height=420, x="出現回数")
