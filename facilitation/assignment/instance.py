"""The self-contained instance and result of a room assignment, as JSON (no database needed).

An instance lists rooms, people, past rooms (groups of people who already sat together) and the
rules switched on for the meeting. `Instance.from_dict` checks it and raises `InstanceError` with
Japanese messages naming the field; unknown rooms among a person's choices are dropped with a note
in `Instance.notes` instead, since free-text choices are expected to be messy.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from facilitation.errors import UserError

STATUS_OPTIMAL = "optimal"
STATUS_FEASIBLE = "feasible"
STATUS_INFEASIBLE = "infeasible"
STATUS_UNKNOWN = "unknown"  # time ran out before any answer was found

GROUP_HOMOGENEOUS = "homogeneous"
GROUP_MIXED = "mixed"
HOMOGENEOUS_KEYS = ("programs", "role", "experience")
MIXED_KEYS = ("sector", "area")

# Years of experience → band, for "similar experience together" (初任者 = under one year).
EXPERIENCE_BANDS: tuple[tuple[float, str], ...] = (
    (1, "1年未満"), (3, "1〜3年"), (10, "3〜10年"), (math.inf, "10年以上"),
)


def experience_band(years: float | None) -> str:
    """「1年未満」「1〜3年」「3〜10年」「10年以上」, or "" when unknown."""
    if years is None:
        return ""
    for upper, label in EXPERIENCE_BANDS:
        if years < upper:
            return label
    return ""


class InstanceError(UserError):
    """An instance the user must fix; the message is Japanese and names the field."""


@dataclass
class RoomSpec:
    id: str
    name: str = ""
    theme: str = ""
    capacity: int | None = None  # None: no limit
    facilitator: str | None = None  # a person fixed as this room's facilitator
    zoom_name: str = ""

    @property
    def label(self) -> str:
        return self.name or self.id


@dataclass
class PersonSpec:
    id: str
    name: str = ""
    org: str = ""
    area: str = ""
    sector: str = ""
    government: bool = False
    facilitator: bool = False  # willing to facilitate
    choices: list[str] = field(default_factory=list)  # room ids, 1st choice first
    pinned: str | None = None  # room id the secretariat placed them in by hand
    programs: list[str] = field(default_factory=list)
    role: str = ""
    experience: float | None = None  # years
    previous: str | None = None  # room in the published version (least change)
    email: str = ""


@dataclass
class Grouping:
    """A soft preference: homogeneous (same value together) or mixed (spread values)."""

    mode: str  # GROUP_HOMOGENEOUS / GROUP_MIXED
    by: list[str]
    weight: float = 1.0


@dataclass
class Rules:
    """Rules present are hard constraints, except `grouping` (soft) and the objective weights."""

    one_facilitator_per_room: bool = False
    max_per_org: int | None = None
    spread_government: bool = False
    choice_weights: list[float] = field(default_factory=lambda: [3, 2, 1])
    repeat_penalty: float = 0
    min_per_room: int | None = None
    grouping: Grouping | None = None
    least_change: bool = False  # fewest moves of people with `previous`, then the best objective

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"choice_weights": list(self.choice_weights)}
        if self.one_facilitator_per_room:
            out["one_facilitator_per_room"] = True
        if self.max_per_org is not None:
            out["max_per_org"] = self.max_per_org
        if self.spread_government:
            out["spread_government"] = True
        if self.repeat_penalty:
            out["repeat_penalty"] = self.repeat_penalty
        if self.min_per_room is not None:
            out["min_per_room"] = self.min_per_room
        if self.grouping is not None:
            out["grouping"] = asdict(self.grouping)
        if self.least_change:
            out["least_change"] = True
        return out


@dataclass
class Instance:
    rooms: list[RoomSpec]
    people: list[PersonSpec]
    past_rooms: list[list[str]] = field(default_factory=list)
    rules: Rules = field(default_factory=Rules)
    time_limit_s: float = 10.0
    notes: list[str] = field(default_factory=list)  # what was dropped while reading

    def room(self, room_id: str) -> RoomSpec:
        return self._rooms_by_id()[room_id]

    def person(self, person_id: str) -> PersonSpec:
        return self._people_by_id()[person_id]

    def _rooms_by_id(self) -> dict[str, RoomSpec]:
        return {r.id: r for r in self.rooms}

    def _people_by_id(self) -> dict[str, PersonSpec]:
        return {p.id: p for p in self.people}

    # --- JSON ---

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Instance:
        """Read and check an instance; raises InstanceError listing every problem in Japanese."""
        problems: list[str] = []
        notes: list[str] = []
        if not isinstance(data, dict):
            raise InstanceError("インスタンスは JSON のオブジェクト（{...}）である必要があります。")
        rooms = [_room(i, r, problems) for i, r in enumerate(data.get("rooms") or [])]
        rooms = [r for r in rooms if r is not None]
        if not rooms:
            problems.append("rooms: ルームが1つもありません。")
        room_ids = [r.id for r in rooms]
        for dup in sorted({x for x in room_ids if room_ids.count(x) > 1}):
            problems.append(f"rooms: ルームID「{dup}」が重複しています。")
        known = set(room_ids)
        people = [_person(i, p, known, problems, notes) for i, p in enumerate(data.get("people") or [])]
        people = [p for p in people if p is not None]
        person_ids = [p.id for p in people]
        for dup in sorted({x for x in person_ids if person_ids.count(x) > 1}):
            problems.append(f"people: 参加者ID「{dup}」が重複しています。")
        pset = set(person_ids)
        for r in rooms:
            if r.facilitator is not None and r.facilitator not in pset:
                problems.append(f"rooms: ルーム「{r.label}」のファシリテーター「{r.facilitator}」が参加者にいません。")
        past: list[list[str]] = []
        for i, group in enumerate(data.get("past_rooms") or []):
            if not isinstance(group, list):
                problems.append(f"past_rooms[{i}]: 参加者IDのリストである必要があります。")
                continue
            members = list(dict.fromkeys(str(x) for x in group if str(x) in pset))
            if len(members) >= 2:
                past.append(members)
        rules = _rules(data.get("rules") or {}, problems)
        try:
            limit = float(data.get("time_limit_s", 10))
        except (TypeError, ValueError):
            problems.append("time_limit_s: 秒数（数値）を指定してください。")
            limit = 10.0
        if limit <= 0:
            problems.append("time_limit_s: 0より大きい秒数を指定してください。")
        if problems:
            raise InstanceError("\n".join(problems))
        return cls(rooms=rooms, people=people, past_rooms=past, rules=rules, time_limit_s=limit, notes=notes)

    def to_dict(self) -> dict[str, Any]:
        rooms = []
        for r in self.rooms:
            d: dict[str, Any] = {"id": r.id, "name": r.name, "theme": r.theme, "capacity": r.capacity}
            if r.facilitator is not None:
                d["facilitator"] = r.facilitator
            if r.zoom_name:
                d["zoom_name"] = r.zoom_name
            rooms.append(d)
        people = []
        for p in self.people:
            d = {"id": p.id, "org": p.org, "area": p.area, "sector": p.sector, "government": p.government,
                 "facilitator": p.facilitator, "choices": list(p.choices), "pinned": p.pinned}
            for name in ("name", "role", "email"):
                if getattr(p, name):
                    d[name] = getattr(p, name)
            if p.programs:
                d["programs"] = list(p.programs)
            if p.experience is not None:
                d["experience"] = p.experience
            if p.previous is not None:
                d["previous"] = p.previous
            people.append(d)
        return {"rooms": rooms, "people": people, "past_rooms": [list(g) for g in self.past_rooms],
                "rules": self.rules.as_dict(), "time_limit_s": self.time_limit_s}

    @classmethod
    def load(cls, path: str | Path) -> Instance:
        """Read an instance file; file errors come back as InstanceError naming the file."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InstanceError(f"ファイル「{path}」が見つかりません。") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            line = getattr(exc, "lineno", None)
            where = f"{line}行目: " if line else ""
            raise InstanceError(f"ファイル「{path}」: {where}JSON として読めません。") from None
        return cls.from_dict(data)


