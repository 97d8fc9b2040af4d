"""Files out of an assignment: Zoom's pre-assignment CSV, an Excel roster, a printable HTML roster.

Zoom documents for pre-assignment (support article "Pre-assigning meeting participants to breakout
rooms"): a CSV with the header `Pre-assign Room Name,Email Address`; up to 100 rooms and 1,000
participants; it only applies to people signed in to the Zoom account of that e-mail address. So
the CSV comes with warnings, and everyone gets a guest display name (「R3_氏名」) printed on the roster
for renaming themselves when pre-assignment cannot apply.

The Zoom CSV is written verbatim, because Zoom matches room names exactly (an apostrophe put in
front of 「=R3」 would make another room). So nothing formula-like goes in at all: an e-mail or a
room name that starts with = + - @, a tab or a CR is left out and reported in a warning.
"""

from __future__ import annotations

import csv
import html
import io
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd

from facilitation.files.exports import looks_like_formula, to_xlsx_bytes
from facilitation.text.normalize import clean, email_key

ZOOM_HEADER = ("Pre-assign Room Name", "Email Address")
ZOOM_MAX_ROOMS = 100
ZOOM_MAX_PARTICIPANTS = 1000


@dataclass
class RosterRoom:
    id: str
    name: str
    theme: str = ""
    zoom_name: str = ""
    capacity: int | None = None
    position: int = 0  # 1-based, for 「R3_」

    @property
    def code(self) -> str:
        """The prefix for guest names: the Zoom room name (「R3」), else R + position (as rosters do)."""
        return clean(self.zoom_name) or f"R{self.position}"

    @property
    def zoom_label(self) -> str:
        return self.zoom_name or self.name


@dataclass
class RosterEntry:
    room_id: str
    name: str
    furigana: str = ""
    org: str = ""
    email: str = ""
    area: str = ""
    sector: str = ""
    facilitator: bool = False
    choice_rank: int | None = None  # 1 = first choice; None: not a chosen room
    reason: str = ""
    pinned: bool = False


@dataclass
class Roster:
    title: str
    rooms: list[RosterRoom]
    entries: list[RosterEntry]
    links: dict[str, tuple[str, str]] = field(default_factory=dict)  # room id → (facilitator link, expiry)

    def members(self, room_id: str) -> list[RosterEntry]:
        people = [e for e in self.entries if e.room_id == room_id]
        return sorted(people, key=lambda e: (not e.facilitator, e.furigana or e.name))


@dataclass
class ZoomExport:
    data: bytes
    rows: int
    warnings: list[str] = field(default_factory=list)  # problems to fix or work around
    notes: list[str] = field(default_factory=list)  # what everyone should know about pre-assignment


def guest_name(room: RosterRoom, name: str) -> str:
    """The display name a guest sets in Zoom so the host can move them: 「R3_佐藤陽子」."""
    return f"{room.code}_{clean(name).replace(' ', '')}"


def zoom_csv(roster: Roster) -> ZoomExport:
    """Zoom's pre-assignment CSV (UTF-8, no BOM so the header matches exactly) with warnings."""
    rooms = {r.id: r for r in roster.rooms}
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(ZOOM_HEADER)
    warnings: list[str] = []
    missing, invalid, formula = [], [], []
    formula_rooms = [r for r in roster.rooms if looks_like_formula(r.zoom_label)]
    seen: dict[str, str] = {}
    dups: dict[str, list[str]] = {}
    rows = 0
    for room in roster.rooms:
        for e in roster.members(room.id):
            address = email_key(e.email)
            if not clean(e.email):
                missing.append(e)
                continue
            if not address:
                invalid.append(e)
                continue
            if looks_like_formula(address) or looks_like_formula(clean(e.email)):
                formula.append(e)
                continue
            if room in formula_rooms:
                continue
            if address in seen:
                dups.setdefault(address, [seen[address]]).append(e.name)
                continue
            seen[address] = e.name
            writer.writerow([rooms[e.room_id].zoom_label, address])
            rows += 1
    if missing:
        warnings.append(f"メールアドレスのない {len(missing)} 名は CSV に入っていません: "
                        + "、".join(f"{e.name}（表示名 {guest_name(rooms[e.room_id], e.name)}）" for e in missing)
                        + "。当日は表示名を変えてもらい、ホストが手動でルームに移してください。")
    if invalid:
        warnings.append(f"メールアドレスの形式が正しくない {len(invalid)} 名は CSV に入っていません: "
                        + "、".join(f"{e.name}（{e.email}）" for e in invalid) + "。")
    if formula:
        warnings.append(f"メールアドレスが「= + - @」などで始まる {len(formula)} 名は CSV に入っていません"
                        "（表計算ソフトで開くと式として実行されるおそれがあります）: "
                        + "、".join(f"{e.name}（{e.email}）" for e in formula)
                        + "。正しいアドレスを確認し、当日はホストが手動でルームに移してください。")
    for r in formula_rooms:
        n = len(roster.members(r.id))
        warnings.append(f"ルーム「{r.name}」の Zoom のルーム名「{r.zoom_label}」は「= + - @」などで始まるため、"
                        f"このルームの {n} 名は CSV に入っていません（表計算ソフトで開くと式として実行されるおそれが"
                        "あります）。ルーム名を変えて作り直してください。")
    for address, names in dups.items():
        warnings.append(f"同じメールアドレス {address} が {len(names)} 名（{'、'.join(names)}）に使われています。"
                        f"Zoom では1つのアドレスは1つのルームにしか割り当てられないため、{names[0]}さんの分だけ入れました。")
    n_rooms = len({rooms[e.room_id].zoom_label for e in roster.entries})
    if n_rooms > ZOOM_MAX_ROOMS:
        warnings.append(f"Zoom の事前割り当ては {ZOOM_MAX_ROOMS} ルームまでです（今回 {n_rooms} ルーム）。"
                        "ルームを減らすか、一部は当日手動で割り当ててください。")
    if rows > ZOOM_MAX_PARTICIPANTS:
        warnings.append(f"Zoom の事前割り当ては {ZOOM_MAX_PARTICIPANTS:,} 名までです（今回 {rows:,} 名）。")
    labels = Counter(r.zoom_label for r in roster.rooms)
    for label, n in labels.items():
        if n > 1:
            warnings.append(f"Zoom のルーム名「{label}」が {n} 室で同じです。Zoom では1つのルームにまとめられてしまいます。")
    notes = [
        "事前割り当ては、参加者が CSV のメールアドレスの Zoom アカウントにサインインして参加したときだけ効きます"
        "（ゲスト参加やブラウザからの参加では効きません）。",
        "効かなかった方には、名簿の「Zoom表示名」（例 R3_氏名）に名前を変えてもらうと、ホストがすぐに移せます。",
        "ホストより後に入った方は、ブレイクアウトルーム画面の「事前割り当てに戻す」で割り当て直せます。",
    ]
    return ZoomExport(data=buf.getvalue().encode("utf-8"), rows=rows, warnings=warnings, notes=notes)


