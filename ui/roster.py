"""ルーム名簿 widgets: the live roster with one-tap attendance, room notes, the overview, report and Zoom.

Phone first: one card per person (no wide table), the four marks as a full-width row, large tap
targets; the room's people are one element (ui/roster_people.py). Live: fragments rerun every
REFRESH_SECONDS; each run asks the database only for a change stamp (three tiny aggregates) and
rereads the roster through a cache shared by every phone only when the stamp moved, so a change
from anywhere shows at the next refresh.
"""

from __future__ import annotations

import datetime as dt
import functools
import time

import streamlit as st

from facilitation.access import gate
from facilitation.errors import AccessDenied, UserError
from facilitation.roles import SECRETARIAT_LOCAL
from facilitation.rosters import live, notes, report, zoom
from facilitation.storage import db
from facilitation.text.dates import to_jst, utcnow
from facilitation.text.normalize import with_note

from . import live_stamp
from .autosave_text import autosave_text
from .common import act, db_url, esc, session, show_error, show_flash, show_problems, upload_hint, viewer
from .roster_people import roster_people

REFRESH_SECONDS = 3  # see notes/issue-5.md for what 30 phones cost at this rate
# With serve.py (the change route), a facilitator's phone reruns only on a change (ui/live_stamp.py).
CACHE_SECONDS = 30  # fallback for what the stamp does not cover (room names, people's details)
# Attendance marks as words (no colour-emoji font is needed), coloured where Streamlit can.
MARK_WORDS = {"出席": ":green[**出席**]", "遅刻": ":orange[**遅刻**]", "途中退室": ":orange[**途中退室**]",
              "欠席": ":gray[欠席]", "": ":gray[未確認]"}
NOTE_WIDGETS = {  # field → (widget, help text)
    "theme": ("input", "ルームのテーマ"),
    "participants": ("area", "参加した機関（自動で入っています。必要なら直してください）"),
    "issues": ("area", "話に出た現状の課題"),
    "efforts": ("area", "各機関の取り組み・工夫"),
    "requests": ("area", "後方支援（事務局・道・国）への要望"),
    "summary": ("area", "全体への報告（1分30秒）で話すこと"),
}
UNDO = "roster_undo"  # (registration id, the mark a tap cleared, when): offered back for a while
UNDO_SECONDS = 30
PEOPLE_KEY = "roster_people"  # the people and their marks: one element (ui/roster_people.py)
CSS = """
<style>
div[data-testid="stButtonGroup"] button { min-height: 2.9rem; min-width: 3.6rem; font-size: 1rem; }
div[data-testid="stMarkdownContainer"] { overflow-wrap: anywhere; }
</style>
"""
def jst_hm(t: dt.datetime | None, seconds: bool = False) -> str:
    """UTC (as stored) → Japan time 「14:05」 (or 「14:05:32」)."""
    return "" if t is None else to_jst(t).strftime("%H:%M:%S" if seconds else "%H:%M")


# --- cached reads (shared by every phone on the same room) ---

@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False, max_entries=300)
def load_roster(url: str, meeting_id: int, room_id: int, version: tuple = ()) -> live.RoomRoster:
    """The room's roster for a change stamp; access is checked by the caller before this shared cache."""
    with db.session(url, actor="roster") as s:
        return live.room_roster(s, SECRETARIAT_LOCAL, meeting_id, room_id)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False, max_entries=50)
def load_overview(url: str, meeting_id: int, version: str = "") -> live.Overview:
    with db.session(url, actor="roster") as s:
        return live.overview(s, SECRETARIAT_LOCAL, meeting_id)


def style() -> None:
    st.markdown(CSS, unsafe_allow_html=True)  # static CSS only, no user text


# --- the roster ---

def _refused(exc: AccessDenied) -> None:
    """A refusal inside a fragment or after a callback: for a link whose access ended meanwhile
    (revoked, expired), rerun the whole page so the gate replaces it with its polite message and
    the fragments stop refreshing; otherwise show the reason."""
    v = viewer()
    if v.link_id is not None and not st.session_state.get("link_recheck"):
        st.session_state["link_recheck"] = True
        st.rerun(scope="app")
    show_error(exc)


