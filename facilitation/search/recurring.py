"""What keeps coming back: recurring terms in room notes' 課題・要望, and themes for the next rooms.

`recurring` counts the terms (textmining.terms: nouns and compounds, never people's names) of the
notes' 現状の課題 and 後方支援への要望 across meetings, with the years, regions and themes where
they came up; the secretariat also gets the latest passage as an example. `breakdown` spreads one
term over 年度 × 振興局 (or theme). `theme_candidates` takes the terms of 後方支援への要望, of
survey answers about wishes and themes, and of open-chat questions nobody answered, and keeps those
mentioned at least twice that no room of the recent meetings had as its theme; `add_room` puts one
into a draft meeting's rooms (assignment.room_setup.save_rooms).
"""

from __future__ import annotations

import functools
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from facilitation.errors import UserError
from facilitation.history import committee_pack
from facilitation.roles import COMMITTEE, AccessDenied, Viewer, require_secretariat
from facilitation.search import index, query
from facilitation.search import terms as T
from facilitation.search.models import SearchPassage
from facilitation.storage.models import Meeting, Room
from facilitation.text import textmining, vocab
from facilitation.text.dates import ja_date

NEED_SECTIONS = ("現状の課題", "後方支援への要望")
WISH_SECTION = "後方支援への要望"
WISH_QUESTION = re.compile(r"(テーマ|要望|希望|取り上げ|話し合いたい|知りたい)")
# Words too general to name a room (every note says them).
GENERAL = frozenset("""支援 相談 情報 機会 共有 方法 説明 研修 開催 事業 利用 課題 必要 活用 連携 対応 地域 関係 参考
    話 時間 工夫 自治体 機関 担当 担当者 体制 内容 状況 確保 継続 不安 困難 実施 検討 紹介 取り組み 事例 資料 運用 法人 一覧""".split())
RECURRING_LABELS = {"term": "言葉", "passages": "記録の件数", "meetings": "会の数", "years": "年度",
                    "regions": "主な振興局", "themes": "主なルームのテーマ", "example": "例（最新の記録）"}
DRAFT_STATUSES = ("準備中", "募集中")


_KANA_END = re.compile(r"[ぁ-ゖ]$")


@functools.lru_cache(maxsize=1)
def _domain_words() -> frozenset[str]:
    return frozenset({*textmining.compound_vocabulary(), *textmining.VARIANTS.values()})


def _noun_terms(text: str) -> set[str]:
    """The text's terms that can name a need or a theme: nouns and compounds (a term ending in
    hiragana is a verb or an adjective, unless it is one of the network's words, 引きこもり…)."""
    return {t for t in textmining.terms(text)
            if t not in GENERAL and len(t) >= 2 and (t in _domain_words() or not _KANA_END.search(t))}


def _need_rows(session: Session, sections: tuple[str, ...]) -> list[SearchPassage]:
    index.ensure(session)
    return list(session.scalars(select(SearchPassage).where(SearchPassage.source == "note",
                                                            SearchPassage.section.in_(sections))
                                .order_by(SearchPassage.at.desc(), SearchPassage.id.desc())))


def _check(viewer: Viewer) -> None:
    if not (viewer.is_secretariat or viewer.role == COMMITTEE):
        raise AccessDenied("この集計は事務局と検討委員会の方が見られます。")


def _areas(bars: str) -> list[str]:
    return [vocab.short_region(r) for r in bars.split("|") if r]


def recurring(session: Session, viewer: Viewer, *, sections: tuple[str, ...] = NEED_SECTIONS,
              fiscal_years: tuple[int, ...] = (), region: str = "", min_meetings: int = 2,
              top: int = 40) -> pd.DataFrame:
    """Terms of the notes' 課題・要望 that came up in at least `min_meetings` meetings, most first.

    Columns: term, passages, meetings, years (「2021・2023年度」), regions, themes, and example
    (the secretariat only)."""
    _check(viewer)
    rows = _need_rows(session, sections)
    if fiscal_years:
        rows = [r for r in rows if r.fiscal_year in fiscal_years]
    if region:
        rows = [r for r in rows if f"|{region}|" in r.regions]
    stats: dict[str, dict] = defaultdict(lambda: {"passages": 0, "meetings": set(), "years": set(),
                                                  "regions": Counter(), "themes": Counter(), "example": ""})
    for r in rows:
        for term in _noun_terms(r.passage):
            s = stats[term]
            s["passages"] += 1
            s["meetings"].add(r.meeting_id)
            if r.fiscal_year:
                s["years"].add(r.fiscal_year)
            s["regions"].update(_areas(r.regions))
            if r.theme:
                s["themes"][r.theme] += 1
            s["example"] = s["example"] or r.passage
    out = []
    for term, s in stats.items():
        if len(s["meetings"]) < min_meetings:
            continue
        years = sorted(s["years"])
        out.append({"term": term, "passages": s["passages"], "meetings": len(s["meetings"]),
                    "years": "・".join(str(y) for y in years) + "年度" if years else "",
                    "regions": "・".join(r for r, _ in s["regions"].most_common(3)),
                    "themes": "・".join(t for t, _ in s["themes"].most_common(2)),
                    "example": s["example"]})
    cols = ["term", "passages", "meetings", "years", "regions", "themes", "example"]
    frame = pd.DataFrame(out, columns=cols).sort_values(["meetings", "passages", "term"], ascending=[False, False, True])
    frame = frame.head(top).reset_index(drop=True)
    return frame if viewer.is_secretariat else frame.drop(columns=["example"])


