"""Believable random instances for the benchmark and the tests (deterministic for a seed)."""

from __future__ import annotations

import math
import random

from facilitation.assignment.instance import Instance, PersonSpec, RoomSpec, Rules
from facilitation.text import vocab

_SECTOR_MIX = ((vocab.KIND_MUNICIPALITY, 0.20), (vocab.KIND_NATIONAL, 0.03),
               (vocab.KIND_SHAKYO, 0.35), (vocab.KIND_PRIVATE, 0.42))


def instance(n_people: int, n_rooms: int, seed: int = 1, past_meetings: int = 5, past_size: int = 70,
             past_room_size: int = 7, slack: float = 1.15, rules: Rules | None = None,
             time_limit_s: float = 10.0) -> Instance:
    """`n_people` people with skewed theme choices in `n_rooms` rooms, organisations of 1–R/2
    people, about a fifth officials and a sixth willing facilitators; every rule on by default.

    Past rooms: `past_meetings` earlier meetings of `past_size` of these people each, in rooms of
    `past_room_size` (the network's meetings: 50–90 people in rooms of about 7).
    """
    rng = random.Random(seed)
    themes = list(vocab.THEME_LIBRARY)
    cap = math.ceil(n_people / n_rooms * slack)
    rooms = [RoomSpec(id=f"R{j + 1}", name=f"ルーム{j + 1}", theme=themes[j % len(themes)]
                      + ("" if j < len(themes) else f"（{j // len(themes) + 1}）"), capacity=cap,
                      zoom_name=f"R{j + 1}") for j in range(n_rooms)]
    popularity = [1.0 / (1 + 0.15 * j) for j in range(n_rooms)]
    rng.shuffle(popularity)
    max_org = max(1, n_rooms // 2)
    people: list[PersonSpec] = []
    org_no = 0
    while len(people) < n_people:
        org_no += 1
        sector = rng.choices([s for s, _ in _SECTOR_MIX], weights=[w for _, w in _SECTOR_MIX])[0]
        area = rng.choice(vocab.REGIONS)
        size = min(max_org, n_people - len(people), max(1, int(rng.paretovariate(1.6))))
        programs = rng.sample(vocab.PROGRAMS[:5], k=rng.randint(1, 3))
        for _ in range(size):
            k = len(people) + 1
            choices = []
            while len(choices) < min(3, n_rooms):
                c = rng.choices(range(n_rooms), weights=popularity)[0]
                if f"R{c + 1}" not in choices:
                    choices.append(f"R{c + 1}")
            gov = sector in (vocab.KIND_MUNICIPALITY, vocab.KIND_NATIONAL)
            people.append(PersonSpec(
                id=f"p{k}", name=f"参加者{k}", org=f"機関{org_no}", area=area, sector=sector, government=gov,
                facilitator=(not gov) and rng.random() < 0.2, choices=choices, programs=programs,
                role="自治体担当者" if gov else rng.choice(vocab.STAFF_ROLES[:4]),
                experience=rng.choice([0.5, 1, 2, 3, 5, 8, 12]), email=f"p{k}@example.org",
            ))
    past: list[list[str]] = []
    regulars = [p.id for p in people]
    for _ in range(past_meetings):
        came = rng.sample(regulars, k=min(past_size, len(regulars)))
        k = past_room_size
        past.extend(came[i:i + k] for i in range(0, len(came), k) if len(came[i:i + k]) >= 2)
    if rules is None:
        rules = Rules(one_facilitator_per_room=True, max_per_org=1, spread_government=True,
                      choice_weights=[3, 2, 1], repeat_penalty=1)
    return Instance(rooms=rooms, people=people, past_rooms=past, rules=rules, time_limit_s=time_limit_s)
