"""The organisation master: loading the network's list, aliases, and exact look-ups by key.

Frames returned for a page or the CLI have English snake_case columns, shown under the Japanese
headers of the LABELS dict next to the function (`MASTER_LABELS`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from facilitation.storage.models import OrgAlias, Organisation
from facilitation.text.normalize import clean, key, org_key
from facilitation.text.vocab import DATA_DIR

MASTER_CSV = DATA_DIR / "organisations.csv"


@dataclass(frozen=True)
class OrgRow:
    """One line of the shipped organisation master (facilitation/data/organisations.csv)."""

    no: int
    name: str
    legal_body: str
    office: str
    kind: str
    gov_mode: str
    region: str
    municipality: str
    programs: list[str]
    aliases: list[str]
    facilitator_body: bool
    target: bool


def read_master() -> list[OrgRow]:
    """The 85 organisations of the network's 2021 list, with kinds, programs and aliases."""
    with MASTER_CSV.open(encoding="utf-8") as f:
        return [
            OrgRow(
                no=int(r["no"]),
                name=r["name"],
                legal_body=r["legal_body"],
                office=r["office"],
                kind=r["kind"],
                gov_mode=r["gov_mode"],
                region=r["region"],
                municipality=r["municipality"],
                programs=[p for p in r["programs"].split(";") if p],
                aliases=[a for a in r["aliases"].split(";") if a],
                facilitator_body=r["facilitator_body"] == "1",
                target=r["target"] == "1",
            )
            for r in csv.DictReader(f)
        ]


def add_alias(session: Session, org: Organisation, alias: str) -> bool:
    """Record another spelling of an organisation; False when that key is already taken."""
    k = org_key(alias)
    if not k or k == org.name_key:
        return False
    if session.scalar(select(OrgAlias.id).where(OrgAlias.alias_key == k)) is not None:
        return False
    session.add(OrgAlias(organisation=org, alias=clean(alias), alias_key=k))
    session.flush()
    return True


def create_organisation(session: Session, name: str, **fields) -> Organisation:
    """A new organisation with its key computed from the name."""
    org = Organisation(name=clean(name), name_key=org_key(name), **fields)
    session.add(org)
    session.flush()
    return org


def load_master(session: Session) -> dict[int, Organisation]:
    """Insert the shipped master (idempotent by source number); returns {No.: organisation}."""
    existing = {o.source_no: o for o in session.scalars(select(Organisation)) if o.source_no}
    out: dict[int, Organisation] = {}
    for row in read_master():
        org = existing.get(row.no)
        if org is None:
            org = create_organisation(
                session,
                row.name,
                legal_body=row.legal_body,
                office=row.office,
                kind=row.kind,
                gov_mode=row.gov_mode,
                region=row.region,
                municipality=row.municipality,
                programs=row.programs,
                facilitator_body=row.facilitator_body,
                is_target=row.target,
                source_no=row.no,
            )
            for alias in row.aliases:
                add_alias(session, org, alias)
        out[row.no] = org
    return out


def find_exact(session: Session, text: str) -> Organisation | None:
    """The organisation whose name or alias has the same key as `text`, if exactly one does."""
    k = org_key(text)
    if not k:
        return None
    hits = list(session.scalars(select(Organisation).where(Organisation.name_key == k)))
    if len(hits) == 1:
        return hits[0]
    alias = session.scalar(select(OrgAlias).where(OrgAlias.alias_key == k))
    return alias.organisation if alias else None


def all_organisations(session: Session) -> list[Organisation]:
    """Every organisation with its aliases loaded, by region then name."""
    stmt = select(Organisation).options(selectinload(Organisation.aliases))
    return sorted(session.scalars(stmt), key=lambda o: (o.region, o.name))


# master_frame's columns → the headers a person reads, in the order shown.
MASTER_LABELS = {
    "id": "ID", "name": "機関名", "kind": "種別", "gov_mode": "直営/委託", "region": "振興局",
    "municipality": "市町村", "programs": "事業", "aliases": "略称・別名",
    "facilitator_body": "ファシリテーター団体", "target": "集計対象",
}


def master_frame(session: Session, search: str = "") -> pd.DataFrame:
    """The organisation master as a table for the settings page (search by name or alias);
    columns and headers `MASTER_LABELS` (ファシリテーター団体 ★, 集計対象 ○ as shown)."""
    needle = key(search)
    rows = []
    for o in all_organisations(session):
        aliases = "、".join(a.alias for a in o.aliases)
        if needle and needle not in key(o.name) and needle not in key(aliases):
            continue
        rows.append({
            "id": o.id, "name": o.name, "kind": o.kind, "gov_mode": o.gov_mode, "region": o.region,
            "municipality": o.municipality, "programs": "・".join(o.programs), "aliases": aliases,
            "facilitator_body": "★" if o.facilitator_body else "", "target": "○" if o.is_target else "",
        })
    return pd.DataFrame(rows, columns=list(MASTER_LABELS))