def _on_tap(registration_id: int, mark: str, shown: str) -> None:
    """A tap (ui/roster_people.py): the person's mark changed from `shown` (what the phone showed
    when it was tapped) to `mark` ("" clears it).

    A tap counts only as a change from what was shown: a value equal to it is ignored, and the
    write is refused when the stored mark is no longer the one shown (someone else changed it
    meanwhile; bench/roster_load.py once caught an old widget value overwriting a newer mark).
    Clearing a mark can be undone for a while (UNDO_SECONDS): one tap must not silently erase a
    出席 that came from the Zoom report."""
    if mark == shown:
        return

    def tap(s):
        try:
            live.mark_attendance(s, viewer(), registration_id, mark, shown=shown)
        except live.AttendanceChanged as exc:
            if exc.current != mark:  # the stored mark is already the tapped one: nothing to say
                raise
            return False
        return True

    if act(tap, rerun=False) and not mark and shown:
        st.session_state[UNDO] = (registration_id, shown, time.monotonic())


def _undo_clear(registration_id: int, mark: str) -> None:
    """「元に戻す」: put back the mark a tap cleared (refused if someone has marked the person since)."""
    st.session_state.pop(UNDO, None)
    act(lambda s: live.mark_attendance(s, viewer(), registration_id, mark, shown=""), rerun=False)


def _undo_offer(people) -> None:
    """After a tap cleared a mark: say so, with a button that puts it back (for UNDO_SECONDS)."""
    undo = st.session_state.get(UNDO)
    if not undo:
        return
    registration_id, mark, at = undo
    person = next((p for p in people if p.registration_id == registration_id), None)
    if person is None or person.mark or time.monotonic() - at > UNDO_SECONDS:
        st.session_state.pop(UNDO, None)
        return
    c1, c2 = st.columns([3, 1], vertical_alignment="center")
    c1.warning(f"{esc(person.name)}さんの「{mark}」を取り消しました。")
    c2.button("元に戻す", key=f"roster_undo_{registration_id}", on_click=_undo_clear, args=(registration_id, mark),
              width="stretch", type="primary")


def counts_line(counts: dict[str, int]) -> str:
    return (f"出席 {counts['出席']}・遅刻 {counts['遅刻']}・途中退室 {counts['途中退室']}・欠席 {counts['欠席']}"
            f"・未確認 {counts['未確認']}（{counts['合計']}名）")


def live_roster(meeting_id: int, room_id: int) -> None:
    """The room's people, shown again on every change; a tap records attendance at once.

    A facilitator's phone on a server started with serve.py waits for the meeting's change stamp
    and reruns only when it moved; otherwise (plain `streamlit run`, the secretariat's own view) the
    fragment reruns every REFRESH_SECONDS. Either way every rerun checks the link first."""
    token = st.query_params.get("token") if viewer().link_id is not None else None
    if token and live_stamp.route_active():
        st.fragment(_roster_body)(meeting_id, room_id, token)
    else:
        st.fragment(_roster_body, run_every=REFRESH_SECONDS)(meeting_id, room_id, None)


def _roster_body(meeting_id: int, room_id: int, token: str | None) -> None:
    checked = utcnow()  # before the stamp is read: every change made before this time is shown
    try:
        with session() as s:  # on every rerun: a link revoked or expired meanwhile stops here
            live.check_room(viewer(), meeting_id, room_id, s)
            version = live.room_stamp(s, meeting_id, room_id)
        roster = load_roster(db_url(), meeting_id, room_id, version)
    except AccessDenied as exc:
        _refused(exc)
        return
    except UserError as exc:
        show_error(exc, "warning")
        return
    st.session_state.pop("link_recheck", None)
    _follow_absences(room_id, roster.people)
    st.subheader(f"{esc(roster.room_name)}：{esc(roster.theme)}" if roster.theme else esc(roster.room_name))
    st.caption(f"{esc(roster.meeting_label)}　Zoomでは「{roster.zoom_prefix}_氏名」に名前を変えてもらいます。")
    st.markdown(f"**{counts_line(roster.counts)}**")
    show_flash()  # a refused tap (the page's own slot is not drawn again when only this part reruns)
    if not roster.people:
        st.info("このルームにはまだ誰も割り当てられていません。割り当てが決まると自動で表示されます。")
    _undo_offer(roster.people)
    roster_people(roster.people, key=PEOPLE_KEY, on_tap=_on_tap)
    if token:
        st.caption(f"変更があるとすぐに自動で表示されます（最終更新 {jst_hm(checked, seconds=True)}）。")
        live_stamp.wait_for_change(key=f"roster_wait_{room_id}", token=token, since=version,
                                   fallback_seconds=REFRESH_SECONDS)
    else:
        st.caption(f"{REFRESH_SECONDS}秒ごとに自動で更新しています（最終更新 {jst_hm(checked, seconds=True)}）。")


