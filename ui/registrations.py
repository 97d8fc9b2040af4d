"""申込管理 widgets: counts, the registrant table, sync and upload, review queue, kept-aside rows,
manual entry, column mapping and write-back. Every message the user sees is Japanese; errors the
user can cause are shown, never raised. The domain's frames have English columns; tables show them
under the domain's LABELS (show_table / show_editor labels=), the Excel download renames at its edge.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from facilitation.errors import AccessDenied, UserError
from facilitation.files import exports
from facilitation.meetings import schedule
from facilitation.orgs import directory, matching
from facilitation.registrations import edits, forms, frames, importing, manual, sync
from facilitation.registrations import kept_aside as aside
from facilitation.registrations.importing import ImportResult
from facilitation.roles import Viewer
from facilitation.text import vocab
from facilitation.text.dates import ja_datetime, to_jst

from .common import (
    KEPT_EDITS,
    act,
    act_on_click,
    choice_rows,
    edited_frame,
    esc,
    flash,
    session,
    sheet_picker,
    show_editor,
    show_error,
    show_flash,
    show_notes,
    show_problems,
    show_table,
    upload_hint,
    viewer,
)
from .sheets import sheets_client

EXTRA_LABEL = "（その他の項目として保持）"
SAVED_EDITS = "reg_saved_edits"  # how many times the registrant table's edits were saved (its key)
LABELS = frames.REGISTRANT_LABELS  # the registrant table's columns → the headers shown
# The registrant table's editable columns (named as update_registration's fields).
EDIT_FIELDS = ("name", "furigana", "email", "org_text", "attendance_mode", "choice1", "choice2", "choice3",
               "willing_facilitator", "status", "note")


def show_messages() -> None:
    """What the previous run left: the last action's message and an import's result."""
    show_flash()
    result = st.session_state.pop("registrations_result", None)
    if result is not None:
        show_result(result)


def _after_import(result: ImportResult) -> None:
    """Keep the result for the mapping editor and for the next run, which shows it (act reruns, so
    every count on the page is current)."""
    st.session_state["registrations_result"] = result


def show_result(result: ImportResult) -> None:
    """What an import did, row by row where it matters."""
    if result.error:
        st.error(esc(result.error))
        return
    st.success(f"取り込みました。{result.line()}")
    show_notes(result.notes)  # 「シート「…」を読みました」, a cell cut short
    if result.quarantined:
        show_problems([q["reason"] for q in result.quarantined], f"保留にした行が {len(result.quarantined)} 件あります（「保留の行」で直せます）")
    if result.cancelled:
        show_problems([c["reason"] for c in result.cancelled[:50]],
                      f"参加者として取り込まなかった行が {len(result.cancelled)} 件あります（キャンセル・補欠など）")
    if result.flagged:
        show_problems([f["reason"] for f in result.flagged[:30]], "ルームに対応しない希望テーマがあります（取り込みは済んでいます）")
    if result.removed:
        show_problems([r["reason"] for r in result.removed], "前回の同期にあってシートから消えた行があります")
    if result.checks:
        show_problems([c["reason"] for c in result.checks[:30]],
                      f"確認が必要な申込が {len(result.checks)} 件あります（取り込みは済んでいます。「確認待ち」で確認できます）")
    if result.reviews or result.unmatched_orgs:
        st.info(f"機関名の確認待ち: {result.unmatched_orgs} 行（新しい名称 {result.reviews} 件）。「確認待ち」で確定してください。")
    if result.duplicate_rows:
        with st.expander(f"重複として数えた行（{len(result.duplicate_rows)} 件）"):
            st.write("\n".join(f"- {esc(d['reason'])}" for d in result.duplicate_rows[:200]))


def header_counts(meeting_id: int) -> None:
    """The headline figures and the breakdowns (category, 事業, region, オンライン / 会場)."""
    with session() as s:
        sm = frames.summary(s, meeting_id)
    cols = st.columns(4)
    cols[0].metric("申込者数", f"{sm.people}名")
    cols[1].metric("キャンセル", f"{sm.cancelled}名")
    cols[2].metric("オンライン", f"{sm.by_mode.get('オンライン', 0)}名")
    cols[3].metric("会場", f"{sm.by_mode.get('会場', 0)}名")
    st.write(f"内訳: {sm.line}")
    todo = []
    if sm.reviews:
        todo.append(f"機関名の確認待ち {sm.reviews} 件")
    if sm.kept_aside:
        todo.append(f"保留の行 {sm.kept_aside} 件")
    if sm.to_check:
        todo.append(f"確認が必要な申込 {sm.to_check} 件")
    if sm.unmatched_choices:
        todo.append(f"ルームに対応しない希望テーマ {sm.unmatched_choices} 件")
    if todo and viewer().is_secretariat:
        st.warning("対応が必要です: " + "、".join(todo))
    with st.expander("内訳（区分・事業・地域）"):
        c1, c2, c3 = st.columns(3)
        show_table(_counts("区分", sm.by_category), hide_index=True, where=c1)
        show_table(_counts("担当事業", sm.by_program), hide_index=True, where=c2)
        show_table(_counts("地域", sm.by_region), hide_index=True, where=c3)


def _counts(label: str, data: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame([{label: k, "人数": v} for k, v in data.items()], columns=[label, "人数"])


def registrant_table(meeting_id: int, v: Viewer, editable: bool = False) -> None:
    """Search, filters, and the table (editable for the secretariat)."""
    search = st.text_input("検索（氏名・ふりがな・メール・所属）", key="reg_search") if v.sees_names else ""
    try:
        with session() as s:
            df = frames.registrant_frame(s, v, meeting_id, search=search)
    except AccessDenied as exc:
        show_error(exc)
        return
    c1, c2, c3 = st.columns(3)
    cats = c1.multiselect("区分", [*vocab.COUNT_CATEGORIES, "（確認待ち）"], key="reg_cat", placeholder="すべて（絞り込みなし）")
    modes = c2.multiselect("参加方法", list(vocab.ATTENDANCE_MODES), key="reg_mode", placeholder="すべて（絞り込みなし）")
    statuses = c3.multiselect("状態", list(vocab.REGISTRATION_STATUSES), key="reg_status", placeholder="すべて（絞り込みなし）")
    if cats:
        df = df[df["category"].replace("", "（確認待ち）").isin(cats)]
    if modes:
        df = df[df["attendance_mode"].isin(modes)]
    if statuses:
        df = df[df["status"].isin(statuses)]
    st.caption(f"{len(df)} 件を表示しています。")
    if df.empty:
        st.info("該当する申込はありません。")
        return
    if not editable:
        show_table(df.drop(columns=["id"]), labels=LABELS, hide_index=True, width="stretch")
        return
    themes = _themes(meeting_id)
    config = {
        "id": st.column_config.NumberColumn("ID", disabled=True),
        "status": st.column_config.SelectboxColumn(LABELS["status"], options=list(vocab.REGISTRATION_STATUSES),
                                                   required=True),
        "attendance_mode": st.column_config.SelectboxColumn(LABELS["attendance_mode"],
                                                            options=list(vocab.ATTENDANCE_MODES), required=True),
        "willing_facilitator": st.column_config.CheckboxColumn(LABELS["willing_facilitator"]),
    }
    if themes:
        for c in ("choice1", "choice2", "choice3"):
            config[c] = st.column_config.SelectboxColumn(
                LABELS[c], options=["", *themes, *sorted(set(df[c]) - set(themes) - {""})])
    disabled = [c for c in df.columns if c not in EDIT_FIELDS]
    # A new key after each save: the grid starts again from what is stored (the old one, kept by the
    # browser with its edits, would send them once more and rerun the page over the saved message).
    editor_key = f"reg_editor_{meeting_id}_{st.session_state.get(SAVED_EDITS, 0)}"
    show_editor(df, labels=LABELS, hide_index=True, width="stretch", column_config=config, disabled=disabled,
                key=editor_key)
    c1, c2 = st.columns(2)
    # The save runs in the click's callback, before the page is drawn again: one run shows it.
    c1.button("変更を保存", key="reg_save", type="primary", on_click=_save_edits, args=(df, editor_key))
    listed = df.drop(columns=["id"]).rename(columns=LABELS)  # the workbook is built on the click, not every rerun
    c2.download_button("この一覧を Excel で保存",  # a document: the Japanese headers are the product
                       lambda: exports.to_xlsx_bytes({"申込者": listed}),
                       file_name="申込者一覧.xlsx", key="reg_download")


def _themes(meeting_id: int) -> list[str]:
    with session() as s:
        return aside.room_themes(s, meeting_id)


def _save_edits(before: pd.DataFrame, editor_key: str) -> None:
    """「変更を保存」's callback: save the changed rows (the editor's frame as the click arrives), each
    in its own unit of work (one refused row keeps the others). The run that follows draws the
    list from what is stored, in a new editor (SAVED_EDITS), with the message."""
    after = edited_frame(editor_key, LABELS)
    changed = _changed_rows(before, after if after is not None else before)
    if not changed:
        flash("変更はありません。", "info")
        return
    saved = sum(1 for rid, name, diff in changed
                if act(lambda s, r=rid, n=name, d=diff: _save_row(s, r, n, d), rerun=False))
    if saved:
        st.session_state.get(KEPT_EDITS, {}).pop(editor_key, None)
        st.session_state[SAVED_EDITS] = st.session_state.get(SAVED_EDITS, 0) + 1
        flash(f"{saved} 件の変更を保存しました。")


def _changed_rows(before: pd.DataFrame, after: pd.DataFrame) -> list[tuple[int, str, dict]]:
    """(id, name, {field: new value}) of every row whose editable fields differ (a missing value
    counts as empty), compared column by column (a registrant list holds hundreds of rows)."""
    fields = list(EDIT_FIELDS)
    new = after.set_index("id")[fields].astype(object)
    old = before.set_index("id")[fields].astype(object).reindex(new.index)
    new, old = new.where(new.notna(), ""), old.where(old.notna(), "")
    differs = old.ne(new)
    return [(int(rid), str(new.at[rid, "name"]), {f: new.at[rid, f] for f in fields if differs.at[rid, f]})
            for rid in new.index[differs.any(axis=1)]]


def _save_row(s, registration_id: int, name: str, diff: dict) -> bool:
    """One registrant's edits; a refusal names the row (ID and name) it is about."""
    try:
        edits.update_registration(s, viewer(), registration_id, diff)
    except UserError as exc:
        raise UserError(f"保存できなかった変更: ID {registration_id}（{name}）: {exc}") from exc
    return True