def _rank_text(rank: int | None) -> str:
    return f"第{rank}希望" if rank else "希望外"


def overview_frame(roster: Roster) -> pd.DataFrame:
    rows = []
    for r in roster.rooms:
        members = roster.members(r.id)
        fac = [e.name for e in members if e.facilitator]
        rows.append({"No": r.position, "ルーム": r.name, "Zoomのルーム名": r.zoom_label, "テーマ": r.theme,
                     "定員": r.capacity if r.capacity is not None else "", "人数": len(members),
                     "ファシリテーター": "、".join(fac), "第1希望の人数": sum(1 for e in members if e.choice_rank == 1)})
        if roster.links:
            url, expires = roster.links.get(r.id, ("", ""))
            rows[-1].update({"ファシリテーター用リンク": url or "（未発行）", "リンクの有効期限": expires})
    return pd.DataFrame(rows)


def room_frame(roster: Roster, room: RosterRoom, with_reasons: bool = True) -> pd.DataFrame:
    rows = []
    for k, e in enumerate(roster.members(room.id), start=1):
        row = {"No": k, "氏名": e.name, "ふりがな": e.furigana, "所属": e.org, "地域": e.area, "区分": e.sector,
               "役割": "ファシリテーター" if e.facilitator else "", "希望": _rank_text(e.choice_rank),
               "Zoom表示名（ゲスト用）": guest_name(room, e.name), "メールアドレス": e.email}
        if with_reasons:
            row["このルームの理由"] = e.reason
        rows.append(row)
    columns = ["No", "氏名", "ふりがな", "所属", "地域", "区分", "役割", "希望", "Zoom表示名（ゲスト用）", "メールアドレス"]
    return pd.DataFrame(rows, columns=columns + (["このルームの理由"] if with_reasons else []))


def roster_xlsx(roster: Roster) -> bytes:
    """An Excel workbook: 「一覧」 (overview) and one sheet per room, in room order.

    Sheet names are made valid and unique (exports.sheet_name): two rooms with the same name, or a
    room called 「一覧」, each keep their own sheet (「一覧_2」).
    """
    sheets = [("一覧", overview_frame(roster))]
    sheets += [(r.name, room_frame(roster, r)) for r in roster.rooms]
    return to_xlsx_bytes(sheets)


def roster_html(roster: Roster) -> str:
    """A printable HTML roster: one page per room, no e-mails (it gets printed and handed out)."""
    esc = html.escape
    parts = [
        "<!DOCTYPE html><html lang='ja'><head><meta charset='utf-8'>",
        f"<title>{esc(roster.title or 'ルーム名簿')}</title>",
        "<style>body{font-family:'Noto Sans JP','Hiragino Sans','Yu Gothic',sans-serif;margin:1.5em}"
        "h1{font-size:1.4em}h2{font-size:1.2em;margin-top:1.5em}table{border-collapse:collapse;width:100%}"
        "th,td{border:1px solid #888;padding:.3em .5em;text-align:left;font-size:.95em}"
        "th{background:#eee}.room{page-break-after:always;break-after:page}.fac{font-weight:bold}"
        "@media print{body{margin:0}}</style></head><body>",
        f"<h1>{esc(roster.title or 'ルーム名簿')}</h1>",
    ]
    for r in roster.rooms:
        members = roster.members(r.id)
        parts.append(f"<section class='room'><h2>{esc(r.name)}（Zoom: {esc(r.zoom_label)}）{esc(r.theme)}</h2>")
        parts.append(f"<p>{len(members)} 名"
                     + (f"／定員 {r.capacity} 名" if r.capacity is not None else "") + "</p>")
        parts.append("<table><thead><tr><th>No</th><th>氏名</th><th>所属</th><th>役割</th><th>希望</th>"
                     "<th>Zoom表示名（ゲスト用）</th></tr></thead><tbody>")
        for k, e in enumerate(members, start=1):
            cls = " class='fac'" if e.facilitator else ""
            parts.append(f"<tr{cls}><td>{k}</td><td>{esc(e.name)}</td><td>{esc(e.org)}</td>"
                         f"<td>{'ファシリテーター' if e.facilitator else ''}</td><td>{_rank_text(e.choice_rank)}</td>"
                         f"<td>{esc(guest_name(r, e.name))}</td></tr>")
        parts.append("</tbody></table></section>")
    parts.append("</body></html>")
    return "".join(parts)
