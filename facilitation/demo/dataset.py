"""A deterministic, believable history for the demo and for benchmarks.

Built from the network's real 85 organisations; every person is fictional (example.org e-mails).
Attendance churns like the real network (27, 49, 90, 69, 12 in one fiscal year), staff change
each fiscal year (人事異動), and one upcoming meeting has open registrations.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from sqlalchemy.orm import Session

from facilitation.meetings.schedule import DEFAULT_PROGRAM
from facilitation.orgs.directory import create_organisation, load_master
from facilitation.storage.models import (
    Assignment,
    Attendance,
    Meeting,
    Organisation,
    Person,
    Registration,
    Room,
    RoomNote,
)
from facilitation.text import vocab
from facilitation.text.normalize import person_key

SURNAMES = [
    ("佐藤", "さとう", "sato"), ("鈴木", "すずき", "suzuki"), ("高橋", "たかはし", "takahashi"),
    ("田中", "たなか", "tanaka"), ("伊藤", "いとう", "ito"), ("渡辺", "わたなべ", "watanabe"),
    ("山本", "やまもと", "yamamoto"), ("中村", "なかむら", "nakamura"), ("小林", "こばやし", "kobayashi"),
    ("加藤", "かとう", "kato"), ("吉田", "よしだ", "yoshida"), ("山田", "やまだ", "yamada"),
    ("佐々木", "ささき", "sasaki"), ("山口", "やまぐち", "yamaguchi"), ("松本", "まつもと", "matsumoto"),
    ("井上", "いのうえ", "inoue"), ("木村", "きむら", "kimura"), ("林", "はやし", "hayashi"),
    ("斎藤", "さいとう", "saito"), ("清水", "しみず", "shimizu"), ("山崎", "やまざき", "yamazaki"),
    ("森", "もり", "mori"), ("池田", "いけだ", "ikeda"), ("橋本", "はしもと", "hashimoto"),
    ("阿部", "あべ", "abe"), ("石川", "いしかわ", "ishikawa"), ("工藤", "くどう", "kudo"),
    ("菊地", "きくち", "kikuchi"), ("千葉", "ちば", "chiba"), ("村上", "むらかみ", "murakami"),
    ("成田", "なりた", "narita"), ("熊谷", "くまがい", "kumagai"), ("蝦名", "えびな", "ebina"),
    ("今井", "いまい", "imai"), ("三浦", "みうら", "miura"), ("藤田", "ふじた", "fujita"),
]
GIVEN = [
    ("陽子", "ようこ", "yoko"), ("健太", "けんた", "kenta"), ("美咲", "みさき", "misaki"),
    ("大輔", "だいすけ", "daisuke"), ("由美", "ゆみ", "yumi"), ("翔", "しょう", "sho"),
    ("恵", "めぐみ", "megumi"), ("拓也", "たくや", "takuya"), ("直子", "なおこ", "naoko"),
    ("誠", "まこと", "makoto"), ("彩", "あや", "aya"), ("亮", "りょう", "ryo"),
    ("智子", "ともこ", "tomoko"), ("浩二", "こうじ", "koji"), ("舞", "まい", "mai"),
    ("大樹", "だいき", "daiki"), ("理恵", "りえ", "rie"), ("和也", "かずや", "kazuya"),
    ("千尋", "ちひろ", "chihiro"), ("俊介", "しゅんすけ", "shunsuke"), ("香織", "かおり", "kaori"),
    ("隆", "たかし", "takashi"), ("沙織", "さおり", "saori"), ("悠人", "ゆうと", "yuto"),
]

# The 4th meeting's real rooms; other meetings draw from the theme library.
REAL_ROOMS = list(vocab.THEME_LIBRARY[:10])
MINISTRY = "厚生労働省 社会・援護局地域福祉課生活困窮者自立支援室"

NOTES = {
    "issues": [
        "ひきこもりの方への最初の接点づくりが難しく、家族からの相談で止まってしまう。",
        "就労準備支援事業の利用者が少なく、事業として継続できるか不安がある。",
        "町村部では相談が少なく、支援のノウハウが蓄積しにくい。",
        "関係機関との情報共有の方法が決まっておらず、支援調整会議が形骸化している。",
    ],
    "efforts": [
        "家族会と連携し、訪問の前に手紙でのやりとりから始めている。",
        "地域の農家や商店に協力してもらい、短時間の就労体験の場を増やした。",
        "社協のボランティアと一緒にフードバンクを活用した見守りを行っている。",
        "月1回の事例検討を関係機関と持ち回りで開いている。",
    ],
    "requests": [
        "ひきこもり支援の研修を道内各地で開催してほしい。",
        "小規模自治体でも使える就労体験先のリストを共有してほしい。",
        "統計システムの入力方法について、改めて説明の機会がほしい。",
    ],
    "summary": [
        "焦らず関係を作ること、家族支援を並行することが大切という話になりました。",
        "地域資源を一緒に作っていく視点が共有できました。",
        "小さな町でもできる工夫を持ち帰れる時間になりました。",
    ],
}


@dataclass(frozen=True)
class DemoSize:
    """How big a history to build. The default is the demo; `bench()` the 10-year benchmark."""

    first_fiscal_year: int = 2025
    meeting_sizes: tuple[int, ...] = (27, 49, 90, 69, 12, 45, 52)
    upcoming_registrations: int = 38
    seed: int = 2021

    @staticmethod
    def bench(years: int = 10, per_year: int = 6, registrations: int = 10_000, seed: int = 7) -> DemoSize:
        rng = random.Random(seed)
        n = years * per_year
        mean = registrations / n
        sizes = [max(8, int(rng.gauss(mean, mean * 0.35))) for _ in range(n)]
        scale = registrations / sum(sizes)
        sizes = [max(8, round(s * scale)) for s in sizes]
        sizes[-1] += registrations - sum(sizes)
        return DemoSize(first_fiscal_year=2026 - years, meeting_sizes=tuple(sizes),
                        upcoming_registrations=0, seed=seed)


def _meeting_dates(size: DemoSize) -> list[dt.datetime]:
    """Past meetings spread over fiscal years at 14:00, about five or six a year."""
    n = len(size.meeting_sizes)
    per_year = 5 if n <= 7 else max(1, round(n / max(1, (2026 - size.first_fiscal_year))))
    out = []
    for i in range(n):
        fy = size.first_fiscal_year + i // per_year
        k = i % per_year
        month_offset = round(k * 11 / per_year) + 1  # May … March
        month = (4 + month_offset - 1) % 12 + 1
        year = fy if month >= 4 else fy + 1
        day = dt.date(year, month, 1 + (i * 7) % 21)
        while day.weekday() >= 5:  # meetings are held on weekdays
            day += dt.timedelta(days=1)
        out.append(dt.datetime(day.year, day.month, day.day, 14, 0))
    return out


class _Staff:
    """Each organisation's staff over time: about a quarter change each fiscal year."""

    def __init__(self, rng: random.Random, session: Session, orgs: list[Organisation]):
        self.rng, self.session = rng, session
        self.current: dict[int, list[Person]] = {o.id: [] for o in orgs}
        self.orgs = {o.id: o for o in orgs}
        self.serial = 0
        self.year = None

    def _new(self, org: Organisation) -> Person:
        self.serial += 1
        sur = self.rng.choice(SURNAMES)
        giv = self.rng.choice(GIVEN)
        if org.kind in (vocab.KIND_MUNICIPALITY, vocab.KIND_SHINKOKYOKU, vocab.KIND_PREFECTURE,
                        vocab.KIND_NATIONAL):
            role = "自治体担当者"
        else:
            role = self.rng.choice(["主任相談支援員", "相談支援員", "相談支援員", "就労支援員", "家計改善支援員"])
        person = Person(
            name=f"{sur[0]} {giv[0]}",
            furigana=f"{sur[1]} {giv[1]}",
            email=f"{sur[2]}.{giv[2]}{self.serial}@example.org",
            organisation=org,
            role_title=role,
            years_experience=round(self.rng.choice([0.5, 1, 1, 2, 3, 5, 8, 12]), 1),
            name_key=person_key(f"{sur[0]}{giv[0]}"),
        )
        self.session.add(person)
        return person

    def new_year(self) -> None:
        for staff in self.current.values():
            for p in list(staff):
                if self.rng.random() < 0.25:  # 人事異動・単年度契約
                    staff.remove(p)

    def add(self, org: Organisation) -> Person:
        person = self._new(org)
        self.current[org.id].append(person)
        return person

    def pick(self, org: Organisation) -> Person:
        staff = self.current[org.id]
        if len(staff) < 3 and (not staff or self.rng.random() < 0.35):
            staff.append(self._new(org))
        return self.rng.choice(staff)


