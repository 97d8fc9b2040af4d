"""The committee pack: one click gives an Excel workbook of the tables and a printable HTML summary.

The pack is for the 検討委員会, so it holds counts, organisations and charts only — never a
person's name or e-mail, whoever builds it. The HTML embeds plotly.js once (inline), so it opens
and prints (to PDF from the browser) on a machine with no internet access.

The domain's frames have English column names; the workbook and the HTML are documents, so their
Japanese headers are the product: the frames are renamed here, at that edge (SHEET_LABELS).
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from facilitation.files.exports import to_xlsx_bytes
from facilitation.history import charts, geo, participation, presence
from facilitation.history import coverage as cov
from facilitation.roles import Viewer
from facilitation.text.dates import format_date, format_fiscal_year, now_jst

TITLE = "北海道生活困窮者支援ネットワーク 参加状況のまとめ（検討委員会資料）"


@dataclass(frozen=True)
class Pack:
    xlsx: bytes
    html: str
    stem: str  # file name without extension

    @property
    def xlsx_name(self) -> str:
        return f"{self.stem}.xlsx"

    @property
    def html_name(self) -> str:
        return f"{self.stem}.html"


OVERVIEW_LABELS = {"item": "項目", "content": "内容"}

# The workbook's sheets in order: sheet name → the Japanese headers of the frame it holds.
SHEET_LABELS: dict[str, dict[str, str]] = {
    "概要": OVERVIEW_LABELS,
    "会ごとの集計": participation.MEETING_LABELS,
    "年度別": participation.YEAR_LABELS,
    "初参加・継続・離脱（人）": presence.FLOW_LABELS,
    "初参加・継続・離脱（機関）": presence.FLOW_LABELS,
    "継続率（人・年度別）": presence.COHORT_LABELS,
    "継続率（機関・年度別）": presence.COHORT_LABELS,
    "機関別の参加": presence.ORG_MATRIX_LABELS,
    "地域別": participation.REGION_TABLE_LABELS,
    "対象機関の参加率（地域別）": cov.REGION_LABELS,
    "対象機関の参加率（年度別）": cov.YEAR_LABELS,
    "未参加・最近参加のない対象機関": cov.OUTREACH_LABELS,
}


@dataclass(frozen=True)
class Section:
    """A page the caller adds to the pack (a higher tier's table, e.g. search.recurring's recurring
    needs by region): a sheet of the workbook and a section of the HTML. The frame has its Japanese
    headers already and must hold counts and words only (the caller's promise: no name, no passage)."""

    title: str  # the sheet's name (at most 31 characters) and the HTML heading
    frame: pd.DataFrame
    note: str = ""  # how it was counted, under the heading and in the sheet's last row
    empty: str = "該当するものはありません。"


@dataclass(frozen=True)
class PackTables:
    """Everything the pack shows: `frames` are the domain's tables (English column names) by sheet
    name, in the workbook's order; `sheets` are the same with their Japanese headers (the document)."""

    frames: dict[str, pd.DataFrame]
    headline: dict[str, str]
    coverage: cov.Coverage

    @property
    def sheets(self) -> dict[str, pd.DataFrame]:
        return {name: df.rename(columns=SHEET_LABELS[name]) for name, df in self.frames.items()}


def scope_text(h: participation.History, scope: participation.Scope, wareki: bool = False) -> str:
    """「2016年度〜2025年度・情報交換会・全ての開催方法」 (「平成28年度〜令和7年度…」 in 和暦)."""
    years = sorted(scope.fiscal_years) or participation.fiscal_years(h)
    fy = [format_fiscal_year(y, wareki) for y in years]
    span = f"{fy[0]}〜{fy[-1]}" if len(fy) > 1 else (fy[0] if fy else "（会なし）")
    kinds = "・".join(scope.kinds) if scope.kinds else "全ての種別"
    formats = "・".join(scope.formats) if scope.formats else "全ての開催方法"
    return f"{span}／{kinds}／{formats}"


def tables(h: participation.History, scope: participation.Scope, pop: cov.Population,
           lapse_after: int = participation.DEFAULT_LAPSE, wareki: bool = False) -> PackTables:
    """The committee's tables for a scope (no personal data in any of them)."""
    flow_base = participation.scoped(h, scope, years=False)
    period = participation.scoped(h, scope)
    meetings = participation.meeting_table(period)
    years = participation.year_table(period)
    people_flows = presence.flows(flow_base, presence.UNIT_PERSON, lapse_after, scope.fiscal_years)
    org_flows = presence.flows(flow_base, presence.UNIT_ORG, lapse_after, scope.fiscal_years)
    c = cov.coverage(period, pop)
    counts = participation.period_counts(period)
    headline = {
        "対象期間": scope_text(h, scope, wareki),
        "開催回数": f"{counts['meetings']}回",
        "延べ参加者数": f"{counts['total']}名",
        "実人数": f"{counts['distinct_people']}名",
        "実機関数": f"{counts['distinct_orgs']}機関（厚労省は1機関）",
        "対象機関の参加": c.line,
    }
    frames = {
        "概要": pd.DataFrame({"item": list(headline), "content": list(headline.values())}),
        "会ごとの集計": meetings,
        "年度別": years,
        "初参加・継続・離脱（人）": people_flows,
        "初参加・継続・離脱（機関）": org_flows,
        "継続率（人・年度別）": presence.cohort_retention(flow_base, presence.UNIT_PERSON),
        "継続率（機関・年度別）": presence.cohort_retention(flow_base, presence.UNIT_ORG),
        "機関別の参加": presence.org_matrix(period),
        "地域別": participation.region_table(period),
        "対象機関の参加率（地域別）": cov.coverage_by_region(period),
        "対象機関の参加率（年度別）": cov.coverage_by_year(flow_base, pop),
        "未参加・最近参加のない対象機関": cov.outreach_list(flow_base, period),
    }
    return PackTables(frames=frames, headline=headline, coverage=c)


def figures(h: participation.History, scope: participation.Scope, t: PackTables, pop: cov.Population) -> list[go.Figure]:
    period = participation.scoped(h, scope)
    return [
        charts.meetings_figure(t.frames["会ごとの集計"]),
        charts.years_figure(t.frames["年度別"]),
        charts.flows_figure(t.frames["初参加・継続・離脱（人）"], "人"),
        charts.cohort_figure(t.frames["継続率（人・年度別）"]),
        charts.coverage_figure(t.frames["対象機関の参加率（年度別）"], pop.label),
        geo.figure(participation.municipality_table(period), title="地域別の延べ参加者数"),
    ]


_CSS = """
body { font-family: "Noto Sans JP", "Hiragino Sans", Meiryo, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; border-bottom: 2px solid #1f77b4; margin-top: 2em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #bbb; padding: 2px 6px; text-align: left; }
th { background: #eef3f8; }
.headline td { text-align: left; } .chart { page-break-inside: avoid; margin: 1em 0; }
.note { color: #555; font-size: 0.85em; }
@media print { body { margin: 0; } h2 { page-break-before: auto; } .chart { width: 100%; } }
"""


def _table_html(df: pd.DataFrame, max_rows: int | None = None) -> str:
    shown = df if max_rows is None else df.head(max_rows)
    out = shown.to_html(index=False, escape=True, na_rep="", border=0)
    if max_rows is not None and len(df) > max_rows:
        out += f'<p class="note">ほか{len(df) - max_rows}行はExcelファイルをご覧ください。</p>'
    return out


def _section_html(section: Section) -> str:
    note = f'<p class="note">{html.escape(section.note)}</p>' if section.note else ""
    body = _table_html(section.frame) if len(section.frame) else f"<p>{html.escape(section.empty)}</p>"
    return f"<h2>{html.escape(section.title)}</h2>{note}{body}"


def summary_html(h: participation.History, scope: participation.Scope, pop: cov.Population,
                 t: PackTables, made_at: dt.datetime | None = None, wareki: bool = False,
                 extra: tuple[Section, ...] = ()) -> str:
    """A self-contained HTML page (plotly.js inline once) that prints well to PDF."""
    made_at = made_at or now_jst()
    figs = figures(h, scope, t, pop)
    charts = "\n".join(
        f'<div class="chart">{fig.to_html(full_html=False, include_plotlyjs=False, config={"displayModeBar": False, "responsive": True})}</div>'
        for fig in figs
    )
    sheets = t.sheets  # the Japanese headers, as in the workbook
    meetings = sheets["会ごとの集計"][[participation.MEETING_LABELS[c] for c in
                                   ("meeting", "format", "people", "organisations", "report_line")]]
    headline = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                       for k, v in t.headline.items())
    outreach = sheets["未参加・最近参加のない対象機関"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="ja"><head><meta charset="utf-8">',
        f"<title>{html.escape(TITLE)}</title>",
        f"<style>{_CSS}</style>",
        f'<script type="text/javascript">{get_plotlyjs()}</script>',
        "</head><body>",
        f"<h1>{html.escape(TITLE)}</h1>",
        f'<p class="note">作成日: {html.escape(format_date(made_at, wareki))}　'
        "ブラウザの「印刷」から PDF として保存できます。個人名・メールアドレスは含みません。</p>",
        f'<table class="headline">{headline}</table>',
        "<h2>会ごとの参加状況</h2>",
        _table_html(meetings),
        "<h2>推移</h2>",
        charts,
        "<h2>年度別</h2>",
        _table_html(sheets["年度別"]),
        "<h2>地域別</h2>",
        _table_html(sheets["地域別"]),
        "<h2>対象機関の参加率（地域別）</h2>",
        f"<p>{html.escape(t.coverage.line)}</p>",
        _table_html(sheets["対象機関の参加率（地域別）"]),
        "<h2>未参加・最近参加のない対象機関</h2>",
        _table_html(outreach, max_rows=60) if len(outreach) else "<p>該当する機関はありません。</p>",
        *(_section_html(x) for x in extra),
        '<p class="note">数え方: 出席の記録がある会は出席者を、記録のない過去の会はキャンセル以外の申込者を'
        "数えています。機関は参加した時点の所属で数え、厚生労働省は1機関としています。</p>",
        "</body></html>",
    ]
    return "\n".join(parts)


