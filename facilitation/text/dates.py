"""Japan time and Japanese dates: "now", UTC ↔ 日本時間, 2026年12月10日（木）, 年度 and 和暦.

The one clock of the package. Stored timestamps (created_at, imported_at, expiries…) are naive UTC;
meeting start times and chat post times are naive Japan time, as people wrote them. Never use the
server's local clock (`datetime.now()` without a zone): hosts run on UTC.
"""

from __future__ import annotations

import datetime as dt
import re

from facilitation.text.normalize import clean

JST = dt.timezone(dt.timedelta(hours=9), "JST")


def utcnow() -> dt.datetime:
    """The current moment as naive UTC (how timestamps are stored)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def now_jst() -> dt.datetime:
    """The current Japan time, naive (how meetings and chat posts are stored)."""
    return dt.datetime.now(JST).replace(tzinfo=None)


def to_jst(moment_utc: dt.datetime | None) -> dt.datetime | None:
    """A stored naive-UTC timestamp (or an aware one) → naive Japan time; None stays None."""
    if moment_utc is None:
        return None
    if moment_utc.tzinfo is None:
        moment_utc = moment_utc.replace(tzinfo=dt.UTC)
    return moment_utc.astimezone(JST).replace(tzinfo=None)


def jst_to_utc(local: dt.datetime) -> dt.datetime:
    """A naive Japan time → naive UTC (for comparing with stored timestamps)."""
    return local.replace(tzinfo=JST).astimezone(dt.UTC).replace(tzinfo=None)

WEEKDAYS = "月火水木金土日"
_ERAS = (  # (first day, name)
    (dt.date(2019, 5, 1), "令和"),
    (dt.date(1989, 1, 8), "平成"),
    (dt.date(1926, 12, 25), "昭和"),
)


def ja_date(d: dt.date | dt.datetime | None, weekday: bool = True) -> str:
    """2026年12月10日（木）; "" for None."""
    if d is None:
        return ""
    s = f"{d.year}年{d.month}月{d.day}日"
    return f"{s}（{WEEKDAYS[d.weekday()]}）" if weekday else s


def ja_time(t: dt.time | dt.datetime | None) -> str:
    """14:00 style; "" for None."""
    return "" if t is None else f"{t.hour}:{t.minute:02d}"


def ja_datetime(d: dt.datetime | None) -> str:
    """2026年12月10日（木）14:00."""
    return "" if d is None else f"{ja_date(d)}{ja_time(d)}"


def fiscal_year(d: dt.date | dt.datetime) -> int:
    """The 年度 a date falls in: April to March, named by the year it starts."""
    return d.year if d.month >= 4 else d.year - 1


def ja_fiscal_year(year: int) -> str:
    """2026 → 「2026年度」."""
    return f"{year}年度"


def wareki_year(year: int, month: int = 4, day: int = 1) -> str:
    """The 和暦 year for a date (April 1 by default, as fiscal years are named): 2026 → 令和8年."""
    d = dt.date(year, month, day)
    for start, era in _ERAS:
        if d >= start:
            n = d.year - start.year + 1
            return f"{era}{'元' if n == 1 else n}年"
    return f"{year}年"


def wareki_fiscal_year(year: int) -> str:
    """2026 → 「令和8年度」. A fiscal year in which the era changed is named in the new era when
    the new era's first year is the year the fiscal year starts in (2019 → 令和元年度, as the
    government writes it since May 2019); otherwise in the era it started in (1988 → 昭和63年度)."""
    end = dt.date(year + 1, 3, 31)
    for start, era in _ERAS:
        if end >= start:
            if start.year == year:
                return f"{era}元年度"
            break
    return wareki_year(year)[:-1] + "年度"


def wareki_date(d: dt.date | dt.datetime | None, weekday: bool = True) -> str:
    """令和8年12月10日（木） (令和元年 for 2019); "" for None."""
    if d is None:
        return ""
    s = f"{wareki_year(d.year, d.month, d.day)}{d.month}月{d.day}日"
    return f"{s}（{WEEKDAYS[d.weekday()]}）" if weekday else s


def format_date(d: dt.date | dt.datetime | None, wareki: bool = False, weekday: bool = True) -> str:
    """The date as official papers want it: 和暦 (令和8年12月10日（木）) or 西暦 (2026年12月10日（木）)."""
    return wareki_date(d, weekday) if wareki else ja_date(d, weekday)


def format_fiscal_year(year: int, wareki: bool = False) -> str:
    """2026 → 「令和8年度」 or 「2026年度」."""
    return wareki_fiscal_year(year) if wareki else ja_fiscal_year(year)


# --- Japanese public holidays (the `holidays` package, kept up to date by its maintainers) ---

_HOLIDAYS: dict[int, dict[dt.date, str]] = {}
YEAR_END = ((12, 29), (1, 3))  # 年末年始: government offices are closed (行政機関の休日に関する法律)


def holiday_name(d: dt.date | dt.datetime) -> str:
    """The name of the Japanese public holiday on that day (「天皇誕生日」「振替休日」…), else ""."""
    day = d.date() if isinstance(d, dt.datetime) else d
    if day.year not in _HOLIDAYS:
        import holidays  # imported on first use: the package is large

        _HOLIDAYS[day.year] = dict(holidays.country_holidays("JP", years=day.year, language="ja"))
    return _HOLIDAYS[day.year].get(day, "")


def date_notice(d: dt.date | dt.datetime | None) -> str:
    """A Japanese warning when a meeting date falls on a public holiday, a weekend or 年末年始
    (when the municipal staff who take part are off), else ""."""
    if d is None:
        return ""
    day = d.date() if isinstance(d, dt.datetime) else d
    name = holiday_name(day)
    reasons = []
    if name:
        reasons.append(f"祝日（{name}）")
    if day.weekday() >= 5:
        reasons.append("土曜日" if day.weekday() == 5 else "日曜日")
    (m1, d1), (m2, d2) = YEAR_END
    if (day.month, day.day) >= (m1, d1) or (day.month, day.day) <= (m2, d2):
        reasons.append("年末年始（12月29日〜1月3日、役所の閉庁期間）")
    if not reasons:
        return ""
    return (f"{ja_date(day)}は{'・'.join(reasons)}です。自治体や相談支援機関の方が参加しにくい日かもしれません。"
            "この日でよいか、ご確認ください。")


# --- reading the timestamps of forms (Google Forms, Excel) ---

_TS = re.compile(
    r"^(\d{4})\s*[/\-.年]\s*(\d{1,2})\s*[/\-.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*[T ]?\s*(?:午(前|後))?\s*(\d{1,2})\s*[:時]\s*(\d{1,2})\s*分?(?:\s*[:]\s*(\d{1,2})(?:\.\d+)?)?)?"
)


def parse_timestamp(text: str) -> dt.datetime | None:
    """「2026/11/20 9:05:03」「2026-11-20T09:05」「2026年11月20日 午後2:05」 → datetime; None otherwise.

    The one reader of the timestamps Google Forms (and Excel) write: registrations and surveys."""
    s = text.strip() if text.isascii() else clean(text)  # the usual Google / Excel text is plain ASCII
    if not s:
        return None
    m = _TS.match(s)
    if not m:
        try:  # an Excel serial number (days since 1899-12-30)
            serial = float(s)
        except ValueError:
            return None
        if 20000 < serial < 80000:
            return dt.datetime(1899, 12, 30) + dt.timedelta(days=serial)
        return None
    y, mo, d, ampm, h, mi, sec = m.groups()
    hour = int(h or 0)
    if ampm == "後" and hour < 12:
        hour += 12
    try:
        return dt.datetime(int(y), int(mo), int(d), hour, int(mi or 0), int(sec or 0))
    except ValueError:
        return None


# Plotly date axes in Japanese (its own ticks are English: "Feb 2026"), for every chart module.
PLOTLY_MONTH, PLOTLY_DAY = "%Y年%-m月", "%Y年%-m月%-d日"
