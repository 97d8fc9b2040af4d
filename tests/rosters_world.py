"""A small, known meeting for the rosters / notes / report / Zoom tests (people placed by hand)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from facilitation.meetings.schedule import DEFAULT_PROGRAM
from facilitation.storage.models import Assignment, Meeting, Organisation, Person, Registration, Room
from facilitation.text.normalize import org_key, person_key

UPCOMING = dt.datetime(2026, 12, 10, 14, 0)


@dataclass
class World:
    meeting_id: int
    earlier_meeting_id: int
    rooms: dict[str, int]  # R1 → room id
    regs: dict[str, int]  # label → registration id


def _org(s: Session, name: str, kind: str, region: str, programs: list[str]) -> Organisation:
    org = Organisation(name=name, kind=kind, region=region, programs=programs, name_key=org_key(name))
    s.add(org)
    return org


def _person(s: Session, name: str, kana: str, org: Organisation, role: str, email: str = "") -> Person:
    p = Person(name=name, furigana=kana, email=email, organisation=org, role_title=role,
               name_key=person_key(name))
    s.add(p)
    return p


def build(s: Session) -> World:
    """Two meetings: an earlier one (佐藤 attended, 鈴木 was absent) and 2026-12-10 with three rooms."""
    link = _org(s, "NPO法人りんく", "NPO等", "石狩振興局", ["自立相談支援事業"])
    ebetsu = _org(s, "江別市", "自治体", "石狩振興局", ["自立相談支援事業"])
    tobetsu = _org(s, "当別町社会福祉協議会", "社協", "石狩振興局", ["自立相談支援事業", "家計改善支援事業"])
    mhlw = _org(s, "厚生労働省", "国", "道外", ["その他"])
    okhotsk = _org(s, "北見市社会福祉協議会", "社協", "オホーツク総合振興局", ["就労準備支援事業"])
    people = {
        "sato": _person(s, "佐藤 陽子", "さとう ようこ", link, "主任相談支援員", "sato.yoko@example.org"),
        "tanaka1": _person(s, "田中 誠", "たなか まこと", ebetsu, "自治体担当者"),
        "takahashi": _person(s, "高橋 美咲", "たかはし みさき", tobetsu, "相談支援員"),
        "suzuki": _person(s, "鈴木 健太", "すずき けんた", ebetsu, "自治体担当者", "kenta.suzuki@example.org"),
        "tanaka2": _person(s, "田中 誠", "たなか まこと", mhlw, "自治体担当者"),
        "ito": _person(s, "伊藤 直子", "いとう なおこ", tobetsu, "家計改善支援員"),
        "watanabe": _person(s, "渡辺 大樹", "わたなべ だいき", link, "相談支援員"),
        "yamamoto": _person(s, "山本 翔", "やまもと しょう", okhotsk, "就労支援員", "sho.yamamoto@example.org"),
        "kimura": _person(s, "木村 彩", "きむら あや", okhotsk, "相談支援員"),
    }
    earlier = Meeting(number=1, title="北海道生活困窮者支援ネットワーク 情報交換会", starts_at=dt.datetime(2026, 7, 1, 14),
                      ends_at=dt.datetime(2026, 7, 1, 16, 30), fiscal_year=2026, status="開催済",
                      program=[dict(p) for p in DEFAULT_PROGRAM])
    meeting = Meeting(number=2, title="北海道生活困窮者支援ネットワーク 情報交換会", starts_at=UPCOMING,
                      ends_at=UPCOMING + dt.timedelta(hours=2, minutes=30), fiscal_year=2026, status="募集中",
                      format="オンライン", venue="Zoom", program=[dict(p) for p in DEFAULT_PROGRAM])
    s.add_all([earlier, meeting])
    s.flush()
    s.add(Registration(meeting=earlier, person=people["sato"], status="出席"))
    s.add(Registration(meeting=earlier, person=people["suzuki"], status="欠席"))
    rooms = {}
    for i, theme in enumerate(["ひきこもり支援", "家計改善支援事業", "制度の運営について（自治体担当者）"], 1):
        room = Room(meeting=meeting, position=i, name=f"ルーム{i}", theme=theme, zoom_name=f"R{i}", capacity=6)
        s.add(room)
        rooms[f"R{i}"] = room
    s.flush()
    placement = {"sato": "R1", "tanaka1": "R1", "takahashi": "R2", "suzuki": "R2", "tanaka2": "R3",
                 "ito": "R3", "watanabe": "R3", "yamamoto": None, "kimura": "R1"}
    regs = {}
    for label, room in placement.items():
        reg = Registration(meeting=meeting, person=people[label], org_text=people[label].organisation.name,
                           status="キャンセル" if label == "kimura" else "申込",
                           role="ファシリテーター" if label == "sato" else "参加者",
                           programs=list(people[label].organisation.programs))
        s.add(reg)
        s.flush()
        regs[label] = reg.id
        if room:
            s.add(Assignment(registration_id=reg.id, room_id=rooms[room].id, is_facilitator=label == "sato"))
    s.flush()
    return World(meeting_id=meeting.id, earlier_meeting_id=earlier.id,
                 rooms={k: r.id for k, r in rooms.items()}, regs=regs)


def move(s: Session, registration_id: int, room_id: int) -> None:
    """What the secretariat's room editor does: change one assignment (versioned)."""
    from sqlalchemy import select

    a = s.scalar(select(Assignment).where(Assignment.registration_id == registration_id))
    if a is None:
        s.add(Assignment(registration_id=registration_id, room_id=room_id, updated_by="test"))
    else:
        a.room_id = room_id
    s.flush()


def cli(argv: list[str]) -> int:
    """`python -m facilitation` with only this area's subcommands (others' may be mid-change).

    Same error handling as facilitation.cli.main.
    """
    import argparse
    import sys

    from facilitation.commands import report as commands

    parser = argparse.ArgumentParser(prog="python -m facilitation")
    parser.add_argument("--db")
    commands.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, LookupError, OSError) as exc:
        print(f"エラー: {exc}", file=sys.stderr)
        return 2