@dataclass
class Result:
    status: str
    assignment: dict[str, str] = field(default_factory=dict)  # person id → room id
    facilitators: dict[str, str] = field(default_factory=dict)  # room id → person id
    objective: float | None = None
    reasons: list[str] = field(default_factory=list)  # Japanese: why this status, what conflicts
    seconds: float = 0.0
    backend: str = ""
    bound: float | None = None  # best proven bound on the objective (maximisation)
    gap: float | None = None  # (bound − objective) / |objective|; 0 when optimal
    moves: int | None = None  # least change: people moved from `previous`
    breakdown: dict[str, float] = field(default_factory=dict)  # choices, repeats, grouping…
    why: dict[str, str] = field(default_factory=dict)  # person id → Japanese reason

    @property
    def ok(self) -> bool:
        return self.status in (STATUS_OPTIMAL, STATUS_FEASIBLE)

    def to_dict(self) -> dict[str, Any]:
        out = {"status": self.status, "assignment": self.assignment, "facilitators": self.facilitators,
               "objective": self.objective, "reasons": self.reasons, "seconds": round(self.seconds, 3),
               "backend": self.backend, "bound": self.bound, "gap": self.gap}
        if self.moves is not None:
            out["moves"] = self.moves
        if self.breakdown:
            out["breakdown"] = self.breakdown
        if self.why:
            out["why"] = self.why
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        fields_ = {k: data[k] for k in ("status", "assignment", "facilitators", "objective", "reasons",
                                       "seconds", "backend", "bound", "gap", "moves", "breakdown", "why")
                   if k in data}
        return cls(**fields_)


