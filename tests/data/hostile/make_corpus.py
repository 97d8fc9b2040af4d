"""Writes the hostile-input corpus next to this file (run once; the files are committed).

    .venv/bin/python tests/data/hostile/make_corpus.py

reg_*: registration form answers; survey_*: survey responses; chat_*: LINE open-chat exports.
Each file's expected outcome is in tests/test_hostile_inputs.py. The 200 MB upload is not here:
the test generates it in a temporary directory.
"""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
HEAD = ("タイムスタンプ,メールアドレス,氏名,ふりがな,所属（法人・機関名）,部署・事業所名,地域（振興局）,"
        "担当している事業（複数選択可）,職種・立場,経験年数,参加方法,希望テーマ（第1希望）,希望テーマ（第2希望）,"
        "希望テーマ（第3希望）,ファシリテーターの協力,備考")
GOOD = [
    "2026/11/20 10:15:32,yamada.taro@example.org,山田 太郎,やまだ たろう,江別市社協,,石狩振興局,自立相談支援事業,相談支援員,5年,オンライン,就労準備支援事業,,,はい,",
    "2026/11/21 9:02:10,sato.hanako@example.org,佐藤 花子,さとう はなこ,りんく,,空知総合振興局,自立相談支援事業,主任相談支援員,1年未満,会場（札幌）,一時生活支援事業,,,いいえ,",
]


def row(ts: str, email: str, name: str, note: str = "", org: str = "江別市社協", kana: str = "") -> str:
    def q(v: str) -> str:
        return '"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\n\r') else v
    return ",".join(q(v) for v in [ts, email, name, kana, org, "", "", "", "", "", "", "", "", "", "", note])


def csv_text(*rows: str) -> str:
    return "\n".join([HEAD, *rows]) + "\n"


def w(name: str, data: bytes | str, encoding: str = "utf-8") -> None:
    (HERE / name).write_bytes(data if isinstance(data, bytes) else data.encode(encoding))


