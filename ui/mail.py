"""Room e-mails on the rooms page (公開 tab) and their templates in 設定."""

from __future__ import annotations

import streamlit as st

from facilitation.errors import AccessDenied
from facilitation.mail import outbox
from facilitation.mail.smtp import SmtpSettings, Transport, load_settings

from . import auth, links
from .common import (
    SHOWN_ERRORS,
    act,
    act_on_click,
    esc,
    flash,
    secrets_section,
    session,
    show_error,
    show_problems,
    show_table,
    viewer,
)


def smtp_settings() -> tuple[SmtpSettings | None, str]:
    """The `[mail]` section of secrets (else FACILITATION_SMTP_* variables), and a Japanese problem."""
    section = secrets_section("mail")
    try:
        return load_settings(section or None), ""
    except SHOWN_ERRORS as exc:
        return None, str(exc)


def render(meeting_id: int) -> None:
    """Zoom details, counts, a preview for anyone, a test send, sending, failures and retries."""
    v = viewer()
    st.subheader("ルームのご案内メール")
    if not v.is_secretariat:
        with session() as s:
            counts = outbox.summary(s, v, meeting_id)
        st.write("送信状況: " + "、".join(f"{k} {n}通" for k, n in counts.items()))
        return
    details_form(meeting_id)
    settings, problem = smtp_settings()
    secret = auth.link_secret()
    try:
        with session() as s:
            plan = outbox.plan(s, v, meeting_id, secret=secret, make_url=links.link_url,
                               sender_name=settings.from_name if settings else "")
    except AccessDenied as exc:
        show_error(exc, "info")
        return
    if plan.version is None:
        st.info(plan.problems[0])
        return
    st.caption(f"公開済みの第{plan.version.number}版をもとに、参加者には「ルームのご案内」、"
               "ファシリテーターには「担当ルームと名簿リンク」のメールを1人1通お送りします。"
               "同じ版で同じ方に2通送ることはありません。新しい版を公開したときは、ルームが変わった方にだけ送ります。")
    show_problems(plan.problems)
    if not links.phone_reachable(links.base_url()):
        links.local_only_notice("ファシリテーターへのメールに入るリンクについて: ")
    counts = plan.counts()
    cols = st.columns(5)
    for col, state in zip(cols, (outbox.PENDING, outbox.DONE, outbox.UNCHANGED, outbox.FAILED_TEXT, outbox.NO_ADDRESS),
                          strict=True):
        col.metric(state.replace("（ルームの変更なし）", "（変更なし）"), f"{counts.get(state, 0)}通")
    if counts.get(outbox.UNKNOWN):
        st.warning(f"{counts[outbox.UNKNOWN]} 通は送信中のまま止まっています（下の「確認が必要なメール」をご覧ください）。")

    preview(meeting_id, plan, settings)
    if settings is None:
        if problem:
            st.info(problem)
        else:
            st.info("メールを送るには、メールサーバーの設定が必要です。秘密の設定ファイルに"
                    "次の欄を書き加えてください（手順は説明書の「ルームのご案内メール」にあります）。"
                    "プレビューは設定がなくても確認できます。")
            st.code('# .streamlit/secrets.toml\n[mail]\nhost = "smtp.gmail.com"\nport = 587\nsecurity = "starttls"\n'
                    'user = "jimukyoku@example.org"\npassword = "アプリ パスワード"', language="toml")
    else:
        pace = f"1分あたり最大 {settings.per_minute} 通" if settings.per_minute else "1分あたりの送信数の制限なし"
        st.caption(f"差出人: {esc(settings.sender_label)}（{pace}）")
        send_buttons(meeting_id, plan, settings)
    failures(meeting_id)


def details_form(meeting_id: int) -> None:
    v = viewer()
    with session() as s:
        details = outbox.meeting_details(s, meeting_id)
    with st.expander("Zoom の情報とご準備いただきたいこと（メールに入ります）", expanded=not details["zoom_url"]):
        with st.form(f"mail_details_{meeting_id}"):
            values = {"zoom_url": st.text_input("Zoom の URL", value=details["zoom_url"],
                                                placeholder="https://us02web.zoom.us/j/…"),
                      "zoom_id": st.text_input("ミーティングID", value=details["zoom_id"], placeholder="812 3456 7890"),
                      "passcode": st.text_input("パスコード", value=details["passcode"]),
                      "prepare": st.text_area("ご準備いただきたいこと", value=details["prepare"], height=100)}
            if st.form_submit_button("保存"):
                act(lambda s: outbox.save_meeting_details(s, v, meeting_id, values), lambda warnings: [(
                    "warning" if warnings else "success",
                    esc("メールに入れる Zoom の情報を保存しました。" + (" " + " ".join(warnings) if warnings else "")))])