def _follow_absences(room_id: int, people) -> None:
    """The room's notes prefill 参加者 without the people marked 欠席: when that set changes (a tap
    here, or a mark made elsewhere) the notes, drawn outside this part, are drawn again."""
    key = f"roster_absent_{room_id}"
    absent = frozenset(p.registration_id for p in people if p.mark == "欠席")
    seen = st.session_state.get(key)
    st.session_state[key] = absent
    if seen is not None and seen != absent and _only_this_part_reruns():  # a whole run draws the notes anyway
        st.rerun(scope="app")


def _only_this_part_reruns() -> bool:
    """True in a run of fragments alone (a tap, a refresh), False in a run of the whole page."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return bool(ctx and ctx.fragment_ids_this_run)


# --- the secretariat's overview ---

def live_overview(meeting_id: int, per_row: int = 3) -> None:
    """All rooms side by side with live counts and each person's mark.

    On a server started with serve.py the secretariat's overview waits for the meeting's change
    stamp and reruns only when it moved (ui/live_stamp.py); otherwise it reruns every REFRESH_SECONDS."""
    if live_stamp.route_active() and viewer().is_secretariat:
        st.fragment(_overview_body)(meeting_id, per_row, True)
    else:
        st.fragment(_overview_body, run_every=REFRESH_SECONDS)(meeting_id, per_row, False)


def _overview_body(meeting_id: int, per_row: int, waits: bool) -> None:
    checked = utcnow()  # before the stamp is read: every change made before this time is shown
    with session() as s:
        version = live.meeting_stamp(s, meeting_id)
    _overview_rooms(load_overview(db_url(), meeting_id, version), per_row)
    if waits:
        st.caption(f"変更があるとすぐに自動で表示されます（最終更新 {jst_hm(checked, seconds=True)}）。")
        from .auth import link_secret
        ticket = gate.overview_ticket(link_secret(), meeting_id, viewer().email)
        live_stamp.wait_for_change(key=f"overview_wait_{meeting_id}", meeting_id=meeting_id, ticket=ticket,
                                   since=version, fallback_seconds=REFRESH_SECONDS)
    else:
        st.caption(f"{REFRESH_SECONDS}秒ごとに自動更新（最終更新 {jst_hm(checked, seconds=True)}）")


def _overview_rooms(ov: live.Overview, per_row: int) -> None:
    totals = ov.totals
    if totals:
        st.markdown(f"**全体：{counts_line(totals)}**")
    if ov.unassigned_count:
        names = "、".join(esc(p.name) for p in ov.unassigned)
        st.warning(f"まだルームが決まっていない方が {ov.unassigned_count}名 います：{names}")
    if not ov.rooms:
        st.info("この会にはまだルームがありません。「ルーム割り当て」で作成してください。")
        return
    for start in range(0, len(ov.rooms), per_row):
        cols = st.columns(per_row)
        for col, room in zip(cols, ov.rooms[start:start + per_row], strict=False):
            with col.container(border=True):
                c = room.counts
                present = c["出席"] + c["遅刻"] + c["途中退室"]
                head = [f"**{esc(room.name)}**　出席 {present} / {c['合計']}名", f":small[:gray[{esc(room.theme)}]]"]
                if room.facilitator:
                    head.append(f":small[:gray[ファシリテーター：{esc(room.facilitator)}]]")
                lines = [f"{MARK_WORDS[p.mark]}　{esc(with_note(p.name, p.organisation))}" for p in room.people]
                st.markdown("  \n".join(head))
                st.markdown("  \n".join(lines) or "（まだ誰もいません）")


def room_picker(meeting_id: int) -> int | None:
    with session() as s:
        options = dict(live.rooms_of(s, viewer(), meeting_id))
    if not options:
        st.info("この会にはまだルームがありません。")
        return None
    key = f"roster_room_{meeting_id}"
    if key in st.session_state and st.session_state[key] not in options:
        del st.session_state[key]
    return st.selectbox("ルーム", list(options), format_func=options.get, key=key, placeholder="選んでください")


# --- room notes ---

def _save_field(room_id: int, field: str, value: str, started_from: str | None) -> None:
    def save(s):
        try:
            return notes.save_field(s, viewer(), room_id, field, value, started_from)
        except notes.NoteConflict:
            return None  # the field shows the other text and asks (ui/autosave_text.py)

    saved = act(save, rerun=False)
    if saved is not None:
        st.session_state[f"note_saved_{room_id}"] = saved


@st.fragment
def notes_form(room_id: int) -> None:
    """The room's notes, saved as the facilitator types (see ui/autosave_text.py)."""
    try:
        with session() as s:
            note = notes.get_note(s, viewer(), room_id)
    except AccessDenied as exc:
        _refused(exc)
        return
    except UserError as exc:
        show_error(exc)
        return
    st.subheader("ルームの記録")
    st.caption("入力すると自動で保存されます。電波が切れても、この端末に残した下書きを次に開いたときに保存します。")
    current = note.values()
    for field in notes.FIELDS:
        kind, help_text = NOTE_WIDGETS[field]
        autosave_text(notes.FIELD_LABELS[field], key=f"note_{room_id}_{field}", value=current[field],
                      help=help_text, rows=1 if kind == "input" else 4, draft_key=f"room{room_id}-{field}",
                      on_save=functools.partial(_save_field, room_id, field))
    show_flash()  # a refused save (this part reruns alone)
    saved = st.session_state.get(f"note_saved_{room_id}") or note.updated_at
    if saved and note.updated_at and note.updated_at > saved:
        saved = note.updated_at
    if saved:
        st.success(f"保存済み {jst_hm(saved)}", icon=":material/cloud_done:")
    else:
        st.caption("まだ保存されていません。")


