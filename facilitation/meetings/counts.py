"""The headline count of a meeting, 「90名（52機関：団体42(67)・自治体9(13)・国(6)）」: the one rule.

Used by the home page, the registrations page, the report, the history page and the committee pack.
- People (名): one per person per meeting.
- Organisations (機関): the organisation the person came from *at that meeting*: the registration's
  typed organisation when it names exactly one organisation of the master (name or alias key),
  otherwise the person's current organisation; merged organisations count as the surviving one.
- A person without an organisation (blank, or still waiting for review) counts as a person of 団体
  but as no 機関, and the line says how many: 「…（うち所属未確認 2名）」.
- The ministry (国) counts as one 機関 however many offices came.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from facilitation.orgs.merges import resolve_merge
from facilitation.storage.models import OrgAlias, Organisation
from facilitation.text import vocab
from facilitation.text.normalize import org_key


@dataclass(frozen=True)
class Counts:
    """People and organisations of one meeting, split as the reports split them."""

    people: int
    organisations: int
    by_category: dict[str, int]  # people per 団体 / 自治体 / 国
    orgs_by_category: dict[str, int]  # 機関 per category (国 is at most 1)
    no_organisation: int = 0  # people counted without an organisation (included in 団体)

    @property
    def line(self) -> str:
        """「90名（52機関：団体42(67)・自治体9(13)・国(6)）」."""
        return self.line_as(vocab.CATEGORY_NATIONAL)

    def line_as(self, national_label: str) -> str:
        """The line with the ministry named as chosen (e.g. 「厚労省(6)」)."""
        parts = []
        for cat in vocab.COUNT_CATEGORIES:
            n = self.by_category.get(cat, 0)
            if not n:
                continue
            if cat == vocab.CATEGORY_NATIONAL:  # the ministry is one 機関: people only
                parts.append(f"{national_label}({n})")
            else:
                parts.append(f"{cat}{self.orgs_by_category.get(cat, 0)}({n})")
        if not self.people:
            return "0名"
        unknown = f"（うち所属未確認 {self.no_organisation}名）" if self.no_organisation else ""
        if not parts:
            return f"{self.people}名（{self.organisations}機関）{unknown}"
        return f"{self.people}名（{self.organisations}機関：{'・'.join(parts)}）{unknown}"


def tally(people: Iterable[tuple[int, int | None, str]]) -> Counts:
    """Counts from (person id, organisation unit or None, category) of the people who are counted.

    The organisation unit is the organisation at that meeting (see `org_at_meeting`); every national
    office shares one unit, or is capped at one 機関 here.
    """
    seen: set[int] = set()
    no_organisation = 0
    by_category: dict[str, int] = {}
    units: dict[str, set[int]] = {c: set() for c in vocab.COUNT_CATEGORIES}
    for person_id, unit, category in people:
        if person_id in seen:
            continue
        seen.add(person_id)
        by_category[category] = by_category.get(category, 0) + 1
        if unit is not None:
            units.setdefault(category, set()).add(unit)
        else:
            no_organisation += 1
    orgs_by_category = {c: len(units.get(c, ())) for c in vocab.COUNT_CATEGORIES}
    orgs_by_category[vocab.CATEGORY_NATIONAL] = min(orgs_by_category[vocab.CATEGORY_NATIONAL], 1)
    return Counts(people=len(seen), organisations=sum(orgs_by_category.values()),
                  by_category={c: by_category[c] for c in vocab.COUNT_CATEGORIES if by_category.get(c)},
                  orgs_by_category=orgs_by_category, no_organisation=no_organisation)


def unique_org_keys(session: Session) -> dict[str, int]:
    """Keys that name exactly one organisation: names first, then confirmed aliases."""
    names = session.execute(select(Organisation.name_key, Organisation.id)).all()
    seen: dict[str, int] = {}
    for k, _ in names:
        if k:
            seen[k] = seen.get(k, 0) + 1
    out = {k: int(i) for k, i in names if k and seen[k] == 1}
    for alias_key, org_id in session.execute(select(OrgAlias.alias_key, OrgAlias.organisation_id)):
        out.setdefault(alias_key, int(org_id))
    return out


def org_at_meeting(typed: str | None, current_org_id: int | None, keys: dict[str, int],
                   merges: dict[int, int]) -> int | None:
    """The organisation a person came from at a meeting (None: no organisation)."""
    org_id = keys.get(org_key(typed)) if typed else None
    if org_id is None:
        org_id = current_org_id
    return resolve_merge(org_id, merges) if org_id is not None and merges else org_id