def sheet_sync(meeting_id: int) -> None:
    """Sheet URL, tabs, the sync button and the last sync's time and outcome."""
    with session() as s:
        state = sync.sheet_state(s, meeting_id)
        url, tab, survey_tab = state.sheet_url, state.tab, state.survey_tab
        last, error, last_result = state.last_synced_at, state.last_error, state.last_result
    st.subheader("Google スプレッドシートから同期")
    with st.form(f"sheet_form_{meeting_id}"):
        new_url = st.text_input("シートのURL", value=url, placeholder="https://docs.google.com/spreadsheets/d/…/edit")
        c1, c2 = st.columns(2)
        new_tab = c1.text_input("申込のタブ名", value=tab or sync.DEFAULT_TAB)
        new_survey = c2.text_input("アンケートのタブ名（任意・同じ1回の読み込みで取得）", value=survey_tab)
        saved = st.form_submit_button("保存")
    if saved:
        act(lambda s: sync.configure_sheet(s, viewer(), meeting_id, new_url, new_tab, new_survey),
            "シートの設定を保存しました。")
    client = sheets_client()
    if client.account_email:
        st.caption(f"シートの「共有」に {client.account_email} を追加してください（書き戻しには「編集者」）。")
    st.caption(f"最終同期: {ja_datetime(to_jst(last)) if last else 'まだ同期していません'}"
               + (f"（{last_result.get('rows', 0)}行）" if last_result else ""))
    if error:
        st.error(f"前回の同期でエラーがありました: {esc(error)}")
    if st.button("いま同期する", key="sync_now", type="primary", disabled=not url):
        with st.spinner("シートを読み込んでいます…"):
            act(lambda s: sync.sync(s, viewer(), meeting_id, client=client, fresh=True), _after_import)


