"""Streamlit pieces of the ルーム割り当て page: rooms, choices, rules, optimiser, moves, publish, files."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from facilitation.assignment import (
    building,
    check,
    checking,
    choices,
    diagnose,
    errors,
    export_roster,
    exports,
    manual_moves,
    publishing,
    quality,
    room_links,
    room_setup,
    rule_settings,
    running,
)
from facilitation.assignment.instance import (
    GROUP_HOMOGENEOUS,
    GROUP_MIXED,
    HOMOGENEOUS_KEYS,
    MIXED_KEYS,
    STATUS_FEASIBLE,
    STATUS_INFEASIBLE,
    STATUS_OPTIMAL,
    Grouping,
    Rules,
)
from facilitation.meetings import schedule
from facilitation.meetings.schedule import get_meeting, label, meeting_counts
from facilitation.roles import actor_label
from facilitation.text.dates import ja_datetime, to_jst

from . import auth, links, mail, paper
from .common import (
    SHOWN_ERRORS,
    act,
    act_on_click,
    choice_rows,
    edited_frame,
    esc,
    session,
    show_editor,
    show_error,
    show_problems,
    show_table,
    viewer,
)
from .sheets import sheets_client

GROUPING = {"なし": None, "同じ立場・経験でまとめる": GROUP_HOMOGENEOUS, "地域・立場を混ぜる": GROUP_MIXED}
GROUP_KEYS = {"programs": "担当事業", "role": "職種", "experience": "経験年数", "sector": "区分（自治体・社協など）",
              "area": "地域（振興局）"}


# --- messages that survive st.rerun ---

# --- header ---

def japan_time(moment) -> str:
    """Stored timestamps are UTC; people read Japan time."""
    return ja_datetime(to_jst(moment)) if moment else ""


def header(meeting_id: int) -> None:
    with session() as s:
        counts = meeting_counts(s, meeting_id)
        rooms = schedule.list_rooms(s, meeting_id)
        version = publishing.latest_version(s, meeting_id)
        capacity = sum(r.capacity or 0 for r in rooms)
    c1, c2, c3 = st.columns(3)
    c1.metric("申込", f"{counts.people}名")
    c2.metric("ルーム", f"{len(rooms)}室", help="定員の合計")
    c2.caption(f"定員の合計 {capacity} 名")
    c3.metric("公開", f"第{version.number}版" if version else "未公開")
    if version:
        c3.caption(japan_time(version.published_at))


# --- 1. rooms ---

def room_editor(meeting_id: int) -> None:
    with session() as s:
        frame = room_setup.rooms_frame(s, meeting_id)
        library = room_setup.theme_library(s)
    st.caption("テーマ・定員・Zoom のルーム名は表の中で直せます。行の追加・削除もできます。")
    edited = show_editor(
        frame, labels=room_setup.ROOM_LABELS, key=f"rooms_editor_{meeting_id}", num_rows="dynamic", hide_index=True,
        width="stretch",
        column_config={
            "id": None,
            "name": st.column_config.TextColumn(required=True),
            "theme": st.column_config.TextColumn(width="large"),
            "capacity": st.column_config.NumberColumn(min_value=1, step=1),
            "facilitator": st.column_config.TextColumn(disabled=True),
            "people": st.column_config.NumberColumn(disabled=True),
        })
    if st.button("ルームを保存", key="rooms_save", type="primary"):
        rows = []
        for r in edited.to_dict("records"):
            if not str(r.get("name") or "").strip() and not str(r.get("theme") or "").strip():
                continue
            cap = r.get("capacity")
            rows.append(room_setup.RoomInput(
                id=int(r["id"]) if pd.notna(r.get("id")) else None, name=str(r.get("name") or ""),
                theme=str(r.get("theme") or ""), capacity=int(cap) if pd.notna(cap) else None,
                zoom_name=str(r.get("zoom_name") or "")))
        act(lambda s: room_setup.save_rooms(s, viewer(), meeting_id, rows), lambda out: f"ルーム {len(out)} 室を保存しました。")

    with st.expander("テーマのライブラリからルームを追加"):
        theme = st.selectbox("テーマ（過去の会から）", library, key="rooms_library_theme", placeholder="選んでください")
        cap = st.number_input("定員", min_value=1, value=8, step=1, key="rooms_library_cap")
        if st.button("このテーマのルームを追加", key="rooms_add_theme"):
            def add(s):
                now = [room_setup.RoomInput(id=int(r["id"]), name=r["name"], theme=r["theme"],
                                         capacity=int(r["capacity"]) if pd.notna(r["capacity"]) else None,
                                         zoom_name=r["zoom_name"]) for r in frame.to_dict("records")]
                n = len(now) + 1
                now.append(room_setup.RoomInput(name=f"ルーム{n}", theme=theme, capacity=int(cap), zoom_name=f"R{n}"))
                return room_setup.save_rooms(s, viewer(), meeting_id, now)
            act(add, f"「{esc(theme)}」のルームを追加しました。")
        new_theme = st.text_input("ライブラリに新しいテーマを登録", key="rooms_new_theme")
        if st.button("登録", key="rooms_new_theme_btn"):
            act(lambda s: room_setup.add_theme(s, viewer(), new_theme), f"テーマ「{esc(new_theme)}」を登録しました。")


def copy_rooms(meeting_id: int) -> None:
    with session() as s:
        options = room_setup.meetings_with_rooms(s, exclude=meeting_id)
        previous = schedule.previous_meeting(s, meeting_id, among=[mid for mid, _, _ in options])
    if not options:
        return
    labels = {mid: f"{text}（{n}室）" for mid, text, n in options}
    ids = list(labels)
    c1, c2 = st.columns([4, 1], vertical_alignment="bottom")
    c1.selectbox("前の会のルームをコピー", ids, format_func=labels.get, key="rooms_copy_from",
                          index=ids.index(previous) if previous in ids else 0,  # the meeting just before
                          placeholder="コピー元の会を選んでください")
    c2.button("コピー", key="rooms_copy", **act_on_click(  # the meeting in the picker as the click arrives
        lambda s: room_setup.copy_rooms(s, viewer(), st.session_state.get("rooms_copy_from"), meeting_id),
        lambda n: f"ルーム {n} 室をコピーしました。"))


def designate_facilitator(meeting_id: int) -> None:
    with session() as s:
        rooms = [(r.id, r.name) for r in schedule.list_rooms(s, meeting_id)]
        people = manual_moves.registrants(s, meeting_id)
    if not rooms or not people:
        return
    with st.expander("ファシリテーターを指定する（★は希望者）"):
        c1, c2 = st.columns(2)
        c1.selectbox("ルーム", [r for r, _ in rooms], format_func=dict(rooms).get, key="rooms_fac_room", placeholder="選んでください")
        options = [None, *(p for p, _ in people)]
        names = {None: "（指定しない）", **dict(people)}
        c2.selectbox("ファシリテーター", options, format_func=names.get, key="rooms_fac_person", placeholder="選んでください")
        st.button("指定する", key="rooms_fac_save", **act_on_click(  # the pickers' values as the click arrives
            lambda s: manual_moves.designate_facilitator(s, viewer(), st.session_state.get("rooms_fac_room"),
                                                         st.session_state.get("rooms_fac_person")),
            "ファシリテーターを指定しました。"))


def facilitator_links(meeting_id: int) -> None:
    """Facilitator links (copy / QR) per room, from the access area."""
    with st.expander("ファシリテーター用リンク（コピー・QRコード）"):
        links.render(meeting_id)


# --- 2. choices ---

def choice_review(meeting_id: int) -> None:
    with session() as s:
        table = choices.choice_review(s, meeting_id)
        rooms = [(r.id, r.name, r.theme) for r in schedule.list_rooms(s, meeting_id)]
    if table.empty:
        st.info("まだ希望の記入がありません。")
        return
    todo = table[table["match"] == choices.NO_ROOM]
    if todo.empty:
        st.success("すべての希望がどれかのルームに対応しています。")
    else:
        st.warning(f"どのルームにも当たらない希望が {len(todo)} 種類あります。ルームを選ぶか「対象外」にしてください。")
        choice_rows(meeting_id, todo, rooms, key="rooms_choice", button="決定", done="にしました。")
    show_table(table, labels=choices.REVIEW_LABELS, hide_index=True, width="stretch")


# --- 3. rules and the optimiser ---

RULE_FIELDS = ("fac", "gov", "org", "orgn", "rep", "repn", "min", "minn", "lc", "grp", "grpby", "w0", "w1", "w2")


def _rule_key(meeting_id: int) -> str:
    return f"rules_{meeting_id}_"


def _switch_values(rules: Rules) -> dict:
    """The widgets' values for saved rules (the page starts from what the meeting has saved)."""
    group = rules.grouping
    mode_label = next((lab for lab, mode in GROUPING.items() if group and mode == group.mode), "なし")
    w = list(rules.choice_weights)
    return {
        "fac": rules.one_facilitator_per_room, "gov": rules.spread_government,
        "org": rules.max_per_org is not None, "orgn": int(rules.max_per_org or 1),
        "rep": bool(rules.repeat_penalty), "repn": float(rules.repeat_penalty or 1),
        "min": rules.min_per_room is not None, "minn": int(rules.min_per_room or 3),
        "lc": rules.least_change, "grp": mode_label, "grpby": list(group.by) if group else [],
        **{f"w{i}": int(w[i]) if i < len(w) else 0 for i in range(3)},
    }


