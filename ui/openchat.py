"""Streamlit parts of the オープンチャット page: import, activity, questions, topics, members,
posts with redaction, and the announcement composer. All texts the user sees are Japanese."""

from __future__ import annotations

import datetime as dt
import hashlib

import pandas as pd
import streamlit as st

from facilitation.files import qr
from facilitation.meetings import schedule
from facilitation.openchat import activity, announcements, charts, members, store
from facilitation.roles import Viewer
from facilitation.text.dates import ja_date, to_jst

from .common import (
    act,
    act_on_click,
    db_url,
    esc,
    meeting_picker,
    session,
    show_problems,
    show_table,
    upload_hint,
    viewer,
)

LINE_KIND_LABELS = {
    "header": "見出し", "blank": "空行", "date": "日付", "message": "投稿", "system": "システム",
    "continuation": "複数行の続き", "unparsed": "読み取れない行",
}
STATUS_LABELS = {activity.ANSWERED: "回答あり", activity.UNANSWERED: "未回答", activity.WAITING: "回答待ち"}


def _month_label(d) -> str:
    return f"{d.year}年{d.month}月"


def _when(at) -> str:
    if at is None or pd.isna(at):
        return ""
    return f"{ja_date(at)} {at.hour}:{at.minute:02d}"


def _minutes(x) -> str:
    if x is None or pd.isna(x):
        return "—"
    x = float(x)
    if x < 60:
        return f"{x:.0f}分"
    if x < 48 * 60:
        return f"{x / 60:.1f}時間"
    return f"{x / 1440:.1f}日"


@st.cache_data(show_spinner=False, max_entries=8)
def _load(url: str, role: str, version: tuple) -> activity.ChatData:
    from facilitation.storage import db

    with db.session(url) as s:
        data = activity.load(s, Viewer(role=role))
    activity.questions(data)  # memoised on the data, so the cache holds it too
    return data


def load_data(viewer: Viewer) -> activity.ChatData:
    """The chat's frames for this viewer, cached until posts, redactions or members change."""
    with session() as s:
        version = activity.data_version(s)
    return _load(db_url(), viewer.role, version)


@st.cache_data(show_spinner=False, max_entries=8)
def _overlap_for(url: str, role: str, version: tuple, stamp: tuple) -> activity.Overlap:
    from facilitation.storage import db

    with db.session(url) as s:
        return activity.overlap_with_meetings(s, _load(url, role, version))


def _overlap(data: activity.ChatData) -> activity.Overlap:
    """The overlap with meetings, computed once per change of the chat or of the meetings' registrations."""
    with session() as s:
        version, stamp = activity.data_version(s), activity.overlap_stamp(s)
    return _overlap_for(db_url(), viewer().role, version, stamp)


# --- 概要 ---------------------------------------------------------------------------------------

def overview(data: activity.ChatData) -> None:
    s = activity.summary(data)
    st.caption(f"期間: {ja_date(s.first_date)} 〜 {ja_date(s.last_date)}（取り込んだトーク履歴の範囲）")
    c = st.columns(5)
    c[0].metric("投稿", f"{s.messages:,}件", help="写真・スタンプなどを除く文章の投稿")
    c[1].metric("メンバー", f"{s.members_now}名", help="参加・退出の記録と投稿から推定した人数です")
    c[2].metric("30日の投稿者", f"{s.active_last_30_days}名", help="最後の投稿から30日以内に投稿した人数")
    c[3].metric("質問", f"{s.questions}件")
    rate = s.answer_rate
    c[4].metric("回答率", "—" if rate is None else f"{rate:.0%}",
                help=f"質問者以外の書き込みが{activity.REPLY_WINDOW.days}日以内にあった割合（回答待ちを除く）")
    st.caption(f"写真・スタンプ等 {s.media:,}件、参加 {s.joins}件・退出 {s.leaves}件、"
               f"最初の返信までの中央値 {_minutes(s.median_reply_minutes)}、本文を削除した投稿 {s.redacted}件")

    mot = activity.members_over_time(data)
    apm = activity.active_per_month(data)
    left, right = st.columns(2)
    with left:
        st.markdown("**メンバー数の推移（月末時点）**")
        if len(mot):
            st.plotly_chart(charts.members_figure(mot), width="stretch")
    with right:
        st.markdown("**月ごとの投稿した人数**")
        if len(apm):
            st.plotly_chart(charts.active_figure(apm), width="stretch")
    st.markdown("**週ごとの投稿数**")
    mpw = activity.messages_per_week(data)
    if len(mpw):
        st.plotly_chart(charts.weekly_figure(mpw), width="stretch")


# --- 機関・地域 ---------------------------------------------------------------------------------

