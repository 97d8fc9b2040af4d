"""What the chat shows: members over time, activity, organisations and regions, overlap with
meetings, questions and whether someone answered, and topics per month.

Privacy: message texts never leave this module for a viewer other than the secretariat. The
committee (and facilitators) get counts, organisations and terms only.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import Integer, String, func, select, type_coerce
from sqlalchemy.orm import Session

from facilitation.openchat.models import ChatEvent, ChatMember, ChatMessage
from facilitation.openchat.parser import KIND_MEDIA, KIND_TEXT
from facilitation.roles import Viewer, require_secretariat
from facilitation.storage.models import Meeting, Organisation, Person, Registration
from facilitation.text import vocab
from facilitation.text.dates import ja_date, now_jst

REPLY_WINDOW = dt.timedelta(hours=72)  # a reply after this is not counted as an answer
THREAD_GAP = dt.timedelta(hours=3)  # silence that ends a conversation thread
TOPIC_TEXTS = 2000  # texts per month given to the term counter (the most recent ones)
UNMATCHED = "未確認"

ANSWERED, UNANSWERED, WAITING = "回答あり", "未回答", "回答待ち"

# Question markers; URLs are removed first (their "?" is not a question).
_URL = re.compile(r"https?://\S+")
_QUESTION = re.compile(
    r"[?？]"
    r"|教えて(?:ください|下さい|いただ|頂|もらえ|ほしい)"
    r"|どう(?:して|され|やって|する|すれば|なって|対応|思い|お考え)(?:[^。\n]{0,12})[かね]"
    r"|いかが(?:でしょうか|ですか|でしたか|されて)"
    r"|(?:あり|おり|い|され|して|でき|行って|やって|使って)ますか"
    r"|ありませんか|いませんか|ないですか|でしょうか|ご存[知じ]|知りたい|伺いたい|聞きたい"
    r"|(?:ご存知|ご教示|アドバイス)(?:の方|いただ|下さ|くださ)"
)


def is_question(text: str | None) -> bool:
    """True when a message asks something: ？/?, 教えて…, どうしていますか, いかがでしょうか, ありますか…"""
    if not text:
        return False
    return bool(_QUESTION.search(_URL.sub("", text)))


# --- loading ---------------------------------------------------------------------------------

@dataclass
class ChatData:
    """The chat as frames, without message texts (those are fetched per id, for the secretariat only).

    `sender` is the display name for the secretariat and a stable pseudonym 「メンバーN」 for
    everyone else (display names carry surnames).
    """

    messages: pd.DataFrame  # id, at, member_id, kind, is_question, redacted, sender (categorical)
    events: pd.DataFrame  # at, kind, actor, new_name
    members: pd.DataFrame  # member_id, nickname, organisation_id, organisation, region, category, person_id, status
    with_names: bool = False
    _memo: dict = field(default_factory=dict, repr=False)

    @property
    def empty(self) -> bool:
        return self.messages.empty and self.events.empty


_CHUNK = 50_000


def _frame(session: Session, stmt, columns: list[str]) -> pd.DataFrame:
    """Rows straight from the database cursor into a frame (the fast path for 100,000s of rows).

    Values come as the driver gives them: SQLite booleans as 0/1, timestamps as text; callers convert.
    Read _CHUNK rows at a time (years of posts as Python tuples all at once took ~60 MB more).
    """
    result = session.connection().execute(stmt)
    cursor = result.cursor
    frames = []
    while cursor is not None and (rows := cursor.fetchmany(_CHUNK)):
        frames.append(pd.DataFrame.from_records(rows, columns=columns))
    if len(frames) <= 1:
        return frames[0] if frames else pd.DataFrame.from_records([], columns=columns)
    # a column that is all NULL in one chunk is of object type there: keep the whole column's type
    whole = {c: pd.Series([v for f in frames for v in f[c]]).dtype for c in columns
             if len({f[c].dtype for f in frames}) > 1}
    return pd.concat([f.astype(whole) if whole else f for f in frames], ignore_index=True)


def load(session: Session, viewer: Viewer, since: dt.date | None = None, until: dt.date | None = None) -> ChatData:
    """Posts (without texts), events and members, optionally between two dates (inclusive)."""
    with_names = viewer.is_secretariat
    # `at` is read as text and parsed by pandas in one go (the per-row DateTime conversion is slow).
    stmt = select(ChatMessage.id, type_coerce(ChatMessage.at, String), ChatMessage.member_id,
                  type_coerce(ChatMessage.kind == KIND_MEDIA, Integer), ChatMessage.is_question,
                  ChatMessage.redacted).order_by(ChatMessage.at, ChatMessage.id)
    ev = select(type_coerce(ChatEvent.at, String), ChatEvent.kind, ChatEvent.actor, ChatEvent.new_name) \
        .order_by(ChatEvent.at, ChatEvent.id)
    if since:
        start = dt.datetime.combine(since, dt.time())
        stmt, ev = stmt.where(ChatMessage.at >= start), ev.where(ChatEvent.at >= start)
    if until:
        end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time())
        stmt, ev = stmt.where(ChatMessage.at < end), ev.where(ChatEvent.at < end)
    messages = _frame(session, stmt, ["id", "at", "member_id", "is_media", "is_question", "redacted"])
    events = _frame(session, ev, ["at", "kind", "actor", "new_name"])
    members = _frame(session, select(
        ChatMember.id, ChatMember.nickname, ChatMember.organisation_id, Organisation.name, Organisation.region,
        Organisation.kind, ChatMember.person_id, ChatMember.status,
    ).outerjoin(Organisation, ChatMember.organisation_id == Organisation.id).order_by(ChatMember.id),
        ["member_id", "nickname", "organisation_id", "organisation", "region", "org_kind", "person_id", "status"])
    members["category"] = [vocab.count_category(k) if isinstance(k, str) else UNMATCHED for k in members["org_kind"]]
    if not with_names:
        alias = {n: f"メンバー{i}" for n, i in zip(members["nickname"], members["member_id"], strict=True)}
        members["nickname"] = members["nickname"].map(alias)
        for col in ("actor", "new_name"):
            events[col] = events[col].map(lambda n: alias.get(n, "メンバー") if n else "")
    names = dict(zip(members["member_id"], members["nickname"], strict=True))
    messages["at"] = pd.to_datetime(messages["at"], format="ISO8601").astype("datetime64[ns]")
    events["at"] = pd.to_datetime(events["at"], format="ISO8601").astype("datetime64[ns]")
    messages["kind"] = pd.Categorical(np.where(messages["is_media"].astype(bool), KIND_MEDIA, KIND_TEXT),
                                      categories=[KIND_TEXT, KIND_MEDIA])
    messages = messages.drop(columns="is_media")
    messages["is_question"] = messages["is_question"].astype(bool)
    messages["redacted"] = messages["redacted"].astype(bool)
    messages["member_id"] = messages["member_id"].astype("Int64")
    messages["sender"] = pd.Categorical(messages["member_id"].map(names).fillna("不明").astype(str))
    return ChatData(messages=messages, events=events, members=members, with_names=with_names)


def texts(session: Session, viewer: Viewer, ids) -> dict[int, str | None]:
    """Message texts by id, for the secretariat only (None for a redacted post)."""
    require_secretariat(viewer, "書き込みの本文は事務局のみが見られます。")
    ids = [int(i) for i in ids]
    out: dict[int, str | None] = {}
    for i in range(0, len(ids), 500):
        out.update(session.execute(select(ChatMessage.id, ChatMessage.text)
                                   .where(ChatMessage.id.in_(ids[i:i + 500]))).all())
    return out


def has_data(session: Session) -> bool:
    return (session.scalar(select(func.count()).select_from(ChatMessage)) or 0) > 0 or (
        session.scalar(select(func.count()).select_from(ChatEvent)) or 0) > 0


def data_version(session: Session) -> tuple:
    """Changes whenever posts are added or redacted or members decided (for caches)."""
    return (
        session.scalar(select(func.count()).select_from(ChatMessage)),
        session.scalar(select(func.max(ChatMessage.redacted_at))),
        session.scalar(select(func.max(ChatMember.updated_at))),
        session.scalar(select(func.count()).select_from(ChatEvent)),
    )


# --- summary ---------------------------------------------------------------------------------

@dataclass
class Summary:
    messages: int
    media: int
    posters: int  # display names that posted
    members_now: int  # estimate: see members_over_time
    joins: int
    leaves: int
    active_last_30_days: int
    questions: int
    answered: int
    unanswered: int
    median_reply_minutes: float | None
    first_date: dt.date | None
    last_date: dt.date | None
    redacted: int

    @property
    def answer_rate(self) -> float | None:
        decided = self.answered + self.unanswered
        return self.answered / decided if decided else None


def summary(data: ChatData) -> Summary:
    m, e = data.messages, data.events
    q = questions(data)
    last = max([x for x in (m["at"].max() if len(m) else None, e["at"].max() if len(e) else None) if x is not None],
               default=None)
    first = min([x for x in (m["at"].min() if len(m) else None, e["at"].min() if len(e) else None) if x is not None],
                default=None)
    recent = m[m["at"] > last - pd.Timedelta(days=30)] if last is not None and len(m) else m
    over_time = members_over_time(data)
    answered = q[q["status"] == ANSWERED]
    return Summary(
        messages=int((m["kind"] == "message").sum()) if len(m) else 0,
        media=int((m["kind"] == "media").sum()) if len(m) else 0,
        posters=int(m["sender"].nunique()) if len(m) else 0,
        members_now=int(over_time["members"].iloc[-1]) if len(over_time) else 0,
        joins=int((e["kind"] == "join").sum()) if len(e) else 0,
        leaves=int((e["kind"] == "leave").sum()) if len(e) else 0,
        active_last_30_days=int(recent["sender"].nunique()) if len(recent) else 0,
        questions=len(q),
        answered=len(answered),
        unanswered=int((q["status"] == UNANSWERED).sum()) if len(q) else 0,
        median_reply_minutes=float(answered["reply_minutes"].median()) if len(answered) else None,
        first_date=first.date() if first is not None else None,
        last_date=last.date() if last is not None else None,
        redacted=int(m["redacted"].sum()) if len(m) else 0,
    )


# --- activity over time ----------------------------------------------------------------------

def _month(at: pd.Series) -> pd.Series:
    return at.dt.to_period("M").dt.to_timestamp()


def members_over_time(data: ChatData) -> pd.DataFrame:
    """Per month: joins, leaves and members at the end of the month.

    Members present before the history starts have no join line; everyone who posted before
    (or without) a join of theirs is counted from the first month.
    """
    m, e = data.messages, data.events
    if m.empty and e.empty:
        return pd.DataFrame(columns=["month", "joins", "leaves", "members"])
    joins = e[e["kind"] == "join"]
    leaves = e[e["kind"] == "leave"]
    first_join = joins.groupby("actor")["at"].min()
    first_post = m.groupby("sender")["at"].min() if len(m) else pd.Series(dtype="datetime64[ns]")
    founders = [s for s, at in first_post.items() if s not in first_join.index or at < first_join[s]]
    founders += [a for a in leaves["actor"].unique() if a and a not in first_join.index and a not in first_post.index]
    months = pd.period_range(
        min(x for x in (m["at"].min() if len(m) else None, e["at"].min() if len(e) else None) if x is not None),
        max(x for x in (m["at"].max() if len(m) else None, e["at"].max() if len(e) else None) if x is not None),
        freq="M").to_timestamp()
    j = _month(joins["at"]).value_counts().reindex(months, fill_value=0)
    lv = _month(leaves["at"]).value_counts().reindex(months, fill_value=0)
    out = pd.DataFrame({"month": months, "joins": j.to_numpy(), "leaves": lv.to_numpy()})
    out["members"] = len(set(founders)) + (out["joins"] - out["leaves"]).cumsum()
    out["members"] = out["members"].clip(lower=0)
    return out


def active_per_month(data: ChatData) -> pd.DataFrame:
    """Per month: active members (display names that posted), messages, media, questions."""
    m = data.messages
    if m.empty:
        return pd.DataFrame(columns=["month", "active_members", "messages", "media", "questions"])
    f = m.assign(month=_month(m["at"]), text=(m["kind"] == KIND_TEXT).astype(int),
                 media=(m["kind"] == KIND_MEDIA).astype(int), q=m["is_question"].astype(int))
    g = f.groupby("month")
    out = pd.DataFrame({
        "active_members": g["member_id"].nunique(),
        "messages": g["text"].sum(),
        "media": g["media"].sum(),
        "questions": g["q"].sum(),
    })
    months = pd.period_range(m["at"].min(), m["at"].max(), freq="M").to_timestamp()
    return out.reindex(months, fill_value=0).rename_axis("month").reset_index()


def messages_per_week(data: ChatData) -> pd.DataFrame:
    """Per week (starting Monday): messages and media posts; weeks without posts show 0."""
    m = data.messages
    if m.empty:
        return pd.DataFrame(columns=["week", "messages", "media"])
    week = (m["at"].dt.normalize() - pd.to_timedelta(m["at"].dt.day_of_week, unit="D"))
    g = m.assign(week=week, is_media=m["kind"] == "media").groupby("week")
    out = pd.DataFrame({"messages": g.size() - g["is_media"].sum(), "media": g["is_media"].sum()}).astype(int)
    weeks = pd.date_range(week.min(), week.max(), freq="7D")
    return out.reindex(weeks, fill_value=0).rename_axis("week").reset_index()


# --- organisations, regions, overlap with meetings --------------------------------------------

def _with_members(data: ChatData) -> pd.DataFrame:
    m = data.messages
    per_member = m.groupby("member_id").agg(messages=("id", "size"), last_post=("at", "max")) if len(m) else \
        pd.DataFrame(columns=["messages", "last_post"])
    out = data.members.merge(per_member, left_on="member_id", right_index=True, how="left")
    out["messages"] = out["messages"].fillna(0).astype(int)
    return out


def organisations(data: ChatData) -> pd.DataFrame:
    """Organisations taking part: 機関, 地域, 区分, メンバー数, 投稿数, 最終投稿 (no personal names)."""
    mem = _with_members(data)
    mem = mem[mem["organisation_id"].notna()]
    if mem.empty:
        return pd.DataFrame(columns=["organisation_id", "organisation", "region", "category", "members",
                                     "messages", "last_post"])
    g = mem.groupby(["organisation_id", "organisation", "region", "category"], dropna=False)
    out = g.agg(members=("member_id", "size"), messages=("messages", "sum"), last_post=("last_post", "max"))
    return out.reset_index().sort_values(["messages", "members"], ascending=False, ignore_index=True)


def regions(data: ChatData) -> pd.DataFrame:
    """Per region (振興局, 北海道, 道外, or 未確認 for unmatched names): organisations, members, messages."""
    mem = _with_members(data)
    mem["region"] = mem["region"].fillna(UNMATCHED)
    if mem.empty:
        return pd.DataFrame(columns=["region", "organisations", "members", "messages"])
    g = mem.groupby("region")
    out = pd.DataFrame({"organisations": g["organisation_id"].nunique(), "members": g.size(),
                        "messages": g["messages"].sum()}).reset_index()
    order = {r: i for i, r in enumerate((*vocab.ALL_AREAS, UNMATCHED))}
    return out.sort_values("region", key=lambda s: s.map(order).fillna(99), ignore_index=True)


@dataclass
class Overlap:
    """How chat members overlap with meeting participants (past meetings, registrations that came)."""

    chat_members: int
    matched_members: int  # with an organisation
    chat_organisations: int
    organisations_at_meetings: int  # of the chat organisations, those that came to a meeting
    matched_people: int
    people_at_meetings: int
    per_meeting: pd.DataFrame = field(default_factory=pd.DataFrame)  # meeting, date, orgs, orgs_in_chat, share


_CAME = (vocab.STATUS_ATTENDED, vocab.STATUS_APPLIED)


def overlap_stamp(session: Session, now: dt.datetime | None = None) -> tuple:
    """Changes whenever `overlap_with_meetings` could for the same chat data: registrations (added,
    status changed), people's organisations, meetings (number, kind, date, status) and which of them
    have started. Read from the database, so a cache keyed by it is right in every app process."""
    now = now or now_jst()
    reg = session.execute(select(func.count(Registration.id), func.max(Registration.updated_at))).one()
    ppl = session.execute(select(func.count(Person.id), func.max(Person.id),
                                 func.sum(Person.id * func.coalesce(Person.organisation_id, 0)))).one()
    mtg = session.execute(select(Meeting.id, Meeting.number, Meeting.kind, Meeting.starts_at, Meeting.status)
                          .order_by(Meeting.id)).all()
    return (tuple(reg), tuple(ppl), tuple(tuple(m) for m in mtg), sum(1 for m in mtg if m.starts_at < now))


def overlap_with_meetings(session: Session, data: ChatData, now: dt.datetime | None = None) -> Overlap:
    """Chat organisations and people that came to meetings, and per meeting how many of its
    organisations are in the chat. A registration counts unless cancelled or absent."""
    now = now or now_jst()
    mem = data.members
    orgs_in_chat = set(int(x) for x in mem["organisation_id"].dropna())
    people_in_chat = set(int(x) for x in mem["person_id"].dropna())
    rows = session.execute(
        select(Meeting.id, Meeting.number, Meeting.kind, Meeting.starts_at, Person.organisation_id, Person.id)
        .join(Registration, Registration.meeting_id == Meeting.id)
        .join(Person, Registration.person_id == Person.id)
        .where(Meeting.starts_at < now, Meeting.status != vocab.MEETING_CANCELLED, Registration.status.in_(_CAME))
    ).all()
    frame = pd.DataFrame(rows, columns=["meeting_id", "number", "kind", "starts_at", "organisation_id", "person_id"])
    org_came = set(int(x) for x in frame["organisation_id"].dropna())
    people_came = set(int(x) for x in frame["person_id"])
    per = []
    if len(frame):
        first = data.messages["at"].min() if len(data.messages) else None
        for (mid, number, kind, starts), g in frame.groupby(["meeting_id", "number", "kind", "starts_at"],
                                                           dropna=False):
            orgs_here = set(int(x) for x in g["organisation_id"].dropna())
            in_chat = len(orgs_here & orgs_in_chat)
            per.append({
                "meeting_id": int(mid),
                "meeting": f"第{int(number)}回 {kind}" if number == number and number is not None else kind,
                "date": ja_date(starts),
                "starts_at": starts,
                "organisations": len(orgs_here),
                "organisations_in_chat": in_chat,
                "share": in_chat / len(orgs_here) if orgs_here else 0.0,
                "during_chat": bool(first is not None and starts >= first - pd.Timedelta(days=90)),
            })
    per_meeting = pd.DataFrame(per, columns=["meeting_id", "meeting", "date", "starts_at", "organisations",
                                             "organisations_in_chat", "share", "during_chat"])
    per_meeting = per_meeting.sort_values("starts_at", ignore_index=True)
    return Overlap(
        chat_members=len(mem),
        matched_members=int(mem["organisation_id"].notna().sum()),
        chat_organisations=len(orgs_in_chat),
        organisations_at_meetings=len(orgs_in_chat & org_came),
        matched_people=len(people_in_chat),
        people_at_meetings=len(people_in_chat & people_came),
        per_meeting=per_meeting,
    )


# --- questions and answers -------------------------------------------------------------------

def questions(data: ChatData, window: dt.timedelta = REPLY_WINDOW) -> pd.DataFrame:
    """Every question with whether someone other than the asker posted a text within `window`.

    Columns: id, at, sender, member_id, status (回答あり / 未回答 / 回答待ち), replied_at,
    reply_minutes, replier. Stamps, photos and the asker's own posts are not answers.
    回答待ち: the history ends before the window closed.
    """
    key = ("questions", window)
    if key in data._memo:
        return data._memo[key]
    m = data.messages
    cols = ["id", "at", "sender", "member_id", "status", "replied_at", "reply_minutes", "replier"]
    if m.empty or not m["is_question"].any():
        return pd.DataFrame(columns=cols)
    at = m["at"].to_numpy()
    who = m["sender"].cat.codes.to_numpy()
    text_kind = (m["kind"] == "message").to_numpy()
    w = np.timedelta64(int(window.total_seconds()), "s")
    q_idx = np.flatnonzero(m["is_question"].to_numpy())
    limits = np.searchsorted(at, at[q_idx] + w, side="right")
    # candidate answers: text posts; for each question the first one by someone else before the limit
    answers = np.flatnonzero(text_kind)
    first = np.full(len(q_idx), -1)
    for n, (i, limit) in enumerate(zip(q_idx, limits, strict=True)):
        k = np.searchsorted(answers, i, side="right")
        while k < len(answers) and answers[k] < limit:
            j = answers[k]
            if who[j] != who[i]:
                first[n] = j
                break
            k += 1
    found = first >= 0
    status = np.where(found, ANSWERED, np.where(at[q_idx] + w > at[-1], WAITING, UNANSWERED))
    res = m.iloc[q_idx][["id", "at", "sender", "member_id"]].reset_index(drop=True)
    res["sender"] = res["sender"].astype(str)
    res["status"] = status
    replied = pd.Series(pd.NaT, index=res.index, dtype="datetime64[ns]")
    replied[found] = m["at"].to_numpy()[first[found]]
    res["replied_at"] = replied
    res["reply_minutes"] = (res["replied_at"] - res["at"]).dt.total_seconds() / 60
    senders = m["sender"].astype(str).to_numpy()
    res["replier"] = np.where(found, senders[np.where(found, first, 0)], "")
    data._memo[key] = res[cols]
    return data._memo[key]


def unanswered(session: Session, viewer: Viewer, data: ChatData) -> pd.DataFrame:
    """Questions nobody else answered within the window, oldest first, with their texts.

    Secretariat only; a redacted question shows text None.
    """
    require_secretariat(viewer, "未回答の質問の一覧（書き込みの本文）は事務局のみが見られます。")
    q = questions(data)
    q = q[q["status"] == UNANSWERED].reset_index(drop=True)
    found = texts(session, viewer, q["id"])
    return q.assign(text=[found.get(int(i)) for i in q["id"]])


def answer_stats_per_month(data: ChatData) -> pd.DataFrame:
    """Per month: questions, answered, unanswered, median minutes to the first reply."""
    q = questions(data)
    if q.empty:
        return pd.DataFrame(columns=["month", "questions", "answered", "unanswered", "median_reply_minutes"])
    q = q.assign(month=_month(q["at"]), answered=(q["status"] == ANSWERED).astype(int),
                 unanswered=(q["status"] == UNANSWERED).astype(int))
    g = q.groupby("month")
    out = pd.DataFrame({
        "questions": g.size(),
        "answered": g["answered"].sum(),
        "unanswered": g["unanswered"].sum(),
        "median_reply_minutes": g["reply_minutes"].median(),
    })
    return out.reset_index()


# --- texts for the secretariat ---------------------------------------------------------------

def recent_messages(session: Session, viewer: Viewer, limit: int = 200, search: str = "") -> pd.DataFrame:
    """The latest posts with their texts (secretariat only), newest first, optionally filtered
    by a word in the text or the display name."""
    require_secretariat(viewer, "書き込みの本文は事務局のみが見られます。")
    stmt = select(ChatMessage.id, type_coerce(ChatMessage.at, String), ChatMessage.sender, ChatMessage.kind,
                  ChatMessage.text,
                  ChatMessage.redacted, ChatMessage.is_question).order_by(ChatMessage.at.desc(), ChatMessage.id.desc())
    if search.strip():
        like = f"%{search.strip()}%"
        stmt = stmt.where(ChatMessage.text.ilike(like) | ChatMessage.sender.ilike(like))
    out = _frame(session, stmt.limit(limit), ["id", "at", "sender", "kind", "text", "redacted", "is_question"])
    out["at"] = pd.to_datetime(out["at"], format="ISO8601")
    out["redacted"] = out["redacted"].astype(bool)
    out["is_question"] = out["is_question"].astype(bool)
    return out


# --- topics and threads ----------------------------------------------------------------------

def threads(data: ChatData, gap: dt.timedelta = THREAD_GAP) -> pd.DataFrame:
    """Conversation threads: runs of posts without a silence longer than `gap`.

    Columns: thread, start, end, messages, participants, questions, month.
    """
    m = data.messages
    if m.empty:
        return pd.DataFrame(columns=["thread", "start", "end", "messages", "participants", "questions", "month"])
    new = m["at"].diff() > pd.Timedelta(gap)
    tid = new.cumsum()
    g = m.assign(thread=tid).groupby("thread")
    out = pd.DataFrame({
        "start": g["at"].min(), "end": g["at"].max(), "messages": g.size(),
        "participants": g["sender"].nunique(), "questions": g["is_question"].sum().astype(int),
    }).reset_index()
    out["month"] = _month(out["start"])
    return out


def threads_per_month(data: ChatData) -> pd.DataFrame:
    """Per month: threads, threads with 2+ participants (conversations), and mean posts per thread."""
    t = threads(data)
    if t.empty:
        return pd.DataFrame(columns=["month", "threads", "conversations", "mean_messages"])
    g = t.groupby("month")
    return pd.DataFrame({
        "threads": g.size(),
        "conversations": g["participants"].apply(lambda s: int((s >= 2).sum())),
        "mean_messages": g["messages"].mean().round(1),
    }).reset_index()


def months(session: Session) -> list[dt.date]:
    """First days of the months that have posts, newest first."""
    first, last = session.execute(select(func.min(ChatMessage.at), func.max(ChatMessage.at))).one()
    if first is None:
        return []
    out = []
    d = dt.date(first.year, first.month, 1)
    while d <= last.date():
        out.append(d)
        d = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return out[::-1]


def _month_texts(session: Session, month: dt.date, limit: int) -> list[str]:
    start = dt.datetime(month.year, month.month, 1)
    end = dt.datetime(month.year + (month.month == 12), month.month % 12 + 1, 1)
    rows = session.scalars(
        select(ChatMessage.text)
        .where(ChatMessage.at >= start, ChatMessage.at < end, ChatMessage.kind == "message",
               ChatMessage.text.is_not(None))
        .order_by(ChatMessage.at.desc()).limit(limit)
    )
    return [_URL.sub(" ", t) for t in rows]  # links are not topics


def people_names(session: Session):
    """The names a topic word must never be: chat members' display names and their parts, and the
    people in the database (full names; the first two characters as a surname guess)."""
    from facilitation.storage.models import Person
    from facilitation.text import textmining

    whole: set[str] = set()
    for nickname, surname in session.execute(select(ChatMember.nickname, ChatMember.surname)):
        whole.update(x for x in (nickname, surname) if x)
        whole.update(p for p in re.split(r"[\s　&＆/／・@＠()（）]+", nickname or "") if p)
    exact: set[str] = set()
    for name, furigana in session.execute(select(Person.name, Person.furigana).where(Person.deleted_at.is_(None))):
        if name:
            whole.add(name)
            parts = re.split(r"[\s　]+", name.strip())
            if len(parts) > 1:
                whole.update(parts)
            elif len(name) >= 3:
                exact.add(name[:2])
        if furigana:
            whole.update(p for p in re.split(r"[\s　]+", furigana.strip()) if len(p) >= 3)
    return textmining.Names(whole, exact)


def topics(session: Session, viewer: Viewer, month: dt.date, top: int = 15,
           limit: int = TOPIC_TEXTS, names=None) -> pd.DataFrame:
    """Frequent terms of one month's posts (term, count, documents). Terms only: fine for every role.

    People's names (people_names) never become terms, for any role.
    """
    from facilitation.text import textmining

    _ = viewer  # every role may see terms; texts themselves never leave this function
    texts = _month_texts(session, month, limit)
    if not texts:
        return pd.DataFrame(columns=["term", "count", "documents"])
    return textmining.term_frequencies(texts, top, names=names or people_names(session))


def topic_pairs(session: Session, viewer: Viewer, month: dt.date, top: int = 15,
                limit: int = TOPIC_TEXTS) -> pd.DataFrame:
    """Terms that appear together in one month's posts (term_a, term_b, count, jaccard)."""
    from facilitation.text import textmining

    _ = viewer
    texts = _month_texts(session, month, limit)
    if not texts:
        return pd.DataFrame(columns=["term_a", "term_b", "count", "jaccard"])
    return textmining.cooccurrence(texts, top, names=people_names(session))


def topics_per_month(session: Session, viewer: Viewer, top: int = 5, last: int = 12,
                     limit: int = 500) -> pd.DataFrame:
    """The `top` terms of each of the last `last` months: month, terms (「引きこもり(12)・家族支援(8)…」)."""
    rows = []
    names = people_names(session)
    for month in months(session)[:last]:
        tf = topics(session, viewer, month, top=top, limit=limit, names=names)
        rows.append({"month": month, "terms": "・".join(f"{t}({c})" for t, c in zip(tf["term"], tf["count"], strict=True))})
    return pd.DataFrame(rows, columns=["month", "terms"])
