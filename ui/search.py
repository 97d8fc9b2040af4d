"""Streamlit parts of the 横断検索 page: the search box, filters, counts and the passages found."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from facilitation.files.exports import to_xlsx_bytes
from facilitation.roles import Viewer
from facilitation.search import index, query
from facilitation.text import vocab
from facilitation.text.dates import ja_date

from .common import SHOWN_ERRORS, act, esc, session, show_error, show_table

STATE = "search_request"  # (words, Filters, order) of the last search submitted
MORE = "search_limit"
PAGE = 30


def _area_order(values: list[str]) -> list[str]:
    order = {a: i for i, a in enumerate(vocab.ALL_AREAS)}
    return sorted(values, key=lambda v: (order.get(v, len(order)), v))


@st.cache_data(ttl=60, show_spinner=False)
def _options(url: str) -> dict[str, list]:
    with session() as s:
        return query.filter_options(s)


def search_form(v: Viewer) -> None:
    """The box and the filters; a submitted search is kept in the session for the results below."""
    from .common import db_url

    try:
        opts = _options(db_url())
    except SHOWN_ERRORS as exc:
        show_error(exc)
        return
    sources = list(index.SOURCES) if v.is_secretariat else list(query.COMMITTEE_SOURCES)
    with st.form("search_form"):
        words = st.text_input("検索する言葉", placeholder="例: ひきこもり 家族支援（空白で区切るとすべてを含むもの）",
                              max_chars=query.MAX_QUERY, key="search_words")
        order = st.radio("並べ方", list(query.ORDERS), format_func=query.ORDERS.get, horizontal=True,
                         key="search_order", help="関連度順: 探している言葉が多く、密に出てくる記録から表示します。")
        with st.expander("絞り込み", expanded=False):
            c1, c2 = st.columns(2)
            chosen_sources = c1.multiselect("対象", sources, format_func=index.SOURCES.get, key="search_sources",
                                            placeholder="すべて")
            years = c2.multiselect("年度", opts["fiscal_years"], format_func=lambda y: f"{y}年度",
                                   key="search_years", placeholder="すべて")
            themes = st.multiselect("テーマ（ルームのテーマ・アンケートの質問）", opts["themes"], key="search_themes",
                                    placeholder="すべて")
            c3, c4, c5 = st.columns(3)
            regions = c3.multiselect("振興局", _area_order(opts["regions"]), key="search_regions", placeholder="すべて")
            cities = c4.multiselect("市町村", opts["municipalities"], key="search_cities", placeholder="すべて")
            kinds = c5.multiselect("機関の種類", opts["org_kinds"], key="search_kinds", placeholder="すべて")
        if st.form_submit_button("検索", type="primary"):
            st.session_state[STATE] = (words, query.Filters(
                themes=tuple(themes), regions=tuple(regions), municipalities=tuple(cities),
                org_kinds=tuple(kinds), fiscal_years=tuple(years), sources=tuple(chosen_sources)), order)
            st.session_state[MORE] = PAGE


def _passage(hit: query.Hit) -> str:
    """The passage as Markdown: every piece escaped, the hits in bold."""
    out = []
    for text, is_hit in hit.parts:
        piece = esc(text)
        out.append(f"**{piece}**" if is_hit and text.strip() == text and text else piece)
    return "".join(out)


def results(v: Viewer) -> None:
    request = st.session_state.get(STATE)
    if not request:
        st.caption("ルームの記録（現状の課題・取り組み・後方支援への要望・まとめ）、報告レポート、"
                   + ("アンケートの自由記述、オープンチャットの投稿" if v.is_secretariat else "アンケート・チャットの件数")
                   + "を、年度をまたいで検索します。「ひきこもり」で「引きこもり」「引き籠り」も見つかります。")
        return
    words, filters, order = request
    limit = st.session_state.get(MORE, PAGE)
    try:
        with session() as s:
            result = query.search(s, v, words, filters, limit=limit, order=order)
    except SHOWN_ERRORS as exc:
        show_error(exc, "warning")
        return
    counts = pd.DataFrame({"source": [index.SOURCES[k] for k in result.counts],
                           "count": [result.shown_counts[k] for k in result.counts]})
    st.subheader(f"「{esc(words.strip())}」の検索結果")
    show_table(counts, labels={"source": "対象", "count": "見つかった件数"}, hide_index=True)
    if not v.is_secretariat:
        st.caption(f"委員会の画面では、ルームの記録と報告レポートの本文（氏名は「{query.NAME_MARK}」に置き換え）を表示します。"
                   f"アンケートとオープンチャットは件数のみで、{result.threshold}件に満たない件数は"
                   f"「{result.threshold}未満」と表示します。")
    if not result.hits:
        st.info("表示できる結果はありません。言葉を短くするか、絞り込みを外してみてください。")
        return
    for hit in result.hits:
        with st.container(border=True):
            where = " ｜ ".join(esc(x) for x in (hit.source_label, hit.date, hit.place, hit.section) if x)
            st.caption(where + (f" ｜ テーマ: {esc(hit.theme)}" if hit.theme and hit.source == "note" else ""))
            st.markdown(_passage(hit))
            if hit.link:
                st.markdown(f"[このページを開く]({hit.link})")
    if result.limited:
        if st.button("さらに表示", key="search_more"):
            st.session_state[MORE] = limit + PAGE
            st.rerun()


def maintenance(v: Viewer) -> None:
    """The secretariat's button to build the index again (after a restore or a direct import)."""
    if not v.is_secretariat:
        return
    with st.expander("検索用の索引"):
        st.caption("記録の保存・アンケートやチャットの取り込み・個人情報の削除のたびに自動で更新されます。"
                   "バックアップから復元した後などに、作り直すこともできます。")
        if st.button("索引を作り直す", key="search_rebuild"):
            act(lambda s: index.rebuild(s), lambda r: esc(r.message))


