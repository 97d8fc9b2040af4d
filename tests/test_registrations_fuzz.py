"""Fuzzing the registration importer with mutated real-layout files (issue 24): re-encoded (UTF-8,
UTF-8 with BOM, Shift_JIS, UTF-16), re-delimited, columns shuffled, blank and title rows added,
truncated anywhere. The rule every import must keep: each row the file holds is imported, merged
into another (said so), or listed with its number and reason — a row dropped without a word fails.
A file that cannot be read at all is refused with a Japanese message naming it.

Bases: the format fixtures (tests/data/formats), the standard form, and the real Google Forms
exports in ../shared/real-samples/forms when they are there (read in place, never copied).
"""

import csv
import datetime as dt
import io
import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitation.files.tabular import TableError, read_table
from facilitation.meetings import schedule
from facilitation.registrations import intake
from facilitation.roles import SECRETARIAT_LOCAL as SEC
from facilitation.storage import db
from facilitation.storage.models import Registration

HERE = Path(__file__).parent
REAL = HERE.parent / ".." / "shared" / "real-samples" / "forms"
FILES = [HERE / "data" / "formats" / n for n in (
    "connpass_participants.csv", "peatix_attendees.csv", "english_headers.csv", "municipal_attendance_no_email.csv",
    "ms_forms_registration.xlsx")] + [HERE / "data" / "registrations" / "form_utf8.csv"]


def grid(path: Path) -> list[list[str]]:
    """A file as its header row and data rows (strings), as the reader sees it."""
    t = read_table(path.read_bytes(), path.name)
    return [list(t.headers), *[list(r) for r in t.rows]]


BASES = [(p.name, grid(p)) for p in FILES]
REAL_BASES = [(p.name, grid(p)) for p in sorted(REAL.glob("*.csv"))] if REAL.is_dir() else []
_MEETINGS = itertools.count(1)


@st.composite
def mutated(draw, bases):
    name, base = draw(st.sampled_from(bases))
    width = len(base[0])
    order = draw(st.permutations(range(width))) if draw(st.booleans()) else list(range(width))
    records: list[list[str]] = [[f"第{draw(st.integers(1, 9))}回 情報交換会 申込一覧"]] * draw(st.integers(0, 2))
    data_at: list[int] = []  # the record number (1-based, as the reader counts them) of each data row
    for i, row in enumerate(base):
        records += [[]] * draw(st.integers(0, 2)) if i else []  # blank rows between data rows
        records.append([row[j] if j < len(row) else "" for j in order])
        if i:
            data_at.append(len(records))
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp932", "utf-16"]))
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    texts = []
    for r in records:
        buf = io.StringIO()
        csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerow(r)
        texts.append(buf.getvalue())
    try:
        "".join(texts).encode(encoding)
    except UnicodeEncodeError:  # a real sample's character Shift_JIS cannot hold
        encoding = "utf-8"
    # where each record ends in the encoded file, so a cut says which records are whole
    ends = [len("".join(texts[:k + 1]).encode(encoding)) for k in range(len(texts))]
    data = "".join(texts).encode(encoding)
    cut = draw(st.none() | st.integers(min_value=len(data) // 3, max_value=len(data) - 1))
    if cut is not None:
        data = data[:cut]
    suffix = draw(st.sampled_from([".csv", ".txt", ".tsv"]))
    return name, name.rsplit(".", 1)[0] + suffix, data, data_at, ends, cut


def _import(url: str, data: bytes, name: str):
    with db.session(url) as s:
        mid = schedule.add_meeting(s, schedule.MeetingInput(title=f"ファズ（{next(_MEETINGS)}）",
                                                            starts_at=dt.datetime(2027, 2, 1, 14))).id
    with db.session(url) as s:
        res = intake.import_file(s, SEC, mid, data, name)
        return res, [s.get(Registration, rid).source_row for rid in res.registration_ids]


_BASELINE: dict[tuple[str, str], tuple[int, int, int, int]] = {}


def outcome(res) -> tuple[int, int, int, int]:
    """(registered, merged, kept aside, not taking part): what a file's rows became."""
    return res.imported + res.updated, res.duplicates, len(res.quarantined), len(res.cancelled)


def baseline(url: str, base: str) -> tuple[int, int, int, int]:
    """What the unchanged file's rows became (imported into a meeting of its own)."""
    if (url, base) not in _BASELINE:
        path = next(p for p in [*FILES, *sorted(REAL.glob("*.csv"))] if p.name == base)
        _BASELINE[(url, base)] = outcome(_import(url, path.read_bytes(), path.name)[0])
    return _BASELINE[(url, base)]


def check_rule(url: str, upload) -> None:
    base, name, data, data_at, ends, cut = upload
    try:
        res, placed_regs = _import(url, data, name)
    except TableError as exc:  # refused as a whole, with a Japanese message naming the file
        assert f"「{name}」" in str(exc) and "Traceback" not in str(exc)
        assert cut is not None or not data_at, str(exc)  # an intact file with rows is always read
        return
    assert res.consistent, res.as_dict()
    placed = placed_regs + [d["row"] for d in res.duplicate_rows] + [u["row"] for u in res.unplaced]
    assert len(placed) == len(set(placed)) == res.rows, (sorted(placed), res.rows)  # each row once
    if cut is None:
        assert sorted(placed) == data_at  # every data row, at the number the person sees
        # Another encoding, delimiter, column order, blank or title rows: the same people, the same reasons.
        assert outcome(res) == baseline(url, base), (res.line(), res.notes[:1])
    else:
        whole = [n for n in data_at if ends[n - 1] <= cut]
        assert set(whole) <= set(placed), (whole, sorted(placed))  # no whole row lost to the cut
        assert len(placed) <= len(whole) + 1  # at most the row that was cut in the middle


@pytest.fixture(scope="module")
def fuzz_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.sqlite3'}"
    db.get_engine(url)
    return url


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(upload=mutated(BASES))
def test_every_row_of_a_mutated_file_is_accounted_for(fuzz_url, upload):
    check_rule(fuzz_url, upload)


@pytest.mark.skipif(not REAL_BASES, reason="../shared/real-samples/forms がありません（実ファイルでの確認は省略）")
@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(upload=mutated(REAL_BASES or BASES))
def test_every_row_of_a_mutated_real_google_forms_export_is_accounted_for(fuzz_url, upload):
    check_rule(fuzz_url, upload)