def file_upload(meeting_id: int) -> None:
    """CSV / Excel upload (UTF-8, BOM, Shift_JIS, .xlsx)."""
    st.subheader("ファイルから取り込み")
    st.caption("Excel（.xlsx）や CSV（Shift_JIS・UTF-8 どちらでも）をそのまま選べます。Microsoft Forms・connpass・"
               "Peatix から書き出したファイルも、そのまま取り込めます。")
    up = st.file_uploader("申込のファイル", type=["csv", "xlsx", "txt", "tsv"], key=f"upload_{meeting_id}")
    upload_hint("CSV・Excel（.xlsx）・TSV・TXT")
    if up is None:
        return
    sheet = sheet_picker(up, key=f"upload_sheet_{meeting_id}")
    if st.button("このファイルを取り込む", key="import_file"):
        act(lambda s: importing.import_file(s, viewer(), meeting_id, up.getvalue(), up.name, sheet=sheet), _after_import)


def review_queue(meeting_id: int) -> None:
    """Organisation names waiting for a person: confirm, pick another, create a new one, or confirm
    every suggestion above a threshold at once; then imported rows to look at (shared e-mails,
    registrants without an organisation)."""
    with session() as s:
        items = [(r.id, r.text, list(r.candidates or []), r.seen) for r in matching.pending(s, viewer(), meeting_id)]
        all_orgs = {o.id: o.name for o in directory.all_organisations(s)}
    st.subheader("機関名の確認待ち")
    if not items:
        st.success("確認待ちの機関名はありません。")
    else:
        _confirm_above(meeting_id)
    for rid, text, candidates, seen in items[:30]:
        with st.container(border=True):
            st.markdown(f"**{esc(text)}**（{seen} 件）")
            options = [c["id"] for c in candidates if c["id"] in all_orgs]
            options += [oid for oid in all_orgs if oid not in options]
            labels = {c["id"]: f"{c['name']}（一致度 {c['score']:.0f}%"
                      + ("・種別が異なります）" if c.get("kind_ok") is False else "）") for c in candidates}
            st.selectbox("対応する機関", options, format_func=lambda o, lb=labels: lb.get(o, all_orgs[o]),
                                key=f"review_pick_{rid}", placeholder="選んでください")
            c1, c2 = st.columns(2)
            c1.button("この機関で確定", key=f"review_ok_{rid}", **act_on_click(
                lambda s, r=rid: matching.confirm(s, viewer(), r, st.session_state.get(f"review_pick_{r}")),
                f"「{esc(text)}」を確定しました（次回からは自動で一致します）。"))
            with c2.popover("新しい機関として登録"):
                name = st.text_input("機関名", value=text, key=f"review_name_{rid}")
                kind = st.selectbox("種別", list(vocab.ORG_KINDS), index=2, key=f"review_kind_{rid}", placeholder="選んでください")
                region = st.selectbox("地域", list(vocab.ALL_AREAS), key=f"review_region_{rid}", placeholder="選んでください")
                if st.button("登録する", key=f"review_new_{rid}"):
                    act(lambda s, r=rid, n=name, k=kind, g=region: matching.create_and_confirm(
                        s, viewer(), r, n, k, g),
                             f"「{esc(name)}」を新しい機関として登録しました。")
    rows_to_check(meeting_id)