def _group_keys(mode: str) -> tuple[str, ...]:
    return HOMOGENEOUS_KEYS if mode == GROUP_HOMOGENEOUS else MIXED_KEYS


def _rules_from_state(meeting_id: int, saved: Rules, published: bool) -> Rules:
    """The rules as the switches show them now (values not drawn yet come from the saved rules): one
    typed value from the widgets to the solver (assignment.instance.Rules)."""
    k = _rule_key(meeting_id)
    base = _switch_values(saved)
    v = {f: st.session_state.get(k + f, base[f]) for f in RULE_FIELDS}
    mode = GROUPING.get(v["grp"])
    grouping = None
    if mode:
        keys = _group_keys(mode)
        grouping = Grouping(mode=mode, by=[b for b in v["grpby"] if b in keys] or [keys[0]], weight=1)
    return Rules(
        one_facilitator_per_room=bool(v["fac"]), spread_government=bool(v["gov"]),
        max_per_org=int(v["orgn"]) if v["org"] else None, repeat_penalty=float(v["repn"]) if v["rep"] else 0,
        min_per_room=int(v["minn"]) if v["min"] else None, least_change=bool(published and v["lc"]),
        grouping=grouping, choice_weights=[int(v[f"w{i}"]) for i in range(3)])


def _save_switches(meeting_id: int, published: bool) -> None:
    """on_change of every switch: the rules belong to the meeting, so each change is saved at once."""
    def save(s):
        saved = rule_settings.saved_rules(s, meeting_id)
        rule_settings.set_rules(s, viewer(), meeting_id, _rules_from_state(meeting_id, saved, published))
    act(save, rerun=False)