def build(h: participation.History, scope: participation.Scope, pop: cov.Population, viewer: Viewer,
          lapse_after: int = participation.DEFAULT_LAPSE, made_at: dt.datetime | None = None,
          wareki: bool = False, extra: tuple[Section, ...] = ()) -> Pack:
    """The workbook and the HTML summary for a scope. The content is the committee's view for
    every viewer (no names, no e-mails), so the secretariat can build it for the committee.
    `extra`: pages of higher tiers, after the participation tables (see Section)."""
    del viewer  # the pack never depends on who builds it: it is always committee-safe
    made_at = made_at or now_jst()
    t = tables(h, scope, pop, lapse_after, wareki)
    stem = f"委員会資料_参加状況_{made_at:%Y%m%d}"
    sheets = t.sheets | {x.title: _with_note(x) for x in extra}
    return Pack(xlsx=to_xlsx_bytes(sheets), html=summary_html(h, scope, pop, t, made_at, wareki, extra), stem=stem)


def _with_note(section: Section) -> pd.DataFrame:
    """The section's frame, then under its first column the empty text when it has no rows (the sheet
    says what the HTML says) and its note as the last row (the sheet says how it counted)."""
    frame = section.frame
    if frame.columns.empty:
        return frame
    lines = ([section.empty] if frame.empty and section.empty else []) + ([f"※{section.note}"] if section.note else [])
    if not lines:
        return frame
    tail = pd.DataFrame([{frame.columns[0]: line} for line in lines], columns=frame.columns)
    return pd.concat([frame.astype(object), tail], ignore_index=True) if len(frame) else tail
