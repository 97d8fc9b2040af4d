"""Writes the hostile-input corpus next to this file (run once; the files are committed).

    .venv/bin/python tests/data/hostile/make_corpus.py

reg_*: registration form answers; survey_*: survey responses; chat_*: LINE open-chat exports;
backup_*: database archives to restore (all refused). Each file's expected outcome is in
tests/test_hostile_inputs.py. The 200 MB upload is not here:
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


# --- Issue 14: sheets, sizes, control and invisible characters, title lines -----------------------

SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def patch(data: bytes, changes: dict[str, bytes | str | None], compress_type: int = zipfile.ZIP_DEFLATED) -> bytes:
    """The same zip with members replaced, added (bytes/str) or removed (None)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    for name, value in changes.items():
        if value is None:
            files.pop(name, None)
        else:
            files[name] = value.encode() if isinstance(value, str) else value
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compress_type) as zf:
        for name, value in files.items():
            zf.writestr(name, value)
    return buf.getvalue()


def book(sheets: list[tuple[str, list[list[object]], str]], active: int = 0) -> bytes:
    """A workbook of (title, rows, state) sheets with the `active` one selected."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows, state in sheets:
        ws = wb.create_sheet(title)
        for r in rows:
            ws.append(r)
        ws.sheet_state = state
    wb.active = active
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def sheet_xml(data: bytes, n: int = 1) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return zf.read(f"xl/worksheets/sheet{n}.xml").decode()


def with_cell(data: bytes, ref: str, value: str, dimension: str | None = None) -> bytes:
    """One more inline-string cell at `ref` (its own row at the end of the sheet)."""
    xml = sheet_xml(data)
    row = int("".join(c for c in ref if c.isdigit()))
    xml = xml.replace("</sheetData>", f'<row r="{row}"><c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c></row>'
                                      "</sheetData>")
    if dimension:
        import re
        xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="{dimension}"/>', xml)
    return patch(data, {"xl/worksheets/sheet1.xml": xml})


def with_shared_strings(data: bytes, strings: list[str], cells: dict[str, int]) -> bytes:
    """A sharedStrings part, and cells (ref → string index) appended as one more row."""
    from xml.sax.saxutils import escape

    sst = (f'<sst xmlns="{SHEET_NS}" count="{len(strings)}" uniqueCount="{len(strings)}">'
           + "".join(f"<si><t>{escape(t)}</t></si>" for t in strings) + "</sst>")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        types = zf.read("[Content_Types].xml").decode()
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
    types = types.replace("</Types>", '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                          'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    rels = rels.replace("</Relationships>", '<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/'
                        'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    xml = sheet_xml(data)
    row = max(int("".join(c for c in ref if c.isdigit())) for ref in cells)
    xml = xml.replace("</sheetData>", f'<row r="{row}">' + "".join(
        f'<c r="{ref}" t="s"><v>{i}</v></c>' for ref, i in cells.items()) + "</row></sheetData>")
    return patch(data, {"xl/sharedStrings.xml": sst, "[Content_Types].xml": types,
                        "xl/_rels/workbook.xml.rels": rels, "xl/worksheets/sheet1.xml": xml})


def set_compression_method(data: bytes, method: int) -> bytes:
    """Claim an unknown compression method in every local and central header (zipfile: NotImplementedError)."""
    out = bytearray(data)
    for sig, offset in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        i = out.find(sig)
        while i >= 0:
            out[i + offset:i + offset + 2] = method.to_bytes(2, "little")
            i = out.find(sig, i + 4)
    return bytes(out)


def set_declared_size(data: bytes, member: str, size: int) -> bytes:
    """Claim `size` uncompressed bytes for `member` in the central directory (a zip bomb's header)."""
    out = bytearray(data)
    i = out.find(b"PK\x01\x02")
    while i >= 0:
        name_len = int.from_bytes(out[i + 28:i + 30], "little")
        if out[i + 46:i + 46 + name_len].decode() == member:
            out[i + 24:i + 28] = size.to_bytes(4, "little")
        i = out.find(b"PK\x01\x02", i + 4)
    return bytes(out)


FORM = HEAD.split(",")
GOOD_ROWS = [g.split(",") for g in GOOD]


def registrations_more() -> None:
    # Which sheet: hidden first sheet, a summary before the form tab, an active sheet that is not first.
    junk = [["メモ"], ["このシートは使いません"], ["古い申込", "old@example.org"]]
    w("reg_hidden_first_sheet.xlsx", book([("旧データ", [FORM, ["", "old@example.org", "旧 データ"]], "hidden"),
                                           ("フォームの回答 1", [FORM, *GOOD_ROWS], "visible")]))
    w("reg_summary_sheet_first.xlsx", book([("集計", [["地域", "人数"], ["石狩", 12], ["空知", 3]], "visible"),
                                            ("フォームの回答 1", [FORM, *GOOD_ROWS], "visible")]))
    w("reg_active_sheet_second.xlsx", book([("メモ", junk, "visible"), ("申込一覧", [FORM, *GOOD_ROWS], "visible")],
                                           active=1))
    w("reg_very_hidden_sheet.xlsx", book([("秘密", [FORM, ["", "secret@example.org", "秘密 さん"]], "veryHidden"),
                                          ("申込", [FORM, *GOOD_ROWS], "visible")], active=1))
    w("reg_only_hidden_data.xlsx", book([("表示", [], "visible"), ("隠し", [FORM, *GOOD_ROWS], "hidden")]))
    wb = Workbook()
    ws = wb.worksheets[0]
    ws.title = "フォームの回答 1"
    for r in [FORM, *GOOD_ROWS]:
        ws.append(r)
    numbers = wb.create_sheet("集計")
    for r in [["地域", "人数"], ["石狩", 12], ["空知", 3]]:
        numbers.append(r)
    from openpyxl.chart import BarChart, Reference

    chart = BarChart()
    chart.add_data(Reference(numbers, min_col=2, min_row=1, max_row=3), titles_from_data=True)
    wb.create_chartsheet("グラフ", 0).add_chart(chart)
    wb.active = 0
    buf = io.BytesIO()
    wb.save(buf)
    w("reg_chartsheet_first.xlsx", buf.getvalue())
    # Sizes: a cell at XFD1048576, a row past the limit, a dimension claiming the whole sheet.
    base = book([("フォームの回答 1", [FORM, *GOOD_ROWS], "visible")])
    w("reg_xfd1048576.xlsx", with_cell(base, "XFD1048576", "x", dimension="A1:XFD1048576"))
    w("reg_far_column.xlsx", with_cell(base, "ZZZ4", "x"))
    w("reg_far_row.xlsx", with_cell(base, "A500000", "x"))
    w("reg_huge_dimension.xlsx", with_cell(base, "A4", "", dimension="A1:XFD1048576"))
    w("reg_shared_string_bomb.xlsx", with_shared_strings(base, ["A" * (300 * 1024 * 1024)], {"P4": 0}))
    w("reg_long_shared_string.xlsx", with_shared_strings(base, ["備" * 100_000, "long@example.org", "長い 備考"],
                                                         {"B4": 1, "C4": 2, "P4": 0}))
    w("reg_bad_shared_string_index.xlsx", with_shared_strings(base, ["x"], {"C4": 999}))
    w("reg_unsupported_compression.xlsx", set_compression_method(base, 99))
    w("reg_declared_size_bomb.xlsx", set_declared_size(base, "xl/worksheets/sheet1.xml", 0xFFFFFFF0))
    w("reg_billion_laughs.xlsx", patch(base, {"xl/worksheets/sheet1.xml": (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;'
        '&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;"><!ENTITY lol4 "&lol3;&lol3;'
        '&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;"><!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;'
        '&lol4;&lol4;&lol4;&lol4;"><!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">'
        '<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;"><!ENTITY lol8 "&lol7;&lol7;'
        '&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;"><!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;'
        '&lol8;&lol8;&lol8;&lol8;">]>' + sheet_xml(base).replace(
            '<is><t>yamada.taro@example.org</t></is>', '<is><t>&lol9;</t></is>'))}))
    w("reg_excel_escaped_controls.xlsx", with_shared_strings(
        base, ["ctl@example.org_x0000_", "制御_x0001_ 文字_x001B_"], {"B4": 0, "C4": 1}))
    w("reg_title_rows.xlsx", book([("フォームの回答 1", [["第9回 情報交換会 申込一覧"], [], [None, "2026/11/20 現在"],
                                                    FORM, *GOOD_ROWS], "visible")]))
    # Characters: controls, NUL late in the file, invisible and bidi marks, BOM inside text.
    w("reg_control_chars.csv", csv_text(
        row("2026/11/20 10:00", "ctl1@example.org", "制御\x01 文字\x07"),
        row("2026/11/20 10:01", "ctl2@example.org\x1b", "エス\x7fケープ 太郎", "ベル\x07と\x08BS"),
        row("2026/11/20 10:02", "ctl3@example.org", "改\x0bページ\x0c 花子", "NEL\x85C1\x9b"),
    ))
    filler = [row(f"2026/11/20 10:{i:02d}", f"fill{i}@example.org", f"埋め草 {i}", "あ" * 40) for i in range(40)]
    w("reg_nul_late_in_file.csv", csv_text(*filler, row("2026/11/21 9:00", "late\x00nul@example.org",
                                                         "遅い\x00 NUL")))
    w("reg_zero_width.csv", csv_text(
        row("2026/11/20 10:00", "zw1@example.org\u200b", "\u200b山田\u200b 太郎"),
        row("2026/11/20 10:01", "z\u200dw2@example.org", "佐藤\u200d 花子\u2060"),
        row("2026/11/20 10:02", "\u00adzw3@example.org", "鈴木\u200c 一郎\u180e"),
    ))
    w("reg_bidi_marks.csv", csv_text(
        row("2026/11/20 10:00", "bidi1@example.org\u200e", "\u202e郎太 田山\u202c"),
        row("2026/11/20 10:01", "\u2066bidi2@example.org\u2069", "\u200f佐藤 花子\u202a"),
        row("2026/11/20 10:02", "bidi3@exa\u202dmple.org", "\u2067鈴木\u2068 一郎\u202b"),
    ))
    w("reg_bom_inside_text.csv", "\ufeff" + csv_text(
        row("2026/11/20 10:00", "\ufeffbom1@example.org", "山田\ufeff 太郎"),
        row("2026/11/20 10:01", "bom2@example.org\ufeff", "佐藤 花子", "\ufeff備考"),
    ).replace("メールアドレス", "メール\ufeffアドレス"))
    w("reg_header_with_nul.csv", csv_text(*GOOD).replace("メールアドレス", "メール\x00アドレス", 1))
    w("reg_c1_and_line_separators.csv", csv_text(
        row("2026/11/20 10:00", "ls1@example.org", "行\u2028区切り 一", "段落\u2029区切り"),
        row("2026/11/20 10:01", "ls2@example.org", "C1\x80\x9f 二"),
    ))
    w("reg_crlf_in_cells.csv", csv_text(
        row("2026/11/20 10:00", "cr1@example.org", "改行 一", "一行目\r\n二行目\r三行目"),
        row("2026/11/20 10:01", "cr2@example.org", "改行 二", "\r先頭が CR"),
    ))
    # Title lines and blank lines above the header.
    w("reg_title_line.csv", "第9回 情報交換会 申込一覧\n" + csv_text(*GOOD))
    w("reg_title_and_blank_lines.csv", "第9回 情報交換会 申込一覧\n\n,,,\n出力日,2026/11/20\n\n" + csv_text(*GOOD))
    w("reg_blank_lines_above_header.csv", "\n\n,,,,\n\n" + csv_text(*GOOD), "cp932")
    w("reg_title_line_tsv.csv", ("申込一覧（タブ区切り）\n" + HEAD + "\n" + GOOD[0]).replace(",", "\t") + "\n")
    w("reg_many_blank_lines.csv", "\n" * 200_000 + csv_text(*GOOD))
    # Very long and very wide.
    w("reg_200000_char_note.csv", csv_text(row("2026/11/20 10:00", "huge@example.org", "長い 備考", "備" * 200_000),
                                           *GOOD))
    w("reg_200000_char_name.csv", csv_text(row("2026/11/20 10:00", "huge@example.org", "長" * 200_000), *GOOD))
    w("reg_trailing_commas.csv", HEAD + "," * 100_000 + "\n" + "\n".join(g + "," * 100_000 for g in GOOD) + "\n")
    w("reg_too_many_columns.csv", csv_text(*GOOD) + ",".join(["x"] * 1500) + "\n")
    w("reg_fullwidth_formulas.csv", csv_text(
        row("2026/11/20 10:00", "fw1@example.org", "＝HYPERLINK(\"http://evil\") 太郎", "＋1＋1"),
        row("2026/11/20 10:01", "fw2@example.org", "－鈴木 二郎", "＠SUM(A1)"),
    ))
    w("reg_formula_email.csv", csv_text(
        row("2026/11/20 10:00", "=cmd|'/Ccalc'!A0@example.org", "式 メール"),
        row("2026/11/20 10:01", "+1@example.org", "プラス メール"),
        *GOOD,
    ))


def surveys_more() -> None:
    w("survey_title_line.csv", "第3回 アンケート 回答一覧\n\n" + SURVEY_HEAD + "\n"
      "2021/12/17 16:30:01,t@example.jp,題名 さん,りんく,役に立った,毎月,よかった\n")
    w("survey_200000_char_answer.csv", SURVEY_HEAD + "\n2021/12/17 16:30:01,l@example.jp,長文 さん,りんく,役に立った,"
      "年6回," + "意" * 200_000 + "\n2021/12/17 16:31:01,s@example.jp,短文 さん,りんく,役に立った,年6回,短い\n")
    w("survey_control_chars.csv", SURVEY_HEAD + "\n2021/12/17 16:30:01,c@example.jp,制御\x01 さん,りん\x00く,"
      "役に立った\x1b,毎月,ベル\x07\n")
    w("survey_invisible.csv", SURVEY_HEAD + "\n2021/12/17 16:30:01,\u200bi@example.jp\u200e,\u202e見えない\u202c さん,"
      "り\u200dんく,役に立った\u2066,毎月,家族👨\u200d👩\u200d👧で参加\n")
    w("survey_hidden_sheet.xlsx", book([("下書き", [["x"]], "hidden"),
                                        ("フォームの回答 1", [SURVEY_HEAD.split(","), ["2021/12/17 16:30:01", "h@example.jp",
                                                                              "表示 さん", "りんく", "役に立った"]],
                                         "visible")]))
    base = book([("フォームの回答 1", [SURVEY_HEAD.split(","), ["2021/12/17 16:30:01", "x@example.jp"]], "visible")])
    w("survey_xfd1048576.xlsx", with_cell(base, "XFD1048576", "x", dimension="A1:XFD1048576"))
    w("survey_shared_string_bomb.xlsx", with_shared_strings(base, ["B" * (250 * 1024 * 1024)], {"G3": 0}))


def backups() -> None:
    """Archives that must be refused: each leaves the database exactly as it was."""
    import hashlib
    import json
    import sys
    import tempfile

    sys.path.insert(0, str(HERE.parents[2]))
    import datetime as dt

    from facilitation.meetings import schedule
    from facilitation.storage import backup, db

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/b.sqlite3"
        with db.session(url, actor="corpus") as s:
            schedule.add_meeting(s, schedule.MeetingInput(title="第1回", starts_at=dt.datetime(2026, 6, 4, 14)))
            schedule.add_meeting(s, schedule.MeetingInput(title="第2回", starts_at=dt.datetime(2026, 9, 4, 14)))
        good = backup.backup_bytes(url)
        db.dispose_all()
    with zipfile.ZipFile(io.BytesIO(good)) as zf:
        files = {n: zf.read(n) for n in zf.namelist()}
    manifest = json.loads(files["manifest.json"])

    def archive(tables: dict[str, list] | None = None, drop: tuple[str, ...] = (), manifest_changes: dict | None = None,
                raw: dict[str, bytes] | None = None) -> bytes:
        m = json.loads(json.dumps(manifest))
        out = dict(files)
        for name, rows in (tables or {}).items():
            payload = json.dumps(rows, ensure_ascii=False).encode()
            out[f"tables/{name}.json"] = payload
            m["tables"][name] = {"rows": len(rows) if isinstance(rows, list) else 0,
                                 "sha256": hashlib.sha256(payload).hexdigest()}
        for name in drop:
            out.pop(f"tables/{name}.json", None)
            m["tables"].pop(name, None)
        m.update(manifest_changes or {})
        out["manifest.json"] = json.dumps(m, ensure_ascii=False).encode()
        out.update(raw or {})
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, value in out.items():
                zf.writestr(name, value)
        return buf.getvalue()

    meetings_rows = json.loads(files["tables/meetings.json"])
    w("backup_not_a_zip.zip", b"this is not a zip file\n")
    w("backup_empty.zip", b"")
    w("backup_truncated.zip", good[: len(good) // 2])
    w("backup_unsupported_compression.zip", set_compression_method(good, 99))
    w("backup_no_manifest.zip", patch(good, {"manifest.json": None}))
    w("backup_manifest_not_object.zip", patch(good, {"manifest.json": "[1, 2, 3]"}))
    w("backup_manifest_wrong_types.zip", archive(manifest_changes={"tables": "すべて", "revisions": 7}))
    w("backup_format_2.zip", archive(manifest_changes={"format": 2}))
    w("backup_newer_revision.zip", archive(manifest_changes={"revisions": ["9999_from_the_future"]}))
    w("backup_missing_tables.zip", archive(drop=tuple(n for n in manifest["tables"] if n != "meetings")))
    w("backup_missing_one_table.zip", archive(drop=("people",)))
    w("backup_all_tables_zero_rows.zip", archive(tables={n: [] for n in manifest["tables"]}))
    w("backup_duplicate_primary_keys.zip", archive(tables={"meetings": meetings_rows + meetings_rows[:1]}))
    w("backup_bad_isoformat.zip", archive(tables={"meetings": [
        {**meetings_rows[0], "starts_at": {"$dt": "2026-13-45T99:99"}}, *meetings_rows[1:]]}))
    w("backup_wrong_types.zip", archive(tables={"meetings": [
        {**meetings_rows[0], "id": "一", "fiscal_year": "令和八年"}, *meetings_rows[1:]]}))
    w("backup_null_in_required.zip", archive(tables={"meetings": [{**meetings_rows[0], "title": None},
                                                                  *meetings_rows[1:]]}))
    w("backup_rows_not_a_list.zip", archive(tables={"meetings": {"rows": meetings_rows}}))
    w("backup_row_not_an_object.zip", archive(tables={"meetings": [1, "二", None]}))
    w("backup_unknown_table.zip", archive(tables={"secret_table": [{"id": 1}]}))
    w("backup_bad_base64.zip", archive(tables={"meetings": [{**meetings_rows[0], "title": {"$b64": "***"}},
                                                            *meetings_rows[1:]]}))
    w("backup_huge_manifest.zip", set_declared_size(good, "manifest.json", 0xFFFFFFF0))
    w("backup_huge_table.zip", set_declared_size(good, "tables/meetings.json", 0xFFFFFFF0))
    w("backup_nul_in_text.zip", archive(tables={"meetings": [{**meetings_rows[0], "title": "第1回\x00"},
                                                             *meetings_rows[1:]]}))


if __name__ == "__main__":
    registrations()
    surveys()
    chats()
    registrations_more()
    surveys_more()
    backups()
    print(len(list(HERE.glob("*_*.*"))) - 1, "files")
