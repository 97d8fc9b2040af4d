"""Who keeps coming: presence of people and organisations meeting by meeting, flows between
meetings (new, continuing, returned, lapsed), cohort retention, and the participation matrices.

Everything starts from `participation.History` (loaded and scoped there); nothing here reads the
database.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from facilitation.errors import AccessDenied
from facilitation.history.participation import DEFAULT_LAPSE, ROLE_MARKS, History, _with_org
from facilitation.roles import Viewer
from facilitation.text import vocab
from facilitation.text.dates import ja_fiscal_year
from facilitation.text.normalize import key

UNIT_PERSON = "person"
UNIT_ORG = "org"


def _presence(history: History, unit: str) -> tuple[np.ndarray, pd.Index, pd.Index]:
    """A boolean units × meetings matrix (meetings oldest first)."""
    col = "person_id" if unit == UNIT_PERSON else "org_unit"
    att = history.att if unit == UNIT_PERSON else _with_org(history.att)
    mids = history.meetings.index
    if att.empty:
        return np.zeros((0, len(mids)), dtype=bool), pd.Index([]), mids
    codes, units = pd.factorize(att[col].astype("int64"), sort=True)
    pos = pd.Index(mids).get_indexer(att["meeting_id"])
    M = np.zeros((len(units), len(mids)), dtype=bool)
    M[codes, pos] = True
    return M, pd.Index(units), mids


def _last_seen(M: np.ndarray) -> np.ndarray:
    """For each unit and meeting i: the index of the last meeting ≤ i it came to (-1 if none)."""
    idx = np.where(M, np.arange(M.shape[1])[None, :], -1)
    return np.maximum.accumulate(idx, axis=1) if M.size else idx


def _streaks(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(current streak ending at the last meeting, longest streak) per unit."""
    run = np.zeros(M.shape[0], dtype=int)
    longest = np.zeros(M.shape[0], dtype=int)
    for i in range(M.shape[1]):
        run = (run + 1) * M[:, i]
        longest = np.maximum(longest, run)
    return run, longest


FLOW_LABELS: dict[str, str] = {
    "fiscal_year": "年度", "date": "日付", "meeting": "会", "came": "参加", "newcomers": "初参加",
    "continuing": "継続", "returned": "再参加", "newly_lapsed": "離脱（新たに）", "lapsed_total": "離脱（累計）",
    "came_next": "次回も参加", "came_next_rate": "次回も参加率",
}


def flows(history: History, unit: str = UNIT_PERSON, lapse_after: int = DEFAULT_LAPSE,
          fiscal_years: Iterable[int] = ()) -> pd.DataFrame:
    """Per meeting: came, newcomers, continuing (also came last time), returned, newly lapsed,
    lapsed in total, and the share of this meeting's units that came to the next one.

    Lapsed: came before but not to any of the last `lapse_after` meetings (counted at meeting i
    for units whose last meeting was i − lapse_after: "newly lapsed"). Run it on the history
    scoped WITHOUT years; `fiscal_years` picks the rows shown. Columns: FLOW_LABELS (the rate in %).
    """
    M, _, mids = _presence(history, unit)
    n = len(mids)
    if n == 0:
        return pd.DataFrame(columns=list(FLOW_LABELS))
    last = _last_seen(M)
    before = np.zeros_like(M)
    if n > 1:
        before[:, 1:] = last[:, :-1] >= 0
    prev = np.zeros_like(M)
    prev[:, 1:] = M[:, :-1]
    came = M.sum(axis=0)
    newcomers = (M & ~before).sum(axis=0)
    continuing = (M & prev).sum(axis=0)
    returned = (M & before & ~prev).sum(axis=0)
    steps = np.arange(n)[None, :]
    lapsed_total = ((last >= 0) & (last <= steps - lapse_after)).sum(axis=0)
    newly = ((last >= 0) & (last == steps - lapse_after)).sum(axis=0)
    nxt = np.zeros(n, dtype=int)
    if n > 1:
        nxt[:-1] = (M[:, :-1] & M[:, 1:]).sum(axis=0)
    m = history.meetings
    out = pd.DataFrame({
        "fiscal_year": [ja_fiscal_year(int(y)) for y in m["fiscal_year"]],
        "date": m["date"].to_numpy(),
        "meeting": m["label"].to_numpy(),
        "came": came, "newcomers": newcomers, "continuing": continuing, "returned": returned,
        "newly_lapsed": newly, "lapsed_total": lapsed_total, "came_next": nxt,
    })
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(came > 0, nxt / np.maximum(came, 1), np.nan)
    rate[-1] = np.nan  # no next meeting yet
    out["came_next_rate"] = np.round(rate * 100, 1)
    years = set(fiscal_years)
    if years:
        out = out[m["fiscal_year"].isin(years).to_numpy()]
    return out.reset_index(drop=True)


