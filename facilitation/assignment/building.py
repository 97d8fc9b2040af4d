"""The meeting as an optimiser instance: registrations (not cancelled or absent), rooms, free-text
choices mapped to rooms (`assignment.choices`), pins, earlier published rooms and past rooms.

Instance ids: a person is "p<registration id>", a room "r<room id>". Pinned assignments stay where
they are; a pinned facilitator is that room's fixed facilitator.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from facilitation.assignment.choices import ChoiceMapper, active_registrations
from facilitation.assignment.errors import AssignmentError
from facilitation.assignment.instance import Instance, InstanceError, PersonSpec, RoomSpec, Rules
from facilitation.assignment.publishing import latest_version
from facilitation.assignment.rule_settings import get_rules
from facilitation.meetings.schedule import get_meeting, list_rooms
from facilitation.storage.models import Assignment, Meeting, Organisation, Person, Registration, Room
from facilitation.text import vocab
from facilitation.text.normalize import clean

PAST_MEETINGS = 6  # how many earlier meetings count for "meet new people"


def pid(registration_id: int) -> str:
    return f"p{registration_id}"


def rid(room_id: int) -> str:
    return f"r{room_id}"


def _num(text: str) -> int:
    return int(text[1:])


@dataclass
class MeetingInstance:
    """An instance built from the database, with what is needed to map answers back."""

    instance: Instance
    meeting_id: int
    registration: dict[str, Registration]  # person id → registration
    person: dict[str, Person]
    room: dict[str, Room]  # room id → room
    assignment_of: dict[str, Assignment] = field(default_factory=dict)
    unmatched_choices: int = 0
    published_version: int | None = None


def rule_tensions(session: Session, meeting_id: int, rules: Rules | dict[str, Any] | None = None) -> list[str]:
    """Before a run: where the rules on the page will keep people from their first wish (Japanese)."""
    from facilitation.assignment.diagnose import wishes_against_rules

    if not list_rooms(session, meeting_id):
        return []
    try:
        built = build_instance(session, meeting_id, rules.as_dict() if isinstance(rules, Rules) else rules,
                               past_meetings=0)
    except AssignmentError:  # nothing to assign yet: the run itself says why
        return []
    return wishes_against_rules(built.instance)


def build_instance(session: Session, meeting_id: int, rules: dict[str, Any] | None = None,
                   time_limit_s: float = 10.0, past_meetings: int = PAST_MEETINGS) -> MeetingInstance:
    """The meeting's registrations (not cancelled or absent) and rooms as an optimiser instance."""
    meeting = get_meeting(session, meeting_id)
    rooms = list_rooms(session, meeting_id)
    if not rooms:
        raise AssignmentError("この会にはまだルームがありません。先にルームを作ってください。")
    regs = active_registrations(session, meeting_id)
    if not regs:
        raise AssignmentError("この会にはまだ申込がありません。")
    mapper = ChoiceMapper(session, meeting_id)
    current = {a.registration_id: a for a in session.scalars(
        select(Assignment).join(Room).where(Room.meeting_id == meeting_id))}
    published = latest_version(session, meeting_id)
    previous = {row["registration_id"]: row["room_id"] for row in (published.snapshot if published else [])}
    rule_data = rules if rules is not None else get_rules(session, meeting_id)
    room_ids = {r.id for r in rooms}

    people: list[PersonSpec] = []
    by_pid: dict[str, Registration] = {}
    persons: dict[str, Person] = {}
    assignment_of: dict[str, Assignment] = {}
    unmatched = 0
    fixed_facilitator: dict[str, str] = {}
    # People and organisations in two queries, not two per registration (500 people: 0.5 s saved).
    people_by_id = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_({r.person_id for r in regs})))}
    org_ids = {p.organisation_id for p in people_by_id.values() if p.organisation_id}
    orgs = {o.id: o for o in session.scalars(select(Organisation).where(Organisation.id.in_(org_ids)))} if org_ids else {}
    for reg in regs:
        person = people_by_id[reg.person_id]
        org: Organisation | None = orgs.get(person.organisation_id) if person.organisation_id else None
        choices: list[str] = []
        for text in (reg.choice1, reg.choice2, reg.choice3):
            if not clean(text):
                continue
            m = mapper.match(text)
            if m.room_id is None:
                unmatched += m.how == "対応なし"
            elif rid(m.room_id) not in choices:
                choices.append(rid(m.room_id))
        a = current.get(reg.id)
        p = pid(reg.id)
        pinned = rid(a.room_id) if (a is not None and a.pinned) else None
        if a is not None:
            assignment_of[p] = a
            if a.pinned and a.is_facilitator:
                fixed_facilitator.setdefault(rid(a.room_id), p)
        prev = previous.get(reg.id)
        people.append(PersonSpec(
            id=p, name=person.name, org=(org.name if org else clean(reg.org_text)),
            area=org.region if org else "", sector=vocab.sector(org.kind if org else None),
            government=vocab.is_government(org.kind) if org else False,
            facilitator=bool(reg.willing_facilitator or reg.role == "ファシリテーター"),
            choices=choices, pinned=pinned, programs=list(reg.programs or (org.programs if org else [])),
            role=person.role_title, experience=person.years_experience,
            previous=rid(prev) if prev in room_ids else None, email=person.email,
        ))
        by_pid[p] = reg
        persons[p] = person

    # Past rooms: who sat together in the last few meetings before this one.
    person_to_pid = {reg.person_id: p for p, reg in by_pid.items()}
    earlier = list(session.scalars(select(Meeting.id).where(Meeting.starts_at < meeting.starts_at)
                                   .order_by(Meeting.starts_at.desc()).limit(past_meetings)))
    groups: dict[int, list[str]] = defaultdict(list)
    if earlier:
        rows = session.execute(select(Assignment.room_id, Registration.person_id).join(Registration)
                               .where(Registration.meeting_id.in_(earlier))).all()
        for room_id, person_id in rows:
            if person_id in person_to_pid:
                groups[room_id].append(person_to_pid[person_id])
    past = [g for g in groups.values() if len(g) >= 2]

    room_specs = [RoomSpec(id=rid(r.id), name=r.name, theme=r.theme, capacity=r.capacity,
                           facilitator=fixed_facilitator.get(rid(r.id)), zoom_name=r.zoom_name) for r in rooms]
    data = Instance(rooms=room_specs, people=people, past_rooms=past, time_limit_s=time_limit_s).to_dict()
    data["rules"] = rule_data
    try:
        instance = Instance.from_dict(data)
    except InstanceError as exc:
        raise AssignmentError(str(exc)) from None
    return MeetingInstance(instance=instance, meeting_id=meeting_id, registration=by_pid, person=persons,
                           room={rid(r.id): r for r in rooms}, assignment_of=assignment_of,
                           unmatched_choices=unmatched, published_version=published.number if published else None)
