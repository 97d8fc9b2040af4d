"""参加履歴 › ご案内: the coverage gaps as an invitation list, the e-mail, sending, opt-outs, outcome.

The secretariat ticks organisations (checkboxes keyed by meeting and organisation id), previews the
e-mail, sends through the room e-mails' machinery and sees what became of each; it keeps the
「案内不要」 list. The committee sees the outcome counts only (small ones hidden).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from facilitation.history import participation
from facilitation.invitations import invite, outcome
from facilitation.meetings.schedule import label
from facilitation.roles import COMMITTEE
from facilitation.surveys import disclosure

from .common import act, esc, flash, session, show_problems, show_table, viewer
from .mail import sending, smtp_settings

RESULT_KEY = "inv_results_{}"  # session_state: the last run's per-organisation results, per meeting
CLEAR_KEY = "inv_clear_{}"  # session_state: organisations to untick after a send, per meeting


def _pick_key(meeting_id: int, org_id: int) -> str:
    return f"inv_pick_{meeting_id}_{org_id}"


def _meetings() -> dict[int, str]:
    """Open meetings (soonest first), then earlier meetings that were invited to (newest first)."""
    with session() as s:
        found = invite.open_meetings(s) + invite.invited_meetings(s)
        return {m.id: f"{label(m)}　{m.status}" for m in found}


def tab(data, scope: participation.Scope) -> None:
    v = viewer()
    if not (v.is_secretariat or v.role == COMMITTEE):
        st.info("ご案内の一覧と結果は、事務局と検討委員会だけが見られます。")
        return
    meetings = _meetings()
    if not meetings:
        st.info("準備中・募集中の会がありません。次の会を作ると、参加のない対象機関にご案内を送れます。")
        return
    mid = st.selectbox("ご案内する会" if v.is_secretariat else "会", list(meetings), format_func=meetings.get,
                       key="inv_meeting")
    if v.is_secretariat:
        invitation_list(data, scope, mid)
        send_log(mid)
    outcome_table(mid)
    if v.is_secretariat:
        opt_outs()


def invitation_list(data, scope: participation.Scope, mid: int) -> None:
    v = viewer()
    period, period_text = invite.gap_period(data.history, scope.fiscal_years)
    with session() as s:
        table = invite.candidates(s, v, mid, participation.scoped(data.history, scope, years=False), period)
        problems = invite.problems(s, mid)
    st.subheader("ご案内の候補（未参加・最近参加のない対象機関）")
    st.caption(f"対象機関のうち、一度も参加がない機関と、{period_text}に参加がない機関です（上の「年度」で期間を変えられます）。"
               "送信先は、機関の連絡先を登録していればそのアドレス、なければその機関で最も最近申し込んだ方のアドレスです。"
               "「案内不要」のアドレスと、この会にご案内済み・申込済みの機関には送りません。")
    show_problems(problems)
    if table.empty:
        st.success("ご案内の候補はありません（すべての対象機関がこの期間に参加しています）。")
        return
    sendable = table[table["state"].isin(invite.SENDABLE)]
    counts = table["state"].value_counts()
    st.caption("　".join(f"{esc(k)} {n}機関" for k, n in counts.items()))
    c1, c2 = st.columns(2)
    c1.button(f"送信できる {len(sendable)} 機関をすべて選ぶ", key=f"inv_all_{mid}", on_click=_tick,
              args=(mid, sendable["org_id"].tolist(), True), disabled=sendable.empty)
    c2.button("選択をすべて外す", key=f"inv_none_{mid}", on_click=_tick, args=(mid, table["org_id"].tolist(), False))
    _tick(mid, st.session_state.pop(CLEAR_KEY.format(mid), []), False)
    ticked = []
    with st.container(height=420 if len(table) > 8 else "content"):
        for row in table.itertuples(index=False):
            oid = int(row.org_id)
            cols = st.columns([4, 3, 4, 2])
            can = row.state in invite.SENDABLE
            if cols[0].checkbox(esc(f"{row.organisation}（{row.region}）"), key=_pick_key(mid, oid), disabled=not can):
                if can:
                    ticked.append(oid)
            cols[1].caption(f"{esc(row.status)}　{esc(row.last_came or '')}")
            cols[2].caption(f"{esc(row.email)}　{esc(row.source)}" if row.email else "連絡先なし")
            cols[3].caption(esc(row.state))
    preview(mid, table, ticked)
    send_button(mid, ticked)
    results = st.session_state.get(RESULT_KEY.format(mid))
    if results:
        st.markdown("**前回の送信の結果（選んだ機関ごと）**")
        show_table(pd.DataFrame(results, columns=list(invite.RESULT_LABELS)), labels=invite.RESULT_LABELS,
                   hide_index=True, width="stretch")
    contact_form(mid, table)


def _tick(mid: int, org_ids: list[int], value: bool) -> None:
    for oid in org_ids:
        st.session_state[_pick_key(mid, int(oid))] = value


def preview(mid: int, table, ticked: list[int]) -> None:
    with_mail = table[table["email"] != ""]
    if with_mail.empty:
        return
    names = dict(zip(with_mail["org_id"].astype(int), with_mail["organisation"], strict=True))
    settings, _ = smtp_settings()
    with st.expander("ご案内メールのプレビュー"):
        order = [o for o in ticked if o in names] + [o for o in names if o not in ticked]
        oid = st.selectbox("プレビューする機関", order, format_func=names.get, key=f"inv_preview_{mid}")
        with session() as s:
            d = invite.draft(s, viewer(), mid, oid, sender_name=settings.from_name if settings else "")
        st.markdown(f"**宛先**: {esc(d.to)}")
        st.markdown(f"**件名**: {esc(d.subject)}")
        st.code(d.body, language=None, wrap_lines=True)
        st.caption("文面は「設定 › ルームのご案内メール」の「参加のご案内（件名）」「参加のご案内（本文）」で変えられます。"
                   "最後の「案内不要」とご返信いただく旨の一文は、文面にかかわらず必ず入ります。")


def send_button(mid: int, ticked: list[int]) -> None:
    settings, problem = smtp_settings()
    if settings is None:
        st.info(problem or "メールを送るには、メールサーバーの設定が必要です（説明書の「ルームのご案内メール」をご覧ください）。"
                "プレビューは設定がなくても確認できます。")
        return
    pace = f"1分あたり最大 {settings.per_minute} 通" if settings.per_minute else "1分あたりの送信数の制限なし"
    st.caption(f"差出人: {esc(settings.sender_label)}（{pace}）。同じ会で同じアドレスに2通送ることはありません。")
    if not st.button(f"選んだ {len(ticked)} 機関にご案内を送信する", type="primary", disabled=not ticked,
                     key=f"inv_send_{mid}"):
        return
    report = sending(settings, lambda t, progress: invite.send(session, viewer(), mid, ticked, settings, t,
                                                              on_progress=progress))
    if report is None:
        return
    st.session_state[RESULT_KEY.format(mid)] = report.results
    st.session_state[CLEAR_KEY.format(mid)] = ticked  # unticked on the next run, before the boxes are drawn
    flash(esc(report.message), "warning" if (report.sent.failed or report.sent.unknown or report.sent.stopped)
          else "success")
    st.rerun()


def contact_form(mid: int, table) -> None:
    names = dict(zip(table["org_id"].astype(int), table["organisation"], strict=True))
    with st.expander("機関の連絡先を登録する（最近の申込者より優先して使います）"):
        with st.form(f"inv_contact_{mid}", clear_on_submit=True):
            oid = st.selectbox("機関", list(names), format_func=names.get, index=None, placeholder="選んでください")
            address = st.text_input("連絡先のメールアドレス（空にして保存すると登録を消します）")
            if st.form_submit_button("連絡先を保存"):
                if oid is None:
                    st.warning("機関を選んでください。")
                else:
                    act(lambda s: invite.set_contact(s, viewer(), oid, address), esc)


def send_log(mid: int) -> None:
    v = viewer()
    with session() as s:
        log = invite.log_frame(s, v, mid)
    if log.empty:
        return
    for row in log[log["status"] == invite.UNKNOWN].itertuples(index=False):
        st.warning(f"{esc(row.organisation)}（{esc(row.recipient)}）へのご案内は、送信の途中で止まりました。"
                   "届いたかどうかを送信済みフォルダなどでご確認ください。")
        c1, c2 = st.columns(2)
        if c1.button("届いていた（送信済みにする）", key=f"inv_ok_{row.id}"):
            act(lambda s, i=row.id: invite.resolve_unknown(s, viewer(), i, True))
        if c2.button("届いていない（もう一度送れるようにする）", key=f"inv_ng_{row.id}"):
            act(lambda s, i=row.id: invite.resolve_unknown(s, viewer(), i, False))
    with st.expander(f"ご案内の送信記録（{len(log)}件）", expanded=True):
        show_table(log.drop(columns=["id"]), labels=invite.LOG_LABELS, hide_index=True, width="stretch")


def outcome_table(mid: int) -> None:
    v = viewer()
    with session() as s:
        table = outcome.outcome(s, v, mid)
        k = disclosure.threshold(s)
    st.subheader("ご案内の結果（地域別・機関数）")
    if len(table) == 1:  # the 合計 row alone: nobody invited yet
        st.info("この会には、まだご案内を送っていません。")
        return
    st.caption("ご案内した機関のうち、この会に申し込んだ機関（キャンセルを除く）、そのうちご案内をお送りした後に"
               "申し込んだ機関（申込の日時で判断）、当日参加した機関の数です。"
               + ("" if v.is_secretariat else f"{k}未満の数と、差し引きで{k}未満の数が分かってしまう欄は「{k}未満」と表示します。"))
    show_table(table, labels=outcome.LABELS, hide_index=True, width="stretch")


def opt_outs() -> None:
    v = viewer()
    with session() as s:
        table = invite.opt_out_frame(s, v)
    st.subheader("案内不要のアドレス")
    st.caption("ご案内メールには「案内不要とご返信ください」と書いてあります。返信があったら、ここに登録してください。"
               "登録したアドレスには、どの会のご案内も送りません。")
    with st.form("inv_opt_out", clear_on_submit=True):
        c1, c2 = st.columns([3, 3])
        address = c1.text_input("メールアドレス")
        note = c2.text_input("メモ（任意・例: 〇月〇日に返信あり）")
        if st.form_submit_button("案内不要にする"):
            act(lambda s: invite.opt_out(s, viewer(), address, note), esc)
    for row in table.itertuples(index=False):
        c1, c2, c3 = st.columns([4, 4, 2])
        c1.write(esc(row.address))
        c2.caption(f"{esc(row.note)}　{esc(row.since)}")
        if c3.button("取り消す", key=f"inv_undo_{row.id}"):
            act(lambda s, i=row.id: invite.undo_opt_out(s, viewer(), i), esc)
