"""Streamlit parts of the アンケート page: choosing and importing a survey, column types, results with
charts, filters and cross-tabs, the trend across meetings, free-text comments with tags, exports.
All texts the user sees are Japanese; every rule (bases, roles) lives in facilitation.surveys."""

from __future__ import annotations

from contextlib import nullcontext

import pandas as pd
import streamlit as st

from facilitation.files import formats
from facilitation.files.tabular import read_table
from facilitation.history import participation
from facilitation.roles import COMMITTEE, Viewer
from facilitation.surveys import charts, comments, disclosure, report, store
from facilitation.surveys.questions import GRID, IDENTITY, KINDS, MULTI, SCALE, SINGLE, TEXT
from facilitation.surveys.summary import SMALL_LABEL, Survey, SurveySummary, answer_mask, count_text, is_hidden
from facilitation.text import textmining

from .common import (
    SHOWN_ERRORS,
    act,
    db_url,
    esc,
    meeting_picker,
    session,
    sheet_picker,
    show_editor,
    show_error,
    show_notes,
    show_table,
    upload_hint,
    viewer,
)
from .sheets import sheets_client

KIND_LABELS = report.KIND_LABELS
LABEL_TO_KIND = {v: k for k, v in KIND_LABELS.items()}
ATTRIBUTES = store.ATTRIBUTES
CHART_CONFIG = {"displayModeBar": False}
# The select box's key cannot be set once it is drawn: an import leaves the survey to show here and
# its message in IMPORT_MESSAGE, then reruns; `pick_survey` applies the choice before drawing.
PENDING_PICK, IMPORT_MESSAGE = "sv_pending_pick", "sv_import_message"


TAB_KEY = "surveys_tab"


def tab_labels(v: Viewer) -> list[str]:
    """The page's tabs for this viewer (the secretariat all; committee members without people's
    comments; a viewer who sees names, the results and comments)."""
    if v.is_secretariat:
        return ["結果", "クロス集計", "推移", "自由記述", "質問の種類", "取り込み", "出力"]
    if v.sees_names:
        return ["結果", "自由記述", "出力"]
    return ["結果", "クロス集計", "推移", "出力"]


def pick_survey(v: Viewer) -> int | None:
    """A select box of stored surveys (a facilitator: their meeting's only); the chosen id."""
    with session() as s:
        items = store.list_surveys(s, v.meeting_id if v.role == "ファシリテーター" else None)
    if not items:
        return None
    labels = {i.id: f"{i.title} — {i.meeting_label}（回答 {i.responses}件）" for i in items}
    if (chosen := st.session_state.pop(PENDING_PICK, None)) in labels:  # set by an import on the last run
        st.session_state["survey_id"] = chosen
    if st.session_state.get("survey_id") not in labels:  # none chosen yet, or the chosen one was deleted
        st.session_state["survey_id"] = next(iter(labels))  # set, not dropped: the browser shows it too
    return st.selectbox("アンケート", list(labels), format_func=labels.get, key="survey_id", placeholder="選んでください")


@st.cache_resource(max_entries=8, ttl=600, show_spinner="回答を読み込んでいます…")
def _survey(url: str, survey_id: int, version: tuple) -> Survey:
    """One Survey object per stored version, shared by reruns and sessions (its summaries are cached)."""
    from facilitation.storage import db

    with db.session(url) as s:
        return store.load(s, survey_id)


def load(survey_id: int) -> tuple[Survey, pd.DataFrame]:
    """The survey and each respondent's groups (room, sector, region, first-timer)."""
    with session() as s:
        version = store.version(s, survey_id)
        attrs = store.attributes(s, survey_id)
    return _survey(db_url(), survey_id, version), attrs


FILTER_KEY = "res"  # the 結果 tab's filters: kept while another tab is open (pages/surveys.py)
FILTERS = (*(f"{FILTER_KEY}_{a}" for a in ATTRIBUTES), f"{FILTER_KEY}_q", f"{FILTER_KEY}_opts")


