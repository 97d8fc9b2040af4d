"""設定 › ルームのご案内メール: the templates of the room e-mails and the mail server in use."""

from __future__ import annotations

import streamlit as st

from facilitation.mail import templates

from .common import esc, session, show_problems, viewer
from .mail import smtp_settings


def render() -> None:
    """Edit the room e-mails' templates (saved in the settings table)."""
    v = viewer()
    if not v.is_secretariat:
        st.info("この設定は事務局のみが変更できます。")
        return
    settings, problem = smtp_settings()
    if settings is None:
        st.info(problem or "メールサーバーはまだ設定されていません（secrets の [mail]）。README の「メールの設定」をご覧ください。")
    else:
        st.caption(f"メールサーバー: {esc(settings.host)}:{settings.port}（{settings.security}）　"
                   f"差出人: {esc(settings.sender_label)}")
    with session() as s:
        current = templates.get_templates(s)
    st.markdown("**ルームのご案内メールのひな形**")
    st.caption("{ } で囲んだ項目に、その方のデータが入ります。使える項目: "
               + "、".join(f"{{{k}}}（{d}）" for k, d in templates.FIELDS.items()))
    edited = {}
    for key, label_text in templates.TEMPLATE_NAMES.items():
        height = 68 if key.endswith("subject") else 360
        edited[key] = st.text_area(label_text, value=current[key], height=height, key=f"mail_tpl_{key}")
    c1, c2 = st.columns(2)
    if c1.button("ひな形を保存", type="primary", key="mail_tpl_save"):
        with session() as s:
            warnings = templates.save_templates(s, v, edited)
        st.success("ひな形を保存しました。")
        show_problems(warnings, "保存しましたが、確認してください")
    if c2.button("最初のひな形に戻す", key="mail_tpl_reset"):
        with session() as s:
            templates.reset_templates(s, v)
        for key in templates.TEMPLATE_NAMES:
            st.session_state.pop(f"mail_tpl_{key}", None)
        st.rerun()
    st.caption("プレビューとテスト送信は「ルーム割り当て › 5. 公開・書き出し」でできます。")