# --- report and Zoom (secretariat) ---

def _save_section(meeting_id: int, field: str) -> None:
    text = st.session_state.get(f"report_{field}_{meeting_id}", "")
    if act(lambda s: report.save_sections(s, viewer(), meeting_id, **{field: text}) or True, rerun=False):
        st.session_state[f"report_saved_{meeting_id}"] = utcnow()


def report_panel(meeting_id: int) -> None:
    """全体共有 / 次回について (autosaved), what is still missing, and the three downloads."""
    with session() as s:
        sections = report.get_sections(s, meeting_id)
        data = report.build_report(s, viewer(), meeting_id)
    st.subheader("報告レポート")
    for field, label in report.SECTION_LABELS.items():
        k = f"report_{field}_{meeting_id}"
        st.session_state.setdefault(k, sections[field])
        st.text_area(label, key=k, height=110, on_change=_save_section, args=(meeting_id, field))
    saved = st.session_state.get(f"report_saved_{meeting_id}")
    if saved:
        st.caption(f"保存済み {jst_hm(saved)}")
    st.write(f"参加者数：{data.total_line}")
    if data.count_note:
        st.caption(esc(data.count_note))
    show_problems(data.problems, "レポートにまだ足りないところがあります")
    cols = st.columns(3)
    for col, (suffix, name) in zip(cols, report.FORMATS.items(), strict=True):
        col.download_button(f"{name}（{suffix}）をダウンロード", data=functools.partial(report.render, data, suffix),
                            file_name=report.file_name(data, suffix), mime=report.MIME[suffix],
                            width="stretch", on_click="ignore", key=f"report_dl_{suffix}_{meeting_id}")
    with st.expander("レポートの内容を確認する"):
        st.markdown(report.to_markdown(data))


