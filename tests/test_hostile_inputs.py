"""A corpus of hostile or broken inputs (tests/data/hostile/, 119 files) across registrations, surveys,
open-chat exports and backup archives, each with its expected outcome: a clear Japanese message
naming the file, or rows imported / kept aside with a Japanese reason — never a traceback, never a
lost valid row, never a control or invisible character stored; a refused backup changes nothing.
Plus property-based tests (hypothesis) for the parsers and the import invariant, and the size guard
for a 200 MB upload (generated at test time).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from facilitation.files import exports, uploads
from facilitation.files.tabular import TableError, from_values, read_table
from facilitation.meetings import schedule
from facilitation.openchat import parser as chat_parser
from facilitation.openchat import store as chat_store
from facilitation.registrations import intake
from facilitation.registrations.models import KeptAsideRow
from facilitation.roles import SECRETARIAT, SECRETARIAT_LOCAL, Viewer
from facilitation.storage import db
from facilitation.storage.models import Person, Registration
from facilitation.surveys import store as survey_store

from .conftest import ROOT

CORPUS = Path(__file__).parent / "data" / "hostile"
ADMIN = Viewer(role=SECRETARIAT, email="office@example.org")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
GOOD_EMAILS = {"yamada.taro@example.org", "sato.hanako@example.org"}


@dataclass(frozen=True)
class Refused:
    """The whole file is refused with this Japanese message; nothing is written."""

    words: str


@dataclass(frozen=True)
class Imported:
    """`n` rows become registrations / responses / messages, `kept` rows are kept aside (or unparsed)."""

    n: int
    kept: int = 0
    emails: frozenset = frozenset()  # valid rows that must be there afterwards
    reason: str = ""  # a word every kept-aside reason contains


REGISTRATIONS = {
    "reg_empty.csv": Refused("空です"),
    "reg_only_bom.csv": Refused("空です"),
    "reg_whitespace_only.csv": Refused("空です"),
    "reg_binary.csv": Refused("表のファイル"),
    "reg_png_renamed.xlsx": Refused("Excel ファイルとして開けませんでした"),
    "reg_zip_not_xlsx.xlsx": Refused("Excel ファイルとして開けませんでした"),
    "reg_old_excel.xls": Refused(".xlsx か CSV で保存し直してください"),
    "reg_only_headers.csv": Refused("見出し行しかありません"),
    "reg_headers_only.xlsx": Refused("見出し行しかありません"),
    "reg_euc_jp.csv": Refused("文字コードを判別できませんでした"),
    "reg_broken_utf8_after_bom.csv": Refused("文字コード"),
    # A stray NUL is removed where the file is read (PostgreSQL refuses NUL in text): both rows come in.
    "reg_nul_bytes.csv": Imported(2, emails=frozenset({"yamada.taro@example.org", "nul@example.org"})),
    "reg_cp932.csv": Imported(2, emails=frozenset(GOOD_EMAILS)),
    "reg_utf16.csv": Imported(2, emails=frozenset(GOOD_EMAILS)),
    "reg_formulas.csv": Imported(4, emails=frozenset({"f1@example.org", "f2@example.org", "f3@example.org",
                                                      "f4@example.org"})),
    "reg_formulas.xlsx": Imported(1, kept=1, emails=frozenset({"xg@example.org"}), reason="氏名が空欄"),
    "reg_html_js.csv": Imported(3, emails=frozenset({"x1@example.org", "x2@example.org", "x3@example.org"})),
    "reg_10000_char_cells.csv": Imported(3, kept=1, emails=frozenset({"long2@example.org", *GOOD_EMAILS}),
                                         reason="100文字を超えています"),
    "reg_duplicate_headers.csv": Imported(2, emails=frozenset({"ito@example.org", "watanabe@example.org"})),
    "reg_mixed_dates.csv": Imported(9, emails=frozenset(f"d{i}@example.org" for i in range(1, 10))),
    # All seven kept, even the flag-only "name" (a person wrote it; the secretariat can edit it).
    "reg_emoji_combining.csv": Imported(7, emails=frozenset(f"e{i}@example.org" for i in range(1, 8))),
    "reg_bad_emails.csv": Imported(4, kept=2, emails=frozenset({"full@example.org", "mixed.case@example.org",
                                                                *GOOD_EMAILS}), reason="メールアドレスの形式"),
    "reg_blank_rows.csv": Imported(2, emails=frozenset(GOOD_EMAILS)),
    "reg_ragged_rows.csv": Imported(2, emails=frozenset({"yamada.taro@example.org", "short@example.org"})),
    "reg_unbalanced_quote.csv": Imported(2, emails=frozenset({"yamada.taro@example.org", "q@example.org"})),
    "reg_mixed_newlines.csv": Imported(2, emails=frozenset(GOOD_EMAILS)),
    "reg_no_identity_columns.csv": Imported(0, kept=2, reason="列がありません"),
    "reg_tsv.csv": Imported(1, emails=frozenset({"yamada.taro@example.org"})),
    "reg_same_person_twice.csv": Imported(2, emails=frozenset(GOOD_EMAILS)),
    "reg_many_sheets.xlsx": Imported(1, emails=frozenset({"yamada.taro@example.org"})),
    # Issue 14. Which sheet: the form tab, else the active one; hidden sheets only when named.
    "reg_hidden_first_sheet.xlsx": Imported(2, emails=frozenset(GOOD_EMAILS)),
    "reg_summary_sheet_first.xlsx": Imported(2, emails=frozenset(GOOD_EMAILS)),
    "reg_active_sheet_second.xlsx": Imported(2, emails=frozenset(GOOD_EMAILS)),
    "reg_very_hidden_sheet.xlsx": Imported(2, emails=frozenset(GOOD_EMAILS)),
    "reg_chartsheet_first.xlsx": Imported(2, emails=frozenset(GOOD_EMAILS)),
    "reg_only_hidden_data.xlsx": Refused("表示されているシートにデータがありません"),
    # Sizes: bounded before reading; a dimension claiming the whole sheet is not believed.
    "reg_xfd1048576.xlsx": Refused("セル XFD1048576 まで使われていて"),
    "reg_far_column.xlsx": Refused("16,384列"),  # a cell at ZZZ4, beyond Excel's last column XFD
    "reg_far_row.xlsx": Refused("セル A500000"),
    "reg_huge_dimension.xlsx": Imported(2, emails=frozenset(GOOD_EMAILS)),
    "reg_shared_string_bomb.xlsx": Refused("展開すると 300MB"),
    "reg_declared_size_bomb.xlsx": Refused("展開すると"),
    "reg_long_shared_string.xlsx": Imported(2, kept=1, emails=frozenset(GOOD_EMAILS), reason="途中までしか読み込めません"),
    "reg_bad_shared_string_index.xlsx": Refused("読み取れませんでした"),
    "reg_unsupported_compression.xlsx": Refused("Excel ファイルとして開けませんでした"),
    "reg_billion_laughs.xlsx": Refused("読み取れませんでした"),
    "reg_too_many_columns.csv": Imported(2, kept=1, emails=GOOD_EMAILS, reason="メールアドレスの形式"),  # 1,500 columns, few cells
    "reg_trailing_commas.csv": Imported(2, emails=frozenset(GOOD_EMAILS)),
    # A cell cut by tabular (over 50,000 characters) keeps its row aside: nothing imported half-written.
    "reg_200000_char_note.csv": Imported(2, kept=1, emails=frozenset(GOOD_EMAILS), reason="途中までしか読み込めません"),
    "reg_200000_char_name.csv": Imported(2, kept=1, emails=frozenset(GOOD_EMAILS), reason="途中までしか読み込めません"),
    # Control and invisible characters: removed, the rows imported with clean names and e-mails.
    "reg_excel_escaped_controls.xlsx": Imported(3, emails=frozenset({"ctl@example.org", *GOOD_EMAILS})),
    "reg_control_chars.csv": Imported(3, emails=frozenset(f"ctl{i}@example.org" for i in (1, 2, 3))),
    "reg_nul_late_in_file.csv": Imported(41, emails=frozenset({"fill0@example.org", "latenul@example.org"})),
    "reg_header_with_nul.csv": Imported(2, emails=frozenset(GOOD_EMAILS)),
    "reg_zero_width.csv": Imported(3, emails=frozenset(f"zw{i}@example.org" for i in (1, 2, 3))),
    "reg_bidi_marks.csv": Imported(3, emails=frozenset(f"bidi{i}@example.org" for i in (1, 2, 3))),
    "reg_bom_inside_text.csv": Imported(2, emails=frozenset({"bom1@example.org", "bom2@example.org"})),
    "reg_c1_and_line_separators.csv": Imported(2, emails=frozenset({"ls1@example.org", "ls2@example.org"})),
    "reg_crlf_in_cells.csv": Imported(2, emails=frozenset({"cr1@example.org", "cr2@example.org"})),
    "reg_fullwidth_formulas.csv": Imported(2, emails=frozenset({"fw1@example.org", "fw2@example.org"})),
    "reg_formula_email.csv": Imported(4, emails=frozenset({"+1@example.org", *GOOD_EMAILS})),
    # Title lines and blank lines above the header row.
    "reg_title_line.csv": Imported(2, emails=frozenset(GOOD_EMAILS)),
    "reg_title_and_blank_lines.csv": Imported(2, emails=frozenset(GOOD_EMAILS)),
    "reg_blank_lines_above_header.csv": Imported(2, emails=frozenset(GOOD_EMAILS)),
    "reg_title_line_tsv.csv": Imported(1, emails=frozenset({"yamada.taro@example.org"})),
    "reg_title_rows.xlsx": Imported(2, emails=frozenset(GOOD_EMAILS)),
    "reg_many_blank_lines.csv": Imported(2, emails=frozenset(GOOD_EMAILS)),
}
SURVEYS = {
    "survey_empty.csv": Refused("空です"),
    "survey_only_headers.csv": Refused("見出し行しかありません"),
    "survey_binary.xlsx": Refused("Excel ファイルとして開けませんでした"),
    "survey_duplicate_headers.csv": Imported(2),
    "survey_formulas.csv": Imported(2),
    "survey_html.csv": Imported(1),
    "survey_long_comment.csv": Imported(1),
    "survey_mixed_dates.csv": Imported(6),
    "survey_emoji.csv": Imported(1),
    "survey_cp932.csv": Imported(1),
    "survey_ragged.csv": Imported(2),
    "survey_title_line.csv": Imported(1),
    "survey_200000_char_answer.csv": Imported(2),
    "survey_control_chars.csv": Imported(1),
    "survey_invisible.csv": Imported(1),
    "survey_hidden_sheet.xlsx": Imported(1),
    "survey_xfd1048576.xlsx": Refused("XFD1048576"),
    "survey_shared_string_bomb.xlsx": Refused("展開すると"),
}
CHATS = {  # Imported(n messages, kept = unparsed lines)
    "chat_empty.txt": Imported(0),
    "chat_binary.txt": Imported(0, kept=1),
    "chat_only_header.txt": Imported(0),
    "chat_utf16.txt": Imported(1),
    "chat_cp932.txt": Imported(1),
    "chat_html.txt": Imported(2),
    "chat_long_line.txt": Imported(1),
    "chat_emoji_names.txt": Imported(3),
    "chat_mixed_dates.txt": Imported(5),
    "chat_nul.txt": Imported(1),
    "chat_no_dates.txt": Imported(0, kept=2),
}


BACKUPS = {  # every archive is refused, the database left exactly as it was
    "backup_not_a_zip.zip": "zip 形式ではありません",
    "backup_empty.zip": "zip 形式ではありません",
    "backup_truncated.zip": "zip 形式ではありません",
    "backup_unsupported_compression.zip": "対応していない圧縮方式",
    "backup_no_manifest.zip": "目録",
    "backup_manifest_not_object.zip": "目録",
    "backup_manifest_wrong_types.zip": "目録",
    "backup_format_2.zip": "形式（2）には対応していません",
    "backup_newer_revision.zip": "新しい版",
    "backup_missing_tables.zip": "あるはずの表がありません",
    "backup_missing_one_table.zip": "あるはずの表がありません: people",
    "backup_all_tables_zero_rows.zip": "1行もデータがありません",
    "backup_duplicate_primary_keys.zip": "1行目と3行目が同じID",
    "backup_bad_isoformat.zip": "「starts_at」の値",
    "backup_wrong_types.zip": "この列の型に合いません",
    "backup_null_in_required.zip": "入れられませんでした",
    "backup_rows_not_a_list.zip": "行数が目録と一致しません",
    "backup_row_not_an_object.zip": "行の形式",
    "backup_unknown_table.zip": "このデータベースにない表",
    "backup_bad_base64.zip": "この列の型に合いません",
    "backup_huge_manifest.zip": "大きすぎます",
    "backup_huge_table.zip": "大きすぎます",
    "backup_nul_in_text.zip": "NUL",
}
UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def test_the_corpus_is_complete():
    files = {p.name for p in CORPUS.iterdir() if p.suffix != ".py"}
    assert files == set(REGISTRATIONS) | set(SURVEYS) | set(CHATS) | set(BACKUPS)
    assert len(files) > 100


@pytest.fixture(scope="module")
def corpus_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'h.sqlite3'}"
    db.get_engine(url)
    return url


_meetings = itertools.count(1)


def _new_meeting(url: str) -> int:
    """A fresh meeting per file (one a day: the same title and start twice is refused as a duplicate)."""
    day = dt.datetime(2026, 12, 10, 14) + dt.timedelta(days=next(_meetings))
    with db.session(url, actor="test") as s:
        return schedule.add_meeting(s, schedule.MeetingInput(title="情報交換会", starts_at=day)).id


def _assert_japanese_message(exc: BaseException, name: str, words: str) -> None:
    message = str(exc)
    assert isinstance(exc, ValueError), f"{name}: {type(exc).__name__} is not a user error"
    assert words in message and JAPANESE.search(message), f"{name}: {message}"
    assert "Traceback" not in message


@pytest.mark.parametrize("name", sorted(REGISTRATIONS))
def test_registration_corpus(corpus_url, name):
    expected = REGISTRATIONS[name]
    meeting_id = _new_meeting(corpus_url)
    data = (CORPUS / name).read_bytes()
    if isinstance(expected, Refused):
        with pytest.raises(ValueError) as err, db.session(corpus_url, actor="test") as s:
            intake.import_file(s, SECRETARIAT_LOCAL, meeting_id, data, name)
        _assert_japanese_message(err.value, name, expected.words)
        assert f"「{name}」" in str(err.value)  # the message names the file
        with db.session(corpus_url) as s:
            assert s.scalar(select(func.count()).select_from(Registration)
                            .where(Registration.meeting_id == meeting_id)) == 0
        return
    with db.session(corpus_url, actor="test") as s:
        result = intake.import_file(s, SECRETARIAT_LOCAL, meeting_id, data, name)
    assert result.consistent  # every input row is accounted for
    assert (result.imported + result.updated, len(result.quarantined)) == (expected.n, expected.kept), result.line()
    for q in result.quarantined:
        assert "行目" in q["reason"] and expected.reason in q["reason"]
    with db.session(corpus_url) as s:
        emails = set(s.scalars(select(Person.email).join(Registration, Registration.person_id == Person.id)
                               .where(Registration.meeting_id == meeting_id)))
        kept = s.scalar(select(func.count()).select_from(KeptAsideRow).where(  # not imported rows to look at
            KeptAsideRow.meeting_id == meeting_id, KeptAsideRow.resolution.not_in(("flagged", "checked"))))
    assert expected.emails <= emails  # never a lost valid row
    assert kept == expected.kept  # kept aside, to fix later
    with db.session(corpus_url) as s:  # nothing invisible or a control character reaches the database
        stored = [*s.execute(select(Person.name, Person.email, Registration.org_text, Registration.note)
                             .join(Registration, Registration.person_id == Person.id)
                             .where(Registration.meeting_id == meeting_id)).all()]
    assert not [v for row in stored for v in row if v and UNWANTED.search(v)], name


def test_formulas_are_neutralised_in_exports(corpus_url):
    meeting_id = _new_meeting(corpus_url)
    with db.session(corpus_url, actor="test") as s:
        intake.import_file(s, SECRETARIAT_LOCAL, meeting_id, (CORPUS / "reg_formulas.csv").read_bytes(), "reg_formulas.csv")
        frame = intake.registrant_frame(s, ADMIN, meeting_id)
    assert any(str(v).startswith("=HYPERLINK") for v in frame["name"])  # stored as typed
    text = exports.to_csv_bytes(frame.rename(columns=intake.REGISTRANT_LABELS)).decode("utf-8-sig")
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert "'=HYPERLINK(\"http://evil.example\",\"押して\")" in cells


@pytest.mark.parametrize("name", sorted(SURVEYS))
def test_survey_corpus(corpus_url, name):
    expected = SURVEYS[name]
    data = (CORPUS / name).read_bytes()
    if isinstance(expected, Refused):
        with pytest.raises(ValueError) as err:
            read_table(data, name)
        _assert_japanese_message(err.value, name, expected.words)
        return
    table = read_table(data, name)
    with db.session(corpus_url, actor="test") as s:
        result = survey_store.import_table(s, SECRETARIAT_LOCAL, table, title=name, meeting_id=None)
        survey = survey_store.load(s, result.survey_id)
    assert result.responses == expected.n == len(table.rows)
    assert "件の回答を取り込みました" in result.message()
    assert survey is not None
    if name == "survey_long_comment.csv":  # the 10,000-character answer is kept whole
        with db.session(corpus_url) as s:
            ids = survey_store.response_ids(s, result.survey_id)
            from facilitation.surveys.models import SurveyResponse

            assert len(s.get(SurveyResponse, ids[0]).answers_raw[-1]) == 10_000


@pytest.fixture(scope="module")
def backup_target(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('hostile-backup') / 'b.sqlite3'}"
    with db.session(url, actor="test") as s:
        schedule.add_meeting(s, schedule.MeetingInput(title="消えてはいけない会", starts_at=dt.datetime(2026, 1, 9, 14)))
    return url


@pytest.mark.parametrize("name", sorted(BACKUPS))
def test_backup_corpus(backup_target, name):
    from facilitation.storage import backup

    before = backup.dump(db.get_engine(backup_target))
    data = CORPUS / name
    with pytest.raises(backup.BackupError) as err:  # accepted although unsigned: its contents are refused
        backup.restore_bytes(data.read_bytes(), backup_target,
                             accepted=backup.inspect_archive(data.read_bytes(), backup_target))
    _assert_japanese_message(err.value, name, BACKUPS[name])
    assert backup.dump(db.get_engine(backup_target)) == before  # exactly as it was


NOTES = {  # what read_table tells about the file, in Japanese
    "reg_hidden_first_sheet.xlsx": "シート「フォームの回答 1」を読みました。非表示のシート（旧データ）は読んでいません",
    "reg_summary_sheet_first.xlsx": "シート「フォームの回答 1」を読みました。ほかのシート（集計）",
    "reg_active_sheet_second.xlsx": "シート「申込一覧」を読みました",
    "reg_200000_char_note.csv": "2行目「備考」は200,000文字あり、上限の50,000文字を超える",
    "reg_200000_char_name.csv": "2行目「氏名」は200,000文字あり",
    "reg_long_shared_string.xlsx": "4行目「備考」は100,000文字あり",
    "reg_title_line.csv": "2行目を見出し行として読みました",
    "reg_title_and_blank_lines.csv": "6行目を見出し行として読みました（それより上の1行目、4行目は",
    "reg_title_rows.xlsx": "4行目を見出し行として読みました",
    "survey_200000_char_answer.csv": "2行目「ご意見・ご感想」は200,000文字あり",
}


@pytest.mark.parametrize("name", sorted(NOTES))
def test_the_table_says_what_it_did(name):
    table = read_table((CORPUS / name).read_bytes(), name)
    assert any(NOTES[name] in n and f"「{name}」" in n for n in table.notes), table.notes


@pytest.mark.parametrize("name", sorted(CHATS))
def test_chat_corpus(corpus_url, name):
    expected = CHATS[name]
    data = (CORPUS / name).read_bytes()
    parsed = chat_parser.parse_bytes(data)
    assert len(parsed.messages) == expected.n and len(parsed.unparsed) == expected.kept
    assert sum(parsed.line_counts.values()) == parsed.total_lines  # every line accounted for
    with db.session(corpus_url, actor="test") as s:
        result = chat_store.import_bytes(s, ADMIN, data, file_name=name)
    assert result.messages_found == expected.n and result.unparsed_count == expected.kept
    for u in result.unparsed:
        assert JAPANESE.search(u["reason"])
    if name == "chat_long_line.txt":
        assert len(parsed.messages[0].text) == 10_000


# --- The 200 MB upload -----------------------------------------------------------------------

def test_a_200_mb_upload_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "registrations_200MB.csv"
    row = (CORPUS / "reg_cp932.csv").read_bytes().decode("cp932").splitlines()[1].encode() + b"\n"
    with big.open("wb") as fh:
        chunk = row * (1024 * 1024 // len(row))
        while fh.tell() < 200 * 1024 * 1024:
            fh.write(chunk)
    with pytest.raises(uploads.UploadTooLarge) as err:
        uploads.read_file(big)
    assert "上限の 50MB を超えています" in str(err.value) and "registrations_200MB.csv" in str(err.value)
    with pytest.raises(uploads.UploadTooLarge):
        uploads.check_size(200 * 1024 * 1024, "x.csv")
    uploads.check_size(uploads.MAX_UPLOAD_BYTES, "exactly-the-limit.csv")  # at the limit: fine


def test_the_app_uploader_limit_matches_the_domain_guard():
    text = (ROOT / ".streamlit" / "config.toml").read_text()
    limit = int(re.search(r"maxUploadSize\s*=\s*(\d+)", text).group(1))
    assert limit * 1024 * 1024 <= uploads.MAX_UPLOAD_BYTES


# --- Properties --------------------------------------------------------------------------------

cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000), st.sampled_from(["x.csv", "x.xlsx", "x.tsv", "x.txt", "x"]))
def test_reading_any_bytes_gives_a_table_or_a_japanese_error(data, filename):
    try:
        table = read_table(data, filename)
    except TableError as exc:
        assert JAPANESE.search(str(exc))
        return
    assert table.headers and all(len(r) == len(table.headers) for r in table.rows)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000))
def test_parsing_any_chat_export_accounts_for_every_line(data):
    parsed = chat_parser.parse_bytes(data)
    assert sum(parsed.line_counts.values()) == parsed.total_lines
    assert len(parsed.unparsed) == parsed.line_counts[chat_parser.UNPARSED]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000))
def test_parsing_any_chat_text_never_fails(text):
    parsed = chat_parser.parse_text(text)
    assert sum(parsed.line_counts.values()) == parsed.total_lines


FORM = ["タイムスタンプ", "メールアドレス", "氏名", "所属（法人・機関名）", "備考"]
emails = st.one_of(st.from_regex(r"[a-z]{1,8}@example\.org", fullmatch=True), cell)
rows = st.lists(st.tuples(cell, emails, st.one_of(cell, st.sampled_from(["山田 太郎", "佐藤 花子"])), cell, cell),
                max_size=25)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(rows)
def test_import_invariant(corpus_url, data):
    """Every row is accounted for; every valid row is there; importing again adds nothing."""
    meeting_id = _new_meeting(corpus_url)
    table = from_values([FORM, *[list(r) for r in data]], source="property.csv")
    with db.session(corpus_url, actor="test") as s:
        first = intake.import_table(s, SECRETARIAT_LOCAL, meeting_id, table)
    assert first.consistent
    with db.session(corpus_url, actor="test") as s:
        again = intake.import_table(s, SECRETARIAT_LOCAL, meeting_id, table)
        n_regs = s.scalar(select(func.count()).select_from(Registration).where(Registration.meeting_id == meeting_id))
        people = set(s.scalars(select(Person.email).join(Registration, Registration.person_id == Person.id)
                               .where(Registration.meeting_id == meeting_id)))
    assert again.consistent and again.imported == 0
    assert n_regs == first.imported
    from facilitation.text.normalize import clean, email_key, person_key

    kept_aside = {q["row"] for q in first.quarantined}
    for i, (_ts, email, name, _org, _note) in enumerate(data):
        key, text = email_key(email), clean(name)
        if key and text and person_key(text) and len(text) <= 100 and (not clean(email) or key):
            assert i + 2 not in kept_aside, (email, name)  # a valid row is never kept aside or lost
            assert key in people or first.duplicates or first.updated, (email, name)
