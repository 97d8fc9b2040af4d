"""The demo spreadsheet: a registration tab for the demo's upcoming meeting and a survey tab,
served by the local Sheets emulator (`python -m facilitation sheets-emulator`, the tests).
"""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from pathlib import Path

from sqlalchemy import select

from facilitation.demo import dataset
from facilitation.meetings import schedule
from facilitation.registrations import forms
from facilitation.sheets.emulator import SheetsEmulator
from facilitation.storage import db
from facilitation.storage.models import Registration

DEMO_KEY = "donet-demo-registrations-2026"
DEMO_URL = f"https://docs.google.com/spreadsheets/d/{DEMO_KEY}/edit#gid=0"
REGISTRATION_TAB = "フォームの回答 1"
SURVEY_TAB = "アンケート"


def demo_tabs(db_url: str | None = None) -> dict[str, list[list[str]]]:
    """A registration tab for the demo's upcoming meeting and a survey tab.

    Built from the database at `db_url` when it has an upcoming meeting (so a sync there merges:
    known people are duplicates, a few are new, some rows need attention), else from a fresh demo.
    """
    tmp = None
    if db_url is None or db.is_empty(db_url):
        tmp = tempfile.TemporaryDirectory()
        db_url = f"sqlite:///{Path(tmp.name) / 'demo.sqlite3'}"
        with db.session(db_url, actor="sheets-emulator") as s:
            dataset.generate(s)
    rng = random.Random(2026)
    rows: list[list[str]] = []
    with db.session(db_url, actor="sheets-emulator") as s:
        meeting = schedule.upcoming_meeting(s)
        themes = [r.theme for r in meeting.rooms] if meeting else []
        regs = list(s.scalars(select(Registration).where(Registration.meeting_id == meeting.id)
                              .order_by(Registration.id))) if meeting else []
        for reg in regs:
            p, org = reg.person, reg.person.organisation
            rows.append(_form_row(rng, reg.submitted_at or dt.datetime(2026, 11, 20, 10), p.email, p.name,
                                  p.furigana, _typed(rng, org.name if org else reg.org_text),
                                  org.region if org else "", reg.programs, p.role_title, p.years_experience,
                                  reg.attendance_mode, [reg.choice1, reg.choice2, reg.choice3],
                                  reg.willing_facilitator))
    if tmp:
        db.get_engine(db_url).dispose()
        tmp.cleanup()
    when = dt.datetime(2026, 11, 28, 9, 0)
    theme = (themes or ["テーマを決めずに様々な話がしたい"])
    extra = [
        ("kondo.miki@example.org", "近藤 美紀", "こんどう みき", "りんく", "空知総合振興局"),
        ("ogawa.jun@example.org", "小川 純", "おがわ じゅん", "（特非）ワークフェア ふくろう", "オホーツク総合振興局"),
        ("noguchi.ai@example.org", "野口 愛", "のぐち あい", "ＪＯＩＮ", "石狩振興局"),
        ("hirano.ken@example.org", "平野 健", "ひらの けん", "帯広市自立相談支援センター ふらっと", "十勝総合振興局"),
        ("sugawara.yu@example.org", "菅原 由", "すがわら ゆう", "NPO法人 はまなす生活相談室", "渡島総合振興局"),
    ]
    for i, (email, name, kana, org_text, region) in enumerate(extra):
        rows.append(_form_row(rng, when + dt.timedelta(hours=i), email, name, kana, org_text, region,
                              ["自立相談支援事業"], "相談支援員", 2, "オンライン",
                              rng.sample(theme, k=min(3, len(theme))), i % 2 == 0))
    if rows:  # an edited answer: the first registrant changes their first choice a week later
        again = list(rows[0])
        again[0] = (when + dt.timedelta(days=3)).strftime("%Y/%m/%d %H:%M:%S")
        again[11] = theme[-1]
        rows.append(again)
    rows.append(_form_row(rng, when + dt.timedelta(days=1), "", "", "", "江別市社協", "石狩振興局",
                          [], "", None, "オンライン", ["", "", ""], False))
    rows.append(_form_row(rng, when + dt.timedelta(days=1, hours=1), "takeda@example", "武田 聡", "たけだ さとし",
                          "江別市社会福祉協議会", "石狩振興局", ["家計改善支援事業"], "家計改善支援員", 5, "オンライン",
                          [theme[0], "", ""], False))
    rows.append(_form_row(rng, when + dt.timedelta(days=2), "maeda.sho@example.org", "前田 翔", "まえだ しょう",
                          "名寄市社協", "上川総合振興局", ["自立相談支援事業"], "主任相談支援員", 8, "会場",
                          ["ひきこもり支援について話したい", theme[0], ""], True))
    rows.sort(key=lambda r: r[0])
    return {REGISTRATION_TAB: [forms.STANDARD_HEADERS, *rows], SURVEY_TAB: _survey_rows(rng)}


def _typed(rng: random.Random, name: str) -> str:
    """An organisation name the way people type it: full-width, spaces, short legal forms."""
    variants = [name, name.replace("NPO法人", "ＮＰＯ法人 "), name.replace("NPO法人", "（特非）"),
                name.replace("社会福祉協議会", "社協"), name.replace("一般社団法人", "一社"),
                name.replace("株式会社", "(株)")]
    return rng.choice(variants)


def _form_row(rng, when, email, name, kana, org, region, programs, role, years, mode, choices, willing) -> list[str]:
    years_text = "" if years is None else (f"{years:g}年" if years >= 1 else "1年未満")
    return [when.strftime("%Y/%m/%d %H:%M:%S"), email, name, kana, org, "", region, ", ".join(programs),
            role, years_text, "会場（札幌）" if mode == "会場" else "オンライン（Zoom）",
            *(list(choices) + ["", "", ""])[:3], "はい" if willing else "いいえ", ""]


def _survey_rows(rng: random.Random) -> list[list[str]]:
    headers = ["タイムスタンプ", "情報交換会に参加して", "次年度の継続", "希望開催頻度", "開催内容についての希望",
               "ご意見・ご感想"]
    ratings = ["とても役に立った", "役に立った", "あまり役に立たなかった", "役に立たなかった", "参加できなかった"]
    cont = ["継続してほしい", "どちらでもよい", "継続しなくてよい"]
    freq = ["年1-2回", "3-4か月に1回", "年6回", "毎月"]
    wishes = ["テーマ別のディスカッション", "講師を招いた勉強会", "事例検討（個人が特定されない形で）", "その他"]
    comments = ["他の地域の取り組みが聞けて参考になりました。", "", "小さな町の工夫をもっと知りたいです。",
                "ルームの時間がもう少し長いとよいです。", ""]
    rows = [headers]
    start = dt.datetime(2026, 12, 10, 16, 30)
    for i in range(36):
        chosen = rng.sample(wishes, k=rng.randint(1, 2))
        rows.append([(start + dt.timedelta(minutes=7 * i)).strftime("%Y/%m/%d %H:%M:%S"),
                     rng.choices(ratings, weights=[36, 56, 5, 1, 2])[0], rng.choices(cont, weights=[81, 15, 4])[0],
                     rng.choices(freq, weights=[36, 31, 25, 8])[0], ", ".join(chosen), rng.choice(comments)])
    return rows


def serve_demo(port: int = 8765, host: str = "127.0.0.1", db_url: str | None = None) -> SheetsEmulator:
    """Start an emulator holding the demo spreadsheet (returns once it is listening)."""
    emulator = SheetsEmulator(host, port)
    emulator.add_spreadsheet(DEMO_KEY, demo_tabs(db_url), title="情報交換会 申込フォーム（回答）")
    return emulator.start()