def rule_switches(meeting_id: int) -> Rules:
    """The rule switches, started from the meeting's saved rules; each change is saved with the meeting."""
    with session() as s:
        rules = rule_settings.saved_rules(s, meeting_id)
        published = publishing.latest_version(s, meeting_id) is not None
        state = rule_settings.rules_state(s, meeting_id)
    k = _rule_key(meeting_id)
    for f, value in _switch_values(rules).items():
        if k + f not in st.session_state:  # not drawn in this session yet: take the saved rule
            st.session_state[k + f] = value
    save = {"on_change": _save_switches, "args": (meeting_id, published)}
    st.caption("決まりは会ごとに保存され、切り替えるとすぐに保存されます。")
    c1, c2 = st.columns(2)
    c1.toggle("各ルームにファシリテーター1名（希望者から）", key=k + "fac", **save)
    c1.toggle("自治体・国の方を各ルームに均等に", key=k + "gov", **save)
    if c1.toggle("同じ機関の方は1ルームに上限まで", key=k + "org", **save):
        c1.number_input("上限（名）", 1, 10, key=k + "orgn", **save)
    if c2.toggle("以前同じルームだった方と重ならないように", key=k + "rep", **save):
        c2.number_input("重なり1組あたりの減点", 0.1, 10.0, step=0.5, key=k + "repn", **save)
    if c2.toggle("1ルームの最少人数", key=k + "min", **save):
        c2.number_input("最少（名）", 1, 50, key=k + "minn", **save)
    if published:
        c2.toggle("公開済みの割り当てからなるべく動かさない", key=k + "lc", **save)
    mode_label = st.radio("グループの作り方", list(GROUPING), horizontal=True, key=k + "grp", **save)
    if GROUPING[mode_label]:
        keys = list(_group_keys(GROUPING[mode_label]))
        if not [b for b in st.session_state.get(k + "grpby", []) if b in keys]:
            st.session_state[k + "grpby"] = keys[:1]
        st.multiselect("何で", keys, format_func=GROUP_KEYS.get, key=k + "grpby",
                       placeholder="選んでください（複数可）", **save)
    cols = st.columns(3)
    for i in range(3):
        cols[i].number_input(f"第{i + 1}希望の点", 0, 10, key=k + f"w{i}", **save)
    if state.run_sentence:
        text = f"いまの割り当て（{japan_time(state.run_at)}の実行）で使った{state.run_sentence}"
        if state.changed_since_run:
            st.warning(text + "\n\n決まりはその後に変わっています。新しい決まりで割り当てるには「割り当てを実行」を押してください。")
        else:
            st.caption(text)
    return _rules_from_state(meeting_id, rules, published)


