"""Demo survey answers and a demo open-chat history, so every page has something to show.

Built from the demo meetings' fictional people and stored through the same import functions the
pages use (a Google-Forms-shaped table, a LINE talk-history export), with their own seeded random
generator so the rest of the demo stays the same.
"""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from facilitation.files.tabular import Table
from facilitation.roles import SECRETARIAT_LOCAL
from facilitation.storage.models import Meeting, Organisation, Person, Registration
from facilitation.text import vocab

USEFUL = ["とても役に立った", "役に立った", "あまり役に立たなかった", "役に立たなかった", "参加できなかった"]
CONTINUE = ["継続してほしい", "どちらでもよい", "継続しなくてよい"]
FREQUENCY = ["年1-2回", "3-4か月に1回", "年6回", "毎月"]
CONTENTS = ["テーマ別のディスカッション", "講師を招いた勉強会（制度, 実務など）", "事例検討", "その他: 施設見学"]
COMMENTS = [  # free-text answers are put together from two of these, so they read as free text
    "他の自治体の家計改善支援事業の取り組みを聞けて、とても参考になりました。",
    "ブレイクアウトルームの時間が短く、もう少し話したかったです。",
    "ひきこもりの方への支援について、同じ悩みを持つ方と話せて心強かったです。",
    "初任者なので、プラン作成の進め方を具体的に聞けてよかったです。",
    "町村部の社会福祉協議会同士で情報交換できる場がもっとあるとうれしいです。",
    "就労準備支援事業の利用者が少ないことが共通の課題だと分かりました。",
    "次回は対面でも参加してみたいです。",
    "支援調整会議の工夫を持ち帰って、職場で共有します。",
    "一時生活支援事業の実情を初めて知りました。",
    "フードバンクとの連携の話が具体的で役立ちました。",
    "ファシリテーターの進行が丁寧で話しやすかったです。",
    "経験年数の近い人同士の部屋もあるとよいと思います。",
]

CHAT_LINES = [
    ("はじめまして。{org}の{name}です。よろしくお願いします。", False),
    ("ひきこもりの方の家族支援、皆さんどうしていますか？", True),
    ("うちでは家族会と一緒に、訪問の前に手紙から始めています。", False),
    ("フードバンクの在庫が少ないのですが、近隣で連携している団体があれば教えてください。", True),
    ("当市では社協と共同で食品の受け渡し場所を増やしました。", False),
    ("支援調整会議の進め方について、資料をノートに置きました。", False),
    ("就労体験先の開拓はどのようにされていますか？", True),
    ("次回の情報交換会、申込しました。よろしくお願いします。", False),
]


def _attended(session: Session, meeting: Meeting) -> list[tuple[Person, Organisation | None]]:
    rows = session.execute(
        select(Person, Organisation)
        .join(Registration, Registration.person_id == Person.id)
        .outerjoin(Organisation, Person.organisation_id == Organisation.id)
        .where(Registration.meeting_id == meeting.id, Registration.status == vocab.STATUS_ATTENDED)
        .order_by(Person.id)
    ).all()
    return [(p, o) for p, o in rows]


def survey_table(session: Session, meeting: Meeting, rng: random.Random) -> Table:
    """The post-event survey of one meeting, shaped like a Google Forms response sheet."""
    headers = ["タイムスタンプ", "メールアドレス", "お名前", "ご所属（機関名）", "情報交換会に参加して、いかがでしたか",
               "次年度の継続について", "希望する開催頻度", "開催内容についての希望（複数選択可）",
               "今回の満足度を10段階で教えてください", "ご意見・ご感想"]
    rows = []
    people = _attended(session, meeting)
    for i, (person, org) in enumerate(people):
        if rng.random() < 0.25:  # not everyone answers
            continue
        when = meeting.starts_at + dt.timedelta(hours=3, minutes=i * 7)
        picked = [c for c in CONTENTS if rng.random() < (0.6 if c.startswith("テーマ") else 0.35)]
        rows.append([
            when.strftime("%Y/%m/%d %H:%M:%S"), person.email, person.name, org.name if org else "",
            rng.choices(USEFUL, weights=[36, 56, 6, 1, 1])[0], rng.choices(CONTINUE, weights=[80, 17, 3])[0],
            rng.choices(FREQUENCY, weights=[36, 31, 25, 8])[0], ", ".join(picked),
            str(rng.choices(range(1, 11), weights=[1, 1, 1, 2, 4, 6, 10, 14, 9, 6])[0]),
            "" if rng.random() < 0.3 else "".join(rng.sample(COMMENTS, k=rng.choice([1, 2, 2]))),
        ])
    return Table(headers=headers, rows=rows, source="デモ: 情報交換会アンケート")


