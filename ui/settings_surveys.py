"""設定 › 権限・バックアップ・記録: the smallest group whose survey counts the committee sees (k)."""

from __future__ import annotations

import streamlit as st

from facilitation.surveys import disclosure

from .common import act, session, viewer


def render() -> None:
    v = viewer()
    if not v.is_secretariat:
        return
    with session() as s:
        current = disclosure.threshold(s)
    st.divider()
    st.markdown("**委員会に見せるアンケート集計の最小人数**")
    st.caption(f"委員会の画面では、{current}名以上のグループの数だけを表示し、少数の回答や、差し引きで少数の回答が"
               "分かってしまう欄は「非表示」にします。事務局の画面はすべて表示されます。値を大きくするほど安全ですが、"
               "表示される欄は少なくなります。")
    k = st.number_input("最小人数（名）", min_value=disclosure.MIN_K, max_value=disclosure.MAX_K, value=current, step=1,
                        key="settings_survey_k")
    if int(k) != current and st.button("最小人数を保存", key="settings_survey_k_save"):
        act(lambda s: disclosure.set_threshold(s, v, int(k)), lambda saved: f"委員会に見せる最小人数を{saved}名にしました。")