# --- reading helpers ---

def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _int_or_none(value: Any, where: str, problems: list[str], minimum: int = 0) -> int | None:
    if value is None or value == "":
        return None
    try:
        n = int(value)
        if n != float(value):
            raise ValueError
    except (TypeError, ValueError):
        problems.append(f"{where}: 整数を指定してください（「{value}」）。")
        return None
    if n < minimum:
        problems.append(f"{where}: {minimum}以上の数を指定してください（「{value}」）。")
        return None
    return n


def _room(i: int, data: Any, problems: list[str]) -> RoomSpec | None:
    if not isinstance(data, dict) or not _text(data.get("id")):
        problems.append(f"rooms[{i}]: id のあるオブジェクトである必要があります。")
        return None
    fac = data.get("facilitator")
    return RoomSpec(
        id=_text(data["id"]), name=_text(data.get("name")), theme=_text(data.get("theme")),
        capacity=_int_or_none(data.get("capacity"), f"rooms[{i}].capacity", problems),
        facilitator=_text(fac) or None, zoom_name=_text(data.get("zoom_name")),
    )


def _person(i: int, data: Any, rooms: set[str], problems: list[str], notes: list[str]) -> PersonSpec | None:
    if not isinstance(data, dict) or not _text(data.get("id")):
        problems.append(f"people[{i}]: id のあるオブジェクトである必要があります。")
        return None
    pid = _text(data["id"])
    choices: list[str] = []
    for c in data.get("choices") or []:
        c = _text(c)
        if not c:
            continue
        if c not in rooms:
            notes.append(f"参加者「{pid}」の希望「{c}」はどのルームにも当たらないため、無視しました。")
        elif c not in choices:
            choices.append(c)
    pinned = _text(data.get("pinned")) or None
    if pinned is not None and pinned not in rooms:
        problems.append(f"people[{i}].pinned: 参加者「{pid}」の固定先ルーム「{pinned}」がありません。")
    previous = _text(data.get("previous")) or None
    if previous is not None and previous not in rooms:
        notes.append(f"参加者「{pid}」の前回のルーム「{previous}」は今はないため、新しい参加者として扱います。")
        previous = None
    experience = data.get("experience")
    try:
        experience = None if experience in (None, "") else float(experience)
    except (TypeError, ValueError):
        problems.append(f"people[{i}].experience: 経験年数は数値で指定してください（「{experience}」）。")
        experience = None
    programs = data.get("programs") or []
    if isinstance(programs, str):
        programs = [programs]
    return PersonSpec(
        id=pid, name=_text(data.get("name")), org=_text(data.get("org")), area=_text(data.get("area")),
        sector=_text(data.get("sector")), government=bool(data.get("government")),
        facilitator=bool(data.get("facilitator")), choices=choices, pinned=pinned,
        programs=[_text(x) for x in programs if _text(x)], role=_text(data.get("role")),
        experience=experience, previous=previous, email=_text(data.get("email")),
    )


