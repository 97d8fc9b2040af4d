"""設定 › オープンチャット: the announcement templates and the open chat's invite link."""

from __future__ import annotations

import streamlit as st

from facilitation.openchat import announcements

from .common import act, session, template_editor, viewer


def render() -> None:
    """Edit the announcement templates (saved in the settings table) and the invite link."""
    v = viewer()
    if not v.is_secretariat:
        st.info("この設定は事務局のみが変更できます。")
        return
    with session() as s:
        invite = announcements.get_invite_url(s)
    st.markdown("**オープンチャットの招待リンク**")
    new_invite = st.text_input("招待リンク（https://line.me/ti/g2/…）", value=invite, key="oc_invite_url")
    if st.button("招待リンクを保存", key="oc_invite_save"):
        act(lambda s: announcements.save_invite_url(s, v, new_invite), "招待リンクを保存しました。")

    st.markdown("**お知らせのひな形**")
    template_editor(announcements.TEMPLATES, v, key="oc_tpl")