def _rooms_for(meeting_index: int, n_people: int, rng: random.Random) -> list[str]:
    if meeting_index == 3:
        return REAL_ROOMS
    n = max(2, min(12, round(n_people / 7)))
    pool = list(vocab.THEME_LIBRARY)
    rng.shuffle(pool)
    return pool[:n]


def generate(session: Session, size: DemoSize | None = None, *, activity: bool = True) -> dict[str, int]:
    """Fill an empty database with the demo history; returns how many of each thing it made.

    `activity` adds a survey and an open-chat history (demo_activity) to the default demo; tests
    that build their own surveys and chats start without them.
    """
    size = size or DemoSize()
    rng = random.Random(size.seed)
    orgs_by_no = load_master(session)
    ministry = create_organisation(session, MINISTRY, kind=vocab.KIND_NATIONAL,
                                   region=vocab.OUTSIDE_HOKKAIDO, programs=["その他"])
    orgs = list(orgs_by_no.values())
    # Engagement: facilitator bodies and larger cities come often, small towns rarely.
    weight = {o.id: (3.0 if o.facilitator_body else 1.0) * (1.5 if o.is_target else 0.8) for o in orgs}
    staff = _Staff(rng, session, [*orgs, ministry])
    session.flush()

    counts = {"meetings": 0, "rooms": 0, "registrations": 0, "people": 0}
    dates = _meeting_dates(size)
    upcoming = dt.datetime(2026, 12, 10, 14, 0)
    plan = list(zip(dates, size.meeting_sizes, strict=False)) + (
        [(upcoming, size.upcoming_registrations)] if size.upcoming_registrations else []
    )
    last_fy = None
    for index, (when, n_people) in enumerate(plan):
        is_upcoming = when == upcoming and index == len(plan) - 1 and size.upcoming_registrations
        fy = when.year if when.month >= 4 else when.year - 1
        if fy != last_fy:
            if last_fy is not None:
                staff.new_year()
            last_fy = fy
            numbers: dict[str, int] = {}
        kind = "情報交換会"
        if not is_upcoming and n_people < 20 and index % 5 == 4:
            kind = "勉強会"
        number = numbers[kind] = numbers.get(kind, 0) + 1
        meeting = _meeting(number, kind, when, n_people, fy, bool(is_upcoming))
        session.add(meeting)
        rooms = _rooms(meeting, _rooms_for(index, n_people, rng), n_people)
        session.add_all(rooms)
        counts["meetings"] += 1
        counts["rooms"] += len(rooms)
        people = _who_comes(rng, staff, orgs, [weight[o.id] for o in orgs], ministry, n_people)
        session.flush()
        counts["registrations"] += _register(session, rng, meeting, rooms, people, when, bool(is_upcoming))
        session.flush()
        if not is_upcoming:
            _facilitators_and_notes(session, meeting, rooms, rng, when)
    counts["people"] = staff.serial
    session.flush()
    if activity and size.upcoming_registrations:  # the demo, not the benchmark: survey and open chat
        from facilitation.demo import surveys_chat

        counts.update(surveys_chat.generate(session))
    return counts


