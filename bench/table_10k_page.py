"""Benchmark baseline for bench/pages.py: a plain page showing one 10,000-row table (no cache).

Not part of the app. Reads 10,000 registrations with one query on every run and shows them in one
st.dataframe; every page figure is reported as a ratio to this page's, measured in the same run.
"""

import pandas as pd
import streamlit as st
from sqlalchemy import select

from facilitation.storage.models import Meeting, Organisation, Person, Registration
from ui.common import session

st.title("申込の一覧（比較用・1万行）")
with session() as s:
    rows = s.connection().execute(
        select(Meeting.starts_at, Meeting.kind, Meeting.format, Organisation.name, Organisation.region,
               Organisation.kind, Registration.role, Registration.status, Registration.attendance_mode,
               Registration.org_text)
        .join(Meeting, Registration.meeting_id == Meeting.id)
        .join(Person, Registration.person_id == Person.id)
        .outerjoin(Organisation, Person.organisation_id == Organisation.id)
        .order_by(Registration.id).limit(10_000)
    ).all()
table = pd.DataFrame.from_records([tuple(r) for r in rows], columns=["日時", "種別", "開催方法", "機関", "地域", "機関の種類",
                                                                     "役割", "状態", "参加方法", "所属（入力どおり）"])
st.dataframe(table, hide_index=True, width="stretch")
