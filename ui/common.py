"""What every page needs: the database, the viewer, a meeting picker, Japanese messages."""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.orm import Session

from facilitation.config import SECTIONS, Config
from facilitation.errors import SHOWN_ERRORS
from facilitation.files.exports import needs_quote, safe_frame
from facilitation.meetings import schedule
from facilitation.roles import Viewer
from facilitation.storage import db
from facilitation.text.markup import escape_markdown

_NO_SECRETS_FILE: dict[int, weakref.ref] = {}  # st.secrets objects without a file (AppTest brings its own)


def secrets_section(name: str) -> dict:
    """The ONE way to read `.streamlit/secrets.toml`: a section as a dict ({} when absent).

    Without any secrets file (the normal local case) Streamlit parses for the files again on every
    access, which a live roster does many times a second; that answer is remembered while none of
    the configured files exists (one stat each), so a secrets file added later (the `[mail]` section,
    say) is read on the next access, without a restart. Streamlit itself watches a file it has read."""
    from streamlit.errors import StreamlitSecretNotFoundError

    secrets = st.secrets
    known = _NO_SECRETS_FILE.get(id(secrets))
    if known is not None and known() is secrets:
        from streamlit import config

        if not any(os.path.exists(p) for p in config.get_option("secrets.files")):
            return {}
        del _NO_SECRETS_FILE[id(secrets)]  # a file appeared: read it
    try:
        section = secrets.get(name)
    except StreamlitSecretNotFoundError:
        _NO_SECRETS_FILE[id(secrets)] = weakref.ref(secrets)
        return {}
    except Exception:  # an unreadable file: treated as absent (the pages say what is not configured)
        return {}
    return dict(section) if section else {}


def config() -> Config:
    """The installation's configuration from st.secrets and the environment (the CLI builds the same)."""
    return Config.from_sections({name: secrets_section(name) for name in SECTIONS})


def db_url() -> str:
    """The database URL: [database] url in secrets, else $FACILITATION_DB_URL, else the SQLite file."""
    return db.resolve_url(config().db_url)


def viewer() -> Viewer:
    """Who is looking, as decided by streamlit_app.py's gate (never a default: see auth.page_viewer)."""
    from . import auth

    return auth.page_viewer()


