"""設定 › アクセスとデータ保護: accounts and roles, the audit log, backup/restore, privacy erasure."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from facilitation.access import gate, privacy
from facilitation.storage import audit, backup
from facilitation.storage.backup import BackupError
from facilitation.text.dates import jst_to_utc, now_jst

from . import auth
from .common import act, db_url, esc, session, show_error, show_table, upload_hint, viewer


def render() -> None:
    """The whole section (the secretariat only; others see nothing)."""
    if not viewer().is_secretariat:
        st.info("この設定は事務局だけが使えます。")
        return
    tabs = st.tabs(["アカウントと役割", "変更履歴", "バックアップと復元", "個人情報の削除"], key="settings_access_tab",
                   on_change="rerun")
    with tabs[0]:
        _accounts()
    with tabs[1]:
        _audit_log()
    with tabs[2]:
        _backup()
    with tabs[3]:
        _privacy()


def _accounts() -> None:
    v = viewer()
    if not auth.auth_configured():
        st.info("いまはローカルモード（このパソコンだけ・ログインなし）です。ここで登録した役割は、"
                "ログインを設定すると使われます（設定方法は README の「ログインの設定」）。")
    with session() as s:
        table = gate.accounts_frame(s, v, auth.admin_emails())
    show_table(table, labels=gate.ACCOUNT_LABELS, hide_index=True, width="stretch")
    st.caption("事務局: すべての機能。委員会: 人数・機関・グラフ・アンケート結果の集計だけ（氏名やメールアドレスは見えません）。"
               "ファシリテーターにはルーム割り当てのページからリンクを送ります。")
    with st.form("account_form", clear_on_submit=True):
        cols = st.columns([3, 1, 2])
        email = cols[0].text_input("メールアドレス", placeholder="例: tanaka@example.org")
        role = cols[1].selectbox("役割", gate.TABLE_ROLES, placeholder="選んでください")
        label = cols[2].text_input("メモ（お名前・所属など）")
        if st.form_submit_button("登録・変更する", type="primary"):
            act(lambda s: gate.set_account(s, v, email, role, label), f"{esc(email)} を「{role}」として登録しました。")
    editable = table.loc[table["editable"] == "可", "email"].tolist()
    if editable:
        cols = st.columns([3, 1])
        cols[0].selectbox("登録を外すアカウント", editable, key="account_remove_target", placeholder="選んでください")
        cols[1].button("登録を外す", key="account_remove", on_click=_remove_account, args=(v,))


def _remove_account(v) -> None:
    """「登録を外す」's callback: the account in the picker as the click arrives."""
    target = st.session_state.get("account_remove_target")
    act(lambda s: gate.remove_account(s, v, target), f"{esc(target)} の登録を外しました。", rerun=False)


def _audit_log() -> None:
    v = viewer()
    with session() as s:
        actors = audit.actors(s)
        entities = audit.entities(s)
    cols = st.columns(4)
    today = now_jst().date()
    period = cols[0].date_input("期間", (today - dt.timedelta(days=30), today), format="YYYY/MM/DD",
                                key="audit_period")
    actor = cols[1].selectbox("操作者", ["（すべて）", *actors], key="audit_actor", placeholder="選んでください")
    entity = cols[2].selectbox("対象", ["（すべて）", *entities], key="audit_entity",
                               format_func=lambda e: audit.ENTITY_LABELS.get(e, e), placeholder="選んでください")
    action = cols[3].selectbox("操作", ["（すべて）", *audit.ACTION_LABELS], key="audit_action",
                               format_func=lambda a: audit.ACTION_LABELS.get(a, a), placeholder="選んでください")
    text = st.text_input("変更内容に含まれる語で絞り込む", key="audit_text")
    start, end = (period if isinstance(period, tuple) and len(period) == 2 else (today, today))
    flt = audit.AuditFilter(
        since=_utc(start), until=_utc(end + dt.timedelta(days=1)),
        actor="" if actor == "（すべて）" else actor, entity="" if entity == "（すべて）" else entity,
        action="" if action == "（すべて）" else action, text=text, limit=1000)
    with session() as s:
        log = audit.read_log(s, v, flt)
    st.caption(f"{len(log)} 件（新しい順、最大1000件）。時刻は日本時間です。")
    show_table(log.drop(columns=["entry_id"]), hide_index=True, width="stretch")


