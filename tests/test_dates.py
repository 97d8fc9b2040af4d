"""Japanese calendars: 和暦 dates and fiscal years, and the warning for a meeting on a holiday."""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from facilitation.meetings import schedule
from facilitation.storage import db
from facilitation.text.dates import date_notice, format_date, format_fiscal_year, holiday_name, wareki_date

from .conftest import ROOT


@pytest.mark.parametrize(("day", "wareki"), [
    (dt.date(2026, 12, 10), "令和8年12月10日（木）"),
    (dt.date(2019, 5, 1), "令和元年5月1日（水）"),
    (dt.date(2019, 4, 30), "平成31年4月30日（火）"),
    (dt.date(1989, 1, 8), "平成元年1月8日（日）"),
    (dt.date(1989, 1, 7), "昭和64年1月7日（土）"),
])
def test_wareki_dates_change_era_on_the_right_day(day, wareki):
    assert wareki_date(day) == wareki
    assert format_date(day, wareki=True) == wareki
    assert format_date(day) == f"{day.year}年{day.month}月{day.day}日（{wareki[-2]}）"


def test_fiscal_years_in_both_calendars():
    assert format_fiscal_year(2026, wareki=True) == "令和8年度"
    assert format_fiscal_year(2019, wareki=True) == "令和元年度"  # April 2019 was still 平成31年
    assert format_fiscal_year(1988, wareki=True) == "昭和63年度"  # 平成 began in January 1989
    assert format_fiscal_year(1989, wareki=True) == "平成元年度"
    assert format_fiscal_year(2018, wareki=True) == "平成30年度"
    assert format_fiscal_year(2026) == "2026年度"
    assert format_date(dt.datetime(2026, 12, 10, 14, 0), wareki=True, weekday=False) == "令和8年12月10日"


@pytest.mark.parametrize(("day", "name"), [
    (dt.date(2027, 2, 23), "天皇誕生日"),
    (dt.date(2026, 9, 22), "国民の休日"),  # between 敬老の日 and 秋分の日
    (dt.date(2027, 3, 22), "振替休日"),  # 春分の日 2027-03-21 is a Sunday
    (dt.date(2026, 11, 23), "勤労感謝の日"),
    (dt.date(2026, 12, 10), ""),
])
def test_public_holidays_come_from_the_holiday_library(day, name):
    assert holiday_name(day) == name
    assert holiday_name(dt.datetime.combine(day, dt.time(14))) == name


def test_a_meeting_date_warns_on_holidays_weekends_and_year_end():
    assert date_notice(dt.date(2026, 12, 10)) == ""  # an ordinary Thursday
    assert date_notice(None) == ""
    saturday = date_notice(dt.date(2026, 12, 12))
    assert saturday.startswith("2026年12月12日（土）は土曜日です。") and "ご確認ください" in saturday
    assert "祝日（天皇誕生日）" in date_notice(dt.date(2027, 2, 23))
    assert "祝日（文化の日）・日曜日" not in date_notice(dt.date(2026, 11, 3))  # 2026-11-03 is a Tuesday
    assert "祝日（文化の日）・日曜日" in date_notice(dt.date(2030, 11, 3))  # a holiday on a Sunday
    assert "年末年始" in date_notice(dt.date(2026, 12, 29)) and "年末年始" in date_notice(dt.date(2027, 1, 3))
    assert date_notice(dt.date(2027, 1, 4)) == ""


