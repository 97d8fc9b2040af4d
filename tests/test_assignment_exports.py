"""Every export of an assignment, written to a real file and opened back (csv, openpyxl, HTML)."""

from __future__ import annotations

import csv
from html.parser import HTMLParser

import openpyxl

from facilitation.assignment.exports import (
    ZOOM_HEADER,
    Roster,
    RosterEntry,
    RosterRoom,
    guest_name,
    roster_html,
    roster_xlsx,
    zoom_csv,
)


def sample_roster() -> Roster:
    rooms = [RosterRoom(id="r1", name="ルーム1", theme="引きこもり", zoom_name="R1", capacity=4, position=1),
             RosterRoom(id="r2", name="ルーム2", theme="就労準備, 家族支援", zoom_name="", capacity=4, position=2),
             RosterRoom(id="r3", name="ルーム3", theme="一時生活支援事業", zoom_name="R3", capacity=4, position=3)]
    entries = [
        RosterEntry("r1", "佐藤 陽子", "さとう ようこ", "江別市社会福祉協議会", "Sato.Yoko@Example.org", facilitator=True,
                    choice_rank=1, reason="ファシリテーターをお願いしています。"),
        RosterEntry("r1", "鈴木 健太", "すずき けんた", "=HYPERLINK(\"x\")", "", choice_rank=2),
        RosterEntry("r2", "高橋 美咲", "たかはし みさき", "NPO法人りんく", "takahashi@example.org", choice_rank=None),
        RosterEntry("r2", "田中 大輔", "たなか だいすけ", "札幌市", "sato.yoko@example.org", choice_rank=1),
        RosterEntry("r3", "伊藤 <由美>", "いとう ゆみ", "釧路市", "not-an-address", choice_rank=3),
    ]
    return Roster(title="第4回 情報交換会 ルーム名簿", rooms=rooms, entries=entries)


def test_zoom_csv_has_zooms_header_and_one_row_per_person_with_email(tmp_path):
    out = zoom_csv(sample_roster())
    path = tmp_path / "zoom.csv"
    path.write_bytes(out.data)
    raw = path.read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # no BOM: Zoom must see the header exactly
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert tuple(rows[0]) == ZOOM_HEADER == ("Pre-assign Room Name", "Email Address")
    assert rows[1:] == [["R1", "sato.yoko@example.org"], ["ルーム2", "takahashi@example.org"]]
    assert out.rows == 2


def test_zoom_csv_warns_about_missing_duplicate_and_broken_addresses():
    out = zoom_csv(sample_roster())
    text = "\n".join(out.warnings)
    assert "メールアドレスのない 1 名" in text and "鈴木 健太（表示名 R1_鈴木健太）" in text
    assert "sato.yoko@example.org が 2 名（佐藤 陽子、田中 大輔）" in text
    assert "形式が正しくない 1 名" in text and "not-an-address" in text
    assert any("サインイン" in n for n in out.notes)


def test_zoom_limits_are_warned():
    rooms = [RosterRoom(id=f"r{k}", name=f"ルーム{k}", zoom_name=f"R{k}", position=k) for k in range(1, 102)]
    entries = [RosterEntry(f"r{k % 101 + 1}", f"参加者{k}", email=f"p{k}@example.org") for k in range(1001)]
    out = zoom_csv(Roster("大きな会", rooms, entries))
    text = "\n".join(out.warnings)
    assert "100 ルームまで" in text and "101 ルーム" in text
    assert "1,000 名まで" in text
    same = zoom_csv(Roster("t", [RosterRoom("a", "A", zoom_name="R1", position=1),
                                 RosterRoom("b", "B", zoom_name="R1", position=2)], []))
    assert any("「R1」が 2 室で同じ" in w for w in same.warnings)


def test_guest_display_name_convention():
    room = RosterRoom(id="r3", name="ルーム3", position=3)
    assert guest_name(room, "佐藤　陽子") == "R3_佐藤陽子"
    assert guest_name(RosterRoom(id="x", name="x", zoom_name="R7", position=2), "鈴木 健太") == "R7_鈴木健太"