def chat_export(session: Session, meetings: list[Meeting], rng: random.Random) -> str:
    """A LINE open-chat talk history (Japanese iOS format) between the demo meetings."""
    people = {}
    for m in meetings:
        for person, org in _attended(session, m):
            if org is not None and org.kind != vocab.KIND_NATIONAL:
                people[person.id] = (person, org)
    members = rng.sample(sorted(people.values(), key=lambda po: po[0].id), k=min(25, len(people)))
    first = meetings[0].starts_at.date() + dt.timedelta(days=3)
    days: dict[dt.date, list[str]] = {}

    def nickname(person: Person, org: Organisation) -> str:
        short = next((a.alias for a in org.aliases), org.municipality or org.office or org.name)
        return f"{short}&{person.name.split(' ')[0]}"

    def add(day: dt.date, minute: int, line: str) -> None:
        days.setdefault(day, []).append((minute, line))

    for i, (person, org) in enumerate(members):
        day = first + dt.timedelta(days=i * 9)
        nick = nickname(person, org)
        add(day, 9 * 60 + i, f"{9 + i // 60:02d}:{i % 60:02d}\t\t{nick}が参加しました。")
        add(day, 9 * 60 + i + 1, f"{9 + (i + 1) // 60:02d}:{(i + 1) % 60:02d}\t{nick}\t"
            + CHAT_LINES[0][0].format(org=org.office or org.name, name=person.name.split(" ")[0]))
        if i % 3 == 1:
            text, _ = CHAT_LINES[1 + (i // 3) % (len(CHAT_LINES) - 1)]
            add(day + dt.timedelta(days=1), 20 * 60 + i, f"20:{i % 60:02d}\t{nick}\t{text}")
            if rng.random() < 0.7:  # someone else answers the next morning
                other = nickname(*members[(i + 4) % len(members)])
                add(day + dt.timedelta(days=2), 8 * 60 + 30, f"08:30\t{other}\t{CHAT_LINES[2][0]}")
    lines = ["[LINE] どうねっと（北海道生活困窮者支援ネットワーク）のトーク履歴",
             f"保存日時：{(max(days) + dt.timedelta(days=1)):%Y/%m/%d} 21:00", ""]
    for day in sorted(days):
        lines.append(f"{day:%Y/%m/%d}({'月火水木金土日'[day.weekday()]})")
        lines.extend(line for _, line in sorted(days[day]))
        lines.append("")
    return "\r\n".join(lines)


def generate(session: Session, seed: int = 2022) -> dict[str, int]:
    """Add the demo survey (the latest past meeting) and the open-chat history; returns counts."""
    from facilitation.openchat import store as chat_store
    from facilitation.surveys import store as survey_store

    rng = random.Random(seed)
    past = list(session.scalars(select(Meeting).where(Meeting.status == "開催済").order_by(Meeting.starts_at)))
    if not past:
        return {"survey_responses": 0, "chat_messages": 0}
    latest = past[-1]
    table = survey_table(session, latest, rng)
    survey_store.import_table(session, SECRETARIAT_LOCAL, table, title=f"第{latest.number}回 情報交換会 アンケート",
                              meeting_id=latest.id, source="demo", source_ref="demo")
    text = chat_export(session, past[-3:], rng)
    result = chat_store.import_bytes(session, SECRETARIAT_LOCAL, text.encode("utf-8"), file_name="デモ_トーク履歴.txt")
    return {"survey_responses": len(table.rows), "chat_messages": result.messages_added}