def filter_mask(survey: Survey, attrs: pd.DataFrame, v: Viewer | None = None, draw: bool = True
                ) -> tuple[list[bool] | None, bool]:
    """Filters by group and by an answer: (the mask, None when nothing is filtered; whether no answer
    is used). With draw=False nothing is drawn: the same mask from the filters the person left in
    the 結果 tab (the 出力 tab exports what 結果 shows).

    The committee is offered only the groups disclosure allows (k respondents or more, and as many
    outside); whether a combination may be shown is decided by the domain, not here."""
    key = FILTER_KEY
    committee = v is not None and v.role == COMMITTEE
    offered = None
    if committee:
        with session() as s:
            k = disclosure.threshold(s)
        offered = disclosure.protection(survey, attrs, k)

    def kept(k: str, options: list, many: bool = True):  # a filter's value without drawing it
        value = st.session_state.get(k)
        if many:
            return [o for o in value or [] if o in options]
        return value if value in options else None

    mask = [True] * survey.respondents
    used = by_answer = False
    with st.expander("絞り込み（ルーム・所属の種別・地域・初参加・回答）") if draw else nullcontext():
        if committee and draw:
            st.caption(f"委員会の画面では、{offered.k}名以上のグループだけを選べます。絞り込みは1つのグループずつご覧ください。")
        cols = st.columns(len(ATTRIBUTES)) if draw else [None] * len(ATTRIBUTES)
        for col, (attr, label) in zip(cols, ATTRIBUTES.items(), strict=False):
            values = ([g.value for g in offered.offered(attr)] if committee else sorted(set(attrs[attr])))
            chosen = (col.multiselect(label, values, key=f"{key}_{attr}", placeholder="すべて（絞り込みなし）") if draw
                      else kept(f"{key}_{attr}", values))
            if chosen:
                used = True
                mask = [m and a in chosen for m, a in zip(mask, attrs[attr], strict=False)]
        choice_qs = [q for q in survey.questions if q.kind in (SINGLE, SCALE, MULTI)]
        if committee:
            choice_qs = [q for q in choice_qs if offered.offered(disclosure.ANSWER, q.key)]
        if choice_qs:
            titles = {q.key: q.title for q in choice_qs}
            qkey = (st.selectbox("回答で絞り込む質問", [None, *titles], key=f"{key}_q",
                                 format_func=lambda k: "（絞り込まない）" if k is None else esc(titles[k]),
                                 placeholder="選んでください") if draw
                    else kept(f"{key}_q", list(titles), many=False))
            if qkey:
                q = survey.question(qkey)
                options = ([g.value for g in offered.offered(disclosure.ANSWER, qkey)] if committee
                           else q.options + q.not_applicable)
                picked = (st.multiselect("この回答をした人だけ", options, key=f"{key}_opts", placeholder="すべて（絞り込みなし）")
                          if draw else kept(f"{key}_opts", options))
                if picked:
                    used = by_answer = True
                    mask = [m and a for m, a in zip(mask, answer_mask(survey, qkey, picked), strict=False)]
    if used and not committee and draw:  # the committee's count comes with its results (or its refusal)
        st.caption(f"絞り込み後の回答者: {sum(mask)}名 / {survey.respondents}名")
    return (mask if used else None), not by_answer


def show_results(summary: SurveySummary, v: Viewer) -> None:
    """Every question in form order: n, the chart, the table, not-applicable answers apart."""
    st.caption(f"回答者 {summary.respondents}名。割合の母数は質問ごとに示しています。")
    if summary.committee_k:
        st.caption(f"「{SMALL_LABEL}」: {summary.committee_k}名未満の回答と、ほかの数からの差し引きで{summary.committee_k}名未満の"
                   "回答が分かってしまう欄です（委員会の画面）。少数の回答の選択肢名も表示しません。")
    for i, q in enumerate(summary.questions, start=1):
        st.subheader(f"Q{i}. {esc(q.title)}", divider="gray")
        if q.kind == IDENTITY:
            st.caption(f"回答者情報 回答 n={q.n}：申込との照合に使う列のため、集計やグラフにはしません。")
            continue
        st.caption(f"{KIND_LABELS[q.kind]}　{esc(report.base_note(q))}")
        fig = charts.figure(q)
        if q.kind == TEXT and q.terms is not None and len(q.terms):
            fig = charts.terms_figure(q.terms)
            st.caption("よく出る語（コメント本文は「自由記述」タブで見られます）")
        if fig is not None:
            st.plotly_chart(fig, key=f"fig_{q.key}", config=CHART_CONFIG)  # the question's key, not its place
        if q.kind != TEXT:
            show_table(report.question_table(q), hide_index=True)
        if q.other_texts and v.is_secretariat:
            with st.expander(f"「その他」の記入 {len(q.other_texts)}件"):
                show_table(pd.DataFrame({"記入内容": q.other_texts}), hide_index=True)