# --- 何度も出てくる課題・要望 / 次回のテーマ候補 ------------------------------------------------------

def recurring_section(v: Viewer) -> None:
    from facilitation.search import recurring

    from .common import db_url

    st.caption("ルームの記録の「現状の課題」「後方支援への要望」に、2回以上の会で出てきた言葉です"
               "（人の名前は数えません）。" + ("例は最新の記録です。" if v.is_secretariat else ""))
    try:
        opts = _options(db_url())
    except SHOWN_ERRORS as exc:
        show_error(exc)
        return
    c1, c2, c3 = st.columns(3)
    sections = c1.multiselect("項目", list(recurring.NEED_SECTIONS), default=list(recurring.NEED_SECTIONS),
                              key="recurring_sections")
    years = c2.multiselect("年度", opts["fiscal_years"], format_func=lambda y: f"{y}年度", key="recurring_years",
                           placeholder="すべて")
    region = c3.selectbox("振興局", ["", *_area_order(opts["regions"])], format_func=lambda r: r or "すべて",
                          key="recurring_region")
    if not sections:
        st.info("項目を1つ以上選んでください。")
        return
    try:
        with session() as s:
            frame = recurring.recurring(s, v, sections=tuple(sections), fiscal_years=tuple(years), region=region)
    except SHOWN_ERRORS as exc:
        show_error(exc)
        return
    if frame.empty:
        st.info("2回以上の会で出てきた言葉はまだありません。")
        return
    st.bar_chart(frame.head(15).set_index("term")["meetings"], x_label="言葉", y_label="出てきた会の数",
                 horizontal=False)
    show_table(frame, labels=recurring.RECURRING_LABELS, hide_index=True)
    def pack_table() -> bytes:  # built when the button is clicked, not on every run of the tab
        with session() as s:
            regions = recurring.by_region(s, v, sections=tuple(sections), fiscal_years=tuple(years))
        return to_xlsx_bytes({"繰り返し出る課題・要望（振興局別）": regions})

    st.download_button("委員会資料用の表（振興局別・Excel）", key="recurring_pack", on_click="ignore",
                       data=pack_table,
                       file_name="委員会資料_繰り返し出る課題・要望.xlsx",
                       help="言葉と件数だけの表です（記録の本文や氏名は含みません）。")
    term = st.selectbox("言葉ごとの内訳", frame["term"].tolist(), key="recurring_term")
    by = st.radio("内訳の列", ["region", "theme"], format_func={"region": "振興局", "theme": "ルームのテーマ"}.get,
                  horizontal=True, key="recurring_by")
    with session() as s:
        table = recurring.breakdown(s, v, term, by=by, sections=tuple(sections))
    st.caption(f"「{esc(term)}」が出てきた記録の件数（年度 × {'振興局' if by == 'region' else 'ルームのテーマ'}）。"
               "一つの記録に複数の振興局の参加者がいるときは、それぞれに数えます。")
    show_table(table, hide_index=True)


def candidates_section(v: Viewer) -> None:
    from facilitation.search import recurring

    st.caption("「後方支援への要望」、アンケートの要望・テーマの回答、オープンチャットの未回答の質問に"
               "2回以上出てきた言葉のうち、最近3回の会と準備中の会のルームのテーマにないものです。")
    from .openchat import load_data

    try:
        chat = load_data(v)  # the chat page's cached frames (years of posts are not read again here)
        with session() as s:
            found = recurring.theme_candidates(s, v, chat=chat)
            drafts = [(m.id, m.title, m.starts_at) for m in recurring.draft_meetings(s)]
    except SHOWN_ERRORS as exc:
        show_error(exc)
        return
    if not found:
        st.info("いまのところテーマ候補はありません。")
        return
    target = None
    if drafts:
        labels = {mid: f"{title}（{ja_date(at, weekday=False)}）" for mid, title, at in drafts}
        target = st.selectbox("ルームを追加する会", list(labels), format_func=labels.get, key="candidate_meeting")
    else:
        st.info("準備中・募集中の会がないため、ルームの追加はできません（設定ページで会を追加してください）。")
    for c in found:
        with st.container(border=True):
            st.markdown(f"**{esc(c.term)}**")
            st.caption(f"要望 {c.wishes}件・アンケート {c.survey}件・未回答の質問 {c.unanswered}件"
                       f"（{c.meetings}回の会、最新: {esc(c.last) or '—'}）")
            if c.examples:
                with st.expander("根拠の例"):
                    for e in c.examples:
                        st.markdown(f"- {esc(e)}")
            if target is not None and st.button(f"「{esc(c.term)}」のルームを追加", key=f"candidate_add_{c.term}"):
                act(lambda s, term=c.term: recurring.add_room(s, v, target, term),
                    lambda name, term=c.term: f"「{esc(term)}」のルーム（{esc(name)}）を追加しました。"
                                              "ルーム割り当てのページで確認できます。")
