"""A corpus of hostile or broken inputs (tests/data/hostile/, 52 files) across registrations, surveys
and open-chat exports, each with its expected outcome: a clear Japanese message naming the file, or
rows imported / kept aside with a Japanese reason — never a traceback, never a lost valid row.
Plus property-based tests (hypothesis) for the parsers and the import invariant, and the size guard
for a 200 MB upload (generated at test time).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from facilitation.access.roles import SECRETARIAT, Viewer
from facilitation.files import exports, uploads
from facilitation.files.tabular import TableError, from_values, read_table
from facilitation.meetings import schedule
from facilitation.openchat import parser as chat_parser
from facilitation.openchat import store as chat_store
from facilitation.registrations import intake
from facilitation.registrations.models import KeptAsideRow
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
    "reg_nul_bytes.csv": Refused("表のファイル"),
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


def test_the_corpus_is_complete():
    files = {p.name for p in CORPUS.iterdir() if p.suffix != ".py"}
    assert files == set(REGISTRATIONS) | set(SURVEYS) | set(CHATS)
    assert len(files) >= 40


@pytest.fixture(scope="module")
def corpus_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'h.sqlite3'}"
    db.get_engine(url)
    return url


def _new_meeting(url: str) -> int:
    with db.session(url, actor="test") as s:
        return schedule.add_meeting(s, schedule.MeetingInput(
            title="第9回 情報交換会", starts_at=dt.datetime(2026, 12, 10, 14))).id


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
            intake.import_file(s, meeting_id, data, name)
        _assert_japanese_message(err.value, name, expected.words)
        assert f"「{name}」" in str(err.value)  # the message names the file
        with db.session(corpus_url) as s:
            assert s.scalar(select(func.count()).select_from(Registration)
                            .where(Registration.meeting_id == meeting_id)) == 0
        return
    with db.session(corpus_url, actor="test") as s:
        result = intake.import_file(s, meeting_id, data, name)
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


def test_formulas_are_neutralised_in_exports(corpus_url):
    meeting_id = _new_meeting(corpus_url)
    with db.session(corpus_url, actor="test") as s:
        intake.import_file(s, meeting_id, (CORPUS / "reg_formulas.csv").read_bytes(), "reg_formulas.csv")
        frame = intake.registrant_frame(s, meeting_id, ADMIN)
    assert any(str(v).startswith("=HYPERLINK") for v in frame["氏名"])  # stored as typed
    text = exports.to_csv_bytes(frame).decode("utf-8-sig")
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
        result = survey_store.import_table(s, table, title=name, meeting_id=None)
        survey = survey_store.load(s, result.survey_id)
    assert result.responses == expected.n == len(table.rows)
    assert "件の回答を取り込みました" in result.message()
    assert survey is not None
    if name == "survey_long_comment.csv":  # the 10,000-character answer is kept whole
        with db.session(corpus_url) as s:
            ids = survey_store.response_ids(s, result.survey_id)
            from facilitation.surveys.models import SurveyResponse

            assert len(s.get(SurveyResponse, ids[0]).answers_raw[-1]) == 10_000


@pytest.mark.parametrize("name", sorted(CHATS))
def test_chat_corpus(corpus_url, name):
    expected = CHATS[name]
    data = (CORPUS / name).read_bytes()
    parsed = chat_parser.parse_bytes(data)
    assert len(parsed.messages) == expected.n and len(parsed.unparsed) == expected.kept
    assert sum(parsed.line_counts.values()) == parsed.total_lines  # every line accounted for
    with db.session(corpus_url, actor="test") as s:
        result = chat_store.import_bytes(s, data, ADMIN, file_name=name)
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
        first = intake.import_table(s, meeting_id, table)
    assert first.consistent
    with db.session(corpus_url, actor="test") as s:
        again = intake.import_table(s, meeting_id, table)
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