def run_panel(meeting_id: int, rules: Rules, checked: Checked) -> None:
    built = checked.status.built if checked.status is not None else None
    if built is not None and built.instance.rules.as_dict() == rules.as_dict():
        tensions = diagnose.wishes_against_rules(built.instance)  # the instance this run already built
    else:
        with session() as s:
            tensions = building.rule_tensions(s, meeting_id, rules)
    show_problems(tensions, "この決まりでは、第1希望に入れない方が出ます（実行する前に確かめてください）")
    limit = st.slider("制限時間（秒）", 2, 60, 10, key="rooms_limit")
    if st.button("割り当てを実行", key="rooms_run", type="primary"):
        def run(s):
            rule_settings.set_rules(s, viewer(), meeting_id, rules)
            with st.spinner("最適な割り当てを計算しています…"):
                return running.run_optimiser(s, viewer(), meeting_id, time_limit_s=float(limit))
        act(run, lambda out: _run_messages(out, rules))


def _run_messages(out, rules: Rules) -> list[tuple[str, str]]:
    """What a run did, as the flashed messages: saved (optimal or feasible, with the rules used and
    anything they could not keep), or why nothing was saved."""
    result, unmatched = out.result, out.built.unmatched_choices
    if result.status == STATUS_INFEASIBLE:
        return [("warning", _problems("決まりをすべて満たす割り当てはありません。保存していません。", result.reasons))]
    if result.status not in (STATUS_OPTIMAL, STATUS_FEASIBLE):
        return [("warning", _problems("時間内に割り当てが見つかりませんでした。", result.reasons))]
    text = {STATUS_OPTIMAL: "最適な割り当てを保存しました（最適であることを確認済み）。",
            STATUS_FEASIBLE: "決まりを満たす割り当てを保存しました（時間内に最適とまでは確認できませんでした）。"}
    used = out.built.instance.rules
    broken = check.violations(out.built.instance, result.assignment, result.facilitators)
    lines = [text[result.status] if not broken else "割り当てを保存しましたが、決まりに合わない点があります。",
             quality.rules_sentence(used), *result.reasons, *(v.message for v in broken)]
    if rules.as_dict() != used.as_dict():  # never claim rules that were not used
        lines.append("画面の決まりと、実行に使われた決まりが違います。決まりを確かめて、もう一度実行してください。")
        broken = broken or [None]
    if unmatched:
        lines.append(f"どのルームにも当たらない希望の記入が {unmatched} 件あります（「希望の確認」）。")
    return [("success" if result.status == STATUS_OPTIMAL and not broken else "warning", esc("\n\n".join(lines)))]


