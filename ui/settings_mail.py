"""設定 › ルームのご案内メール: the templates of the room e-mails and of the invitations, and the mail server in use."""

from __future__ import annotations

import streamlit as st

from facilitation.invitations import templates as invitation_templates
from facilitation.mail import templates

from .common import esc, template_editor, viewer
from .mail import smtp_settings


def render() -> None:
    """Edit the room e-mails' templates (saved in the settings table)."""
    v = viewer()
    if not v.is_secretariat:
        st.info("この設定は事務局のみが変更できます。")
        return
    settings, problem = smtp_settings()
    if settings is None:
        st.info(problem or "メールサーバーはまだ設定されていません。秘密の設定ファイルへの書き方は"
                "「ルーム割り当て › 5. 公開・書き出し」と説明書の「ルームのご案内メール」にあります。")
    else:
        st.caption(f"メールサーバー: {esc(settings.host)}:{settings.port}（{settings.security}）　"
                   f"差出人: {esc(settings.sender_label)}")
    st.markdown("**ルームのご案内メールのひな形**")
    template_editor(templates.TEMPLATES, v, key="mail_tpl")
    st.caption("プレビューとテスト送信は「ルーム割り当て › 5. 公開・書き出し」でできます。")
    st.markdown("**参加のご案内メール（未参加の機関へ）のひな形**")
    template_editor(invitation_templates.TEMPLATES, v, key="inv_tpl")
    st.caption("本文の最後には、ひな形によらず「案内不要の場合はご返信ください」という一文が必ず入ります。"
               "プレビューと送信は「参加履歴 › ご案内」でできます。")