def crosstab_section(survey_id: int, survey: Survey, attrs: pd.DataFrame) -> None:
    qs = [q for q in survey.questions if q.kind in (SINGLE, SCALE, MULTI, GRID)]
    if not qs:
        st.info("クロス集計できる選択式の質問がありません。")
        return
    titles = {q.key: q.title for q in qs}
    key = st.selectbox("質問", list(titles), format_func=titles.get, key="ct_q", placeholder="選んでください")
    attr = st.radio("分ける観点", list(ATTRIBUTES), format_func=ATTRIBUTES.get, horizontal=True, key="ct_attr")
    q = survey.question(key)
    row = st.selectbox("グリッドの項目", q.rows, key="ct_row", placeholder="選んでください") if q.kind == GRID else None
    v = viewer()
    try:
        with session() as s:
            table = comments.crosstab_for(s, v, survey_id, survey, key, attr, row=row)
    except disclosure.TooFew as exc:
        show_error(exc, kind="info")
        return
    unlinked = int((attrs[attr] == store.UNLINKED).sum())
    if v.role == COMMITTEE:
        with session() as s:
            k = disclosure.threshold(s)
        st.caption(f"委員会の画面では、{k}名以上のグループだけを表示します。「{SMALL_LABEL}」の欄は、{k}名未満の回答か、"
                   f"差し引きで{k}名未満の回答が分かってしまう欄です。")
    elif unlinked:
        st.caption(f"申込と照合できなかった回答 {unlinked}件は「{store.UNLINKED}」にまとめています。")
    if table.empty:
        st.info("集計できる回答がありません。")
        return
    st.plotly_chart(charts.crosstab_figure(table, q.options, q.ordered), key="ct_fig", config=CHART_CONFIG)
    if table[["count", "base"]].isna().any().any():  # the committee: hidden cells read 「非表示」
        table = table.assign(count=[count_text(c, "") for c in table["count"]],
                             base=[count_text(b, "") for b in table.base])
    wide = table.pivot_table(index="group", columns="option", values="count", aggfunc="first", sort=False)
    wide = wide[[o for o in dict.fromkeys(table.option) if o in wide.columns]].fillna("—")
    wide.insert(0, "母数", table.groupby("group", sort=False).base.first())
    show_table(wide.rename_axis(ATTRIBUTES[attr]).reset_index(), hide_index=True)
    if q.kind == MULTI:
        st.caption("複数選択のため、割合は各グループの回答者に対する％です。")


@st.cache_data(max_entries=512, show_spinner=False)
def _survey_trend(url: str, survey_id: int, version: str, committee_k: int | None):
    """One survey's trend points (the committee's: with its threshold k), computed once per version:
    a change to one survey recomputes that survey only. `version` is read from the database
    (store.versions; for the committee also what respondents' groups are read from)."""
    from facilitation.storage import db

    with db.session(url) as s:
        survey = store.load(s, survey_id)
        if committee_k is None:
            return store.survey_trend(survey)
        return disclosure.survey_trend(survey, store.attributes(s, survey_id), committee_k)


@st.cache_data(max_entries=16, show_spinner=False)
def _trend_data(url: str, stamp: tuple, role: str, title: str | None):
    """Trend candidates (title None) or one question's trend for a role, computed once per change
    from each survey's cached points."""
    from facilitation.storage import db

    with db.session(url) as s:
        k = disclosure.threshold(s) if role == COMMITTEE else None
        groups = repr((participation.data_version(s), store.rooms_stamp(s))) if role == COMMITTEE else ""
        found = store.versions(s)

        def trends(survey_id: int):  # the version as one string: Streamlit hashes it ~200 times a change
            return _survey_trend(url, survey_id, repr(found[survey_id]) + groups, k)
        if title is None:
            return store.trend_candidates(s, trends)
        return store.trend(s, title, viewer=Viewer(role=role), trends=trends)


