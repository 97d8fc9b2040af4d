"""Which person each imported row is: rows grouped by person within the batch (`_clusters`), the
answer that counts (`_winner`), and each group given a stored or a new person (`_People`): e-mail first,
then name + organisation, so each person has one history."""

from __future__ import annotations

import datetime as dt

from rapidfuzz.distance import Levenshtein
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from facilitation.registrations.models import RegistrationSource
from facilitation.registrations.rows import _org_key, _person_key, _Row
from facilitation.storage.models import Meeting, Person, Registration
from facilitation.text.normalize import email_key


def same_name(a: str, b: str) -> bool:
    """Two name keys (normalize.person_key) that may be one person: equal, a surname alone, or one
    character apart (斉藤/斎藤, 太郎/太朗). 「山田太郎」 and 「佐藤花子」 are clearly two people."""
    if not a or not b or a == b:
        return a == b
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 2 and long_.startswith(short):
        return True
    return min(len(a), len(b)) >= 3 and Levenshtein.distance(a, b) <= 1


def _clusters(rows: list[_Row]) -> list[list[_Row]]:
    """The batch's rows grouped by person, from the rows alone (never from the database, so reading
    the same rows again groups them the same way).

    The same e-mail with a compatible name is one person; the same e-mail with a clearly different
    name is another person (a shared office address). A row without e-mail joins the first group with
    the same name at the same organisation (by matched organisation, else by the typed name).
    """
    clusters: list[list[_Row]] = []
    by_email: dict[str, list[int]] = {}
    for r in rows:
        if not r.email:
            continue
        for ci in by_email.get(r.email, []):
            if same_name(clusters[ci][0].name_key, r.name_key):
                clusters[ci].append(r)
                break
        else:
            by_email.setdefault(r.email, []).append(len(clusters))
            clusters.append([r])
    by_name: dict[tuple, int] = {}
    for ci, group in enumerate(clusters):
        for r in group:
            if r.org_id is not None:
                by_name.setdefault((r.name_key, "id", r.org_id), ci)
            by_name.setdefault((r.name_key, "text", r.org_key), ci)
    for r in rows:
        if r.email:
            continue
        ci = by_name.get((r.name_key, "id", r.org_id)) if r.org_id is not None else None
        if ci is None:
            ci = by_name.get((r.name_key, "text", r.org_key))
        if ci is None:
            ci = len(clusters)
            clusters.append([])
            if r.org_id is not None:
                by_name[(r.name_key, "id", r.org_id)] = ci
            by_name[(r.name_key, "text", r.org_key)] = ci
        clusters[ci].append(r)
    return clusters


def _winner(rows: list[_Row]) -> _Row:
    """A person's answer that counts: the latest (ties: the lower row)."""
    return max(rows, key=lambda r: (r.timestamp or dt.datetime.min, r.row))


