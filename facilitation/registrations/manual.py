"""Manual entry: one registration typed in by the secretariat, checked like an imported row."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from facilitation.files.tabular import Table
from facilitation.registrations import forms
from facilitation.registrations.importing import EDIT_SECRETARIAT_ONLY, SOURCE_MANUAL, RegistrationError, import_table
from facilitation.roles import Viewer, require_secretariat
from facilitation.storage.models import Registration
from facilitation.text.dates import now_jst
from facilitation.text.normalize import clean


@dataclass
class ManualEntry:
    """One registration typed in by the secretariat (from an e-mail, a phone call, a fax…)."""

    name: str
    email: str = ""
    furigana: str = ""
    org: str = ""
    department: str = ""
    region: str = ""
    programs: list[str] = field(default_factory=list)
    role_title: str = ""
    years: str = ""
    mode: str = "オンライン"
    choice1: str = ""
    choice2: str = ""
    choice3: str = ""
    facilitator: bool = False
    note: str = ""


def add_manual(session: Session, viewer: Viewer, meeting_id: int, entry: ManualEntry) -> Registration:
    """Register one person by hand; RegistrationError when the entry is incomplete or already there."""
    require_secretariat(viewer, EDIT_SECRETARIAT_ONLY)
    values = {f: getattr(entry, f) for f in forms.FIELDS if hasattr(entry, f)}
    values["programs"] = ", ".join(entry.programs)
    values["facilitator"] = "はい" if entry.facilitator else "いいえ"
    values["timestamp"] = now_jst().replace(microsecond=0)
    values["timestamp"] = values["timestamp"].strftime("%Y/%m/%d %H:%M:%S")
    table = Table(headers=forms.STANDARD_HEADERS, rows=[[str(values.get(f, "")) for f in forms.FIELDS]],
                  source="手入力", row_numbers=[1])
    result = import_table(session, viewer, meeting_id, table, source=SOURCE_MANUAL, source_ref="手入力",
                          mapping={}, keep_aside=False, update_existing=False)
    if result.quarantined:
        raise RegistrationError(_manual_reason(result.quarantined[0]["reason"]))
    if result.duplicates:
        raise RegistrationError(f"{clean(entry.name)}さんはこの会にすでに申込済みです。一覧から修正してください。")
    return session.get(Registration, result.registration_ids[0])


def _manual_reason(reason: str) -> str:
    """「1行目「氏名」: …」 → 「「氏名」: …」: a form has no rows."""
    return reason.replace("1行目「", "「").replace("1行目: ", "")