COHORT_LABELS: dict[str, str] = {"fiscal_year": "年度", "size": "人数"}


def cohort_retention(history: History, unit: str = UNIT_PERSON) -> pd.DataFrame:
    """Cohorts by the fiscal year of the first meeting; share (%) who came again in later years.

    Columns: fiscal_year (「2024年度」), size (the cohort's size) (COHORT_LABELS), then one column
    per year of participation named as shown, 初年度 (=100), 2年目, 3年目 … ; NaN where that year
    is not over yet in the data.
    """
    M, units, mids = _presence(history, unit)
    if M.shape[0] == 0:
        return pd.DataFrame(columns=list(COHORT_LABELS))
    fy = history.meetings["fiscal_year"].to_numpy()
    years = sorted(set(int(y) for y in fy))
    # Per unit and fiscal year: came at least once.
    by_year = np.stack([M[:, fy == y].any(axis=1) for y in years], axis=1)
    first = by_year.argmax(axis=1)
    width = len(years)
    rows = []
    for c, year in enumerate(years):
        members = first == c
        size = int(members.sum())
        row: dict[str, object] = {"fiscal_year": ja_fiscal_year(year), "size": size}
        for k in range(width):
            label = "初年度" if k == 0 else f"{k + 1}年目"
            if c + k >= width or size == 0:
                row[label] = np.nan
            else:
                row[label] = round(100 * by_year[members, c + k].sum() / size, 1)
        rows.append(row)
    return pd.DataFrame(rows)


_SUMMARY_LABELS = {"times": "参加回数", "first_came": "初参加", "last_came": "最終参加",
                   "streak": "連続参加", "longest_streak": "最長連続"}


def _unit_summary(M: np.ndarray, meetings: pd.DataFrame) -> pd.DataFrame:
    count = M.sum(axis=1)
    any_ = count > 0
    first_idx = np.where(any_, M.argmax(axis=1), 0)
    last_idx = np.where(any_, M.shape[1] - 1 - M[:, ::-1].argmax(axis=1), 0)
    current, longest = _streaks(M)
    dates = meetings["date"].to_numpy()
    return pd.DataFrame({
        "times": count,
        "first_came": np.where(any_, dates[first_idx] if len(dates) else "", ""),
        "last_came": np.where(any_, dates[last_idx] if len(dates) else "", ""),
        "streak": current,
        "longest_streak": longest,
    })


def _cells(att: pd.DataFrame, col: str, units: pd.Index, meetings: pd.DataFrame,
           people_counts: bool) -> pd.DataFrame:
    """Matrix cells: a role mark per person, or a head count plus special roles per organisation."""
    rows = pd.Index(units).get_indexer(att[col].to_numpy())
    cols = pd.Index(meetings.index).get_indexer(att["meeting_id"].to_numpy())
    ok = (rows >= 0) & (cols >= 0)
    rows, cols = rows[ok], cols[ok]
    roles = att["role"].astype(str).to_numpy()[ok]
    cells = np.full((len(units), len(meetings)), "", dtype=object)
    if people_counts:
        n = np.zeros((len(units), len(meetings)), dtype=int)
        np.add.at(n, (rows, cols), 1)
        special: dict[tuple[int, int], set[str]] = {}
        for r, c, role in zip(rows, cols, roles, strict=True):
            if role != "参加者":
                special.setdefault((r, c), set()).add(ROLE_MARKS.get(role, ""))
        nz = n > 0
        cells[nz] = n[nz].astype(str)
        for (r, c), marks in special.items():
            cells[r, c] += "".join(sorted(marks))
    else:
        marks = np.array([ROLE_MARKS.get(r, "○") for r in roles], dtype=object)
        cells[rows, cols] = marks
    return pd.DataFrame(cells, columns=list(meetings["short"]))