def trend_section(v: Viewer) -> None:
    with session() as s:
        # The surveys, and what the committee's protection reads (respondents' groups, the threshold
        # setting): all read from the database, so another app process's change is seen too.
        stamp = (store.stamp(s), participation.data_version(s) if v.role == COMMITTEE else ())
    candidates = _trend_data(db_url(), stamp, v.role, None)
    if not candidates:
        st.info("2回以上のアンケートで同じ段階評価の質問（例: 情報交換会に参加して）があると、推移を表示します。")
        return
    title = st.selectbox("質問", candidates, key="trend_q", placeholder="選んでください")
    trend = _trend_data(db_url(), stamp, v.role, title)
    if trend.empty:
        st.info("表示できる回答がありません。")
        return
    st.plotly_chart(charts.trend_figure(trend), key="trend_fig", config=CHART_CONFIG)
    if trend.positive_share.isna().any():
        st.caption(f"「{SMALL_LABEL}」: 少数の回答が分かってしまうため、委員会の画面では割合を表示しません。")
        trend = trend.assign(positive=[count_text(c, "") for c in trend.positive],
                             positive_share=[SMALL_LABEL if is_hidden(p) else p for p in trend.positive_share])
    show_table(trend[["meeting", "survey", "n", "base", "positive", "positive_share"]].rename(columns={
        "meeting": "会", "survey": "アンケート", "n": "回答数", "base": "母数", "positive": f"「{trend.label.iloc[0]}」",
        "positive_share": "割合（%）"}), hide_index=True)


def comments_section(v: Viewer, survey_id: int, survey: Survey, attrs: pd.DataFrame) -> None:
    """Free-text answers: filters, keyword in context, word frequencies and co-occurrence, tags."""
    qs = [q for q in survey.questions if q.kind == TEXT]  # free text first, then 「その他」 texts
    qs += [q for q in survey.questions if q.kind in (SINGLE, SCALE, MULTI) and "その他" in q.options]
    if not qs:
        st.info("自由記述の質問がありません。")
        return
    titles = {q.key: (q.title if q.kind == TEXT else f"{q.title}（「その他」の記入）") for q in qs}
    key = st.selectbox("質問", list(titles), format_func=titles.get, key="cm_q", placeholder="選んでください")
    with session() as s:
        tags = store.tag_names(s)
    c1, c2, c3 = st.columns([2, 2, 2])
    keyword = c1.text_input("キーワード（前後の文脈を表示）", key="cm_kw", placeholder="例: 連携、財源")
    tag_filter = c2.multiselect("タグで絞り込み", tags, key="cm_tags", placeholder="すべて（絞り込みなし）")
    room_filter = c3.multiselect("ルームで絞り込み", sorted(set(attrs.room)), key="cm_room", placeholder="すべて（絞り込みなし）")
    with session() as s:
        frame = comments.comments(s, v, survey_id, key, keyword=keyword, tags=tag_filter,
                                  groups={"room": room_filter} if room_filter else None, survey=survey)
    st.caption(f"{len(frame)}件のコメント")
    if keyword.strip():
        hits = textmining.keyword_in_context(frame.text.tolist(), keyword, 20)
        if hits:
            st.markdown("**キーワードの前後**")
            show_table(pd.DataFrame([(int(frame.row.iloc[i]), left, m, right) for i, left, m, right in hits],
                                      columns=["回答No.", "前", "キーワード", "後"]), hide_index=True)
    show = frame.rename(columns={"row": "回答No.", "text": "コメント", "tags": "タグ", "room": "ルーム",
                                 "sector": "所属の種別", "region": "地域", "first_time": "初参加"})
    edited = show_editor(
        show.drop(columns=["response_id"]), hide_index=True, key=f"cm_editor_{key}",
        disabled=[c for c in show.columns if c != "タグ"] if v.is_secretariat else True,
        column_config={"タグ": st.column_config.MultiselectColumn("タグ", options=tags, accept_new_options=False),
                       "コメント": st.column_config.TextColumn("コメント", width="large")})
    if v.is_secretariat and st.button("タグを保存", key="cm_save"):
        changes = [(int(rid), list(after or [])) for rid, before, after
                   in zip(frame.response_id, frame.tags, edited["タグ"], strict=False) if list(before) != list(after or [])]

        def save(s):
            for rid, tags_now in changes:  # each response by its id (never by its row in the table)
                comments.set_tags(s, v, rid, key, tags_now)
            return len(changes)
        act(save, lambda n: f"{n}件のコメントのタグを保存しました。")
    texts = frame.text.tolist()
    if texts:
        left, right = st.columns(2)
        with left:
            st.markdown("**よく出る語**")
            terms = textmining.term_frequencies(texts, top=30)
            if len(terms):
                st.plotly_chart(charts.terms_figure(terms), key="cm_terms", config=CHART_CONFIG)
        with right:
            st.markdown("**一緒に出てくる語（共起）**")
            pairs = textmining.cooccurrence(texts, top=20)
            show_table(pairs.rename(columns=report.COLUMNS), hide_index=True)
    with session() as s:
        counts = comments.tag_counts(s, survey_id, key)
    st.markdown("**タグ別の件数**")
    show_table(counts.rename(columns={"tag": "タグ", "count": "件数"}), hide_index=True)
    if v.is_secretariat:
        with st.expander("タグの一覧を編集"):
            text = st.text_area("1行に1つ", "\n".join(tags), key="cm_taglist")
            if st.button("タグの一覧を保存", key="cm_taglist_save"):
                act(lambda s: store.set_tag_names(s, v, text.splitlines()), lambda saved: f"タグを{len(saved)}個保存しました。")