def leave_legacy_pages_mode() -> None:
    """Make sure this run went through streamlit_app.py (its sign-in gate and database set-up).

    Right after a restart Streamlit treats an app with a pages/ folder as a legacy multipage app
    until st.navigation has run once, and runs a page opened directly (/home) without the entry
    point. Switch to st.navigation mode (what st.navigation itself does) and rerun through the gate.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


@contextmanager
def session() -> Iterator[Session]:
    """A database unit of work on behalf of the current viewer (named in the audit log)."""
    decided = st.session_state.get("viewer")  # not viewer(): the gate itself opens sessions
    if not isinstance(decided, Viewer):
        leave_legacy_pages_mode()
    with db.session(db_url(), actor=decided.actor if isinstance(decided, Viewer) else "") as s:
        yield s


MEETING_KEY = "current_meeting"  # the chosen meeting, shared by every page's picker
MEETING_PARAM = "meeting"  # ...and in the address (?meeting=8), so a page can be linked
_MEETING_IN_URL = "_meeting_in_url"  # the value this session last wrote to the address


def keep_state(*keys: str) -> None:
    """Keep what a person typed or chose in a tab that is not drawn in this run (a lazy page draws only
    the open tab, and Streamlit forgets the value of a widget that is not drawn): call before the tabs.
    Only for widgets created without a default value (else Streamlit warns about two values)."""
    for k in keys:
        if k in st.session_state:
            st.session_state[k] = st.session_state[k]


def meeting_picker(key: str = "meeting_id", label: str = "対象の会") -> int | None:
    """The one meeting picker: a select box of meetings (newest first); returns the chosen id.

    The choice follows the person from page to page (st.session_state[MEETING_KEY]) and is kept
    in the address as ?meeting=<id>; a link with ?meeting= opens that meeting. Without either, the
    upcoming meeting is chosen. `key` is the select box's own key (unique on its page).
    """
    v = viewer()
    with session() as s:
        items = schedule.list_meetings(s)
        if v.meeting_id is not None:
            items = [m for m in items if m.id == v.meeting_id]
        options = {m.id: schedule.label(m) for m in items}
        upcoming = schedule.upcoming_meeting(s)
    if not options:
        st.info("まだ会が登録されていません。設定ページから会を追加してください。")
        return None
    chosen = _chosen_meeting(options, upcoming.id if upcoming else None)
    st.session_state[key] = chosen  # the widget shows the shared choice (set before it is drawn)
    return st.selectbox(label, list(options), format_func=options.get, key=key,
                        on_change=_remember_meeting, args=(key,), placeholder="会を選んでください")


def _chosen_meeting(options: dict[int, str], upcoming: int | None) -> int:
    """The address's ?meeting= when it was changed from outside, else the session's, else upcoming."""
    state = st.session_state
    in_url = st.query_params.get(MEETING_PARAM)
    if in_url is not None and in_url != state.get(_MEETING_IN_URL):  # a link was opened
        try:
            state[MEETING_KEY] = int(in_url)
        except ValueError:
            pass
    chosen = state.get(MEETING_KEY)
    if chosen not in options:
        chosen = upcoming if upcoming in options else next(iter(options))
    state[MEETING_KEY] = chosen
    if in_url != str(chosen):
        st.query_params[MEETING_PARAM] = str(chosen)
    state[_MEETING_IN_URL] = str(chosen)
    return chosen


def _remember_meeting(key: str) -> None:
    """The person picked another meeting: every page follows."""
    st.session_state[MEETING_KEY] = st.session_state[key]


def upload_hint(kinds: str) -> None:
    """A Japanese line beside st.file_uploader (its own drop zone text is Streamlit's English)."""
    limit = st.get_option("server.maxUploadSize")
    st.caption(f"ファイルを上の枠にドラッグするか、枠の中のボタンを押して選んでください"
               f"（形式: {kinds}・1ファイル{limit}MBまで）。")


_SHEET_PROBE = "_sheet_probe"  # {upload id: (the sheet read_table picks, the visible sheets, its notes)}


def sheet_picker(upload, key: str) -> str | None:
    """For an uploaded .xlsx with several visible sheets: a select box of them, set to the sheet
    read_table would read (a 「フォームの回答 N」 tab, else the active sheet), and a line saying
    which. Returns the chosen sheet name, or None (a CSV, or a workbook with one sheet)."""
    from facilitation.files.tabular import XLSX_MAGIC, read_table

    data = upload.getvalue()
    if not data.startswith(XLSX_MAGIC):
        return None
    probes = st.session_state.setdefault(_SHEET_PROBE, {})
    upload_id = getattr(upload, "file_id", None) or f"{upload.name}:{len(data)}"
    if upload_id not in probes:
        try:
            table = read_table(data, upload.name)
            probe = (table.sheet, list(table.sheets))
        except SHOWN_ERRORS:  # the import itself will say what is wrong
            probe = ("", [])
        probes.clear()  # one upload at a time is enough to remember
        probes[upload_id] = probe
    default, sheets = probes[upload_id]
    if len(sheets) < 2:
        return None
    chosen = st.selectbox("読み込むシート", sheets, index=sheets.index(default) if default in sheets else 0,
                          key=key, placeholder="シートを選んでください")
    st.caption(f"このファイルにはシートが{len(sheets)}枚あります。" + esc(
        f"「{default}」を読む設定にしています。" if chosen == default else f"「{chosen}」を読みます。")
        + "別のシートを取り込む場合は、ここで選び直してください。")
    return chosen


def show_notes(notes: list[str]) -> None:
    """What the file reader noticed (which sheet was read, a cell cut short), each line escaped."""
    for note in notes:
        st.info(esc(note))


def show_problems(problems: list[str], title: str = "確認が必要な点があります") -> None:
    """A list of Japanese messages the user can act on (never a traceback)."""
    if problems:
        st.warning(title + "\n\n" + "\n".join(f"- {esc(p)}" for p in problems))  # messages quote user text


def esc(text: object) -> str:
    """User text (names, organisations, notes, chat, answers) made to show literally in Markdown.

    Every character Markdown, Streamlit's extensions (colours, icons, emoji shortcodes, math) or
    HTML could act on is backslash-escaped, so `![x](http://…)` is not fetched as an image,
    `[a](http://…)` is not a link, bare URLs are not auto-linked (a word joiner, U+2060, is put
    into `://` and `www.`; it does not show), and `<b>` is text.
    Line breaks are kept as Markdown line breaks. Use it for every f-string that puts user text
    into st.markdown / st.write / st.caption / st.info / st.success / st.warning / st.error and
    into widget or expander labels (which are Markdown too).
    """
    return escape_markdown(text)  # the one rule, shared with the Markdown report (text.markup)


def show_error(exc: BaseException | str, kind: str = "error", *, where=None) -> None:
    """The ONE way a page shows a refusal or a problem: its Japanese message, escaped (domain
    messages quote what people typed: a name with `![](http://…)` must not fetch an image).
    `kind`: "error", "warning" or "info"; `where`: a column or container (default: the current one)."""
    getattr(where or st, kind)(esc(str(exc)))


# --- Tables: the ONE way a page shows a frame (tests/test_tables.py checks nothing bypasses it) ---

MISSING = "—"  # what an empty cell shows (never "None")


def _shown(data):
    """A frame as shown: formula-looking text neutralised (Streamlit's toolbar downloads the frame
    it is given, as CSV), and a blank object cell as 「—」."""
    import pandas as pd

    if isinstance(data, pd.Series):
        data = data.to_frame()
    if not isinstance(data, pd.DataFrame):
        return data
    out = safe_frame(data)
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        if (col.dtype == object or pd.api.types.is_string_dtype(col)) and col.isna().any():
            out.isetitem(i, col.astype(object).where(col.notna(), MISSING))
    return out


def _labelled(labels, kw):
    """Column names of the domain (English) → the Japanese headers a person reads, in the options
    that name columns too (column_config, column_order, disabled)."""
    if not labels:
        return kw
    kw = dict(kw)
    if isinstance(kw.get("column_config"), dict):
        kw["column_config"] = {labels.get(k, k): v for k, v in kw["column_config"].items()}
    for option in ("column_order", "disabled"):
        if isinstance(kw.get(option), (list, tuple)):
            kw[option] = [labels.get(c, c) for c in kw[option]]
    return kw


def show_table(data, *, where=None, labels: dict[str, str] | None = None, **kw):
    """st.dataframe for every table of user data: formula-looking cells neutralised (the toolbar's
    "Download as CSV" exports exactly this frame), missing values as 「—」. `labels`: the domain's
    English column names → the Japanese headers shown (and downloaded). `where`: a column or
    container to draw in (default: the current one). Returns what st.dataframe returns."""
    kw.setdefault("placeholder", MISSING)
    data = _shown(data)
    if labels and hasattr(data, "columns"):
        data = data.rename(columns=labels)
    return (where or st).dataframe(data, **_labelled(labels, kw))


def frame_digest(frame) -> str:
    """A short fingerprint of a frame's rows and values (what an editor of it edits)."""
    import hashlib

    text = frame.to_json(orient="split", date_format="iso", default_handler=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def show_editor(data, *, where=None, labels: dict[str, str] | None = None, **kw):
    """st.data_editor with the same neutralised display; the edited frame comes back with the
    original text restored in cells whose only change is that neutralising apostrophe, and with
    the domain's column names (`labels` as in show_table).

    The editor's `key` is extended with a fingerprint of the frame: Streamlit keeps an editor's
    changes as (row position, column) → value, so an editor whose rows changed underneath it (a
    save, a change made elsewhere, another survey or meeting) must start again from what is stored,
    never apply the kept changes to whatever row now stands at that position."""
    import pandas as pd

    kw = _labelled(labels, kw)
    if not isinstance(data, pd.DataFrame):
        return (where or st).data_editor(data, **kw)
    if labels:
        data = data.rename(columns=labels)
    shown = safe_frame(data)
    shown.columns = data.columns
    shown.index = data.index
    if kw.get("key") is None:
        edited = (where or st).data_editor(shown, **kw)
    else:
        edited = _kept_editor(where or st, shown, str(kw.pop("key")), frame_digest(data), kw)
    if not isinstance(edited, pd.DataFrame):
        return edited
    return _restored(edited, labels)


def _restored(edited, labels):
    """The editor's frame with the neutralising apostrophes taken out and the domain's column names."""
    import pandas as pd

    def restore(v):
        return v[1:] if isinstance(v, str) and v.startswith("'") and needs_quote(v[1:]) else v

    out = edited.copy()
    for i in range(out.shape[1]):
        if out.iloc[:, i].dtype == object or pd.api.types.is_string_dtype(out.iloc[:, i]):
            out.isetitem(i, out.iloc[:, i].map(restore))
    if labels:
        out = out.rename(columns={v: k for k, v in labels.items()})
    return out


def edited_frame(key: str, labels: dict[str, str] | None = None):
    """The frame of the keyed editor (show_editor's `key`) as show_editor would return it, with the
    edits the browser has sent up to now: usable in a button's callback, which runs before the page
    is drawn again (the frame the last run returned may miss the edit sent with the click).

    Only cell edits (the editors that save through this have a fixed set of rows). None when the
    editor was not drawn in this session."""
    import pandas as pd

    mine = st.session_state.get(KEPT_EDITS, {}).get(key)
    if mine is None:
        return None
    out = mine["base"].copy()
    state = st.session_state.get(mine["widget"]) or {}
    for pos, changes in (state.get("edited_rows") or {}).items():
        if not 0 <= int(pos) < len(out):
            continue  # the widget is keyed by a fingerprint of its rows: cannot happen, never a traceback
        for column, value in changes.items():
            if column in out.columns:
                at = out.columns.get_loc(column)
                if out.iloc[:, at].dtype != object and not pd.api.types.is_bool_dtype(out.iloc[:, at]):
                    out.isetitem(at, out.iloc[:, at].astype(object))
                out.iat[int(pos), at] = value
    return _restored(out, labels)


KEPT_EDITS = "_kept_edits"  # editor key → unsaved edits kept while the editor is not drawn


def _kept_editor(where, shown, key: str, digest: str, kw: dict):
    """An editor whose unsaved edits survive a run in which it is not drawn (a lazy page draws only
    the open tab, and Streamlit forgets a widget that is not drawn; its value cannot be set back).

    The edited frame is kept per editor key and fingerprint of what is stored; when the editor is
    drawn again without its widget state, it starts from the kept frame (a new widget key), so the
    person sees and saves what they typed. If what is stored changed meanwhile (a save, another
    secretary), the kept edits would land on other rows: they are dropped, and the person is told."""
    import pandas as pd

    kept = st.session_state.setdefault(KEPT_EDITS, {})
    mine = kept.get(key)
    if mine is not None and mine["digest"] != digest:
        # Drawn in the last run (the person saw the change happen, e.g. their own save): start again.
        if mine["changed"] and mine["widget"] not in st.session_state:
            st.warning("保存していない変更がありましたが、その間に一覧が新しくなったため反映していません。"
                       "お手数ですが、もう一度入力して保存してください。")
        mine = None
    if mine is None:
        mine = {"digest": digest, "base": shown, "widget": f"{key}_{digest}", "changed": False}
    elif mine["widget"] not in st.session_state and mine["changed"]:
        # Drawn again after a run without it: start from what the person had typed.
        mine = {**mine, "base": mine["out"], "widget": f"{key}_{digest}_{frame_digest(mine['out'])}"}
    edited = where.data_editor(mine["base"], key=mine["widget"], **kw)
    if isinstance(edited, pd.DataFrame):
        changed = mine["changed"] or not edited.equals(mine["base"])
        kept[key] = {**mine, "out": edited, "changed": changed}
    return edited


# --- Actions: the ONE way a button runs a domain change and tells the person what happened ------

FLASH = "flash"  # the messages of the last actions, shown by show_flash (this run after a callback, else the next)


def flash(message: str, kind: str = "success") -> None:
    """Leave a message (already escaped Markdown) for the next run: success / info / warning / error."""
    st.session_state.setdefault(FLASH, []).append((kind, message))


def show_flash() -> None:
    """The messages of the last actions, in a slot that is always drawn: what follows it (the tabs)
    keeps its place whether or not there is a message, so the open tab stays open."""
    slot = st.container()
    for kind, message in st.session_state.pop(FLASH, []):
        getattr(slot, kind)(message)


KINDS = ("success", "info", "warning", "error")


def act(action, done=None, *, rerun: bool = True):
    """The ONE way a button or a callback writes: run `action(session)` in a unit of work.

    Two forms. In a widget callback (`rerun=False`; for a button, `act_on_click`), the write runs
    before the page's script, so the one run that follows draws everything (counts, reports,
    downloads) from what is now stored and shows the message (show_flash): one page run per click.
    In a pressed button's branch (`if st.button(…): act(…)`), the page reruns after the write, so
    what is drawn after it is built again: two page runs per click, for writes that need values only
    the script run computes. A refusal or a user error (SHOWN_ERRORS) is shown in Japanese (flashed
    in a callback) and nothing is written. `done`: a message, a function of the action's result
    giving one, or giving a list of (kind, message) pairs (kind in KINDS), or None for no message;
    messages are escaped Markdown. Returns the result (None after a refusal; with `rerun` the run
    ends here on success)."""
    try:
        with session() as s:
            out = action(s)
    except SHOWN_ERRORS as exc:
        if rerun:
            show_error(exc)
        else:
            flash(esc(str(exc)), "error")
        return None
    message = done(out) if callable(done) else done
    for kind, text in ([("success", message)] if isinstance(message, str) else message or []):
        if text:
            flash(text, kind)
    if rerun:
        st.rerun()
    return out


def act_on_click(action, done=None) -> dict:
    """A button's keywords for a write in its callback: `st.button("…", **act_on_click(action, done))`.

    `act(action, done, rerun=False)` runs when the click arrives, before the page is drawn again, so
    the click costs one page run and everything drawn shows the write. `action` must not use values
    read from other widgets when the button was drawn (the click may come with newer ones): give it
    ids only, or write a callback that reads st.session_state and calls act(…, rerun=False)."""
    return {"on_click": act, "args": (action, done), "kwargs": {"rerun": False}}


NOT_A_ROOM = 0  # the picker's 対象外 option (room ids start at 1; None would read as "nothing chosen")


def choice_rows(meeting_id: int, table, rooms: list[tuple[int, str, str]], *, key: str, button: str,
                done: str) -> None:
    """Free-text wishes that name no room: one row each with a room picker (or 対象外) and a button.

    `table` is `choices.choice_review`'s (text, count, suggestion: the suggested room's name); the
    decision is the same one the registrations page, the rooms page and the optimiser use. Each row's
    widgets are keyed by the wish itself (its matching key), the meeting and the rooms offered, never
    by the row's place: the list re-sorts after each decision, and a new set of rooms (copied from an
    earlier meeting) starts every picker again at its suggestion. `done` is the message's verb phrase."""
    import hashlib

    from facilitation.assignment import choices

    names = {NOT_A_ROOM: "対象外（どのルームでもない）", **{r: f"{n}（{t}）" if t else n for r, n, t in rooms}}
    ids = [r for r, _, _ in rooms]
    by_name = {n: r for r, n, _ in reversed(rooms)}  # the first room of a name
    offered = "|".join(f"{r}:{n}" for r, n, _ in rooms)
    for row in table.to_dict("records"):
        suggested = by_name.get(row["suggestion"], NOT_A_ROOM)
        thing = f"{meeting_id}|{choices.text_key(row['text'])}|{offered}|{suggested}"
        wid = f"{key}_{hashlib.sha256(thing.encode('utf-8')).hexdigest()[:16]}"
        c1, c2, c3 = st.columns([4, 3, 1], vertical_alignment="bottom")
        c1.write(f"「{esc(row['text'])}」（{row['count']}件）")
        c2.selectbox(f"「{esc(row['text'])}」のルーム", [*ids, NOT_A_ROOM], index=[*ids, NOT_A_ROOM].index(suggested),
                              format_func=names.get, key=wid, label_visibility="collapsed",
                              placeholder="選んでください")
        c3.button(button, key=f"{wid}_btn", on_click=_decide_choice, args=(meeting_id, row["text"], wid, names, done))


def _decide_choice(meeting_id: int, text: str, wid: str, names: dict, done: str) -> None:
    """choice_rows' button (a callback): the room picked in the row's picker as the click arrives."""
    from facilitation.assignment import choices

    choice = st.session_state.get(wid)
    room_id = None if choice in (None, NOT_A_ROOM) else choice
    act(lambda s: choices.map_choice(s, viewer(), meeting_id, text, room_id),
        f"「{esc(text)}」を{esc(names.get(choice if choice is not None else NOT_A_ROOM, ''))}{done}", rerun=False)


def template_editor(templates, viewer, *, key: str) -> None:
    """Edit a storage.templates.TemplateSet (announcements, room e-mails): one text area each, save
    (with warnings about unknown fields) and reset to the built-in texts."""
    with session() as s:
        current = templates.get(s)
    st.caption("{ } で囲んだ項目に、データが入ります。使える項目: "
               + "、".join(f"{{{k}}}（{d}）" for k, d in templates.fields.items()))
    edited = {}
    for name, label in templates.names.items():
        edited[name] = st.text_area(label, value=current[name], height=68 if name in templates.subject_keys else 320,
                                    key=f"{key}_{name}")
    c1, c2 = st.columns(2)
    if c1.button("ひな形を保存", type="primary", key=f"{key}_save"):
        act(lambda s: templates.save(s, viewer, edited), lambda warnings: [
            ("success", "ひな形を保存しました。"),
            ("warning", "保存しましたが、確認してください\n\n" + "\n".join(f"- {esc(w)}" for w in warnings) if warnings else "")])
    if c2.button("最初のひな形に戻す", key=f"{key}_reset"):
        for name in templates.names:
            st.session_state.pop(f"{key}_{name}", None)
        act(lambda s: templates.reset(s, viewer), "最初のひな形に戻しました。")
