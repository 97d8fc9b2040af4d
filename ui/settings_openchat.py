"""設定 › オープンチャット: the announcement templates and the open chat's invite link."""

from __future__ import annotations

import streamlit as st

from facilitation.openchat import announcements

from .common import session, show_problems, viewer


def render() -> None:
    """Edit the announcement templates (saved in the settings table) and the invite link."""
    v = viewer()
    if not v.is_secretariat:
        st.info("この設定は事務局のみが変更できます。")
        return
    with session() as s:
        templates = announcements.get_templates(s)
        invite = announcements.get_invite_url(s)
    st.markdown("**オープンチャットの招待リンク**")
    new_invite = st.text_input("招待リンク（https://line.me/ti/g2/…）", value=invite, key="oc_invite_url")
    if st.button("招待リンクを保存", key="oc_invite_save"):
        with session() as s:
            announcements.save_invite_url(s, new_invite, v)
        st.success("招待リンクを保存しました。")

    st.markdown("**お知らせのひな形**")
    st.caption("{ } で囲んだ項目に会のデータが入ります。使える項目: "
               + "、".join(f"{{{k}}}（{d}）" for k, d in announcements.PLACEHOLDERS.items()))
    edited = {}
    for key, label in announcements.TEMPLATE_NAMES.items():
        height = 68 if key == announcements.TEMPLATE_EMAIL_SUBJECT else 300
        edited[key] = st.text_area(label, value=templates[key], height=height, key=f"oc_tpl_{key}")
    c1, c2 = st.columns(2)
    if c1.button("ひな形を保存", type="primary", key="oc_tpl_save"):
        with session() as s:
            warnings = announcements.save_templates(s, edited, v)
        st.success("ひな形を保存しました。")
        show_problems(warnings, "保存しましたが、確認してください")
    if c2.button("最初のひな形に戻す", key="oc_tpl_reset"):
        with session() as s:
            announcements.reset_templates(s, v)
        for key in announcements.TEMPLATE_NAMES:
            st.session_state.pop(f"oc_tpl_{key}", None)
        st.rerun()