def _confirm_above(meeting_id: int) -> None:
    """「一致度 N% 以上の候補をまとめて確定」: one click for every sure suggestion."""
    c1, c2 = st.columns([1, 3], vertical_alignment="bottom")
    threshold = c1.number_input("一致度（%）", min_value=50, max_value=100, value=int(matching.BULK_SCORE), step=5,
                                key="review_threshold")
    with session() as s:
        n = len(matching.above(s, viewer(), float(threshold), meeting_id))
    if c2.button(f"一致度 {threshold}% 以上の候補 {n} 件をまとめて確定", key="review_confirm_above",
                 disabled=not n):
        act(lambda s: matching.confirm_above(s, viewer(), float(threshold), meeting_id),
            lambda out: f"一致度 {threshold}% 以上の {out[0]} 件をまとめて確定しました（{out[1]} 名の所属が決まりました）。"
                        "種別の異なる候補（市役所と社協など）は確定していません。")
    st.caption("種別の異なる候補（市役所の課と社会福祉協議会など）は、一致度にかかわらずまとめて確定しません。")


def rows_to_check(meeting_id: int) -> None:
    """Imported rows the secretariat should look at, each with its reason and a 「確認しました」 button."""
    with session() as s:
        rows = [(k.id, k.reason, k.source_ref) for k in aside.to_check(s, viewer(), meeting_id)]
    st.subheader("確認が必要な申込")
    if not rows:
        st.success("確認が必要な申込はありません。")
        return
    st.caption("取り込みは済んでいます。内容を確かめて、必要なら一覧で直してから「確認しました」を押してください。")
    for rid, reason, ref in rows[:50]:
        with st.container(border=True):
            st.markdown(esc(reason))
            st.caption(f"取込元: {esc(ref)}")
            st.button("確認しました", key=f"check_done_{rid}",
                      **act_on_click(lambda s, r=rid: aside.mark_checked(s, viewer(), r), "確認済みにしました。"))


