"""Reading uploads: every encoding Japanese offices produce, Excel, and the files we must refuse."""

from pathlib import Path

import pytest

from facilitation.files.tabular import TableError, read_table
from facilitation.registrations import forms

DATA = Path(__file__).parent / "data" / "registrations"


def read(name: str):
    return read_table((DATA / name).read_bytes(), name)


@pytest.mark.parametrize("name, encoding", [
    ("form_utf8.csv", "utf-8"), ("form_utf8_bom.csv", "utf-8-sig"), ("form_cp932.csv", "cp932"),
])
def test_csv_in_every_encoding_reads_the_same(name, encoding):
    t = read(name)
    assert t.encoding == encoding
    assert t.headers == forms.STANDARD_HEADERS  # no BOM left on the first header
    assert len(t.rows) == 3
    assert t.rows[1][2] == "佐藤　花子"
    assert t.rows[0][4].startswith("ＮＰＯ法人")
    assert [t.row_number(i) for i in range(3)] == [2, 3, 4]
    assert t.source == name


def test_xlsx_dates_blank_rows_and_row_numbers():
    t = read("form.xlsx")
    assert t.encoding == "xlsx" and t.sheet == "申込一覧"
    assert t.headers == forms.STANDARD_HEADERS
    assert [r[2] for r in t.rows] == ["山田 太郎", "佐藤　花子", "工藤 健", "伊藤 誠"]
    assert t.rows[0][0] == "2026/11/20 10:15:32"  # a real Excel date, shown as Google Sheets does
    assert t.rows[3][9] == "2"  # a number cell becomes "2", not "2.0"
    assert t.row_number(3) == 6  # the blank 5th row is skipped, but numbering follows the sheet
    frame = t.to_frame()
    assert list(frame.columns) == t.headers and len(frame) == 4


def test_duplicated_and_blank_headers_keep_every_column():
    t = read("duplicate_headers.csv")
    assert t.headers == ["氏名", "備考", "備考_2"]
    assert t.rows == [["山田 太郎", "a", "b"]]


@pytest.mark.parametrize("name, words", [
    ("empty.csv", "空"), ("only_headers.csv", "見出し行しか"), ("not_a_table.csv", "表のファイル"),
])
def test_files_we_cannot_use_say_why_in_japanese(name, words):
    with pytest.raises(TableError) as err:
        read(name)
    assert name in str(err.value) and words in str(err.value)


def test_old_xls_and_broken_xlsx_are_refused_with_advice():
    with pytest.raises(TableError, match=r"\.xlsx か CSV"):
        read_table(b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "申込.xls")
    with pytest.raises(TableError, match="Excel ファイルとして開けません"):
        read_table(b"PK\x03\x04 broken", "申込.xlsx")


def test_tab_separated_and_utf16_text_from_excel():
    text = "氏名\tメールアドレス\n山田 太郎\tyamada@example.org\n"
    t = read_table(text.encode("utf-16"), "unicode.txt")
    assert t.encoding == "utf-16" and t.rows == [["山田 太郎", "yamada@example.org"]]