def types_section(survey_id: int, survey: Survey) -> None:
    """The detected kind of each question, correctable; option sets of choice questions, editable."""
    st.caption("自動で判定した質問の種類です。違っていれば「種類」を直して保存してください。"
               "回答者情報（タイムスタンプ・メール・氏名・所属）は集計せず、申込との照合だけに使います。")
    frame = pd.DataFrame({"質問": [q.title for q in survey.questions],
                          "自動判定": [KIND_LABELS[q.detected or q.kind] for q in survey.questions],
                          "種類": [KIND_LABELS[q.kind] for q in survey.questions],
                          "選択肢": [" / ".join(q.options + q.not_applicable) for q in survey.questions]})
    edited = show_editor(frame, hide_index=True, key="types_editor", disabled=["質問", "自動判定", "選択肢"],
                            column_config={"種類": st.column_config.SelectboxColumn(
                                "種類", options=[KIND_LABELS[k] for k in KINDS], required=True)})
    choice = [q for q in survey.questions if q.kind in (SINGLE, SCALE, MULTI)]
    options: dict[str, list[str]] = dict(survey.options)
    if choice:
        titles = {q.key: q.title for q in choice}
        qkey = st.selectbox("選択肢を直す質問", list(titles), format_func=titles.get, key="types_optq", placeholder="選んでください")
        q = survey.question(qkey)
        text = st.text_area("選択肢（1行に1つ。段階評価は良い方から順に）", "\n".join(q.options), key=f"types_opts_{qkey}",
                            help="複数選択で、選択肢の中に「, 」を含むものも1行に書けば1つの選択肢として扱います。")
        options[qkey] = [line for line in text.splitlines() if line.strip()]
    if st.button("種類と選択肢を保存", type="primary", key="types_save"):
        kinds = {q.key: LABEL_TO_KIND[label] for q, label in zip(survey.questions, edited["種類"], strict=False)
                 if LABEL_TO_KIND[label] != (q.detected or q.kind)}
        act(lambda s: store.set_corrections(s, viewer(), survey_id, kinds=kinds, options=options),
            "質問の種類と選択肢を保存しました。結果に反映されています。")