class _People:
    """Every person's keys, preloaded once: e-mail, (name, organisation), (name, typed organisation),
    and which person each of this meeting's stored rows went to."""

    def __init__(self, session: Session, meeting_id: int):
        self.by_email: dict[str, list[int]] = {}
        self.by_name_org: dict[tuple[str, int], list[int]] = {}
        self.by_name_text: dict[tuple[str, str], list[int]] = {}
        self.email_of: dict[int, str] = {}
        self.name_of: dict[int, tuple[str, str, str]] = {}  # name key, furigana key, name as stored
        self.data: dict[int, dict] = {}
        for pid, email, name_key, org_id, name, furigana, role_title, years in session.execute(
            select(Person.id, Person.email, Person.name_key, Person.organisation_id, Person.name,
                   Person.furigana, Person.role_title, Person.years_experience)
            .where(Person.deleted_at.is_(None)).order_by(Person.id)
        ):
            ek = email_key(email)
            if ek:
                self.by_email.setdefault(ek, []).append(pid)
            self.email_of[pid] = ek
            self.name_of[pid] = (name_key, _person_key(furigana or ""), name)
            if name_key and org_id is not None:
                self.by_name_org.setdefault((name_key, org_id), []).append(pid)
            self.data[pid] = {"name": name, "furigana": furigana, "role_title": role_title,
                              "years_experience": years, "organisation_id": org_id}
        for pid, org_text, mid, name_key in session.execute(
            select(Registration.person_id, Registration.org_text, Registration.meeting_id, Person.name_key)
            .join(Person, Registration.person_id == Person.id).where(Person.deleted_at.is_(None))
            .order_by(Registration.person_id)
        ):
            ok = _org_key(org_text)
            if name_key and (ok or mid == meeting_id):
                ids = self.by_name_text.setdefault((name_key, ok), [])
                if pid not in ids:
                    ids.append(pid)
        self.registered: set[int] = set()
        self.sticky: dict[str, int] = {}  # this meeting's stored row fingerprints → person
        for pid, h in session.execute(
            select(Registration.person_id, RegistrationSource.row_hash)
            .outerjoin(RegistrationSource, RegistrationSource.registration_id == Registration.id)
            .where(Registration.meeting_id == meeting_id).order_by(Registration.id)
        ):
            self.registered.add(pid)
            if h:
                self.sticky.setdefault(h, pid)
        self.latest: dict[int, dt.datetime] = dict(session.execute(
            select(Registration.person_id, func.max(Meeting.starts_at))
            .join(Meeting, Registration.meeting_id == Meeting.id).group_by(Registration.person_id)
        ).all())
        self.claimed: set[int] = set()
        self.new_email: dict[int, str] = {}  # a person found by name gets the e-mail they gave now
        self._next = -1

    def _compatible(self, pid: int, name_key: str) -> bool:
        known, furigana, _ = self.name_of.get(pid, ("", "", ""))
        return same_name(known, name_key) or (bool(furigana) and furigana == name_key)

    def _pick(self, ids) -> int | None:
        """This meeting's registrants first, then the oldest person: the same choice on every run."""
        free = [p for p in dict.fromkeys(ids) if p not in self.claimed]
        if not free:
            return None
        return min(free, key=lambda p: (p not in self.registered, p))

    def resolve_all(self, clusters: list[list[_Row]]) -> tuple[dict[int, int], dict[int, list[str]]]:
        """Give each group of rows a person (a person id, or a new person's temporary id < 0).

        In this order, each person going to one group only: the person a row of the group went to
        last time (reading the same rows again changes nothing, whatever happened since), then the
        e-mail (with a compatible name), then the same name at the same organisation (no other
        e-mail), or this meeting's registrant of that name stored without an organisation. Returns {group index: person} and, per group index, notes on shared addresses.
        """
        person: dict[int, int] = {}
        notes: dict[int, list[str]] = {}
        order = sorted(range(len(clusters)), key=lambda ci: min(r.row for r in clusters[ci]))
        for ci in order:  # 1. rows read before
            rows = clusters[ci]
            win = _winner(rows)
            for r in [win, *sorted((r for r in rows if r is not win), key=lambda r: r.row)]:
                pid = self.sticky.get(r.hash)
                if pid is not None and pid not in self.claimed:
                    person[ci] = pid
                    self.claimed.add(pid)
                    break
        for ci in order:  # 2. e-mail
            rows = clusters[ci]
            email = next((r.email for r in rows if r.email), "")
            if ci in person or not email:
                continue
            name_key = next(r.name_key for r in rows if r.email)
            same = [p for p in self.by_email.get(email, []) if self._compatible(p, name_key)]
            pid = self._pick(same)
            if pid is not None:
                person[ci] = pid
                self.claimed.add(pid)
        for ci in order:  # 3. name and organisation
            rows = clusters[ci]
            if ci in person:
                continue
            email = next((r.email for r in rows if r.email), "")
            ids = []
            for r in rows:
                if r.org_id is not None:
                    ids += self.by_name_org.get((r.name_key, r.org_id), [])
                ids += self.by_name_text.get((r.name_key, r.org_key), [])
            if not ids:  # this meeting's registrant of that name read without an organisation (a list
                # without the column, a column mapped only later): the same person, not a second one
                ids = [p for r in rows for p in self.by_name_text.get((r.name_key, ""), [])]
            if email:  # the same name with another e-mail is another person
                ids = [p for p in ids if not self.email_of.get(p)]
            pid = self._pick(ids)
            if pid is None:
                pid, self._next = self._next, self._next - 1
                if email:
                    self.new_email[pid] = email
            else:
                self.claimed.add(pid)
                if email and not self.email_of.get(pid):
                    self.new_email[pid] = email
            person[ci] = pid
        taken = set(person.values())
        first_of = {ci: next((r for r in clusters[ci] if r.email), None) for ci in order}
        by_email: dict[str, list[int]] = {}
        for ci in order:  # shared addresses: the same e-mail, a clearly different name
            first = first_of[ci]
            if first is None:
                continue
            others = [p for p in self.by_email.get(first.email, []) if p not in taken
                      and not self._compatible(p, first.name_key)]
            for p in others[:3]:
                notes.setdefault(ci, []).append(
                    f"{first.row}行目の{first.values.get('name', '')}さんのメールアドレス（{first.email}）は、"
                    f"登録済みの{self.name_of[p][2]}さん（ID {p}）と同じです。")
            for cj in by_email.get(first.email, []):  # earlier groups with this address
                o = first_of[cj]
                notes.setdefault(ci, []).append(
                    f"{first.row}行目の{first.values.get('name', '')}さんと{o.row}行目の"
                    f"{o.values.get('name', '')}さんは同じメールアドレス（{first.email}）です。")
            by_email.setdefault(first.email, []).append(ci)
        return person, notes
