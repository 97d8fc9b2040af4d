"""オープンチャット: the LINE open chat's activity, questions and topics, imports, and announcements."""

import streamlit as st

from ui import openchat as oc
from ui.common import show_flash, viewer

st.title("オープンチャット")
show_flash()
v = viewer()
st.caption("LINE オープンチャットのトーク履歴から、活動の様子・質問への反応・話題を見ます。"
           + ("書き込みの本文は事務局だけに表示されます。" if v.is_secretariat else "件数と話題のみを表示しています。"))

data = oc.load_data(v)
if data.empty:
    st.info("まだトーク履歴が取り込まれていません。"
            + ("「取り込み」タブからトーク履歴のファイルを取り込んでください。" if v.is_secretariat else ""))

if v.is_secretariat:
    names = ["概要", "機関・地域", "質問と回答", "話題", "取り込み", "メンバー確認", "投稿と削除", "お知らせ作成"]
else:
    names = ["概要", "機関・地域", "質問と回答", "話題"]
tabs = dict(zip(names, st.tabs(names, key="openchat_tab", on_change="rerun"), strict=True))

# Only the chosen tab is computed (each rerun pays for one tab, not all of them).
if not data.empty:
    if tabs["概要"].open:
        with tabs["概要"]:
            oc.overview(data)
    if tabs["機関・地域"].open:
        with tabs["機関・地域"]:
            oc.organisations(data)
    if tabs["質問と回答"].open:
        with tabs["質問と回答"]:
            oc.questions(data, v)
    if tabs["話題"].open:
        with tabs["話題"]:
            oc.topics(data, v)

if v.is_secretariat:
    if tabs["取り込み"].open:
        with tabs["取り込み"]:
            oc.import_section(v)
    if tabs["メンバー確認"].open:
        with tabs["メンバー確認"]:
            oc.review_queue(v)
    if tabs["投稿と削除"].open:
        with tabs["投稿と削除"]:
            if not data.empty:
                oc.posts(v)
    if tabs["お知らせ作成"].open:
        with tabs["お知らせ作成"]:
            oc.announcement(v)