def xlsx(rows: list[list[object]], sheets: int = 1) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "フォームの回答 1"
    for r in rows:
        ws.append(r)
    for i in range(1, sheets):
        wb.create_sheet(f"空のシート{i}")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def registrations() -> None:
    rng = random.Random(9)
    w("reg_empty.csv", b"")
    w("reg_only_bom.csv", b"\xef\xbb\xbf")
    w("reg_whitespace_only.csv", "   \n\n\t\n")
    w("reg_binary.csv", bytes(rng.randrange(256) for _ in range(4096)))
    w("reg_png_renamed.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(2048)))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("hello.txt", "not a workbook")
    w("reg_zip_not_xlsx.xlsx", buf.getvalue())
    w("reg_old_excel.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1024))
    w("reg_only_headers.csv", HEAD + "\n")
    w("reg_cp932.csv", csv_text(*GOOD), "cp932")
    w("reg_utf16.csv", "\ufeff" + csv_text(*GOOD), "utf-16-le")
    w("reg_euc_jp.csv", csv_text(*GOOD), "euc_jp")
    w("reg_broken_utf8_after_bom.csv", b"\xef\xbb\xbf" + csv_text(*GOOD).encode() + b"\xff\xfe\xfa")
    w("reg_formulas.csv", csv_text(
        row("2026/11/20 10:00", "f1@example.org", "=HYPERLINK(\"http://evil.example\",\"押して\")", "=1+1"),
        row("2026/11/20 10:01", "f2@example.org", "+田中 一郎", "@SUM(A1:A9)"),
        row("2026/11/20 10:02", "f3@example.org", "-鈴木 二郎", "=cmd|' /C calc'!A0"),
        row("2026/11/20 10:03", "f4@example.org", "\t高橋 三郎", "\r改行で始まる"),
    ))
    w("reg_html_js.csv", csv_text(
        row("2026/11/20 10:00", "x1@example.org", "<script>alert('x')</script>山本", "<img src=x onerror=alert(1)>"),
        row("2026/11/20 10:01", "x2@example.org", "<b>太字</b> 中村", "javascript:alert(1)"),
        row("2026/11/20 10:02", "x3@example.org", "Robert'); DROP TABLE people;-- 小林", "' OR '1'='1"),
    ))
    long_name = "長" * 10_000
    w("reg_10000_char_cells.csv", csv_text(
        row("2026/11/20 10:00", "long1@example.org", long_name),
        row("2026/11/20 10:01", "long2@example.org", "加藤 恵", "備" * 10_000, org="機" * 10_000),
        *GOOD,
    ))
    w("reg_duplicate_headers.csv",
      "氏名,メールアドレス,氏名,所属,所属\n伊藤 亮,ito@example.org,いとう りょう,りんく,江別市社協\n"
      "渡辺 彩,watanabe@example.org,わたなべ あや,ふらっと,\n")
    w("reg_mixed_dates.csv", csv_text(
        row("2026/11/20 10:15:32", "d1@example.org", "日付 一"),
        row("2026-11-20T09:05", "d2@example.org", "日付 二"),
        row("2026年11月20日 午後2:05", "d3@example.org", "日付 三"),
        row("45981.5", "d4@example.org", "日付 四"),
        row("11/20/2026 10:00 AM", "d5@example.org", "日付 五"),
        row("令和8年11月20日", "d6@example.org", "日付 六"),
        row("昨日", "d7@example.org", "日付 七"),
        row("", "d8@example.org", "日付 八"),
        row("2026/13/45 99:99", "d9@example.org", "日付 九"),
    ))
    w("reg_emoji_combining.csv", csv_text(
        row("2026/11/20 10:00", "e1@example.org", "👩‍💼 佐々木 舞"),
        row("2026/11/20 10:01", "e2@example.org", "𠮷田 隆"),  # outside the BMP
        row("2026/11/20 10:02", "e3@example.org", "か\u3099とう は\u309aる"),  # combining (dakuten)
        row("2026/11/20 10:03", "e4@example.org", "斎\U000e0100藤 翔"),  # ideographic variation selector
        row("2026/11/20 10:04", "e5@example.org", "ｻﾄｳ ﾀﾛｳ"),  # half-width kana
        row("2026/11/20 10:05", "e6@example.org", "\u200b森\u200d 大樹\u2028"),  # zero-width and line separator
        row("2026/11/20 10:06", "e7@example.org", "🏳️‍🌈"),  # no letters at all
    ))
    w("reg_bad_emails.csv", csv_text(
        row("2026/11/20 10:00", "not-an-email", "村上 舞"),
        row("2026/11/20 10:01", "a@b", "三浦 誠"),
        row("2026/11/20 10:02", "ＦＵＬＬ＠ＥＸＡＭＰＬＥ．ＯＲＧ", "全角 メール"),
        row("2026/11/20 10:03", "mailto:Mixed.Case@Example.org ", "大文字 メール"),
        *GOOD,
    ))
    w("reg_blank_rows.csv", HEAD + "\n\n" + GOOD[0] + "\n,,,,,,,,,,,,,,,\n\n" + GOOD[1] + "\n\n")
    w("reg_ragged_rows.csv", HEAD + "\n" + GOOD[0] + ",余分,さらに余分\n"
      + "2026/11/21 9:02:10,short@example.org,短い 行\n")
    w("reg_unbalanced_quote.csv", csv_text(GOOD[0], '2026/11/21 9:02,q@example.org,"閉じない 引用,りんく'))
    w("reg_nul_bytes.csv", csv_text(GOOD[0]).encode() + b"2026/11/21,nul@example.org,NUL\x00 \x00,\n")
    w("reg_mixed_newlines.csv", (HEAD + "\r\n" + GOOD[0] + "\r" + GOOD[1] + "\n").encode())
    w("reg_no_identity_columns.csv", "a,b,c\n1,2,3\n4,5,6\n")
    w("reg_tsv.csv", (HEAD + "\n" + GOOD[0]).replace(",", "\t") + "\n")
    w("reg_same_person_twice.csv", csv_text(GOOD[0], GOOD[0].replace("10:15:32", "11:00:00"), GOOD[1]))
    w("reg_formulas.xlsx", xlsx([HEAD.split(","),
                                 ["2026/11/20 10:00", "xf@example.org", "=1+1", "", "りんく"],
                                 ["2026/11/20 10:01", "xg@example.org", "小野 栞", "", "=cmd|' /C calc'!A0"]]))
    w("reg_many_sheets.xlsx", xlsx([HEAD.split(","), GOOD[0].split(",")], sheets=5))
    w("reg_headers_only.xlsx", xlsx([HEAD.split(",")]))


SURVEY_HEAD = "タイムスタンプ,メールアドレス,お名前,ご所属（機関名）,情報交換会に参加して、いかがでしたか,希望する開催頻度,ご意見・ご感想"


def surveys() -> None:
    w("survey_empty.csv", b"")
    w("survey_only_headers.csv", SURVEY_HEAD + "\n")
    w("survey_binary.xlsx", bytes(random.Random(3).randrange(256) for _ in range(3000)))
    w("survey_duplicate_headers.csv",
      "タイムスタンプ,ご意見・ご感想,ご意見・ご感想,情報交換会に参加して、いかがでしたか\n"
      "2021/12/17 16:30:01,前半の意見,後半の意見,とても役に立った\n2021/12/17 16:31:00,,,役に立った\n")
    w("survey_formulas.csv", SURVEY_HEAD + "\n"
      "2021/12/17 16:30:01,a@example.jp,=HYPERLINK(\"http://x\"),りんく,とても役に立った,年1-2回,=1+1\n"
      "2021/12/17 16:31:00,b@example.jp,-佐藤,@社協,役に立った,毎月,+81 電話してください\n")
    w("survey_html.csv", SURVEY_HEAD + "\n"
      "2021/12/17 16:30:01,h@example.jp,<script>alert(1)</script>,<b>りんく</b>,とても役に立った,年1-2回,"
      "\"<img src=x onerror=alert(1)>良かった\"\n")
    w("survey_long_comment.csv", SURVEY_HEAD + "\n2021/12/17 16:30:01,l@example.jp,長文 さん,りんく,役に立った,年6回,"
      + "とても長い意見" * 1428 + "です。！" + "\n")
    w("survey_mixed_dates.csv", SURVEY_HEAD + "\n" + "\n".join(
        f"{ts},m{i}@example.jp,回答 {i},りんく,役に立った,年1-2回,"
        for i, ts in enumerate(["2021/12/17 16:30:01", "2021-12-17", "2021年12月17日", "44547.7", "あとで", ""])) + "\n")
    w("survey_emoji.csv", SURVEY_HEAD + "\n2021/12/17 16:30:01,e@example.jp,👩‍💼 か\u3099とう,りんく,とても役に立った,年1-2回,"
      "楽しかった😊🎉 𠮷\n")
    w("survey_cp932.csv", SURVEY_HEAD + "\n2021/12/17 16:30:01,s@example.jp,佐藤 一郎,札幌市社協,役に立った,毎月,①②㈱\n",
      "cp932")
    w("survey_ragged.csv", SURVEY_HEAD + "\n2021/12/17 16:30:01,r@example.jp\n"
      "2021/12/17 16:31:01,r2@example.jp,名前,所属,役に立った,毎月,意見,余分,余分\n")


CHAT_HEAD = "\ufeff[LINE] どうねっとのトーク履歴\n保存日時：2024/03/01 21:15\n\n"


def chats() -> None:
    w("chat_empty.txt", b"")
    w("chat_binary.txt", bytes(random.Random(5).randrange(256) for _ in range(5000)))
    w("chat_only_header.txt", CHAT_HEAD)
    w("chat_utf16.txt", (CHAT_HEAD + "2024/01/14(日)\n09:06\tりんく&佐藤\tはじめまして。\n").encode("utf-16"))
    w("chat_html.txt", CHAT_HEAD + "2024/01/14(日)\n09:06\t<script>alert(1)</script>\t<img src=x onerror=alert(1)>\n"
      "09:07\tりんく&佐藤\t=HYPERLINK(\"http://evil\")\n")
    w("chat_long_line.txt", CHAT_HEAD + "2024/01/14(日)\n09:06\tりんく&佐藤\t" + "あ" * 10_000 + "\n")
    w("chat_emoji_names.txt", CHAT_HEAD + "2024/01/14(日)\n09:06\t🌸りんく&佐藤🌸\tよろしく😊\n"
      "09:07\tか\u3099っこう&𠮷田\tこんにちは\n09:08\t\u200b\tゼロ幅の名前\n")
    w("chat_mixed_dates.txt", CHAT_HEAD + "2024/01/14(日)\n09:06\tA&佐藤\tおはよう\n"
      "2024.01.15 月曜日\n10:00\tA&佐藤\t二日目\nMon, 01/16/2024\n10:00\tA&佐藤\t三日目\n"
      "2024年1月17日(水)\n10:00\tA&佐藤\t四日目\n32/13/2024\n10:00\tA&佐藤\t日付が壊れている\n")
    w("chat_nul.txt", (CHAT_HEAD + "2024/01/14(日)\n09:06\tA&佐藤\tNUL\x00入り\n").encode())
    w("chat_cp932.txt", CHAT_HEAD.lstrip("\ufeff") + "2024/01/14(日)\n09:06\tりんく&佐藤\tはじめまして。\n", "cp932")
    w("chat_no_dates.txt", "09:06\tりんく&佐藤\t日付行がない\n09:07\tりんく&佐藤\t二行目\n")


if __name__ == "__main__":
    registrations()
    surveys()
    chats()
    print(len(list(HERE.glob("*_*.*"))) - 1, "files")