ORG_MATRIX_LABELS: dict[str, str] = {"organisation": "機関名", "region": "地域", "category": "区分",
                                     "target": "対象", **_SUMMARY_LABELS}


def org_matrix(history: History) -> pd.DataFrame:
    """Per organisation (機関): attendance across the scope's meetings, first/last, streaks.

    Columns: ORG_MATRIX_LABELS (target is 「○」 or empty), then one column per meeting named by its
    short label. Cells: number of people who came from it, followed by F / 講 … when someone came
    as facilitator / speaker. Organisation data only, so every role may see it.
    """
    M, units, _ = _presence(history, UNIT_ORG)
    m = history.meetings
    info = history.orgs.reindex(units.to_numpy())
    head = pd.DataFrame({
        "organisation": np.where(info["category"].to_numpy() == vocab.CATEGORY_NATIONAL, "厚生労働省",
                                 info["org_name"].to_numpy()),
        "region": info["region"].to_numpy(),
        "category": info["category"].to_numpy(),
        "target": np.where(info["is_target"].fillna(False).astype(bool).to_numpy(), "○", ""),
    })
    if len(units) == 0:
        return head
    out = pd.concat([head, _unit_summary(M, m), _cells(_with_org(history.att), "org_unit", units, m, True)],
                    axis=1)
    return out.sort_values(["times", "organisation"], ascending=[False, True], ignore_index=True)


PERSON_MATRIX_LABELS: dict[str, str] = {"name": "氏名", "organisation": "所属（最新）", "email": "メールアドレス",
                                        **_SUMMARY_LABELS}


def person_matrix(history: History, viewer: Viewer) -> pd.DataFrame:
    """Per person: attendance across meetings as what (○ F 講 …), first/last meeting, streaks.

    Columns: PERSON_MATRIX_LABELS, then one column per meeting named by its short label.

    The secretariat only: anyone else gets AccessDenied (people's names are personal data).
    """
    if not viewer.is_secretariat or not history.shows_names:
        raise AccessDenied("個人ごとの参加履歴は事務局だけが見られます。")
    M, units, _ = _presence(history, UNIT_PERSON)
    att = history.att
    m = history.meetings
    if len(units) == 0:
        return pd.DataFrame(columns=["name", "organisation", "email"])
    latest = att.sort_values("starts_at").drop_duplicates("person_id", keep="last").set_index("person_id")
    latest = latest.reindex(units)
    head = pd.DataFrame({
        "name": latest["name"].to_numpy(),
        "organisation": latest["org_name"].astype(object).fillna("（所属不明）").to_numpy(),
        "email": latest["email"].fillna("").to_numpy(),
    })
    out = pd.concat([head, _unit_summary(M, m), _cells(att, "person_id", units, m, False)], axis=1)
    return out.sort_values(["times", "name"], ascending=[False, True], ignore_index=True)


def search(frame: pd.DataFrame, text: str, columns: Iterable[str]) -> pd.DataFrame:
    """Rows whose columns contain `text`, ignoring width, spaces and kana differences."""
    k = key(text)
    if not k:
        return frame
    hay = pd.Series("", index=frame.index)
    for col in columns:
        if col in frame:
            hay = hay + frame[col].fillna("").map(key)
    return frame[hay.str.contains(k, regex=False)]


