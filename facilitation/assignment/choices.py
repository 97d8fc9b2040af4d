"""Free-text theme choices of registrations → the rooms of a meeting: the one place that decides.

A registration keeps the text the registrant wrote (choice1/2/3); nothing is rewritten. `ChoiceMapper`
resolves a text to a room, in this order:
- 確認済み / 対象外: a decision of the secretariat, stored in the table `assignment_choice_mappings`
  (`ChoiceMapping`, the only store of decisions; made with `map_choice` from either page);
- 一致: the room's theme, name, 「name + theme」 or Zoom name, written the same way (numbering such as
  「1.」「ルーム2：」 and width/spacing differences ignored);
- ほぼ一致: a close spelling of a room's theme (rapidfuzz);
- 対応なし: no room (with a suggested room when one is likely) — the secretariat decides.
Used when importing registrations (to flag choices that need a decision), by the registrations page
and the rooms page (review and decide), and when building the optimiser's instance.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import pandas as pd
from rapidfuzz import fuzz, process
from sqlalchemy import select
from sqlalchemy.orm import Session

from facilitation.assignment.models import ChoiceMapping
from facilitation.errors import AccessDenied, UserError
from facilitation.meetings.schedule import list_rooms
from facilitation.roles import Viewer
from facilitation.storage.models import Registration, Room
from facilitation.text import vocab
from facilitation.text.normalize import clean, key

# Registrations whose choices count: not cancelled or absent, and not the staff running the meeting.
EXCLUDED_STATUSES = (vocab.STATUS_CANCELLED, vocab.STATUS_ABSENT)
EXCLUDED_ROLES = ("運営スタッフ",)

NO_ROOM = "対応なし"  # needs a decision
IGNORED = "対象外"  # decided: not a room (「特になし」)
REVIEWED = "確認済み"
# choice_review's columns → the headers a person reads (the rooms page shows them in this order).
REVIEW_LABELS = {"text": "希望の記入", "count": "人数", "match": "判定", "room": "ルーム", "suggestion": "候補"}
REVIEW_COLUMNS = list(REVIEW_LABELS)
_ORDER = {NO_ROOM: 0, "ほぼ一致": 1, REVIEWED: 2, IGNORED: 3, "一致": 4}

_NUMBERING = re.compile(r"^\s*(?:ルーム|room|R)?\s*[0-9０-９①-⑳]+\s*[.．、:：)）]?\s*", re.IGNORECASE)


class ChoiceError(UserError):
    """A choice decision that cannot be saved; the message is Japanese."""


# Spellings of the network's vocabulary that mean the same thing. SPELLINGS are replaced inside a
# text (「自立相談（ひきこもり）」 meets 「…（引きこもり）」); THEME_VARIANTS name the same theme only as
# a whole choice (「就労準備支援」 is the room 「就労準備」, but 「就労準備支援の立ち上げ」 is not rewritten).
SPELLINGS: dict[str, tuple[str, ...]] = {
    "引きこもり": ("ひきこもり", "ヒキコモリ", "引き籠もり", "引き篭もり", "引籠もり", "引篭もり", "引籠り", "引きこもり"),
    "子ども": ("子供", "こども"),
    "社会福祉協議会": ("社協",),
    "取り組み": ("取組み", "取組"),
    "ブレイクアウトルーム": ("ブレークアウトルーム", "ブレイクアウト・ルーム"),
}
THEME_VARIANTS: dict[str, tuple[str, ...]] = {
    "引きこもり": ("引きこもり支援", "引きこもりの支援", "引きこもり支援について"),
    "就労準備": ("就労準備支援", "就労準備支援事業"),
    "就労支援": ("就労支援事業",),
    "家計改善": ("家計改善支援", "家計改善支援事業", "家計相談", "家計相談支援"),
    "一時生活": ("一時生活支援", "一時生活支援事業"),
    "学習支援": ("子どもの学習支援", "子どもの学習・生活支援", "子どもの学習・生活支援事業", "学習・生活支援"),
    "居住支援": ("住まい支援", "住居支援"),
    "家族支援": ("家族への支援", "家族の支援"),
    "8050問題": ("8050",),
}


def _plain_key(text: str) -> str:
    return key(_NUMBERING.sub("", clean(text)))


def _spelling_table() -> tuple[list[tuple[str, str]], dict[str, str]]:
    inside = sorted(((key(v), key(c)) for c, vs in SPELLINGS.items() for v in vs if key(v) != key(c)),
                    key=lambda p: -len(p[0]))  # the longest spelling first
    whole: dict[str, str] = {}
    for canonical, variants in THEME_VARIANTS.items():
        for v in variants:
            whole[_respell(key(v), inside)] = _respell(key(canonical), inside)
    return inside, whole


def _respell(k: str, inside: list[tuple[str, str]]) -> str:
    for variant, canonical in inside:
        k = k.replace(variant, canonical)
    return k


def _choice_key(text: str) -> str:
    """The key a choice and a room's theme are compared by: numbering dropped, known spellings unified."""
    k = _respell(_plain_key(text), _INSIDE)
    return _WHOLE.get(k, k)


_INSIDE, _WHOLE = _spelling_table()


def text_key(text: str) -> str:
    """The key two choice texts that mean the same wish share (what a decision is stored under)."""
    return _choice_key(text)