def choice_mapping(meeting_id: int) -> None:
    """Choices that name no room: pick the room (or 対象外). The decision is the same one the rooms
    page and the optimiser use; the registrants' text is kept as written."""
    with session() as s:
        table = aside.unmatched_choices(s, meeting_id)
        rooms = [(r.id, r.name, r.theme) for r in schedule.list_rooms(s, meeting_id)]
    if table.empty:
        return
    st.subheader("ルームに対応しない希望テーマ")
    st.caption("申込は取り込み済みです（記入はそのまま残ります）。どのルームにあたるかを選ぶか、"
               "「対象外」にしてください。ルーム割り当てページにも同じ設定が反映されます。")
    choice_rows(meeting_id, table, rooms, key="choice_map", button="対応付け", done="に対応付けました。")


def kept_aside(meeting_id: int) -> None:
    """Rows kept aside: the reason, the row (editable), and fix / no-action buttons."""
    with session() as s:
        rows = [(k.id, k.reason, dict(k.raw), k.source_ref)
                for k in aside.kept_aside(s, viewer(), meeting_id)]
    st.subheader("保留の行")
    if not rows:
        st.success("保留の行はありません。")
        return
    st.caption("取り込めなかった行です。内容を直して「修正して取り込む」を押してください。削除はされません。")
    for rid, reason, raw, ref in rows[:50]:
        with st.container(border=True):
            st.markdown(f"**{esc(reason)}**")
            st.caption(f"取込元: {esc(ref)}")
            edited = show_editor(pd.DataFrame([raw], dtype=object), hide_index=True, key=f"kept_{rid}")
            c1, c2 = st.columns(2)
            if c1.button("修正して取り込む", key=f"kept_retry_{rid}", type="primary"):
                values = {str(k): ("" if pd.isna(v) else str(v)) for k, v in edited.iloc[0].items()}
                act(lambda s, r=rid, v=values: aside.retry_kept_aside(s, viewer(), r, v),
                    lambda result: [("error", f"まだ取り込めません: {esc(result.quarantined[0]['reason'])}")
                                    if result.quarantined else ("success", "修正した行を取り込みました。")])
            c2.button("対応不要にする", key=f"kept_dismiss_{rid}", **act_on_click(
                lambda s, r=rid: aside.dismiss_kept_aside(s, viewer(), r), "対応不要にしました（記録は残ります）。"))


def manual_form(meeting_id: int) -> None:
    """Type in one registration received by e-mail, phone or fax."""
    themes = _themes(meeting_id)
    st.subheader("申込を手入力")
    with st.form(f"manual_{meeting_id}", clear_on_submit=False):
        c1, c2 = st.columns(2)
        name = c1.text_input("氏名（必須）")
        furigana = c2.text_input("ふりがな")
        email = c1.text_input("メールアドレス")
        org = c2.text_input("所属（法人・機関名）")
        department = c1.text_input("部署・事業所名")
        region = c2.selectbox("地域（振興局）", ["", *vocab.ALL_AREAS], placeholder="選んでください")
        programs = st.multiselect("担当している事業", list(forms.KNOWN_PROGRAMS), placeholder="選んでください（複数可）")
        role = c1.selectbox("職種・立場", ["", *vocab.STAFF_ROLES], placeholder="選んでください")
        years = c2.text_input("経験年数", placeholder="例: 3年")
        mode = st.radio("参加方法", list(vocab.ATTENDANCE_MODES), horizontal=True)
        choices = []
        for n in (1, 2, 3):  # n is the wish's rank (第n希望) of the one person being entered, not a row
            if themes:
                choices.append(st.selectbox(f"希望テーマ（第{n}希望）", ["", *themes], key=f"manual_choice{n}", placeholder="選んでください"))
            else:
                choices.append(st.text_input(f"希望テーマ（第{n}希望）", key=f"manual_choice{n}"))
        facilitator = st.checkbox("ファシリテーターに協力できる")
        note = st.text_area("備考")
        submitted = st.form_submit_button("登録する", type="primary")
    if submitted:
        entry = manual.ManualEntry(
            name=name, email=email, furigana=furigana, org=org, department=department, region=region,
            programs=programs, role_title=role, years=years, mode=mode, choice1=choices[0], choice2=choices[1],
            choice3=choices[2], facilitator=facilitator, note=note)
        act(lambda s: manual.add_manual(s, viewer(), meeting_id, entry), f"{esc(name.strip())}さんの申込を登録しました。")