def _number(value: Any, where: str, problems: list[str]) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        problems.append(f"{where}: 数値を指定してください（「{value}」）。")
        return 0.0
    if x < 0:
        problems.append(f"{where}: 0以上の数を指定してください。")
        return 0.0
    return int(x) if x == int(x) else x


def _rules(data: dict[str, Any], problems: list[str]) -> Rules:
    if not isinstance(data, dict):
        problems.append("rules: オブジェクト（{...}）である必要があります。")
        return Rules()
    known = {"one_facilitator_per_room", "max_per_org", "spread_government", "choice_weights",
             "repeat_penalty", "min_per_room", "grouping", "least_change"}
    for k in data:
        if k not in known:
            problems.append(f"rules.{k}: 知らない決まりです（使えるもの: {', '.join(sorted(known))}）。")
    weights = data.get("choice_weights", [3, 2, 1])
    if not isinstance(weights, list) or not weights:
        problems.append("rules.choice_weights: 第1希望から順の重みのリスト（例 [3, 2, 1]）を指定してください。")
        weights = [3, 2, 1]
    weights = [_number(w, f"rules.choice_weights[{i}]", problems) for i, w in enumerate(weights)]
    grouping = None
    g = data.get("grouping")
    if g:
        if not isinstance(g, dict) or g.get("mode") not in (GROUP_HOMOGENEOUS, GROUP_MIXED):
            problems.append("rules.grouping: mode は homogeneous か mixed を指定してください。")
        else:
            by = g.get("by") or (["programs"] if g["mode"] == GROUP_HOMOGENEOUS else list(MIXED_KEYS))
            by = [by] if isinstance(by, str) else list(by)
            allowed = HOMOGENEOUS_KEYS if g["mode"] == GROUP_HOMOGENEOUS else MIXED_KEYS
            bad = [b for b in by if b not in allowed]
            if bad:
                problems.append(f"rules.grouping.by: 「{'、'.join(bad)}」は使えません（{', '.join(allowed)}）。")
            grouping = Grouping(mode=g["mode"], by=[b for b in by if b in allowed],
                                weight=_number(g.get("weight", 1), "rules.grouping.weight", problems))
    max_org = data.get("max_per_org")
    return Rules(
        one_facilitator_per_room=bool(data.get("one_facilitator_per_room")),
        max_per_org=None if (max_org is None or max_org is False) else _int_or_none(max_org, "rules.max_per_org", problems, 1),
        spread_government=bool(data.get("spread_government")),
        choice_weights=weights,
        repeat_penalty=_number(data.get("repeat_penalty", 0), "rules.repeat_penalty", problems),
        min_per_room=_int_or_none(data.get("min_per_room"), "rules.min_per_room", problems),
        grouping=grouping,
        least_change=bool(data.get("least_change")),
    )
