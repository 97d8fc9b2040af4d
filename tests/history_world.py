"""A small, hand-made participation history whose figures are computed by hand in the tests.

Meetings (oldest first):
  m1 2024-06-10 情報交換会 オンライン   (FY2024, attendance recorded)
  m2 2024-10-10 情報交換会 ハイブリッド (FY2024, attendance recorded)
  m3 2025-02-10 勉強会     オンライン   (FY2024, NO attendance data: registrations only)
  m4 2025-06-10 情報交換会 オンライン   (FY2025, attendance recorded)
  upcoming 2026-12-10 (not history) and a 中止 meeting (not history).

Organisations: A NPOあおば (石狩・札幌市, target), B みどり町社会福祉協議会 (空知・岩見沢市, target),
C しろ市役所福祉課 (自治体, 上川・旭川市, target), D くろ町役場 (自治体, 根室, target, never comes),
E/F two ministry offices (国, 道外), G 一般社団法人つばさ (道外), H NPO法人ひかり (石狩, target,
merges into A), I オホーツク支援センター (オホーツク・北見市, target, comes once).

People: p1 p2 (A), p3 (B), p4 p5 (C), p6 (E), p7 (F), p8 (G), p9 (no organisation),
p10 (A at m1/m2, then moves to B: typed 「みどり町社会福祉協議会」 at m3 and 「みどり町社協」 at m4),
p11 (H), p12 (I).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from facilitation.storage.models import Attendance, Meeting, Organisation, Person, Registration
from facilitation.text.normalize import org_key, person_key

NOW = dt.datetime(2026, 11, 1, 12, 0)
DATES = {
    "m1": dt.datetime(2024, 6, 10, 14, 0),
    "m2": dt.datetime(2024, 10, 10, 14, 0),
    "m3": dt.datetime(2025, 2, 10, 14, 0),
    "m4": dt.datetime(2025, 6, 10, 14, 0),
}
NAMES = {f"p{i}": name for i, name in enumerate(
    ["", "青山 一郎", "青山 二葉", "緑川 三郎", "白石 四子", "白石 五郎", "国本 六美", "国本 七生",
     "翼田 八重", "無所 九太", "転居 十和", "光野 十一", "北見 十二"]) if i}
EMAILS = {k: f"{k}.person@example.org" for k in NAMES}


@dataclass
class World:
    orgs: dict[str, int]  # "A" → organisation id
    people: dict[str, int]  # "p1" → person id
    meetings: dict[str, int]  # "m1" → meeting id


def _org(s: Session, name: str, kind: str, region: str, municipality: str, programs: list[str],
         target: bool) -> Organisation:
    org = Organisation(name=name, kind=kind, region=region, municipality=municipality, programs=programs,
                       is_target=target, name_key=org_key(name))
    s.add(org)
    return org


def build(s: Session) -> World:
    o = {
        "A": _org(s, "NPOあおば", "NPO等", "石狩振興局", "札幌市", ["自立相談支援事業"], True),
        "B": _org(s, "みどり町社会福祉協議会", "社協", "空知総合振興局", "岩見沢市", ["家計改善支援事業"], True),
        "C": _org(s, "しろ市役所福祉課", "自治体", "上川総合振興局", "旭川市", ["自立相談支援事業"], True),
        "D": _org(s, "くろ町役場", "自治体", "根室振興局", "根室市", ["自立相談支援事業"], True),
        "E": _org(s, "厚生労働省 地域福祉課", "国", "道外", "", ["その他"], False),
        "F": _org(s, "厚生労働省 就労支援室", "国", "道外", "", ["その他"], False),
        "G": _org(s, "一般社団法人つばさ", "NPO等", "道外", "", ["一時生活支援事業"], False),
        "H": _org(s, "NPO法人ひかり", "NPO等", "石狩振興局", "札幌市", ["就労準備支援事業"], True),
        "I": _org(s, "オホーツク支援センター", "NPO等", "オホーツク総合振興局", "北見市", ["自立相談支援事業"], True),
    }
    home = {"p1": "A", "p2": "A", "p3": "B", "p4": "C", "p5": "C", "p6": "E", "p7": "F", "p8": "G",
            "p9": None, "p10": "B", "p11": "H", "p12": "I"}
    p = {}
    for key, org in home.items():
        p[key] = Person(name=NAMES[key], email=EMAILS[key], organisation=o[org] if org else None,
                        name_key=person_key(NAMES[key]))
        s.add(p[key])
    m = {}
    for key, when in DATES.items():
        kind = "勉強会" if key == "m3" else "情報交換会"
        fmt = "ハイブリッド" if key == "m2" else "オンライン"
        m[key] = Meeting(number=int(key[1]), kind=kind, title=kind, starts_at=when, format=fmt,
                         fiscal_year=when.year if when.month >= 4 else when.year - 1, status="開催済")
    m["future"] = Meeting(number=1, kind="情報交換会", title="次回", starts_at=dt.datetime(2026, 12, 10, 14),
                          format="オンライン", fiscal_year=2026, status="募集中")
    m["cancelled"] = Meeting(number=9, kind="情報交換会", title="中止になった会",
                             starts_at=dt.datetime(2025, 9, 1, 14), format="オンライン", fiscal_year=2025,
                             status="中止")
    s.add_all(m.values())
    s.flush()

    def reg(meeting: str, person: str, status: str, *, mark: str | None = None, role: str = "参加者",
            org_text: str | None = None, programs: list[str] | None = None) -> None:
        org = home[person]
        text = org_text if org_text is not None else (o[org].name if org else "")
        r = Registration(meeting=m[meeting], person=p[person], status=status, role=role, org_text=text,
                         programs=programs or [])
        s.add(r)
        if mark:
            s.add(Attendance(registration=r, mark=mark))

    a_name = o["A"].name
    # m1: ten came (p3 cancelled; p5 registered, tapped 遅刻 in the room: came).
    reg("m1", "p1", "出席")
    reg("m1", "p2", "出席", role="ファシリテーター")
    reg("m1", "p3", "キャンセル")
    reg("m1", "p4", "出席")
    reg("m1", "p5", "申込", mark="遅刻")
    reg("m1", "p6", "出席")
    reg("m1", "p7", "出席")
    reg("m1", "p9", "出席")
    reg("m1", "p10", "出席", org_text=a_name)
    reg("m1", "p11", "出席")
    reg("m1", "p12", "出席", programs=["就労準備支援事業", "家計改善支援事業"])
    # m2: six came (p2 absent; p4 marked 欠席 in the room although the status says 出席).
    reg("m2", "p1", "出席")
    reg("m2", "p2", "欠席")
    reg("m2", "p3", "出席")
    reg("m2", "p4", "出席", mark="欠席")
    reg("m2", "p6", "出席")
    reg("m2", "p8", "出席", role="登壇者")
    reg("m2", "p10", "出席", org_text=a_name)
    reg("m2", "p11", "出席")
    # m3: no attendance data at all, so every registration that is not cancelled counts.
    reg("m3", "p1", "申込")
    reg("m3", "p3", "キャンセル")
    reg("m3", "p4", "申込")
    reg("m3", "p5", "申込")
    reg("m3", "p10", "申込", org_text="みどり町社会福祉協議会")
    # m4: six came; p10 types the short form of B.
    reg("m4", "p1", "出席")
    reg("m4", "p2", "キャンセル")
    reg("m4", "p3", "出席")
    reg("m4", "p4", "出席")
    reg("m4", "p7", "出席")
    reg("m4", "p10", "出席", org_text="みどり町社協")
    reg("m4", "p11", "出席")
    # Not history: the upcoming meeting and the cancelled one.
    reg("future", "p2", "申込")
    reg("cancelled", "p2", "出席")
    s.flush()
    return World(orgs={k: v.id for k, v in o.items()}, people={k: v.id for k, v in p.items()},
                 meetings={k: v.id for k, v in m.items()})


def make(url: str, *, merge: bool = True) -> World:
    """Build the world in the database at `url`; with merge=True, H is recorded as merged into A."""
    from facilitation.orgs import merges as org_merges
    from facilitation.roles import SECRETARIAT_LOCAL
    from facilitation.storage import db

    with db.session(url, actor="test") as s:
        world = build(s)
        if merge:
            org_merges.set_merge(s, SECRETARIAT_LOCAL, world.orgs["H"], world.orgs["A"])
    return world


def load(url: str, viewer=None):
    """The world's History as `viewer` sees it (the secretariat by default), at NOW."""
    from facilitation.history import participation
    from facilitation.roles import SECRETARIAT_LOCAL
    from facilitation.storage import db

    with db.session(url) as s:
        return participation.load(s, viewer or SECRETARIAT_LOCAL, now=NOW)
