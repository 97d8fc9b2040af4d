"""Reading uploads: every encoding Japanese offices produce, Excel, and the files we must refuse."""

from pathlib import Path

import pytest

from facilitation.files.tabular import TableError, from_values, read_table
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


# --- Issue 14: which sheet, how big, what is invisible --------------------------------------------

HOSTILE = Path(__file__).parent / "data" / "hostile"


def hostile(name: str, **kw):
    return read_table((HOSTILE / name).read_bytes(), name, **kw)


def test_the_form_tab_is_read_not_a_summary_before_it_and_the_choice_is_exposed():
    t = hostile("reg_summary_sheet_first.xlsx")
    assert (t.sheet, t.sheets) == ("フォームの回答 1", ["集計", "フォームの回答 1"])
    assert t.headers[:3] == forms.STANDARD_HEADERS[:3] and len(t.rows) == 2
    assert "シート「フォームの回答 1」を読みました" in t.notes[0]
    chosen = hostile("reg_summary_sheet_first.xlsx", sheet="集計")  # the caller picks another sheet
    assert chosen.sheet == "集計" and chosen.headers == ["地域", "人数"] and chosen.rows[0] == ["石狩", "12"]


def test_a_hidden_sheet_is_read_only_when_named():
    t = hostile("reg_hidden_first_sheet.xlsx")
    assert t.sheet == "フォームの回答 1" and t.sheets == ["フォームの回答 1"]
    assert "非表示のシート（旧データ）は読んでいません" in t.notes[0]
    hidden = hostile("reg_hidden_first_sheet.xlsx", sheet="旧データ")
    assert hidden.rows[0][1] == "old@example.org" and "非表示のシートです" in hidden.notes[0]
    with pytest.raises(TableError, match="シート「ない」がありません（あるシート: フォームの回答 1）"):
        hostile("reg_hidden_first_sheet.xlsx", sheet="ない")


def test_the_active_sheet_comes_before_the_first_one():
    t = hostile("reg_active_sheet_second.xlsx")
    assert t.sheet == "申込一覧" and t.sheets == ["メモ", "申込一覧"]


def test_one_far_cell_is_refused_from_its_position_without_building_the_grid():
    import tracemalloc

    tracemalloc.start()
    with pytest.raises(TableError) as err:
        hostile("reg_xfd1048576.xlsx")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "セル XFD1048576 まで使われて" in str(err.value) and "reg_xfd1048576.xlsx" in str(err.value)
    assert peak < 50 * 1024 * 1024
    assert len(hostile("reg_huge_dimension.xlsx").rows) == 2  # a dimension of A1:XFD1048576 alone is not believed


def test_a_zip_that_would_expand_too_far_is_refused_before_it_is_opened():
    with pytest.raises(TableError, match=r"展開すると 300MB になり、読み取れる上限（200MB）を超えています"):
        hostile("reg_shared_string_bomb.xlsx")


def test_a_200000_character_cell_is_cut_with_a_note_and_the_other_rows_are_read():
    t = hostile("reg_200000_char_note.csv")
    assert len(t.rows) == 3 and [r[1] for r in t.rows][1:] == ["yamada.taro@example.org", "sato.hanako@example.org"]
    note = t.rows[0][t.headers.index("備考")]
    assert note.startswith("備" * 50_000) and note.endswith("［以下 150,000 文字は長すぎるため読み込んでいません］")
    assert t.notes == ["「reg_200000_char_note.csv」の2行目「備考」は200,000文字あり、上限の50,000文字を超えるため、"
                       "先頭の50,000文字だけを読みました。"]


def test_control_and_invisible_characters_never_leave_the_reader():
    text = ("氏名,メール\u200bアドレス,備考\n"
            "\u202e山田\u200b 太郎\u2066,ya\u200emada@example.org\ufeff,\"一行目\r\n二行目\x00\x07\"\n"
            "佐藤\u200d 花子,sato@example.org,家族👨\u200d👩\u200d👧\n")
    t = read_table(text.encode(), "inv.csv")
    assert t.headers == ["氏名", "メールアドレス", "備考"]
    assert t.rows == [["山田 太郎", "yamada@example.org", "一行目\n二行目"],
                      ["佐藤 花子", "sato@example.org", "家族👨\u200d👩\u200d👧"]]  # an emoji keeps its joiner


def test_a_title_line_and_blank_lines_above_the_header_are_skipped():
    t = hostile("reg_title_and_blank_lines.csv")
    assert t.headers == forms.STANDARD_HEADERS and [t.row_number(i) for i in range(2)] == [7, 8]
    # A single very wide row does not move the header down (the median of the rows below decides).
    assert from_values([["氏名", "メール"], ["a", "b"], ["c", "d", *"efghijklmnop"]]).headers[:2] == ["氏名", "メール"]


def test_the_shipped_form_template_is_the_standard_form():
    """README points the secretariat to this file to build their Google Form: it must match what the import expects."""
    import csv

    with forms.TEMPLATE_CSV.open(encoding="utf-8-sig", newline="") as f:
        headers = next(csv.reader(f))
    assert headers == forms.STANDARD_HEADERS
    assert [forms.recognise(h)[0] for h in headers] == list(forms.STANDARD)


def test_a_wide_form_of_few_rows_is_read_bounded_by_cells_not_by_columns():
    """A registrations CSV of 5,016 columns × 3 rows (about 15,000 cells) is read: the limit is
    the number of cells kept in memory; a file beyond that is refused with both limits named."""
    from facilitation.files import tabular

    headers = ["タイムスタンプ", "メールアドレス", "氏名", "所属（法人・機関名）"] + [f"質問{i}" for i in range(5_012)]
    rows = [["2026/11/20 10:00:00", f"p{k}@example.org", f"山田 太郎{k}", "りんく"] + [str(k)] * 5_012 for k in range(3)]
    data = "\n".join(",".join(r) for r in [headers, *rows]).encode()
    table = tabular.read_table(data, "wide.csv")
    assert len(table.headers) == 5_016 and len(table.rows) == 3 and table.rows[2][-1] == "2"
    too_many = "\n".join(",".join(["x"] * 2_000) for _ in range(tabular.MAX_CELLS // 2_000 + 2)).encode()
    with pytest.raises(tabular.TableError, match="合計3,000,000セル"):
        tabular.read_table(too_many, "big.csv")