def organisations(data: activity.ChatData) -> None:
    orgs = activity.organisations(data)
    regs = activity.regions(data)
    left, right = st.columns([3, 2])
    with left:
        st.markdown(f"**参加している機関（{len(orgs)}機関）**")
        table = orgs.rename(columns={"organisation": "機関", "region": "地域", "category": "区分",
                                     "members": "メンバー", "messages": "投稿", "last_post": "最終投稿"})
        table["最終投稿"] = table["最終投稿"].map(lambda x: ja_date(x) if pd.notna(x) else "")
        show_table(table.drop(columns=["organisation_id"]), hide_index=True, width="stretch")
    with right:
        st.markdown("**地域別**")
        if len(regs):
            st.plotly_chart(charts.regions_figure(regs), width="stretch")
    ov = _overlap(data)
    st.markdown("**情報交換会の参加者との重なり**")
    c = st.columns(3)
    c[0].metric("機関が分かったメンバー", f"{ov.matched_members} / {ov.chat_members}名")
    c[1].metric("会にも参加した機関", f"{ov.organisations_at_meetings} / {ov.chat_organisations}機関")
    c[2].metric("会にも参加した人（名前まで一致）", f"{ov.people_at_meetings} / {ov.matched_people}名")
    pm = ov.per_meeting
    if len(pm):
        pm = pm[pm["during_chat"]] if pm["during_chat"].any() else pm
        table = pd.DataFrame({"会": pm["meeting"], "開催日": pm["date"], "参加機関": pm["organisations"],
                              "うちオープンチャットの機関": pm["organisations_in_chat"],
                              "割合": (pm["share"] * 100).round(0).astype(int).astype(str) + "%"})
        show_table(table, hide_index=True, width="stretch")


# --- 質問 ---------------------------------------------------------------------------------------

def questions(data: activity.ChatData, viewer: Viewer) -> None:
    per = activity.answer_stats_per_month(data)
    if per.empty:
        st.info("質問と思われる投稿はまだありません。")
        return
    st.plotly_chart(charts.questions_figure(per), width="stretch")
    st.caption(f"「？」「教えてください」「どうしていますか」「ありますか」などを含む投稿を質問とみなし、"
               f"質問者以外の文章の書き込みが{activity.REPLY_WINDOW.days}日以内にあれば「回答あり」としています。")
    if not viewer.is_secretariat:
        return
    st.markdown("**未回答の質問**（事務局のみ表示）")
    with session() as s:
        un = activity.unanswered(s, viewer, data)
    if un.empty:
        st.success("未回答の質問はありません。")
        return
    table = pd.DataFrame({"日時": un["at"].map(_when), "投稿者": un["sender"],
                          "質問": un["text"].fillna("（本文は削除済み）")})
    show_table(table, hide_index=True, width="stretch")


# --- 話題 ---------------------------------------------------------------------------------------

@st.cache_data(show_spinner="話題を集計しています…", max_entries=32)
def _topics(url: str, role: str, month: dt.date, version: tuple) -> tuple[pd.DataFrame, pd.DataFrame]:
    from facilitation.storage import db

    with db.session(url) as s:
        v = Viewer(role=role)
        return activity.topics(s, v, month), activity.topic_pairs(s, v, month, top=10)


def topics(data: activity.ChatData, viewer: Viewer) -> None:
    with session() as s:
        months = activity.months(s)
        version = activity.data_version(s)
    if not months:
        st.info("まだ投稿がありません。")
        return
    month = st.selectbox("月", months, format_func=_month_label, key="openchat_topic_month", placeholder="選んでください")
    terms, pairs = _topics(db_url(), viewer.role, month, version)
    left, right = st.columns(2)
    with left:
        st.markdown(f"**{_month_label(month)}によく出た言葉**")
        if terms.empty:
            st.info("この月の文章の投稿はありません。")
        else:
            st.plotly_chart(charts.terms_figure(terms), width="stretch")
    with right:
        st.markdown("**一緒に出てくる言葉**")
        if pairs.empty:
            st.caption("一緒に出てくる言葉はまだありません（投稿が少ない月です）。")
        else:
            show_table(pairs.rename(columns={"term_a": "言葉1", "term_b": "言葉2", "count": "投稿数",
                                               "jaccard": "結びつき"}), hide_index=True, width="stretch")
    st.markdown("**会話のまとまり（3時間以上あくと別の会話として数えます）**")
    tpm = activity.threads_per_month(data)
    if len(tpm):
        table = pd.DataFrame({"月": tpm["month"].map(_month_label), "会話の数": tpm["threads"],
                              "2人以上のやりとり": tpm["conversations"], "1会話あたりの投稿": tpm["mean_messages"]})
        show_table(table.iloc[::-1], hide_index=True, width="stretch")


# --- 取り込み -----------------------------------------------------------------------------------