def _problems(title: str, problems: list[str]) -> str:
    """A title and a list of messages, as escaped Markdown (like show_problems, for a flash)."""
    return title + ("\n\n" + "\n".join(f"- {esc(p)}" for p in problems) if problems else "")


@dataclass
class Checked:
    """The saved assignment checked against the meeting's rules, once per run: the quality and the
    people tabs share it (each check rebuilds the optimiser's instance, years of who met whom)."""

    status: object = None  # checking.Status
    overview: str = ""
    error: str = ""  # the Japanese reason there is nothing to check


def checked_assignment(meeting_id: int) -> Checked:
    """Check the saved assignment once for this run (every write reruns the page through act)."""
    with session() as s:
        try:
            status = checking.check(s, meeting_id)
        except errors.AssignmentError as exc:
            return Checked(error=str(exc))
        return Checked(status, checking.overview(s, meeting_id, status) if status.has_assignment else "")


def quality_panel(meeting_id: int, checked: Checked) -> None:
    with session() as s:
        placed_by_hand = rule_settings.designated_only(s, meeting_id)
    if placed_by_hand is not None:  # nothing to describe: no run yet
        st.info("まだ割り当てを実行していません。「割り当てを実行」を押すと、ここに割り当ての質"
                "（第1希望の割合、決まりの違反など）が表示されます。")
        if placed_by_hand:
            st.caption(f"いまはファシリテーターの指定など、手で決めた {placed_by_hand} 名だけがルームに入っています"
                       "（実行しても動きません）。")
        return
    if checked.error:
        show_error(checked.error, "info")
        return
    with session() as s:
        q = checking.quality(s, meeting_id, checked.status)
    summary = checked.overview
    if q is None:
        st.info("まだ割り当てがありません。「割り当てを実行」を押してください。")
        return
    o, r = q.optimised, q.random
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("第1希望", f"{o.shares[0] * 100:.0f}%", f"{(o.shares[0] - r.shares[0]) * 100:+.0f}pt（ランダム比）")
    c2.metric("第3希望まで", f"{sum(o.shares) * 100:.0f}%", f"{(sum(o.shares) - sum(r.shares)) * 100:+.0f}pt")
    c3.metric("決まりの違反", f"{len(q.violations)}件")
    repeat_delta = round(o.repeats - r.repeats, 1)
    c4.metric("前回までと同じ顔ぶれの重なり", f"{o.repeats:.0f}組",
              f"{repeat_delta:+.1f}組（ランダム比）" if repeat_delta else None, delta_color="inverse",
              help="以前の会で同じルームだった方どうしが、また同じルームになった組の数です。")
    if checked.status.unassigned:
        st.warning(f"まだルームに入っていない方が {checked.status.unassigned} 名います（後から申し込んだ方など）。")
    show_problems([v.message for v in q.violations], "決まりに合わない点があります")
    if summary:
        st.markdown("**この割り当ての説明**")
        st.write(esc(summary))
    st.caption(f"希望を出した {q.with_choices} 名のうちの割合。ランダムは Zoom の自動割り当てを20回試した平均です。")
    show_table(q.table(), labels=quality.TABLE_LABELS, hide_index=True, width="stretch")
    if note := q.comparison_note():
        st.caption(note)
    with st.expander("ルームごとの顔ぶれ（区分・地域・事業）"):
        show_table(q.composition, labels=quality.COMPOSITION_LABELS, hide_index=True, width="stretch")


# --- 4. manual moves ---

