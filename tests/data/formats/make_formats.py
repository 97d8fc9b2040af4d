"""Writes the export fixtures next to this file (run once; the files are committed).

    .venv/bin/python tests/data/formats/make_formats.py

Each file has the layout its tool writes, as documented publicly (SOURCES.md names where each
layout comes from); the people, organisations and answers are made up from the domain (DOMAIN.md).
The rows each file holds, and what becomes of each, are in tests/test_registrations_formats.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent


def write_csv(name: str, rows: list[list[str]], encoding: str = "utf-8", delimiter: str = ",") -> None:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    (HERE / name).write_bytes(buf.getvalue().encode(encoding))


def write_xlsx(name: str, rows: list[list[object]], sheet: str = "Sheet1") -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for r in rows:
        ws.append(r)
    wb.save(HERE / name)


def t(day: int, h: int, m: int, s: int = 0) -> dt.datetime:
    return dt.datetime(2027, 1, day, h, m, s)


# Microsoft Forms, Japanese UI, a registration form (Excel export: ID, 開始時刻, 完了時刻, メール, 名前,
# 最終変更時刻, then one column per question; a multi-select joined with 「;」 and a trailing 「;」).
MS_HEAD = ["ID", "開始時刻", "完了時刻", "メール", "名前", "最終変更時刻", "所属（法人・機関名）",
           "担当している事業（複数選択可）", "参加方法", "希望テーマ（第1希望）", "ご質問・ご要望"]
MS_REG = [
    MS_HEAD,
    [1, t(5, 9, 58, 12), t(5, 10, 2, 40), "kato.m@city.iwamizawa.example.jp", "加藤 美咲", None,
     "岩見沢市 健康福祉部 福祉課", "自立相談支援事業;家計改善支援事業;", "オンライン", "就労準備支援事業", ""],
    [2, t(5, 13, 1, 5), t(5, 13, 4, 22), "ono.k@city.ebetsu.example.jp", "小野 健一", None,
     "江別市 生活支援課", "自立相談支援事業;", "会場", "一時生活支援事業", "初めて参加します"],
    [3, t(6, 8, 40, 0), t(6, 8, 41, 30), "anonymous", "anonymous", None, "", "", "", "", "テスト送信です"],
    [4, t(6, 11, 15, 0), t(6, 11, 19, 9), "kato.m@city.iwamizawa.example.jp", "加藤 美咲", t(6, 11, 30, 0),
     "岩見沢市 健康福祉部 福祉課", "自立相談支援事業;家計改善支援事業;", "会場", "就労準備支援事業", "会場参加に変更します"],
    [5, t(7, 16, 20, 0), t(7, 16, 22, 45), "sasaki.r@town.example.jp", "佐々木 亮", None,
     "NPO法人コミュニティワーク研究実践センター", "就労準備支援事業;", "オンライン", "テーマを決めずに様々な話がしたい", ""],
]
# Microsoft Forms, a survey without sign-in (メール / 名前 are 「anonymous」).
MS_SURVEY = [
    ["ID", "開始時刻", "完了時刻", "メール", "名前", "情報交換会に参加して", "開催内容についての希望", "ご意見・ご感想"],
    [1, t(20, 15, 1), t(20, 15, 3), "anonymous", "", "とても役に立った", "テーマ別のディスカッション;講師を招いた勉強会;", "事例が参考になりました。"],
    [2, t(20, 15, 2), t(20, 15, 5), "anonymous", "", "役に立った", "テーマ別のディスカッション;", ""],
    [3, t(20, 15, 4), t(20, 15, 6), "anonymous", "", "役に立った", "講師を招いた勉強会;", "次回も参加したいです。"],
    [4, t(20, 15, 9), t(20, 15, 12), "anonymous", "", "参加できなかった", "", ""],
]

# connpass participant CSV (cp932): 参加枠名, ユーザー名, 表示名, 利用開始日, コメント, 参加ステータス,
# 出欠ステータス, 出席日時, the event's questionnaire, 更新日時, 受付番号.
CP_HEAD = ["参加枠名", "ユーザー名", "表示名", "利用開始日", "コメント", "参加ステータス", "出欠ステータス", "出席日時",
           "お勤め先", "メールアドレス（任意）", "希望するテーマ", "更新日時", "受付番号"]
CP_1 = [
    CP_HEAD,
    ["オンライン参加", "hokkaido_fukushi", "高橋 修", "2019/04/01", "よろしくお願いします", "参加", "", "",
     "北見市社会福祉協議会", "takahashi@example.org", "就労準備支援事業", "2027/01/08 10:12:00", "1001"],
    ["オンライン参加", "mori_s", "森 早苗", "2021/06/15", "", "参加", "", "", "ワークフェアオホーツク", "",
     "一時生活支援事業", "2027/01/08 11:40:00", "1002"],
    ["会場参加（札幌）", "yoshida-h", "吉田 博", "2020/02/02", "", "参加", "", "", "札幌市 保護指導課", "",
     "制度の運営について（自治体担当者）", "2027/01/09 09:05:00", "1003"],
    ["会場参加（札幌）", "ito_n", "伊藤 直子", "2022/10/10", "", "キャンセル", "", "", "帯広市自立相談支援センターふらっと",
     "", "", "2027/01/10 18:30:00", "1004"],
    ["会場参加（札幌）", "nakamura_y", "中村 由美", "2023/03/03", "", "補欠", "", "", "釧路市 生活福祉事務所", "",
     "", "2027/01/11 08:00:00", "1005"],
    ["オンライン参加", "(退会ユーザー)", "松本 健太", "2018/05/05", "", "参加", "", "", "旭川市 福祉保険部", "",
     "就労準備支援事業", "2027/01/11 20:00:00", "1006"],
]
# The same event a week later: 森 早苗 cancelled, a new participant.
CP_2 = [CP_HEAD] + [list(r) for r in CP_1[1:]] + [
    ["オンライン参加", "kobayashi_a", "小林 彩", "2024/01/20", "", "参加", "", "", "名寄市 保健福祉部", "",
     "就労準備支援事業", "2027/01/15 09:30:00", "1007"],
]
CP_2[2][5], CP_2[2][11] = "キャンセル", "2027/01/14 12:00:00"

# Peatix attendee CSV (UTF-8 with BOM): the sales columns, then the event's form questions.
PX = [
    ["販売ID", "ユーザーID", "参加者名", "アカウント名", "注文日時", "チケット名", "枚数", "チケットID", "ステータス",
     "割引コード", "氏名", "メールアドレス", "所属団体"],
    ["S-2001", "p1001", "ワタナベ ユウコ", "yuko_w", "2027/01/04 10:00", "オンライン参加（無料）", "1", "T-1", "無料", "",
     "渡辺 優子", "watanabe@example.org", "苫小牧市社会福祉協議会"],
    ["S-2002", "p1002", "ヤマグチ ダイスケ", "dai_y", "2027/01/04 12:30", "会場参加（資料代 500円）", "1", "T-2", "支払済", "",
     "山口 大輔", "yamaguchi@example.org", "函館市 生活支援課"],
    ["S-2003", "p1003", "サイトウ メグミ", "megu", "2027/01/05 09:10", "会場参加（資料代 500円）", "1", "T-3", "キャンセル", "",
     "斉藤 恵", "saito@example.org", "室蘭市 保健福祉部"],
    ["S-2004", "p1004", "イノウエ タクヤ", "takuya_i", "2027/01/05 21:45", "会場参加（資料代 500円）", "1", "T-4", "期限切れ", "",
     "井上 拓也", "inoue@example.org", "小樽市 生活サポートセンター"],
    ["S-2005", "p1005", "キムラ サチコ", "sachi", "2027/01/06 08:05", "オンライン参加（無料）", "1", "T-5", "無料", "",
     "", "", ""],
]

# Generic lists partners make: English headers; a municipal office's attendance list without e-mail.
ENGLISH = [
    ["Full Name", "E-mail Address", "Organization", "Department", "Comments"],
    ["Sato Yuki", "sato.yuki@example.org", "Sapporo City Welfare Office", "Protection Section", ""],
    ["山本 翔", "yamamoto@example.org", "NPO法人 はまなす", "", "日本語の名前です"],
    ["Tanaka Emi", "tanaka.emi@example.org", "Asahikawa Social Welfare Council", "", "Online"],
]
MUNICIPAL = [
    ["令和8年度 第4回情報交換会 出席予定者一覧（石狩振興局管内）"],
    [],
    ["No", "名前", "フリガナ", "所属", "部署"],
    ["1", "石川 智子", "イシカワ トモコ", "千歳市", "福祉課"],
    ["2", "岡田 誠", "オカダ マコト", "恵庭市", "生活支援課"],
    ["3", "長谷川 陽子", "ハセガワ ヨウコ", "北広島市", "福祉課"],
    ["4", "石川 智子", "イシカワ トモコ", "千歳市", "福祉課"],
]
SEMICOLON = [
    ["氏名", "メールアドレス", "所属（法人・機関名）", "担当している事業（複数選択可）"],
    ["藤田 恭子", "fujita@example.org", "岩見沢市社会福祉協議会", "自立相談支援事業, 家計改善支援事業"],
    ["西村 剛", "nishimura@example.org", "NPO法人 あすなろ", "就労準備支援事業"],
    ["","",""],
    ["坂本 理恵", "sakamoto@example.org", "留萌市 福祉課", ""],
]


def main() -> None:
    write_xlsx("ms_forms_registration.xlsx", MS_REG, sheet="Sheet1")
    write_xlsx("ms_forms_survey.xlsx", MS_SURVEY, sheet="Sheet1")
    write_csv("connpass_participants.csv", CP_1, encoding="cp932")
    write_csv("connpass_participants_later.csv", CP_2, encoding="cp932")
    write_csv("peatix_attendees.csv", PX, encoding="utf-8-sig")
    write_csv("english_headers.csv", ENGLISH, encoding="utf-8")
    write_csv("municipal_attendance_no_email.csv", MUNICIPAL, encoding="cp932")
    write_csv("semicolon_separated.csv", SEMICOLON, encoding="utf-8-sig", delimiter=";")


if __name__ == "__main__":
    main()