def breakdown(session: Session, viewer: Viewer, term: str, by: str = "region",
              sections: tuple[str, ...] = NEED_SECTIONS) -> pd.DataFrame:
    """How many notes' 課題・要望 passages carry `term`, per 年度 (rows) × 振興局 or theme (columns)."""
    _check(viewer)
    counts: Counter = Counter()
    for r in _need_rows(session, sections):
        if term not in _noun_terms(r.passage):
            continue
        keys = _areas(r.regions) or ["（不明）"] if by == "region" else [r.theme or "（テーマなし）"]
        for k in keys:
            counts[(f"{r.fiscal_year}年度" if r.fiscal_year else "（不明）", k)] += 1
    if not counts:
        return pd.DataFrame()
    frame = pd.Series(counts).unstack(fill_value=0).sort_index()
    if by == "region":
        order = [vocab.short_region(a) for a in vocab.ALL_AREAS]
        frame = frame[sorted(frame.columns, key=lambda c: order.index(c) if c in order else len(order))]
    frame.index.name = "年度"
    return frame.reset_index()


def by_region(session: Session, viewer: Viewer, *, sections: tuple[str, ...] = NEED_SECTIONS,
              fiscal_years: tuple[int, ...] = (), top: int = 20) -> pd.DataFrame:
    """For the committee's pack: the recurring terms (rows) × 振興局 (columns), passages counted
    (a passage of a room with several regions counts in each), and the passages in all. Terms and
    counts only: no passage, no name; a region's count below the committee's small-group rule
    reads 「5未満」 (query.hide_small), whoever asks (the table is made for the committee)."""
    _check(viewer)
    top_terms = recurring(session, viewer, sections=sections, fiscal_years=fiscal_years, top=top)
    wanted = set(top_terms["term"])
    counts: Counter = Counter()
    for r in _need_rows(session, sections):
        if fiscal_years and r.fiscal_year not in fiscal_years:
            continue
        for term in _noun_terms(r.passage) & wanted:
            for area in _areas(r.regions) or ["（不明）"]:
                counts[(term, area)] += 1
    order = [vocab.short_region(a) for a in vocab.ALL_AREAS]
    areas = sorted({a for _, a in counts}, key=lambda a: order.index(a) if a in order else len(order))
    k = query.min_group(session)
    rows = [[t, n, *query.hide_small([counts[(t, a)] for a in areas], k)]
            for t, n in zip(top_terms["term"], top_terms["passages"], strict=True)]
    return pd.DataFrame(rows, columns=["言葉", "記録の件数", *areas])


PACK_TITLE = "繰り返し出る課題・要望（振興局別）"


def pack_section(session: Session, viewer: Viewer, fiscal_years: tuple[int, ...] = ()) -> committee_pack.Section:
    """The committee pack's page of recurring needs by region (by_region, as the committee sees it)."""
    _check(viewer)
    frame = by_region(session, Viewer(role=COMMITTEE), fiscal_years=fiscal_years)
    k = query.min_group(session)
    return committee_pack.Section(
        PACK_TITLE, frame, empty="2回以上の会で出てきた言葉はまだありません。",
        note=("ルームの記録の「現状の課題」「後方支援への要望」に2回以上の会で出てきた言葉と、その言葉がある"
              "記録の件数です（人の名前は数えず、記録の本文は載せません）。振興局は記録のルームの参加者の所属で、"
              f"複数の振興局の参加者がいるルームはそれぞれに数えます。{k}件に満たない件数は「{k}未満」としています。"))


# --- themes for the next meeting ------------------------------------------------------------------

@dataclass
class Candidate:
    term: str
    wishes: int  # 後方支援への要望 passages
    survey: int  # survey answers to questions about wishes / themes
    unanswered: int  # open-chat questions nobody answered (or not yet)
    meetings: int
    last: str  # when it last came up (Japanese date)
    examples: list[str] = field(default_factory=list)  # the secretariat only

    @property
    def mentions(self) -> int:
        return self.wishes + self.survey + self.unanswered


def _unanswered_ids(session: Session, viewer: Viewer, chat=None) -> set[int]:
    from facilitation.openchat import activity

    data = chat if chat is not None else activity.load(session, viewer)
    q = activity.questions(data)
    if q.empty:
        return set()
    return {int(i) for i in q.loc[q["status"].isin((activity.UNANSWERED, activity.WAITING)), "id"]}