def people_editor(meeting_id: int, checked: Checked) -> None:
    if checked.error:
        show_error(checked.error, "info")
        return
    with session() as s:
        frame = checking.people_frame(s, viewer(), meeting_id, checked.status)
        rooms = [r.name for r in schedule.list_rooms(s, meeting_id)]
    summary = checked.overview
    if frame.empty:
        st.info("まだ割り当てがありません。")
        return
    if summary:
        st.info(esc(summary))
    st.caption("ルームを選び直すと、その方は「固定」になり、次に実行しても動きません。保存するたびに決まりを確認します。")
    edited = show_editor(
        frame, labels=checking.PEOPLE_LABELS, key=f"people_editor_{meeting_id}", hide_index=True, width="stretch",
        disabled=["name", "organisation", "sector", "choice", "reason"],
        column_config={"assignment_id": None, "version": None,
                       "room": st.column_config.SelectboxColumn(options=rooms, required=True),
                       "pinned": st.column_config.CheckboxColumn(), "facilitator": st.column_config.CheckboxColumn(),
                       "reason": st.column_config.TextColumn(width="large")})
    changed = _moved(frame, edited)
    c1, c2 = st.columns(2)
    c1.button(f"変更を保存して確認（{len(changed)}件）", key="people_save", type="primary", disabled=changed.empty,
              on_click=_save_people, args=(meeting_id, frame))
    c2.button("固定をすべて外す", key="people_unpin", **act_on_click(
        lambda s: manual_moves.clear_pins(s, viewer(), meeting_id), lambda n: f"{n} 名の固定を外しました。"))



def _moved(frame: pd.DataFrame, edited: pd.DataFrame) -> pd.DataFrame:
    cols = ["room", "pinned", "facilitator"]
    return edited[(edited[cols] != frame[cols]).any(axis=1)]


def _save_people(meeting_id: int, frame: pd.DataFrame) -> None:
    """「変更を保存して確認」's callback: the editor's rows as the click arrives, saved before the page
    is drawn again (the quality, the warnings and the table then show the saved moves)."""
    changed = _moved(frame, edited_frame(f"people_editor_{meeting_id}", checking.PEOPLE_LABELS))
    if changed.empty:
        return

    def saved(out) -> list[tuple[str, str]]:
        lines = [f"{out.changed} 件を保存しました。", *out.refused]
        if out.violations:
            lines.append("決まりに合わない点: " + " ".join(v.message for v in out.violations))
        else:
            lines.append("決まりはすべて守られています。")
        return [("warning" if (out.refused or out.violations) else "success", esc("\n\n".join(lines)))]
    act(lambda s: manual_moves.apply_edits(s, viewer(), meeting_id, changed), saved, rerun=False)


# --- 5. publish and files ---

def publish_panel(meeting_id: int) -> None:
    with session() as s:
        last = publishing.latest_version(s, meeting_id)
        diff = publishing.diff_since_published(s, viewer(), meeting_id)
    if last:
        who = actor_label(last.published_by)
        st.write(f"最後に公開したのは第{last.number}版です（{japan_time(last.published_at)}、{esc(who)}）。")
        if diff.empty:
            st.success("公開後の変更はありません。")
        else:
            st.warning(f"公開後に {len(diff)} 名の割り当てが変わりました。")
            show_table(diff, labels=publishing.DIFF_LABELS, hide_index=True, width="stretch")
    note = st.text_input("公開メモ（任意）", key="rooms_publish_note")
    if st.button("この割り当てを公開する", key="rooms_publish"):
        act(lambda s: publishing.publish(s, viewer(), meeting_id, note), lambda v: f"第{v.number}版として公開しました。")
    mail.render(meeting_id)


def send_links(meeting_id: int) -> None:
    """One action for every room's facilitator link, and the list to paste into one e-mail."""
    st.caption("全ルームのファシリテーター用リンクを一度に用意します。まだ有効なリンクがあるルームは、そのリンクを使います。")
    secret = auth.link_secret()
    if st.button("全ルームのリンクを発行してまとめる", key=f"rooms_links_all_{meeting_id}"):
        act(lambda s: room_links.facilitator_links(s, viewer(), meeting_id, secret, links.link_url),
            lambda out: f"{len(out)} 室のリンクを用意しました（新しく発行 {sum(k.new for k in out)} 室）。")
    with session() as s:
        ready = room_links.facilitator_links(s, viewer(), meeting_id, secret, links.link_url, issue=False)
        title = label(get_meeting(s, meeting_id))
    if ready and not links.phone_reachable(links.base_url()):
        links.local_only_notice()
    if ready:
        st.caption("下の枠の右上のボタンでコピーして、ファシリテーターの皆さんへの1通のメールに貼り付けてください。")
        st.code(room_links.links_message(title, ready), language=None)