def import_section(viewer: Viewer) -> None:
    st.markdown("LINE のオープンチャットで「トーク履歴を送信」して保存した **.txt ファイル** を選んでください。"
                "前回と期間が重なっていても、同じ投稿は二重に取り込まれません。")
    file = st.file_uploader("トーク履歴ファイル", type=["txt"], key="openchat_upload")
    upload_hint("LINE のトーク履歴 .txt")
    if file is not None and st.button("取り込む", type="primary"):
        # the other tabs were drawn before the import: act's rerun draws them again
        act(lambda s: store.import_bytes(s, viewer, file.getvalue(), file_name=file.name),
            lambda result: st.session_state.__setitem__("openchat_last_import", result))
    result = st.session_state.get("openchat_last_import")
    if result is not None:
        _import_result(result)
    with session() as s:
        imports = store.list_imports(s)
    if imports:
        st.markdown("**これまでの取り込み**")
        notes = [store.import_notes(i) for i in imports]
        show_table(pd.DataFrame({
            "取り込み日時": [_when(to_jst(i.imported_at)) for i in imports],
            "ファイル": [i.file_name for i in imports],
            "期間": [f"{ja_date(i.first_date, weekday=False)}〜{ja_date(i.last_date, weekday=False)}" for i in imports],
            "投稿": [i.messages_found for i in imports],
            "新しく追加": [i.messages_added for i in imports],
            "読み取れない行": [i.unparsed_count for i in imports],
            "確認してほしい行": [len(n[2]) for n in notes],
            "形式": [n[0] or "—" for n in notes],
        }), hide_index=True, width="stretch")
        doubtful = [(i, n[2]) for i, n in zip(imports, notes, strict=True) if n[2]]
        if doubtful:
            with st.expander("確認してほしい行（取り込みごと）"):
                show_table(pd.DataFrame([
                    {"取り込み日時": _when(to_jst(i.imported_at)), "ファイル": i.file_name, "行": w["line"],
                     "確認してほしいこと": w["reason"]} for i, ws in doubtful for w in ws]),
                    hide_index=True, width="stretch")


def _import_result(result: store.ImportResult) -> None:
    if result.already_imported:
        st.info(f"「{esc(result.file_name)}」は以前にも取り込まれています。新しい投稿だけを追加しました。")
    st.success(f"「{esc(result.file_name)}」を取り込みました: 投稿 {result.messages_found:,}件のうち新しい投稿 "
               f"{result.messages_added:,}件（重複 {result.duplicates:,}件は除外）、システム行 "
               f"{result.events_added}件、新しいメンバー {result.new_members}名。")
    counts = {LINE_KIND_LABELS[k]: v for k, v in result.line_counts.items()}
    st.caption(f"読み取った形式: {esc(result.format) or '不明（LINE の書き出し形式と分かりませんでした）'}。"
               f"全 {result.total_lines:,}行: " + "、".join(f"{k} {v:,}" for k, v in counts.items()))
    if result.warnings:
        st.warning(f"読み取りましたが、確認してほしい行が {len(result.warnings)}行あります（下の表の行番号で"
                   "ファイルを確かめてください）。")
        show_table(pd.DataFrame({
            "行": [w["line"] for w in result.warnings],
            "確認してほしいこと": [w["reason"] for w in result.warnings],
            "内容": [w["text"] for w in result.warnings],
        }), hide_index=True, width="stretch")
    if result.unparsed_count:
        st.warning(f"読み取れなかった行が {result.unparsed_count}行あります（内容は下の表のとおりです。"
                   "投稿としては数えていません）。")
        show_table((pd.DataFrame({
            "行": [u["line"] for u in result.unparsed],
            "理由": [u["reason"] for u in result.unparsed],
            "内容": [u["text"] for u in result.unparsed],
        })), hide_index=True, width="stretch")


# --- メンバー確認 -------------------------------------------------------------------------------