def _meeting(number: int, kind: str, when: dt.datetime, n_people: int, fy: int, is_upcoming: bool) -> Meeting:
    """One meeting of the plan: online, or hybrid in Sapporo when it is big."""
    return Meeting(
        number=number,
        kind=kind,
        title=f"{'北海道生活困窮者支援ネットワーク ' if kind == '情報交換会' else ''}{kind}",
        starts_at=when,
        ends_at=when + dt.timedelta(hours=2, minutes=30),
        format="ハイブリッド" if n_people > 80 else "オンライン",
        venue="札幌市内会場＋Zoom" if n_people > 80 else "Zoom",
        capacity=100 if n_people > 60 else 60,
        fiscal_year=fy,
        program=[dict(p) for p in DEFAULT_PROGRAM],
        status="募集中" if is_upcoming else "開催済",
        registration_url="https://forms.example.org/donet-registration" if is_upcoming else "",
    )


def _rooms(meeting: Meeting, themes: list[str], n_people: int) -> list[Room]:
    return [
        Room(meeting=meeting, position=i + 1, name=f"ルーム{i + 1}", theme=t,
             capacity=max(6, round(n_people / len(themes)) + 2), zoom_name=f"R{i + 1}")
        for i, t in enumerate(themes)
    ]


def _who_comes(rng: random.Random, staff: _Staff, orgs: list[Organisation], weights: list[float],
               ministry: Organisation, n_people: int) -> list[Person]:
    """The ministry sends a few to big meetings; the rest are drawn by engagement."""
    n_ministry = min(6, n_people // 15) if n_people >= 45 else 0
    people: list[Person] = []
    seen: set[int] = set()
    while len(people) < n_people:
        org = ministry if len(people) < n_ministry else rng.choices(orgs, weights=weights)[0]
        p = staff.pick(org)
        if id(p) in seen:  # everyone already picked: a colleague comes along
            p = staff.add(org)
        seen.add(id(p))
        people.append(p)
    return people


def _register(session: Session, rng: random.Random, meeting: Meeting, rooms: list[Room], people: list[Person],
              when: dt.datetime, is_upcoming: bool) -> int:
    """Each person's registration with three choices; for a past meeting, a room and attendance too."""
    for p in people:
        org = p.organisation
        picks = rng.sample(range(len(rooms)), k=min(3, len(rooms)))
        status = vocab.STATUS_APPLIED
        if not is_upcoming:
            status = rng.choices([vocab.STATUS_ATTENDED, vocab.STATUS_ABSENT, vocab.STATUS_CANCELLED],
                                 weights=[90, 5, 5])[0]
        reg = Registration(
            meeting=meeting, person=p,
            choice1=rooms[picks[0]].theme,
            choice2=rooms[picks[1]].theme if len(picks) > 1 else "",
            choice3=rooms[picks[2]].theme if len(picks) > 2 else "",
            attendance_mode="会場" if meeting.format == "ハイブリッド" and rng.random() < 0.3 else "オンライン",
            role="参加者", status=status,
            willing_facilitator=bool(org and org.facilitator_body and rng.random() < 0.6),
            programs=list(org.programs) if org else [], org_text=org.name if org else "",
            source="demo", source_ref="demo", submitted_at=when - dt.timedelta(days=rng.randint(3, 30)),
        )
        session.add(reg)
        if is_upcoming or status == vocab.STATUS_CANCELLED:
            continue
        room = rooms[picks[0]] if rng.random() < 0.75 else rng.choice(rooms)
        session.add(Assignment(registration=reg, room=room, reason="デモデータ"))
        if status == vocab.STATUS_ATTENDED:
            session.add(Attendance(registration=reg, mark=rng.choices(
                list(vocab.CAME_MARKS), weights=[92, 5, 3])[0], marked_at=when))
    return len(people)


def _facilitators_and_notes(session: Session, meeting: Meeting, rooms: list[Room],
                            rng: random.Random, when: dt.datetime) -> None:
    from sqlalchemy import select

    assigned = session.execute(
        select(Assignment, Registration).join(Registration).where(Registration.meeting_id == meeting.id)
    ).all()
    by_room: dict[int, list[tuple[Assignment, Registration]]] = {}
    for a, r in assigned:
        by_room.setdefault(a.room_id, []).append((a, r))
    # One facilitator per room, from willing people of facilitator bodies where possible.
    for room in rooms:
        members = by_room.get(room.id, [])
        willing = [(a, r) for a, r in members if r.willing_facilitator] or members
        if willing:
            a, r = willing[0]
            a.is_facilitator = True
            r.role = "ファシリテーター"
            room.facilitator_id = r.person_id
        session.add(RoomNote(
            room_id=room.id, theme=room.theme,
            participants="、".join(dict.fromkeys(r.org_text for _, r in members if r.org_text)),
            issues=rng.choice(NOTES["issues"]), efforts=rng.choice(NOTES["efforts"]),
            requests=rng.choice(NOTES["requests"]), summary=rng.choice(NOTES["summary"]),
            updated_at=when + dt.timedelta(hours=1), updated_by="demo",
        ))
