"""Streamlit parts of 参加履歴 (/history): cached loading, filters, and one function per tab.

The whole history is read once per data version (two SQL queries into pandas) and cached by
database URL + data version + role; every table below is computed from that cached frame.
The domain's tables have English column names; they are shown (and saved as CSV / Excel) under the
Japanese headers of their *_LABELS dict.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from facilitation.errors import AccessDenied
from facilitation.files.exports import to_csv_bytes, to_xlsx_bytes
from facilitation.history import charts, committee_pack, geo, participation, presence
from facilitation.history import coverage as cov
from facilitation.invitations import outcome
from facilitation.orgs import merges as org_merges
from facilitation.roles import COMMITTEE, Viewer
from facilitation.storage.settings import use_wareki
from facilitation.text import vocab
from facilitation.text.dates import now_jst

from . import invitations
from .common import act, db_url, esc, session, show_editor, show_error, show_table, viewer

TABS = ("会ごと", "機関別", "個人別", "初参加・継続・離脱", "対象機関", "ご案内", "地域", "委員会資料")
TAB_KEY = "history_tab"
NATIONAL_LABEL = "厚労省"


@dataclass(frozen=True)
class Data:
    history: participation.History
    population: cov.Population
    key: tuple  # (database URL, data version, role): what the derived tables are cached by


# --- loading (cached) ---------------------------------------------------------------------------

@st.cache_resource(ttl=3600, max_entries=400, show_spinner=False)
def _meeting_registrations(url: str, meeting_id: int, stamp: tuple) -> pd.DataFrame:
    """One meeting's registrations, kept until that meeting's stamp changes (read, never modified)."""
    from facilitation.storage import db

    with db.session(url) as s:
        return participation.meeting_registrations(s, meeting_id)


@st.cache_data(ttl=3600, max_entries=8, show_spinner="参加履歴を読み込んでいます…")
def _load(url: str, version: tuple, role: str) -> Data:
    """After a change anywhere, only the meetings whose registrations changed are read again."""
    from facilitation.storage import db

    with db.session(url) as s:
        stamps = participation.meeting_stamps(s)
        history = participation.load(s, Viewer(role=role),
                                     registrations=lambda m: _meeting_registrations(url, m, stamps.get(m, ())))
        return Data(history, cov.population(s), (url, version, role))


def load() -> Data:
    """The history for the current viewer, re-read only when the data changed."""
    url = db_url()
    with session() as s:
        version = participation.data_version(s)
    return _load(url, version, viewer().role)


def refresh() -> None:
    """Forget cached history (after an edit made on this page)."""
    _load.clear()
    _tables.clear()  # (each meeting's registrations are kept by their own stamps)


def _edited(result):
    """Inside an action of this page: forget the cached history (the rerun reads what was written)."""
    refresh()
    return result


@st.cache_data(ttl=3600, max_entries=32, show_spinner=False)
def _tables(url: str, version: tuple, role: str, scope: participation.Scope, name: str, arg=None):
    """Derived tables, cached per scope (so changing a tab or a filter back is instant)."""
    h = _load(url, version, role).history
    period = participation.scoped(h, scope)
    base = participation.scoped(h, scope, years=False)
    if name == "meetings":
        return participation.meeting_table(period, NATIONAL_LABEL), participation.year_table(period)
    if name == "orgs":
        return presence.org_matrix(period)
    if name == "flows":
        unit, lapse = arg
        return (presence.flows(base, unit, lapse, scope.fiscal_years),
                presence.cohort_retention(base, unit))
    if name == "regions":
        return participation.region_table(period), participation.municipality_table(period)
    if name == "people":  # AccessDenied (not cached) for a role that may not see names
        return presence.person_matrix(period, Viewer(role=role))
    raise ValueError(name)


def tables(data: Data, scope: participation.Scope, name: str, arg=None):
    return _tables(*data.key, scope, name, arg)


# --- filters and headline -----------------------------------------------------------------------

def filters(data: Data) -> participation.Scope:
    """Fiscal year, meeting kind and format; empty means all."""
    h = data.history
    years = participation.fiscal_years(h)
    kinds = [k for k in vocab.MEETING_KINDS if k in set(h.meetings["meeting_kind"])]
    formats = [f for f in vocab.MEETING_FORMATS if f in set(h.meetings["format"])]
    c1, c2, c3 = st.columns([2, 2, 2])
    chosen_years = c1.multiselect("年度", years, format_func=lambda y: f"{y}年度", key="h_years",
                                  placeholder="すべての年度")
    chosen_kinds = c2.multiselect("種別", kinds, key="h_kinds", placeholder="すべての種別")
    chosen_formats = c3.multiselect("開催方法", formats, key="h_formats", placeholder="すべての開催方法")
    return participation.Scope(tuple(sorted(chosen_years)), tuple(chosen_kinds), tuple(chosen_formats))


def headline(data: Data, scope: participation.Scope) -> None:
    period = participation.scoped(data.history, scope)
    n = participation.period_counts(period)
    c = cov.coverage(period, data.population)
    cols = st.columns(5)
    cols[0].metric("開催回数", f"{n['meetings']}回")
    cols[1].metric("延べ参加者数", f"{n['total']:,}名")
    cols[2].metric("実人数", f"{n['distinct_people']:,}名")
    cols[3].metric("実機関数", f"{n['distinct_orgs']}機関")
    cols[4].metric("対象機関の参加", f"{c.reached}/{c.total}", f"{c.share:.1f}%", delta_color="off",
                   delta_arrow="off", help=f"{c.label}のうち、この期間に1人以上参加した機関の数")


def tab_labels(v: Viewer) -> list[str]:
    """The person tab only for the secretariat (names are personal data); ご案内 for the secretariat and
    the committee (its outcome counts)."""
    return [t for t in TABS if (t != "個人別" or v.is_secretariat)
            and (t != "ご案内" or v.is_secretariat or v.role == COMMITTEE)]


def _csv_button(label: str, df, labels: dict[str, str], file_name: str, key: str) -> None:
    """A CSV of a domain table under its Japanese headers (the file is a document)."""
    st.download_button(label, data=lambda: to_csv_bytes(df.rename(columns=labels)), file_name=file_name,
                       mime="text/csv", key=key, on_click="ignore", icon=":material/download:")


def _chart(fig) -> None:
    st.plotly_chart(fig, width="stretch", config={"displayModeBar": False})


# --- tabs ---------------------------------------------------------------------------------------

def meetings_tab(data: Data, scope: participation.Scope) -> None:
    table, years = tables(data, scope, "meetings")
    if table.empty:
        st.info("条件に合う会がありません。年度・種別・開催方法の選び方を変えてください。")
        return
    st.caption("出席の記録がある会は出席者を、記録のない過去の会はキャンセル以外の申込者を数えています。"
               "機関は参加した時点の所属で数え、厚生労働省は何人参加しても1機関です。")
    _chart(charts.meetings_figure(table, NATIONAL_LABEL))
    show_table(table, labels=participation.MEETING_LABELS, hide_index=True, width="stretch",
               column_config={"report_line": st.column_config.TextColumn(width="large")})
    _csv_button("会ごとの集計をCSVで保存", table, participation.MEETING_LABELS, "会ごとの集計.csv", "dl_meetings")
    st.subheader("年度ごとの推移")
    _chart(charts.years_figure(years))
    show_table(years, labels=participation.YEAR_LABELS, hide_index=True, width="stretch")


def orgs_tab(data: Data, scope: participation.Scope) -> None:
    matrix = tables(data, scope, "orgs")
    if matrix.empty:
        st.info("この条件で参加した機関はありません。")
        return
    c1, c2 = st.columns([3, 2])
    text = c1.text_input("機関名・地域で絞り込み", key="h_org_search", placeholder="例: 札幌、りんく、社会福祉協議会")
    only_targets = c2.checkbox("対象機関だけ", key="h_org_targets")
    shown = presence.search(matrix, text, ["organisation", "region"])
    if only_targets:
        shown = shown[shown["target"] == "○"]
    st.caption(f"{len(shown)}機関　数字は参加した人数、F はファシリテーター、講 は登壇者を出した回です。")
    show_table(shown, labels=presence.ORG_MATRIX_LABELS, hide_index=True, width="stretch", height=480,
               column_config={"organisation": st.column_config.TextColumn(pinned=True, width="medium")})
    _csv_button("機関別の参加をCSVで保存", shown, presence.ORG_MATRIX_LABELS, "機関別の参加.csv", "dl_orgs")
    if viewer().is_secretariat:
        merge_editor(data)


def merge_editor(data: Data) -> None:
    """The secretariat records organisations that merged, so history follows the surviving one."""
    orgs = data.history.orgs
    names = dict(zip(orgs["org_id"].astype(int), orgs["org_name"], strict=True))
    with st.expander("機関の統合（統合された機関の履歴を、存続する機関にまとめます）"):
        current = data.history.merges
        for absorbed, surviving in sorted(current.items()):
            c1, c2 = st.columns([5, 1])
            c1.write(f"{esc(names.get(absorbed, absorbed))} → {esc(names.get(surviving, surviving))}")
            if c2.button("解除", key=f"unmerge_{absorbed}"):
                act(lambda s, a=absorbed: _edited(org_merges.remove_merge(s, viewer(), a)), "統合の記録を解除しました。")
        ids = sorted(names, key=lambda i: names[i])
        with st.form("merge_form", clear_on_submit=True):
            a = st.selectbox("統合された機関", ids, format_func=names.get, index=None, placeholder="選んでください")
            b = st.selectbox("存続する機関", ids, format_func=names.get, index=None, placeholder="選んでください")
            if st.form_submit_button("統合を記録"):
                if a is None or b is None:
                    st.warning("統合された機関と存続する機関の両方を選んでください。")
                else:
                    act(lambda s: _edited(org_merges.set_merge(s, viewer(), a, b)),
                        f"{esc(names[a])} の履歴を {esc(names[b])} にまとめました。")


def people_tab(data: Data, scope: participation.Scope) -> None:
    try:
        matrix = tables(data, scope, "people")
    except AccessDenied as exc:
        show_error(exc, "info")
        return
    if matrix.empty:
        st.info("この条件で参加した人はいません。")
        return
    text = st.text_input("氏名・所属・メールで絞り込み", key="h_person_search", placeholder="例: 佐藤、りんく")
    shown = presence.search(matrix, text, ["name", "organisation", "email"])
    st.caption(f"{len(shown):,}名　{participation.ROLE_LEGEND}　（個人情報です。取り扱いにご注意ください）")
    show_table(shown, labels=presence.PERSON_MATRIX_LABELS, hide_index=True, width="stretch", height=480,
               column_config={"name": st.column_config.TextColumn(pinned=True)})
    _csv_button("個人別の参加をCSVで保存", shown, presence.PERSON_MATRIX_LABELS, "個人別の参加.csv", "dl_people")


def flows_tab(data: Data, scope: participation.Scope) -> None:
    c1, c2 = st.columns(2)
    unit_label = c1.radio("数える単位", ["人", "機関"], horizontal=True, key="h_unit")
    lapse = c2.number_input("何回続けて参加がないと「離脱」とみなすか", min_value=1, max_value=24,
                            value=participation.DEFAULT_LAPSE, step=1, key="h_lapse")
    unit = presence.UNIT_PERSON if unit_label == "人" else presence.UNIT_ORG
    table, cohorts = tables(data, scope, "flows", (unit, int(lapse)))
    if table.empty:
        st.info("条件に合う会がありません。")
        return
    st.caption("初参加: 初めて参加。継続: 前回にも参加。再参加: 以前参加したことがあり、前回は不参加。"
               f"離脱: 以前参加したが直近{int(lapse)}回続けて参加がない（その回に新たに該当した数と累計）。"
               "初参加かどうかは、選んだ年度より前の会も含めて判定しています。")
    _chart(charts.flows_figure(table, unit_label))
    show_table(table, labels=presence.FLOW_LABELS, hide_index=True, width="stretch")
    _chart(charts.retention_figure(table))
    st.subheader("初参加の年度ごとの継続率")
    st.caption("各年度に初めて参加した" + unit_label + "のうち、その後の年度にも参加した割合（%）です。")
    show_table(cohorts, labels=presence.COHORT_LABELS, hide_index=True, width="stretch")
    _chart(charts.cohort_figure(cohorts))


def coverage_tab(data: Data, scope: participation.Scope) -> None:
    h = data.history
    period = participation.scoped(h, scope)
    base = participation.scoped(h, scope, years=False)
    pop = data.population
    c = cov.coverage(period, pop)
    st.metric(esc(c.label), f"{c.reached}/{c.total}", f"{c.share:.1f}%", delta_color="off", delta_arrow="off")
    if c.size_is_set and c.flagged < c.total:
        st.caption(f"名簿で対象としている機関は{c.flagged}機関です。分母は設定した総数{c.total}を使っています。")
    show_table(cov.coverage_by_region(period), labels=cov.REGION_LABELS, hide_index=True, width="stretch")
    _chart(charts.coverage_figure(cov.coverage_by_year(base, pop), pop.label))

    st.subheader("声かけの候補（未参加・最近参加のない対象機関）")
    st.caption("対象機関のうち、これまで一度も参加がない機関と、以前は参加していたがこの期間には参加がない機関です。")
    outreach = cov.outreach_list(base, period)
    if outreach.empty:
        st.success("この期間に、すべての対象機関が参加しています。")
    else:
        show_table(outreach, labels=cov.OUTREACH_LABELS, hide_index=True, width="stretch")
        c1, c2 = st.columns(2)
        with c1:
            _csv_button("CSVで保存", outreach, cov.OUTREACH_LABELS, "声かけ候補の機関.csv", "dl_outreach_csv")
        c2.download_button("Excelで保存",
                           data=lambda: to_xlsx_bytes({"声かけ候補": outreach.rename(columns=cov.OUTREACH_LABELS)}),
                           file_name="声かけ候補の機関.xlsx", on_click="ignore", key="dl_outreach_xlsx",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           icon=":material/download:")
        if viewer().is_secretariat:
            st.caption("この一覧の機関に、次の会のご案内メールを送るには「ご案内」タブを開いてください。")
    if viewer().is_secretariat:
        target_editor(data)


def target_editor(data: Data) -> None:
    """Edit which organisations are in the target population, and its name and true size."""
    with st.expander("対象機関の設定（事務局）"):
        pop = data.population
        with st.form("population_form"):
            label = st.text_input("対象の呼び方", value=pop.label)
            size = st.number_input("対象機関の総数（名簿に全部そろっていないとき。0なら名簿の数）",
                                   min_value=0, value=pop.size or 0, step=1)
            if st.form_submit_button("保存"):
                act(lambda s: _edited(cov.set_population(s, viewer(), label=label, size=int(size) or None)),
                    "対象機関の設定を保存しました。")
        table = cov.target_table(data.history)
        edited = show_editor(table, labels=cov.TARGET_LABELS, hide_index=True, width="stretch", key="target_editor",
                             disabled=["id", "organisation", "region", "kind", "programs"],
                             column_config={"target": st.column_config.CheckboxColumn(cov.TARGET_LABELS["target"])})
        if st.button("対象機関を保存", key="save_targets"):
            flags = dict(zip(edited["id"].astype(int), edited["target"].astype(bool), strict=True))
            act(lambda s: _edited(cov.update_targets(s, viewer(), flags)),
                lambda out: f"対象機関を保存しました（追加 {out[0]}・解除 {out[1]}）。")


def regions_tab(data: Data, scope: participation.Scope) -> None:
    regions, places = tables(data, scope, "regions")
    st.caption("点の位置は市町村のおおよその位置です（市町村の登録がない機関は振興局名の下に表示）。"
               "道外からの参加は右下の枠に表示しています。")
    _chart(geo.figure(places))
    show_table(regions, labels=participation.REGION_TABLE_LABELS, hide_index=True, width="stretch")


def pack_tab(data: Data, scope: participation.Scope) -> None:
    st.write("検討委員会に渡す資料を作ります。選んでいる年度・種別・開催方法の範囲でまとめます。"
             "個人名やメールアドレスは含みません。")
    with session() as s:
        wareki = use_wareki(s)  # 和暦 or 西暦: the secretariat's setting in 設定
    st.caption(f"対象: {committee_pack.scope_text(data.history, scope, wareki)}")
    url, version, role = data.key
    c1, c2 = st.columns(2)
    c1.download_button("Excel（表のまとめ）をダウンロード", key="dl_pack_xlsx", on_click="ignore",
                       data=lambda: _pack(url, version, role, scope, wareki, _needs(role, scope)).xlsx, type="primary",
                       file_name=f"委員会資料_参加状況_{now_jst():%Y%m%d}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       icon=":material/table:")
    c2.download_button("まとめ（HTML・グラフ付き）をダウンロード", key="dl_pack_html", on_click="ignore",
                       data=lambda: _pack(url, version, role, scope, wareki, _needs(role, scope)).html.encode("utf-8"),
                       type="primary",
                       file_name=f"委員会資料_参加状況_{now_jst():%Y%m%d}.html", mime="text/html",
                       icon=":material/description:")
    st.caption("HTMLはインターネットにつながっていなくても開けます。ブラウザの「印刷」から PDF に保存できます。")


def _needs(role: str, scope: participation.Scope) -> tuple[committee_pack.Section, ...]:
    """The pack's pages of higher tiers: recurring needs by region (from the notes) and the
    invitations' outcome by region. The history's data version follows neither: made on each
    download, the pack cached by its content."""
    from facilitation.search import recurring

    with session() as s:
        return (recurring.pack_section(s, Viewer(role=role), scope.fiscal_years),
                outcome.pack_section(s, Viewer(role=role), scope))


@st.cache_data(ttl=3600, max_entries=4, show_spinner=False)
def _pack(url: str, version: tuple, role: str, scope: participation.Scope, wareki: bool,
          extra: tuple[committee_pack.Section, ...]) -> committee_pack.Pack:
    data = _load(url, version, role)
    return committee_pack.build(data.history, scope, data.population, Viewer(role=role), wareki=wareki,
                                extra=extra)


# What each tab shows (the page runs only the chosen one).
SECTIONS = {
    "会ごと": meetings_tab,
    "機関別": orgs_tab,
    "個人別": people_tab,
    "初参加・継続・離脱": flows_tab,
    "対象機関": coverage_tab,
    "ご案内": invitations.tab,
    "地域": regions_tab,
    "委員会資料": pack_tab,
}