def _roster_links(meeting_id: int) -> list:
    """Valid facilitator links of the meeting's rooms (none issued here), for the Excel roster."""
    with session() as s:
        return room_links.facilitator_links(s, viewer(), meeting_id, auth.link_secret(), links.link_url, issue=False)


def downloads(meeting_id: int) -> None:
    try:
        with session() as s:
            roster = export_roster.roster(s, viewer(), meeting_id, links=_roster_links(meeting_id))
    except SHOWN_ERRORS as exc:
        show_error(exc, "info")
        return
    if not roster.entries:
        st.info("まだ割り当てがありません。")
        return
    zoom = exports.zoom_csv(roster)
    show_problems(zoom.warnings, "Zoom の事前割り当てについて確認してください")
    with st.expander("Zoom の事前割り当ての注意"):
        st.markdown("\n".join(f"- {n}" for n in zoom.notes))
    c1, c2, c3 = st.columns(3)
    c1.download_button(f"Zoom 事前割り当て CSV（{zoom.rows}名）", zoom.data, "zoom_breakout.csv", "text/csv",
                       key="dl_zoom")
    # The workbook (about 1 s for a large meeting) is built when the button is clicked, not on every rerun.
    c2.download_button("名簿（Excel）", lambda: exports.roster_xlsx(roster), "room_roster.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="dl_xlsx")
    c3.download_button("印刷用の名簿（HTML）", exports.roster_html(roster).encode("utf-8"), "room_roster.html",
                       "text/html", key="dl_html")
    if roster.links:
        st.caption("Excel の「一覧」シートに、各ルームのファシリテーター用リンクと有効期限を入れています。")
    with session() as s:
        meeting = get_meeting(s, meeting_id)
        line, fmt = label(meeting), meeting.format
    paper.render(roster, line, fmt)
    st.markdown("**ファシリテーターへのリンクの送付**")
    send_links(meeting_id)


def sheet_button(meeting_id: int) -> None:
    if st.button("Google スプレッドシートに書き込む", key="rooms_sheet"):
        client = sheets_client()  # the service account from secrets, or the emulator
        act(lambda s: export_roster.write_to_sheet(s, viewer(), meeting_id, client), lambda msg: msg)


# --- the page's tabs ---

def rooms_tab(meeting_id: int) -> None:
    st.subheader("ルーム")
    room_editor(meeting_id)
    copy_rooms(meeting_id)
    designate_facilitator(meeting_id)
    facilitator_links(meeting_id)


def choices_tab(meeting_id: int) -> None:
    st.subheader("申込の希望とルームの対応")
    choice_review(meeting_id)


def run_tab(meeting_id: int) -> None:
    checked = checked_assignment(meeting_id)  # checked once, for the warning and the quality
    st.subheader("決まり")
    rules = rule_switches(meeting_id)
    run_panel(meeting_id, rules, checked)
    st.subheader("割り当ての質")
    quality_panel(meeting_id, checked)


def adjust_tab(meeting_id: int) -> None:
    st.subheader("一人ずつの割り当てと理由")
    people_editor(meeting_id, checked_assignment(meeting_id))


def publish_tab(meeting_id: int) -> None:
    st.subheader("公開")
    publish_panel(meeting_id)
    st.subheader("書き出し")
    downloads(meeting_id)
    sheet_button(meeting_id)


TAB_KEY = "rooms_tab"
SECTIONS = {"1. ルーム": rooms_tab, "2. 希望の確認": choices_tab, "3. 決まりと実行": run_tab, "4. 手直し": adjust_tab,
            "5. 公開・書き出し": publish_tab}