SHOWN_AT_ONCE = 30  # unmatched Zoom rows (and problems) drawn at once: the page stays quick


def zoom_panel(meeting_id: int) -> None:
    """Upload Zoom's participant report, see what matched, resolve the rest by hand."""
    st.subheader("Zoomの参加者レポートから出席を記録")
    st.caption("Zoomの「レポート」→「使用状況」→「参加者」からダウンロードしたCSVを選んでください。"
               "記録済みの出欠（ファシリテーターの入力）はそのまま残ります。")
    upload = st.file_uploader("参加者レポート（CSV。Teams の出席レポートも可）", type=["csv"], key=f"zoom_file_{meeting_id}")
    upload_hint("Zoom の参加者レポート CSV")
    if upload is not None and st.button("取り込んで出席を記録する", type="primary", key=f"zoom_go_{meeting_id}"):
        with st.spinner("参加者レポートを読み込んで、申込と照らし合わせています…"):
            act(lambda s: zoom.import_report(s, viewer(), meeting_id, upload.getvalue(), upload.name), _imported)
    with session() as s:
        waiting = zoom.stored_rows(s, viewer(), meeting_id)
        choices = dict(zoom.registration_choices(s, viewer(), meeting_id)) if waiting else {}
    if not waiting:
        return
    st.markdown(f"**申込と一致しなかった方（{len(waiting)}件）**")
    if len(waiting) > SHOWN_AT_ONCE:
        st.caption(f"上から{SHOWN_AT_ONCE}件を表示しています（ほか {len(waiting) - SHOWN_AT_ONCE}件。"
                   "確認すると次が表示されます）。")
    for row in waiting[:SHOWN_AT_ONCE]:
        with st.container(border=True):
            original = f"（元の名前：{esc(row.original_name)}）" if row.original_name else ""
            st.markdown(f"**{esc(row.display_name)}**{original}　{esc(row.email)}")
            st.caption(f"{row.minutes}分・{'ゲスト' if row.guest else 'サインイン'}・ファイルの{row.source_rows}行目・{esc(row.note)}")
            pick = st.selectbox("どの申込の方ですか", [None, *choices], format_func=lambda i: "選んでください" if i is None
                                else choices[i], key=f"zoom_pick_{row.id}", placeholder="選んでください")
            cols = st.columns(2)
            if cols[0].button("この方の出席にする", key=f"zoom_ok_{row.id}", disabled=pick is None, width="stretch"):
                _resolve(pick, row.id)
            if cols[1].button("参加者ではない", key=f"zoom_skip_{row.id}", width="stretch"):
                _resolve(None, row.id)


def _imported(result) -> list[tuple[str, str]]:
    """The Zoom import's result, flashed: the page reruns, so the report above is built after it."""
    done = [("success", f"{esc(result.format_message)}{result.rows}行（再入室をまとめて{result.people}名）を読み込みました。"
                        f"申込と一致 {len(result.matched)}名、出席を記録 {result.marked}名、"
                        f"記録済みのまま {result.already}名、未確認 {len(result.unmatched)}名。")]
    if result.problems:
        done.append(("warning", "確認が必要な点があります\n\n" + "\n".join(
            f"- {esc(p)}" for p in result.problems[:SHOWN_AT_ONCE]) + _more(result.problems)))
    if result.listed:  # rows of the file not read as attendance, each with its row and reason
        done.append(("warning", f"出席として読まなかった行（{len(result.listed)}行）\n\n" + "\n".join(
            f"- {x['line']}行目: {esc(x['reason'])}（{esc(x['text'][:60])}）" for x in result.listed[:SHOWN_AT_ONCE])
            + _more(result.listed)))
    return done


def _more(items: list) -> str:
    return f"\n- ほか {len(items) - SHOWN_AT_ONCE}件" if len(items) > SHOWN_AT_ONCE else ""


def _resolve(registration_id: int | None, row_id: int) -> None:
    act(lambda s: zoom.resolve(s, viewer(), row_id, registration_id),
        "出席として記録しました。" if registration_id is not None else "参加者ではない方として記録しました。")