def preview(meeting_id: int, plan: outbox.Plan, settings: SmtpSettings | None) -> None:
    if not plan.drafts:
        st.info("公開済みの割り当てに、メールを送れる方がいません。")
        return
    with st.expander("メールのプレビュー・テスト送信"):
        options = {d.registration_id: d for d in plan.drafts}
        chosen = st.selectbox("プレビューする方", list(options), format_func=lambda k: f"{options[k].label}　{options[k].state}",
                              key=f"mail_preview_{meeting_id}")
        d = options[chosen]
        st.markdown(f"**宛先**: {esc(d.email or 'メールアドレスがありません')}")
        st.markdown(f"**件名**: {esc(d.subject)}")
        st.code(d.body, language=None, wrap_lines=True)
        if settings is not None:
            to = settings.from_address
            if st.button(f"このメールを事務局のアドレス（{esc(to)}）にテスト送信する", key=f"mail_test_{meeting_id}"):
                try:
                    with Transport(settings) as t:
                        message = outbox.send_test(session, viewer(), meeting_id, settings, t, chosen)
                except SHOWN_ERRORS as exc:
                    show_error(exc)
                else:
                    flash(esc(message))
                    st.rerun()


def send_buttons(meeting_id: int, plan: outbox.Plan, settings: SmtpSettings) -> None:
    pending = plan.to_send()
    failed = [d for d in plan.drafts if d.state == outbox.FAILED_TEXT]
    c1, c2 = st.columns(2)
    go = c1.button(f"未送信の {len(pending)} 通を送信する", type="primary", disabled=not pending,
                   key=f"mail_send_{meeting_id}")
    retry = c2.button(f"送信できなかった {len(failed)} 通を再送する", disabled=not failed, key=f"mail_retry_{meeting_id}")
    if not (go or retry):
        return
    report = sending(settings, lambda t, progress: outbox.send(
        session, viewer(), meeting_id, settings, t, secret=auth.link_secret(), make_url=links.link_url, retry=retry,
        only=[d.registration_id for d in failed] if retry else None, on_progress=progress))
    if report is None:
        return
    flash(esc(report.message), "warning" if (report.failed or report.unknown or report.stopped) else "success")
    st.rerun()


def sending(settings: SmtpSettings, run):
    """A progress bar and the connection around `run(transport, on_progress)` (a send of the room
    e-mails or the invitations); its result, or None after a problem shown in Japanese."""
    bar = st.progress(0.0, text="送信しています…（このページを閉じても、送った分は記録されています）")

    def progress(done: int, total: int) -> None:
        bar.progress(done / total, text=f"{done} / {total} 通")

    try:
        with Transport(settings) as t:
            return run(t, progress)
    except SHOWN_ERRORS as exc:
        show_error(exc)
        return None


def failures(meeting_id: int) -> None:
    v = viewer()
    with session() as s:
        log = outbox.log_frame(s, v, meeting_id)
        stuck = set(outbox.stale_sending(s, v, meeting_id))
    if log.empty:
        return
    problems = log[log["status"] != outbox.DONE]
    if not problems.empty:
        st.markdown("**送信できなかったメール・確認が必要なメール**")
        show_table(problems.drop(columns=["id"]), labels=outbox.LOG_LABELS, hide_index=True, width="stretch")
    for send_id in sorted(stuck):
        row = log[log["id"] == send_id].iloc[0]
        st.warning(f"{esc(row['name'])}さん（{esc(row['recipient'])}）へのメールは、送信の途中で止まりました。"
                   "届いたかどうかをご本人か送信済みフォルダでご確認ください。")
        c1, c2 = st.columns(2)
        c1.button("届いていた（送信済みにする）", key=f"mail_ok_{send_id}",
                  **act_on_click(lambda s, i=send_id: outbox.resolve_unknown(s, viewer(), i, True)))
        c2.button("届いていない（再送の対象にする）", key=f"mail_ng_{send_id}",
                  **act_on_click(lambda s, i=send_id: outbox.resolve_unknown(s, viewer(), i, False)))
    with st.expander(f"送信の記録（{len(log)}件）"):
        show_table(log.drop(columns=["id"]), labels=outbox.LOG_LABELS, hide_index=True, width="stretch")