def test_excel_roster_has_an_overview_and_one_sheet_per_room(tmp_path):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(roster_xlsx(sample_roster()))
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["一覧", "ルーム1", "ルーム2", "ルーム3"]
    overview = [[c.value for c in row] for row in wb["一覧"].iter_rows()]
    assert overview[0][:6] == ["No", "ルーム", "Zoomのルーム名", "テーマ", "定員", "人数"]
    assert overview[1][1:3] == ["ルーム1", "R1"] and overview[1][5] == 2 and overview[1][6] == "佐藤 陽子"
    room1 = [[c.value for c in row] for row in wb["ルーム1"].iter_rows()]
    header = room1[0]
    assert header[:3] == ["No", "氏名", "ふりがな"]
    first, second = (dict(zip(header, r, strict=True)) for r in room1[1:])
    assert first["氏名"] == "佐藤 陽子" and first["役割"] == "ファシリテーター" and first["希望"] == "第1希望"
    assert second["Zoom表示名（ゲスト用）"] == "R1_鈴木健太"
    assert second["所属"].startswith("'=")  # a formula typed into a form stays text
    room2 = [[c.value for c in row] for row in wb["ルーム2"].iter_rows()]
    assert room2[1][7] == "希望外"


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.cells, self.sections, self._in = [], 0, False

    def handle_starttag(self, tag, attrs):
        self._in = tag == "td"
        self.sections += tag == "section"

    def handle_data(self, data):
        if self._in:
            self.cells.append(data)

    def handle_endtag(self, tag):
        self._in = False


def test_printable_html_roster(tmp_path):
    html = roster_html(sample_roster())
    path = tmp_path / "roster.html"
    path.write_text(html, encoding="utf-8")
    parser = _Cells()
    parser.feed(path.read_text(encoding="utf-8"))
    assert parser.sections == 3
    assert "伊藤 <由美>" in parser.cells and "R3_伊藤<由美>" in parser.cells
    assert "伊藤 &lt;由美&gt;" in html and "<由美>" not in html.replace("伊藤 &lt;由美&gt;", "")
    assert "@example.org" not in html  # printed rosters carry no e-mails
    assert "page-break-after" in html


def test_zoom_csv_leaves_out_formula_looking_addresses_and_room_names_and_says_so():
    rooms = [RosterRoom(id="r1", name="ルーム1", zoom_name="R1", position=1),
             RosterRoom(id="r3", name="ルーム3", zoom_name="=R3", position=3),
             RosterRoom(id="r4", name="ルーム4", zoom_name="-", position=4)]
    entries = [RosterEntry("r1", "佐藤 陽子", email="=cmd|'/Ccalc'!A0@example.org"),
               RosterEntry("r1", "鈴木 健太", email="+kenta@example.org"),
               RosterEntry("r1", "高橋 美咲", email="@misaki@example.org"),
               RosterEntry("r1", "田中 大輔", email="tanaka@example.org"),
               RosterEntry("r3", "伊藤 由美", email="ito@example.org"),
               RosterEntry("r4", "渡辺 翔", email="watanabe@example.org")]
    out = zoom_csv(Roster("t", rooms, entries))
    rows = list(csv.reader(out.data.decode("utf-8").splitlines()))
    # Room names exactly as in Zoom: no apostrophe in front, a lone "-" kept; nothing formula-like.
    assert rows[1:] == [["R1", "tanaka@example.org"], ["-", "watanabe@example.org"]] and out.rows == 2
    text = "\n".join(out.warnings)
    assert "「= + - @」などで始まる 2 名" in text and "=cmd|'/Ccalc'!A0@example.org" in text
    assert "+kenta@example.org" in text
    assert "ルーム「ルーム3」の Zoom のルーム名「=R3」" in text and "1 名は CSV に入っていません" in text


def test_excel_roster_keeps_a_room_called_like_the_overview_and_rooms_with_one_name(tmp_path):
    rooms = [RosterRoom(id="a", name="一覧", position=1), RosterRoom(id="b", name="ルームA", position=2),
             RosterRoom(id="c", name="ルームA", position=3), RosterRoom(id="d", name="就労/家族: 支援[第1]?" * 3,
                                                                       position=4)]
    entries = [RosterEntry(r.id, f"参加者{k}") for k, r in enumerate(rooms)]
    path = tmp_path / "roster.xlsx"
    path.write_bytes(roster_xlsx(Roster("t", rooms, entries)))
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:4] == ["一覧", "一覧_2", "ルームA", "ルームA_2"] and len(wb.sheetnames) == 5
    assert wb["一覧"]["A1"].value == "No" and wb["一覧"].max_row == 5  # the overview, not the room
    assert [wb[n]["B2"].value for n in wb.sheetnames[1:]] == ["参加者0", "参加者1", "参加者2", "参加者3"]
    assert len(wb.sheetnames[4]) <= 31