def active_registrations(session: Session, meeting_id: int) -> list[Registration]:
    """The meeting's registrations that take part (not cancelled or absent, not staff), oldest first."""
    regs = session.scalars(select(Registration).where(Registration.meeting_id == meeting_id)
                           .order_by(Registration.submitted_at, Registration.id))
    return [r for r in regs if r.status not in EXCLUDED_STATUSES and r.role not in EXCLUDED_ROLES]


@dataclass
class ChoiceMatch:
    room_id: int | None
    how: str  # 一致 / ほぼ一致 / 確認済み / 対象外 / 対応なし / 空欄
    suggestion: int | None = None

    @property
    def needs_decision(self) -> bool:
        """No room and not decided to be 対象外 (blank texts need nothing)."""
        return self.how == NO_ROOM


class ChoiceMapper:
    """Maps a meeting's free-text choices to its rooms: reviewed mapping, exact, close match."""

    AUTO = 92  # rapidfuzz score from which a choice is taken as that room without review
    SUGGEST = 55

    def __init__(self, session: Session, meeting_id: int):
        self.rooms = list_rooms(session, meeting_id)
        self.keys: dict[str, int] = {}
        for r in self.rooms:
            for text in (r.theme, r.name, f"{r.name}{r.theme}", r.zoom_name):
                if clean(text):
                    self.keys.setdefault(_choice_key(text), r.id)
                    self.keys.setdefault(key(text), r.id)
        self.mapped = {m.text_key: m for m in session.scalars(
            select(ChoiceMapping).where(ChoiceMapping.meeting_id == meeting_id))}
        self.themes = {r.id: _choice_key(r.theme or r.name) for r in self.rooms}
        self._cache: dict[str, ChoiceMatch] = {}

    def match(self, text: str) -> ChoiceMatch:
        found = self._cache.get(text)
        if found is None:
            found = self._cache[text] = self._match(text)
        return found

    def _match(self, text: str) -> ChoiceMatch:
        k = _choice_key(text)
        if not k:
            return ChoiceMatch(None, "空欄")
        m = self.mapped.get(k) or self.mapped.get(_plain_key(text))  # decisions stored before SPELLINGS
        if m is not None:
            if m.ignored or m.room_id is None:
                return ChoiceMatch(None, IGNORED)
            return ChoiceMatch(m.room_id, REVIEWED)
        if k in self.keys:
            return ChoiceMatch(self.keys[k], "一致")
        if key(text) in self.keys:
            return ChoiceMatch(self.keys[key(text)], "一致")
        best = process.extractOne(k, self.themes, scorer=fuzz.ratio) if self.themes else None
        if best and best[1] >= self.AUTO:
            return ChoiceMatch(best[2], "ほぼ一致")
        contains = [room_id for room_id, t in self.themes.items() if t and (t in k or k in t)]
        if len(contains) == 1:
            return ChoiceMatch(None, NO_ROOM, contains[0])
        suggestion = best[2] if best and best[1] >= self.SUGGEST else None
        return ChoiceMatch(None, NO_ROOM, suggestion)


def choice_review(session: Session, meeting_id: int) -> pd.DataFrame:
    """Every distinct choice text of the meeting with how many chose it and the room it maps to
    (text, count, match, room, suggestion: `REVIEW_LABELS`); 「対応なし」 rows, first, need a decision
    (a room, or 対象外)."""
    mapper = ChoiceMapper(session, meeting_id)
    names = {r.id: r.name for r in mapper.rooms}
    counts: Counter[str] = Counter()
    shown: dict[str, str] = {}
    for reg in active_registrations(session, meeting_id):
        for text in (reg.choice1, reg.choice2, reg.choice3):
            if clean(text):
                k = _choice_key(text)
                counts[k] += 1
                shown.setdefault(k, clean(text))
    rows = []
    for k, n in counts.most_common():
        m = mapper.match(shown[k])
        rows.append({"text": shown[k], "count": n, "match": m.how,
                     "room": names.get(m.room_id, "") if m.room_id else "",
                     "suggestion": names.get(m.suggestion, "") if m.suggestion else ""})
    frame = pd.DataFrame(rows, columns=REVIEW_COLUMNS)
    return frame.sort_values(by="match", key=lambda s: s.map(_ORDER), kind="stable").reset_index(drop=True)


def map_choice(session: Session, viewer: Viewer, meeting_id: int, text: str, room_id: int | None) -> None:
    """Record the reviewed room for a choice text (None: the text matches no room, 対象外). The
    registrations keep their text; every later import, review and optimiser run sees the decision."""
    if not viewer.is_secretariat:
        raise AccessDenied("希望テーマとルームの対応は事務局だけが設定できます。")
    if room_id is not None:
        room = session.get(Room, room_id)
        if room is None or room.meeting_id != meeting_id:
            raise ChoiceError(f"ルーム（ID {room_id}）はこの会にありません。")
    k = _choice_key(text)
    if not k:
        raise ChoiceError("希望の記入が空欄です。")
    m = session.scalar(select(ChoiceMapping).where(ChoiceMapping.meeting_id == meeting_id,
                                                   ChoiceMapping.text_key == k))
    if m is None:
        m = ChoiceMapping(meeting_id=meeting_id, text_key=k, text=clean(text)[:300])
        session.add(m)
    m.room_id, m.ignored, m.updated_by = room_id, room_id is None, viewer.actor
    session.flush()