def review_queue(viewer: Viewer) -> None:
    st.markdown("ニックネーム（機関名&名字）から機関を自動で判定しています。"
                "判定できなかったものを確認してください。確定した書き方は次回から自動で一致します。")
    with session() as s:
        items = members.review_queue(s, viewer, limit=30)
    if not items:
        st.success("確認が必要なニックネームはありません。")
    for item in items[:30]:
        with st.container(border=True):
            st.markdown(f"**{esc(item.nickname)}**　投稿 {item.messages}件　"
                        f"（機関名として読んだ部分: 「{esc(item.org_text) or '—'}」）")
            options = {c.organisation_id: f"{c.name}（{c.region}・一致度{c.score:.0f}）" for c in item.candidates}
            cols = st.columns([5, 2, 2])
            if options:
                cols[0].selectbox("機関", list(options), format_func=options.get,
                                           key=f"oc_pick_{item.member_id}", label_visibility="collapsed", placeholder="選んでください")
                cols[1].button("確定", key=f"oc_ok_{item.member_id}", help="選んだ機関で確定します",
                               on_click=_pick_member, args=(viewer, item.member_id, item.nickname, options))
            else:
                cols[0].caption("候補の機関が見つかりません。")
            cols[2].button("機関ではない", key=f"oc_ignore_{item.member_id}", help="事務局のアカウントや個人の参加など",
                           **act_on_click(lambda s, m=item.member_id: members.ignore(s, viewer, m),
                                          f"「{esc(item.nickname)}」さんを機関ではない参加者にしました。"))
    if len(items) > 30:
        st.caption(f"ほか {len(items) - 30}件（上から確認すると次が表示されます）")
    with st.expander("一覧（確認済みを含む）"):
        with session() as s:
            done = members.review_queue(s, viewer, include_done=True, limit=0)
        show_table(pd.DataFrame({
            "ニックネーム": [i.nickname for i in done], "状態": [i.status for i in done],
            "機関": [i.suggestion for i in done], "投稿": [i.messages for i in done],
        }), hide_index=True, width="stretch")


# --- 投稿と削除 ---------------------------------------------------------------------------------

def _pick_member(viewer: Viewer, member_id: int, nickname: str, options: dict) -> None:
    """「確定」's callback: the organisation in the row's picker as the click arrives."""
    chosen = st.session_state.get(f"oc_pick_{member_id}")
    act(lambda s: members.pick(s, viewer, member_id, chosen),
        f"「{esc(nickname)}」さんの機関を「{esc(options.get(chosen, ''))}」で確定しました。", rerun=False)


def posts(viewer: Viewer) -> None:
    st.markdown("相談者が特定できる内容などは、選んで **本文を削除** してください。"
                "削除した本文は元に戻せません（件数の集計には残ります）。")
    search = st.text_input("本文・投稿者で絞り込み", key="openchat_search")
    with session() as s:
        recent = activity.recent_messages(s, viewer, limit=300, search=search)
    table = pd.DataFrame({"日時": recent["at"].map(_when), "投稿者": recent["sender"],
                          "本文": recent["text"].fillna("（削除済み）"), "質問": recent["is_question"]})
    ids = [int(i) for i in recent["id"]]
    # The selection is of row positions: the table is keyed by the messages it shows, so a selection
    # never carries over to another list (a search, an import or a deletion starts a fresh one).
    listed = hashlib.sha256(",".join(map(str, ids)).encode()).hexdigest()[:16]
    event = show_table(table, hide_index=True, width="stretch", on_select="rerun",
                       selection_mode="multi-row", key=f"openchat_posts_{listed}")
    chosen = [ids[i] for i in event.selection.rows if i < len(ids)] if event and event.selection else []
    if st.button(f"選んだ {len(chosen)}件の本文を削除", disabled=not chosen, type="primary"):
        act(lambda s: sum(store.redact(s, viewer, mid) for mid in chosen), lambda done: _scrubbed(viewer, done))


def _scrubbed(viewer: Viewer, done: int) -> str:
    """After the deletion: the deleted text is also wiped from the database file (its own unit of work)."""
    with session() as s:
        store.scrub_storage(s, viewer)
    return f"{done}件の本文を削除しました。"


# --- お知らせ作成 -------------------------------------------------------------------------------

def announcement(viewer: Viewer) -> None:
    meeting_id = meeting_picker(key="openchat_meeting", label="お知らせする会")
    if meeting_id is None:
        return
    with session() as s:
        ann = announcements.compose(s, meeting_id)
        label = schedule.label(schedule.get_meeting(s, meeting_id))
    show_problems(ann.problems)
    st.markdown(f"**{esc(label)}** のお知らせです。右上のボタンでコピーできます。")
    left, right = st.columns([3, 2])
    with left:
        st.markdown("**オープンチャットへの投稿**")
        st.code(ann.openchat_text, language=None, wrap_lines=True)
        st.markdown("**メール**")
        st.code(ann.email_subject, language=None, wrap_lines=True)
        st.code(ann.email_body, language=None, wrap_lines=True)
    with right:
        for title, url, name in (("申込フォームのQRコード", ann.registration_url, "registration"),
                                 ("オープンチャットのQRコード", ann.invite_url, "openchat")):
            st.markdown(f"**{title}**")
            if not url:
                st.caption("URLが未設定です。")
                continue
            png = qr.png(url)
            st.image(png, width=200, caption=url)
            c1, c2 = st.columns(2)
            c1.download_button("PNG", png, file_name=f"qr_{name}.png", mime="image/png", key=f"png_{name}")
            c2.download_button("SVG", qr.svg(url), file_name=f"qr_{name}.svg",
                               mime="image/svg+xml", key=f"svg_{name}")
    st.caption("文面のひな形とオープンチャットの招待リンクは「設定」で変更できます。")