def test_the_meeting_form_warns_beside_a_holiday(monkeypatch, sqlite_url):
    monkeypatch.setenv("FACILITATION_DB_URL", sqlite_url)
    with db.session(sqlite_url) as s:
        schedule.add_meeting(s, schedule.MeetingInput(title="情報交換会", starts_at=dt.datetime(2026, 12, 10, 14)))
    at = AppTest.from_file(str(ROOT / "pages/settings.py"), default_timeout=60).run()
    assert not at.exception
    assert not [w for w in at.warning if "ご確認ください" in w.value]  # a Thursday: nothing to say
    at.text_input(key="meeting_form_new_0_title").set_value("臨時の情報交換会")
    at.date_input(key="meeting_form_new_0_day").set_value(dt.date(2027, 2, 23))
    at.button[0].click().run()
    assert not at.exception
    assert any("会を追加しました" in s.value for s in at.success)
    assert date_notice(dt.date(2027, 2, 23)) in [w.value for w in at.warning]
    # Editing that meeting shows the warning beside its date.
    at.radio(key="settings_meeting_mode").set_value("会を編集・削除する").run()
    with db.session(sqlite_url) as s:
        holiday = next(m for m in schedule.list_meetings(s) if m.title == "臨時の情報交換会")
    at.selectbox(key="settings_meeting").set_value(holiday.id).run()
    assert not at.exception
    assert any("祝日（天皇誕生日）" in w.value for w in at.warning)


def test_the_wareki_setting_reaches_the_report_and_the_committee_pack(tmp_path):
    import io

    import openpyxl

    from facilitation.errors import AccessDenied
    from facilitation.history import committee_pack, participation
    from facilitation.history import coverage as cov
    from facilitation.roles import SECRETARIAT_LOCAL, Viewer
    from facilitation.rosters import report
    from facilitation.storage.settings import set_wareki, use_wareki
    from tests import history_world as hw

    url = f"sqlite:///{tmp_path / 'world.sqlite3'}"
    hw.make(url)
    with db.session(url) as s:
        mid = schedule.add_meeting(s, schedule.MeetingInput(
            title="情報交換会", number=3, starts_at=dt.datetime(2026, 12, 10, 14),
            ends_at=dt.datetime(2026, 12, 10, 16, 30))).id
        assert use_wareki(s) is False  # 西暦 until the secretariat chooses otherwise
        assert report.build_report(s, SECRETARIAT_LOCAL, mid).date == "2026年12月10日（木） 14:00〜16:30"
        with pytest.raises(AccessDenied):
            set_wareki(s, Viewer(role="委員会", email="iin@example.org"), True)
        set_wareki(s, SECRETARIAT_LOCAL, True)
    with db.session(url) as s:
        assert use_wareki(s) is True
        data = report.build_report(s, SECRETARIAT_LOCAL, mid)
    assert data.date == "令和8年12月10日（木） 14:00〜16:30" and data.generated_at.startswith("令和")
    assert "令和8年12月10日（木） 14:00〜16:30" in report.to_html(data)

    h = hw.load(url)
    scope = participation.Scope(fiscal_years=(2024, 2025))
    made = dt.datetime(2026, 11, 1, 10, 0)
    pack = committee_pack.build(h, scope, cov.Population(size=8), SECRETARIAT_LOCAL, made_at=made, wareki=True)
    assert "作成日: 令和8年11月1日（日）" in pack.html and "令和6年度〜令和7年度" in pack.html
    cells = [str(v) for ws in openpyxl.load_workbook(io.BytesIO(pack.xlsx)).worksheets
             for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    assert any(c.startswith("令和6年度〜令和7年度") for c in cells)
    plain = committee_pack.build(h, scope, cov.Population(size=8), SECRETARIAT_LOCAL, made_at=made)
    assert "作成日: 2026年11月1日（日）" in plain.html and "2024年度〜2025年度" in plain.html


def test_the_calendar_is_chosen_in_settings(monkeypatch, sqlite_url):
    from facilitation.storage.settings import use_wareki

    monkeypatch.setenv("FACILITATION_DB_URL", sqlite_url)
    at = AppTest.from_file(str(ROOT / "pages/settings.py"), default_timeout=60).run()
    choice = at.radio(key="settings_wareki")
    assert choice.value is False and choice.options[1].startswith("和暦（令和")
    choice.set_value(True).run()
    assert not at.exception
    assert "報告レポートと委員会資料の日付を和暦で書くようにしました。" in [m.value for m in at.success]
    with db.session(sqlite_url) as s:
        assert use_wareki(s) is True
