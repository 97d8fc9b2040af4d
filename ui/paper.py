"""Paper for the venue on the rooms page: attendance sheets, name cards, the reception list."""

from __future__ import annotations

import streamlit as st

from facilitation.assignment import paper
from facilitation.assignment.exports import Roster

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def render(roster: Roster, meeting_line: str, meeting_format: str) -> None:
    """Download buttons for printable HTML (A4) and Excel; the roster is the saved assignment."""
    st.markdown("**会場で使う紙（出席表・名札・受付名簿）**")
    if meeting_format == "オンライン":
        st.caption("オンラインの会では使いませんが、必要なら印刷できます。")
    st.caption("HTML はブラウザで開いて「印刷」すると A4 で印刷できます。Excel は A4 縦・横幅を1ページに合わせ、"
               "見出しの行を各ページに印刷する設定にしています。メールアドレスは載せていません。")
    c1, c2, c3 = st.columns(3)
    c1.download_button("出席表（HTML・ルームごと）", lambda: paper.attendance_html(roster, meeting_line).encode("utf-8"),
                       "attendance.html", "text/html", key="dl_paper_att_html", on_click="ignore")
    c1.download_button("出席表（Excel）", lambda: paper.attendance_xlsx(roster, meeting_line), "attendance.xlsx", XLSX,
                       key="dl_paper_att_xlsx", on_click="ignore")
    c2.download_button("名札（HTML・A4に8枚）", lambda: paper.name_cards_html(roster, meeting_line).encode("utf-8"),
                       "name_cards.html", "text/html", key="dl_paper_cards", on_click="ignore")
    c3.download_button("受付名簿（HTML・ふりがな順）", lambda: paper.reception_html(roster, meeting_line).encode("utf-8"),
                       "reception.html", "text/html", key="dl_paper_rec_html", on_click="ignore")
    c3.download_button("受付名簿（Excel）", lambda: paper.reception_xlsx(roster, meeting_line), "reception.xlsx", XLSX,
                       key="dl_paper_rec_xlsx", on_click="ignore")