def column_mapping(meeting_id: int) -> None:
    """Which column of the sheet/file means which question; saved for this meeting."""
    st.subheader("列の対応")
    with session() as s:  # the meeting's newest import as stored (any browser session, this meeting only)
        last = sync.last_import(s, meeting_id)
        headers = last.headers if last else []
        saved = importing.mapping_for(s, meeting_id, headers)
    if not headers:
        st.info("シートを同期するかファイルを取り込むと、見出しと項目の対応をここで確認・変更できます。")
        return
    st.caption(f"この会の最新の取り込み（{esc(last.source)}）の見出しです。")
    cmap = forms.map_columns(headers, saved)
    show_problems(forms.mapping_problems(cmap), "見出しを確認してください")
    labels = {f: forms.STANDARD[f] for f in forms.FIELDS}
    options = [EXTRA_LABEL, *labels.values()]
    frame = pd.DataFrame([{"見出し": r["header"], "項目": labels.get(r["field"], EXTRA_LABEL)} for r in cmap.as_rows()])
    edited = show_editor(frame, hide_index=True, disabled=["見出し"], key=f"mapping_{meeting_id}",
                            column_config={"項目": st.column_config.SelectboxColumn("項目", options=options, required=True)})
    if st.button("この対応を保存", key="mapping_save"):
        back = {v: k for k, v in labels.items()}
        mapping = {row["見出し"]: back.get(row["項目"], forms.IGNORE) for _, row in edited.iterrows()}
        fmt = last.format
        also = f"ほかの会の{last.format_label}にも使います。" if importing.remembers(fmt) else ""
        act(lambda s: importing.save_column_mapping(s, viewer(), meeting_id, mapping, fmt),
                 "列の対応を保存しました。次の同期・取り込みから使います（保留の行は「修正して取り込む」で再度取り込めます）。"
                 + also)


def write_back(meeting_id: int) -> None:
    """Write the cleaned list to a separate tab of the meeting's sheet."""
    st.subheader("整理した名簿をシートに書き戻す")
    st.caption("申込フォームの回答タブはそのままに、別のタブへ整理済みの一覧を書き出します（数式にならないよう処理します）。")
    tab = st.text_input("書き出し先のタブ名", value="整理済み名簿", key="writeback_tab")
    if st.button("シートに書き出す", key="writeback"):
        act(lambda s: sync.write_back(s, viewer(), meeting_id, tab, client=sheets_client()),
            lambda n: f"タブ「{esc(tab)}」に {n} 件を書き出しました。")


# --- the page's tabs (the secretariat's; only the open one is drawn) ---

def list_tab(meeting_id: int) -> None:
    registrant_table(meeting_id, viewer(), editable=True)


def import_tab(meeting_id: int) -> None:
    sheet_sync(meeting_id)
    st.divider()
    file_upload(meeting_id)


def review_tab(meeting_id: int) -> None:
    review_queue(meeting_id)
    choice_mapping(meeting_id)


def mapping_tab(meeting_id: int) -> None:
    column_mapping(meeting_id)
    st.divider()
    write_back(meeting_id)


TAB_KEY = "registrations_tab"
FILTERS = ("reg_search", "reg_cat", "reg_mode", "reg_status")  # registrant_table's widgets
SECTIONS = {"申込者一覧": list_tab, "取り込み": import_tab, "確認待ち": review_tab, "保留の行": kept_aside,
            "手入力": manual_form, "列の対応・書き戻し": mapping_tab}