def recent_themes(session: Session, meetings: int = 3) -> list[str]:
    """Room themes (and names) of the last `meetings` meetings held and of those being prepared."""
    held = list(session.scalars(select(Meeting.id).where(Meeting.status == "開催済")
                                .order_by(Meeting.starts_at.desc()).limit(meetings)))
    coming = list(session.scalars(select(Meeting.id).where(Meeting.status.in_(("準備中", "募集中", "締切")))))
    rooms = session.execute(select(Room.theme, Room.name).where(Room.meeting_id.in_(held + coming))).all()
    return [t or n for t, n in rooms]


def _covered(term: str, themes_terms: list[str]) -> bool:
    needle = T.terms(term)
    return bool(needle) and any(f" {needle} " in f" {t} " for t in themes_terms)


def theme_candidates(session: Session, viewer: Viewer, *, recent_meetings: int = 3, min_mentions: int = 2,
                     top: int = 15, chat=None) -> list[Candidate]:
    """Terms that keep coming up in wishes and unanswered questions but had no room recently.

    `chat`: the viewer's openchat.activity.load (the page's cached copy), read here when not given."""
    _check(viewer)
    index.ensure(session)
    wishes = list(session.scalars(select(SearchPassage).where(SearchPassage.source == "note",
                                                              SearchPassage.section == WISH_SECTION)))
    asked = [q for q in session.scalars(select(SearchPassage.section).where(SearchPassage.source == "survey")
                                        .distinct()) if WISH_QUESTION.search(q or "")]
    surveys = list(session.scalars(select(SearchPassage).where(SearchPassage.source == "survey",
                                                               SearchPassage.section.in_(asked))
                                   .order_by(SearchPassage.id)))  # only the wish/theme questions' answers
    parents = sorted(f"chat:{i}" for i in _unanswered_ids(session, viewer, chat))
    chats = sorted((p for i in range(0, len(parents), 500)  # only the unanswered questions' passages
                    for p in session.scalars(select(SearchPassage).where(
                        SearchPassage.source == "chat", SearchPassage.section == "質問",
                        SearchPassage.parent.in_(parents[i:i + 500])))), key=lambda p: p.id)
    found: dict[str, dict] = defaultdict(lambda: {"wishes": 0, "survey": 0, "unanswered": 0, "meetings": set(),
                                                  "last": None, "examples": []})
    for kind, rows in (("wishes", wishes), ("survey", surveys), ("unanswered", chats)):
        for p in rows:
            for term in _noun_terms(p.passage):
                f = found[term]
                f[kind] += 1
                if p.meeting_id:
                    f["meetings"].add(p.meeting_id)
                if p.at and (f["last"] is None or p.at > f["last"]):
                    f["last"] = p.at
                if kind != "unanswered" or viewer.is_secretariat:
                    if len(f["examples"]) < 3 and p.passage not in f["examples"]:
                        f["examples"].append(p.passage)
    themes_terms = [T.terms(t) for t in recent_themes(session, recent_meetings)]
    out = []
    for term, f in found.items():
        mentions = f["wishes"] + f["survey"] + f["unanswered"]
        if mentions < min_mentions or _covered(term, themes_terms):
            continue
        out.append(Candidate(term, f["wishes"], f["survey"], f["unanswered"], len(f["meetings"]),
                             ja_date(f["last"], weekday=False) if f["last"] else "",
                             f["examples"] if viewer.is_secretariat else []))
    out.sort(key=lambda c: (-c.mentions, -c.meetings, c.term))
    return out[:top]


def draft_meetings(session: Session) -> list[Meeting]:
    """Meetings whose rooms are still being planned (準備中・募集中), soonest first."""
    return list(session.scalars(select(Meeting).where(Meeting.status.in_(DRAFT_STATUSES))
                                .order_by(Meeting.starts_at)))


def add_room(session: Session, viewer: Viewer, meeting_id: int, theme: str) -> str:
    """Add a room with `theme` after the meeting's rooms; returns the new room's name."""
    from facilitation.assignment.room_setup import RoomInput, save_rooms
    from facilitation.meetings.schedule import list_rooms

    require_secretariat(viewer, "ルームの追加は事務局が行います。")
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or meeting.status not in DRAFT_STATUSES:
        raise UserError("ルームを追加できるのは、準備中または募集中の会です。")
    rooms = list_rooms(session, meeting_id)
    if any(T.terms(theme) and T.terms(theme) in T.terms(r.theme or "") for r in rooms):
        raise UserError(f"この会にはすでに「{theme}」を含むテーマのルームがあります。")
    taken = {r.name for r in rooms}
    n = len(rooms) + 1
    while f"ルーム{n}" in taken:
        n += 1
    rows = [RoomInput(name=r.name, theme=r.theme, capacity=r.capacity, zoom_name=r.zoom_name, id=r.id) for r in rooms]
    rows.append(RoomInput(name=f"ルーム{n}", theme=theme))
    save_rooms(session, viewer, meeting_id, rows)
    return f"ルーム{n}"
