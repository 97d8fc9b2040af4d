"""設定: meetings, the organisation master, access and backups, announcement and room e-mail templates."""

import streamlit as st

from facilitation.orgs import directory
from ui import meeting_form, settings_access, settings_calendar, settings_mail, settings_openchat, settings_surveys
from ui.common import meeting_picker, session, show_flash, show_table

st.title("設定")
show_flash()

tab_meetings, tab_orgs, tab_access, tab_templates, tab_mail = st.tabs(
    ["会の管理", "組織マスタ", "権限・バックアップ・記録", "お知らせテンプレート", "ルームのご案内メール"],
    key="settings_tab", on_change="rerun")

with tab_meetings:
    mode = st.radio("操作", ["会を追加する", "会を編集・削除する"], horizontal=True, key="settings_meeting_mode")
    if mode == "会を追加する":
        meeting_form.render(None)
    else:
        meeting_id = meeting_picker(key="settings_meeting", label="編集する会")
        if meeting_id is not None:
            meeting_form.render(meeting_id)
            st.divider()
            meeting_form.delete_section(meeting_id)
    st.divider()
    settings_calendar.render()

with tab_orgs:
    search = st.text_input("機関名・略称で検索", placeholder="例: りんく、江別市社協")
    with session() as s:
        table = directory.master_frame(s, search)
    st.caption(f"{len(table)} 機関（★はファシリテーター団体、集計対象○はカバー率の分母に入る機関）")
    show_table(table, labels=directory.MASTER_LABELS, hide_index=True, width="stretch")

with tab_access:
    settings_access.render()
    settings_surveys.render()

with tab_templates:
    settings_openchat.render()

with tab_mail:
    settings_mail.render()
