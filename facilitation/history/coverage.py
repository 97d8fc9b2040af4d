"""Coverage of the target population: e.g. 「生活困窮者自立相談支援機関 79/124」.

The target population is the organisations flagged `is_target` in the master (editable here).
When the master is incomplete, the secretariat may set the population size (setting
``coverage.population``: label and size); the denominator is then that size (never less than the
number of flagged organisations). Organisations merged into another are not counted on their own.
An organisation is "reached" in a period when at least one person from it came to a meeting of
the period (the history's "came" rule).

Frames returned for a page or the CLI have English snake_case columns; each has its Japanese headers
in a *_LABELS dict next to it (pages show them through show_table(labels=...), documents rename).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from facilitation.errors import UserError
from facilitation.history.participation import NO_ORG, UNKNOWN_REGION, History
from facilitation.roles import Viewer, require_secretariat
from facilitation.storage import settings
from facilitation.storage.models import Organisation
from facilitation.text import vocab

POPULATION_KEY = "coverage.population"
DEFAULT_LABEL = "生活困窮者自立相談支援機関"
NEVER = "未参加"
LAPSED = "最近の参加なし"


@dataclass(frozen=True)
class Population:
    """What the target population is called and, if the master is incomplete, how big it is."""

    label: str = DEFAULT_LABEL
    size: int | None = None


@dataclass(frozen=True)
class Coverage:
    """Reached / total target organisations in a period."""

    label: str
    reached: int
    flagged: int  # organisations flagged as targets in the master
    total: int  # the denominator: the set size, or the flagged count
    size_is_set: bool

    @property
    def share(self) -> float:
        """Percent reached (0 when there is no target)."""
        return round(100 * self.reached / self.total, 1) if self.total else 0.0

    @property
    def line(self) -> str:
        """「生活困窮者自立相談支援機関 79/124（63.7%）」."""
        return f"{self.label} {self.reached}/{self.total}（{self.share:.1f}%）"


# --- the target list and the population setting -------------------------------------------------

def population(session: Session) -> Population:
    value = settings.get(session, POPULATION_KEY, {}, kind=dict)
    size = value.get("size")
    return Population(label=value.get("label") or DEFAULT_LABEL, size=int(size) if size else None)


def set_population(session: Session, viewer: Viewer, *, label: str | None = None,
                   size: int | None = None) -> Population:
    """Name the target population and optionally set its true size (None: count the flags)."""
    require_secretariat(viewer, "対象機関の設定は事務局だけが変更できます。")
    if size is not None and size < 0:
        raise UserError("対象機関の総数は0以上の数で入力してください。")
    current = population(session)
    new = Population(label=(label or "").strip() or current.label, size=size or None)
    settings.put(session, POPULATION_KEY, {"label": new.label, "size": new.size})
    return new


def set_targets(session: Session, viewer: Viewer, org_ids: Iterable[int], flag: bool) -> int:
    """Add organisations to (flag=True) or remove them from the target population.

    Returns how many organisations actually changed."""
    require_secretariat(viewer, "対象機関の設定は事務局だけが変更できます。")
    ids = sorted({int(i) for i in org_ids})
    if not ids:
        return 0
    found = {o.id: o for o in session.scalars(select(Organisation).where(Organisation.id.in_(ids)))}
    missing = [i for i in ids if i not in found]
    if missing:
        raise UserError(f"ID {', '.join(map(str, missing))} の機関はありません。")
    changed = 0
    for org in found.values():  # object by object, so the audit log records each change
        if org.is_target != flag:
            org.is_target = flag
            changed += 1
    session.flush()
    return changed


def update_targets(session: Session, viewer: Viewer, flags: dict[int, bool]) -> tuple[int, int]:
    """Apply the target editor: {organisation id: in the target population}; returns (added, removed).

    Organisations not in `flags` keep their flag (e.g. merged ones the editor does not show)."""
    require_secretariat(viewer, "対象機関の設定は事務局だけが変更できます。")
    added = set_targets(session, viewer, [i for i, f in flags.items() if f], True)
    removed = set_targets(session, viewer, [i for i, f in flags.items() if not f], False)
    return added, removed


# --- computing ----------------------------------------------------------------------------------

def _targets(history: History) -> pd.DataFrame:
    """Flagged organisations that were not merged into another one."""
    orgs = history.orgs
    return orgs[orgs["is_target"].fillna(False).astype(bool) & orgs["merged_into"].isna()]


def _reached_units(history: History) -> set[int]:
    return {int(u) for u in history.att["org_unit"].unique() if u != NO_ORG}


def coverage(history: History, pop: Population) -> Coverage:
    """Reached / total for the meetings in `history` (scope it first to choose the period)."""
    targets = _targets(history)
    reached = len(set(targets["org_id"].astype(int)) & _reached_units(history))
    flagged = len(targets)
    total = max(pop.size or 0, flagged) if pop.size else flagged
    return Coverage(label=pop.label, reached=reached, flagged=flagged, total=total,
                    size_is_set=pop.size is not None)


REGION_LABELS: dict[str, str] = {"region": "地域", "targets": "対象機関", "reached": "参加あり",
                                 "share": "参加率（%）"}


def coverage_by_region(history: History) -> pd.DataFrame:
    """Per 振興局: target organisations reached / flagged in the period (REGION_LABELS; share in %)."""
    targets = _targets(history).copy()
    reached = _reached_units(history)
    targets["reached"] = targets["org_id"].astype(int).isin(reached)
    grp = targets.groupby("region")
    table = pd.DataFrame({"targets": grp.size(), "reached": grp["reached"].sum()})
    order = [*vocab.ALL_AREAS, UNKNOWN_REGION]
    table = table.reindex([r for r in order if r in table.index or r in vocab.REGIONS], fill_value=0)
    table = table.astype("int64")
    table["share"] = (100 * table["reached"] / table["targets"].where(table["targets"] > 0)).round(1)
    table.index.name = "region"
    return table.reset_index()


YEAR_LABELS: dict[str, str] = {"fiscal_year": "年度", "reached": "参加あり", "targets": "対象機関",
                               "share": "参加率（%）"}


def coverage_by_year(history: History, pop: Population) -> pd.DataFrame:
    """Per fiscal year: reached / total (the trend of the headline figure); YEAR_LABELS, fiscal_year
    is the text 「2024年度」, share in %."""
    rows = []
    for fy in sorted(history.meetings["fiscal_year"].unique()):
        mids = history.meetings.index[history.meetings["fiscal_year"] == fy]
        part = History(att=history.att[history.att["meeting_id"].isin(mids)],
                       meetings=history.meetings.loc[mids], orgs=history.orgs)
        c = coverage(part, pop)
        rows.append({"fiscal_year": f"{int(fy)}年度", "reached": c.reached, "targets": c.total,
                     "share": c.share})
    return pd.DataFrame(rows, columns=list(YEAR_LABELS))


OUTREACH_LABELS: dict[str, str] = {
    "status": "状態", "organisation": "機関名", "region": "地域", "municipality": "市町村", "kind": "種別",
    "programs": "事業", "last_came": "最終参加", "times": "参加回数（全期間）",
}


def outreach_list(history: History, period: History, *, with_ids: bool = False) -> pd.DataFrame:
    """Target organisations never reached, or reached before but not in the period.

    `history`: the whole history (to know who ever came); `period`: the same history scoped to
    the period the committee looks at (e.g. the last fiscal year). Organisation data only.
    Columns: OUTREACH_LABELS (status is 未参加 or 最近の参加なし), and first `org_id` when `with_ids`
    (the invitation list ticks organisations by id).
    """
    targets = _targets(history)
    att = history.att[history.att["org_unit"] != NO_ORG]
    last = att.groupby("org_unit")["starts_at"].max()
    times = att.drop_duplicates(["org_unit", "meeting_id"]).groupby("org_unit").size()
    in_period = _reached_units(period)
    rows = []
    for org in targets.itertuples():
        oid = int(org.org_id)
        if oid in in_period:
            continue
        ever = oid in last.index
        rows.append({
            "org_id": oid,
            "status": LAPSED if ever else NEVER,
            "organisation": org.org_name,
            "region": org.region,
            "municipality": org.municipality or "",
            "kind": org.kind,
            "programs": "・".join(org.org_programs or []),
            "last_came": _ja(last.get(oid)) if ever else "",
            "times": int(times.get(oid, 0)),
        })
    out = pd.DataFrame(rows, columns=["org_id", *OUTREACH_LABELS])
    if not with_ids:
        out = out.drop(columns=["org_id"])
    if out.empty:
        return out
    region_order = {r: i for i, r in enumerate([*vocab.ALL_AREAS, UNKNOWN_REGION])}
    out["_s"] = (out["status"] == LAPSED).astype(int)  # never reached first, then lapsed
    out["_r"] = out["region"].map(region_order).fillna(99)
    return out.sort_values(["_s", "_r", "organisation"]).drop(columns=["_s", "_r"]).reset_index(drop=True)


def _ja(value) -> str:
    from facilitation.text.dates import ja_date

    return ja_date(value) if value is not None and not pd.isna(value) else ""


TARGET_LABELS: dict[str, str] = {"id": "ID", "target": "対象", "organisation": "機関名", "region": "地域",
                                 "kind": "種別", "programs": "事業"}


def target_table(history: History) -> pd.DataFrame:
    """Every organisation with its target flag (bool), for the secretariat's editor (no personal
    data). Columns: TARGET_LABELS."""
    orgs = history.orgs[history.orgs["merged_into"].isna()]
    return pd.DataFrame({
        "id": orgs["org_id"].astype(int).to_numpy(),
        "target": orgs["is_target"].fillna(False).astype(bool).to_numpy(),
        "organisation": orgs["org_name"].to_numpy(),
        "region": orgs["region"].to_numpy(),
        "kind": orgs["kind"].to_numpy(),
        "programs": ["・".join(p or []) for p in orgs["org_programs"]],
    })