def import_section(current: int | None) -> None:
    """A new survey from an uploaded file or a Google Sheet tab; or re-read the current one."""
    if (done := st.session_state.pop(IMPORT_MESSAGE, None)) is not None:
        (st.info if done[0] == store.SAME else st.success)(esc(done[1]))  # it names the survey's title
        show_notes(done[2] if len(done) > 2 else [])
    meeting_id = meeting_picker(key="sv_meeting", label="どの会のアンケートですか")
    title = st.text_input("アンケート名", key="sv_title", placeholder="例: 第3回 情報交換会 事後アンケート")
    source = st.radio("回答の読み込み元", ["ファイル（CSV / Excel）", "Google スプレッドシート"], horizontal=True,
                      key="sv_source")
    table, ref = None, ""
    try:
        if source.startswith("ファイル"):
            up = st.file_uploader("回答のファイル", type=["csv", "xlsx", "tsv", "txt"], key="sv_file")
            upload_hint("CSV・Excel（.xlsx）・TSV・TXT")
            sheet = sheet_picker(up, key="sv_sheet") if up is not None else None
            if up is not None and st.button("取り込む", type="primary", key="sv_go_file"):
                table, ref, kind = formats.for_survey(read_table(up.getvalue(), up.name, sheet=sheet)), up.name, "file"
        else:
            url = st.text_input("スプレッドシートのURL", key="sv_url")
            tab = st.text_input("シート（タブ）名", value="フォームの回答 1", key="sv_tab")
            if url and st.button("取り込む", type="primary", key="sv_go_sheet"):
                table, ref, kind = formats.for_survey(sheets_client().fetch(url, [tab])[tab]), f"{url}#{tab}", "sheet"
        if table is not None:
            with session() as s:
                result = store.import_table(s, viewer(), table, title=title or ref, meeting_id=meeting_id, source=kind,
                                            source_ref=ref)
            st.session_state[PENDING_PICK] = result.survey_id
            st.session_state[IMPORT_MESSAGE] = (result.outcome, result.message(), result.notes)
            st.rerun()
    except SHOWN_ERRORS as exc:
        show_error(exc)


def delete_section(survey_id: int) -> None:
    """Delete the chosen survey (a wrong file or a trial import), after an explicit confirmation."""
    with session() as s:
        info = next((i for i in store.list_surveys(s) if i.id == survey_id), None)
    if info is None:
        return
    with st.expander("このアンケートを削除する"):
        st.caption(f"「{esc(info.title)}」（回答 {info.responses}件）を、回答とタグごと削除します。元に戻せません。")
        sure = st.checkbox("削除してよいことを確認しました", key=f"sv_delete_sure_{survey_id}")
        if st.button("削除する", key=f"sv_delete_{survey_id}", disabled=not sure):
            act(lambda s: store.delete_survey(s, viewer(), survey_id), lambda title: f"「{esc(title)}」を削除しました。")


def reread_section(survey_id: int) -> None:
    """Re-read a sheet-based survey (new responses arrive in the same tab)."""
    with session() as s:
        info = next((i for i in store.list_surveys(s) if i.id == survey_id), None)
    if info is None or info.source != "sheet" or "#" not in info.source_ref:
        return
    if st.button("スプレッドシートから最新の回答を読み直す", key="sv_reread"):
        url, tab = info.source_ref.rsplit("#", 1)

        def reread(s):
            table = formats.for_survey(sheets_client().fetch(url, [tab], max_age=0)[tab])
            return store.import_table(s, viewer(), table, title="", meeting_id=info.meeting_id, source="sheet",
                                      source_ref=info.source_ref, survey_id=survey_id)
        act(reread, lambda result: [("success", esc(result.message())), *(("info", esc(n)) for n in result.notes)])


def export_section(v: Viewer, survey_id: int, survey: Survey, summary: SurveySummary) -> None:
    title = survey.title or "アンケート結果"
    extra = {}
    if v.is_secretariat:
        with session() as s:
            for q in survey.questions:
                if q.kind == TEXT:
                    frame = comments.comments(s, v, survey_id, q.key, survey=survey)
                    extra[q.key] = frame[["row", "text", "tags"]].assign(tags=frame.tags.map("、".join)).rename(
                        columns={"row": "回答No.", "text": "コメント", "tags": "タグ"})
    st.download_button("Excel で保存（質問ごとに1シート）", lambda: report.workbook(summary, title, extra), key="dl_xlsx",
                       file_name=f"{title}.xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    st.download_button("印刷用レポート（HTML）を保存", lambda: report.html_report(summary, title).encode("utf-8"),
                       file_name=f"{title}.html", mime="text/html", key="dl_html")  # built when clicked
    st.caption("HTML レポートはブラウザで開いて印刷（PDF に保存）できます。グラフは質問の順に並びます。"
               + ("コメント本文は Excel にのみ含まれます。" if v.is_secretariat else ""))
