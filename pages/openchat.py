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
sections = {  # what each tab draws; the last four are the secretariat's
    "概要": lambda: oc.overview(data), "機関・地域": lambda: oc.organisations(data),
    "質問と回答": lambda: oc.questions(data, v), "話題": lambda: oc.topics(data, v),
    "取り込み": lambda: oc.import_section(v), "メンバー確認": lambda: oc.review_queue(v),
    "投稿と削除": lambda: oc.posts(v), "お知らせ作成": lambda: oc.announcement(v),
}
NEED_DATA = {"概要", "機関・地域", "質問と回答", "話題", "投稿と削除"}

# Only the chosen tab is computed (each rerun pays for one tab, not all of them).
for name, tab in tabs.items():
    if tab.open and not (data.empty and name in NEED_DATA):
        with tab:
            sections[name]()