def _utc(day: dt.date) -> dt.datetime:
    return jst_to_utc(dt.datetime.combine(day, dt.time()))


def _backup() -> None:
    st.subheader("バックアップ")
    st.write("データベース全体（会・申込・割り当て・アンケート・変更履歴など）を、ひとつのファイルに保存します。"
             "個人情報を含むので、保存先に気をつけてください。ファイルにはこの環境の署名が付き、復元のときに"
             "この環境で作ったものかどうかを確かめます。横断検索の索引は記録から作り直せるため含みません"
             "（復元の後、最初の検索のときに作り直します。データが多いと数十秒かかります）。")
    url = db_url()
    st.download_button("バックアップをダウンロード", data=lambda: backup.backup_bytes(url, auth.link_secret()),
                       file_name=backup.archive_name(), mime="application/zip", type="primary",
                       on_click="ignore")
    st.divider()
    st.subheader("復元")
    st.warning("復元すると、いまのデータはすべてバックアップの内容に置き換わります。先に今の状態をバックアップしてください。")
    upload = st.file_uploader("バックアップファイル（.zip）", type=["zip"], key="restore_upload")
    upload_hint("バックアップの .zip")
    if upload is None:
        return
    data = upload.getvalue()
    secret = auth.link_secret()
    try:
        found = backup.inspect_archive(data, url, secret)
    except BackupError as exc:
        show_error(exc)
        return
    manifest = found.manifest
    rows = sum(t["rows"] for t in manifest.tables.values())
    st.write(esc(f"作成日時: {manifest.created_at}　表: {len(manifest.tables)}　行: {rows}　"
                 f"スキーマ: {', '.join(manifest.revisions)}"))
    if found.origin == backup.OWN:
        st.success("この環境で作られたバックアップです（署名を確かめました）。")
    for line in found.warnings():
        st.error(esc(line))
    if found.role_changes:
        st.markdown("**復元すると変わるアカウントの役割**")
        show_table(pd.DataFrame([{"email": c.email, "before": c.before or "（なし）", "after": c.after or "（なし）"}
                                 for c in found.role_changes]),
                   labels={"email": "メールアドレス", "before": "いまの役割", "after": "復元後の役割"},
                   hide_index=True, width="stretch")
    sure = st.checkbox("いまのデータが置き換わることを理解しました", key="restore_sure")
    trusted = True
    if found.needs_confirmation:
        trusted = st.checkbox("上の注意（署名・別の環境・役割の変更）を確かめ、このバックアップを信頼して復元します",
                              key="restore_trust")
    if st.button("復元する", disabled=not (sure and trusted), type="primary", key="restore_go"):
        try:
            result = backup.restore_bytes(data, url, actor=viewer().actor, secret=secret,
                                          accepted=found if found.needs_confirmation else None)
        except BackupError as exc:
            show_error(exc)
            return
        st.cache_data.clear()
        st.success(result.message)


def _privacy() -> None:
    v = viewer()
    st.write("ご本人から個人情報の削除を依頼されたときに使います。氏名・ふりがな・メールアドレス・申込の備考、"
             "アンケートの氏名欄、オープンチャットの表示名と投稿を消します。参加人数・機関数の集計は変わりません。"
             "元に戻せません。")
    text = st.text_input("氏名・ふりがな・メールアドレスで検索", key="privacy_search")
    if not text:
        return
    with session() as s:
        found = privacy.find_people(s, v, text)
    if not found:
        st.info("該当する方が見つかりません。")
        return
    # Radio options are Markdown: a name like ![m](http://…) would be fetched as an image.
    labels = {p["id"]: esc(f"ID {p['id']}　{p['name']}　{p['organisation']}　{p['email']}") for p in found}
    person_id = st.radio("削除する方", list(labels), format_func=labels.get, key="privacy_person")
    sure = st.checkbox("この方の個人情報を削除します（元に戻せません）", key="privacy_sure")
    if st.button("個人情報を削除する", disabled=not sure, type="primary", key="privacy_go"):
        act(lambda s: privacy.forget_person(s, v, int(person_id)), _forgotten)


def _forgotten(report) -> str:
    """After an erasure: no cached page may still show the person."""
    st.cache_data.clear()
    return esc(report.message)
