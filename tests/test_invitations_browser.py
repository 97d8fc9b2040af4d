"""Invitations in a real browser (Chromium, desktop): 参加履歴 › ご案内.

The secretariat opens the gap list for the next meeting, stores a contact, ticks organisations,
previews the e-mail, sends, reads the results and the log, marks an address 「案内不要」 and takes it
back. After each write the database is read and compared with what the screen says. Then, as the
committee (「委員会の表示で確認」), the same tab shows the outcome only: counts, 「5未満」 where small, no
address, no organisation invited, no control to send. Its own app server on the hand-made history
(tests/history_world.py), pointed at an aiosmtpd server on loopback.
"""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from sqlalchemy import select

from facilitation.invitations import outcome
from facilitation.invitations.models import InvitationSend, OptOut, OrgContact
from facilitation.mail.models import SENT
from facilitation.roles import COMMITTEE, Viewer
from facilitation.storage import db
from facilitation.storage.models import Meeting, Registration, Room
from tests import history_world as hw
from tests import streamlit_process
from tests.browser_checks import english_on_screen, settle_and_check
from tests.mail_world import SmtpServer
from ui.auth import PREVIEW_BANNER

D_MAIL = "soudan@kuro-town.example.jp"
I_MAIL = hw.EMAILS["p12"]
FORM = "https://forms.gle/abc123"


@pytest.fixture(scope="module")
def inv_app(tmp_path_factory):
    home = tmp_path_factory.mktemp("inv_app")
    url = f"sqlite:///{home / 'app.sqlite3'}"
    w = hw.make(url)
    with db.session(url) as s:
        m = s.get(Meeting, w.meetings["future"])
        m.starts_at = dt.datetime.now().replace(hour=14, minute=0, second=0, microsecond=0) + dt.timedelta(days=40)
        m.registration_url = FORM
        s.add(Room(meeting_id=m.id, position=1, name="R1", theme="引きこもりと家族支援"))
    with SmtpServer() as server:
        app = streamlit_process.start(url, home / "streamlit.log", env=server.env())
        yield {"base": app.base, "url": url, "world": w, "server": server}
        streamlit_process.stop(app)


# The grid's accessible table, row by row (header first): what a screen reader reads out.
GRID_ROWS_JS = """(grid) => [...grid.querySelectorAll('table[role="grid"] tr')].map(
  (tr) => [...tr.querySelectorAll('th, td')].map((c) => c.textContent.trim()))"""


def _rows(url: str, model):
    with db.session(url) as s:
        return list(s.scalars(select(model)))


@pytest.mark.timeout(300)
def test_gap_list_tick_preview_send_log_and_opt_out(inv_app, desk, output_dir):
    page, url, server = desk, inv_app["url"], inv_app["server"]
    page.goto(f"{inv_app['base']}/history", wait_until="domcontentloaded")
    page.get_by_role("heading", name="参加履歴").first.wait_for(timeout=45_000)
    settle_and_check(page, "history")
    page.get_by_role("tab", name="ご案内").click()
    settle_and_check(page, "invitations tab")
    page.get_by_role("heading", name="ご案内の候補（未参加・最近参加のない対象機関）").wait_for()
    kuro = page.get_by_role("checkbox", name="くろ町役場（根室振興局）")
    okhotsk = page.get_by_role("checkbox", name="オホーツク支援センター（オホーツク総合振興局）")
    assert kuro.is_disabled() and okhotsk.is_enabled()  # no contact for くろ町役場 yet
    assert page.get_by_text(f"{I_MAIL}　最近の申込者").count() == 1

    # Store a contact for くろ町役場: the DB has it, the list shows it and the box can be ticked.
    page.get_by_text("機関の連絡先を登録する").click()
    settle_and_check(page, "contact form")
    form = page.locator("[data-testid='stForm']").filter(has_text="連絡先を保存")
    form.get_by_role("combobox").click()
    page.keyboard.type("くろ町")
    page.get_by_role("option").filter(has_text="くろ町役場").first.click()
    page.get_by_label("連絡先のメールアドレス（空にして保存すると登録を消します）").fill(D_MAIL)
    page.get_by_role("button", name="連絡先を保存").click()
    page.get_by_text(f"くろ町役場 の連絡先を {D_MAIL} にしました。").wait_for(timeout=30_000)
    settle_and_check(page, "contact saved")
    assert [(c.organisation_id, c.email) for c in _rows(url, OrgContact)] == [(inv_app["world"].orgs["D"], D_MAIL)]
    assert page.get_by_text(f"{D_MAIL}　機関の連絡先").count() == 1
    assert kuro.is_enabled()

    # Tick both, preview: the form's URL and the way to stop are in the e-mail.
    page.get_by_text("くろ町役場（根室振興局）").click()
    page.get_by_text("オホーツク支援センター（オホーツク総合振興局）").click()
    settle_and_check(page, "ticked")
    page.get_by_text("ご案内メールのプレビュー").click()
    settle_and_check(page, "preview")
    body = page.locator("[data-testid='stCode']").filter(has_text="ご担当者様").first.inner_text()
    assert body.split("\n")[0] in ("くろ町役場", "オホーツク支援センター") and FORM in body and "「案内不要」とご返信ください" in body

    page.get_by_role("button", name="選んだ 2 機関にご案内を送信する").click()
    page.get_by_text("2 通を送信しました。").wait_for(timeout=60_000)
    settle_and_check(page, "sent")
    assert sorted(server.handler.recipients()) == sorted([D_MAIL, I_MAIL])
    sends = _rows(url, InvitationSend)
    assert sorted((r.recipient, r.status) for r in sends) == sorted([(D_MAIL, SENT), (I_MAIL, SENT)])
    # The screen says the same: each organisation's result, the log, the states, the outcome.
    results = page.locator("[data-testid='stDataFrame']").filter(has_text="送信しました")
    shown = results.text_content()  # the grid's accessible table: headers and cells
    assert results.count() == 1 and "機関名" in shown and "結果" in shown and "organisation" not in shown
    assert shown.count("送信しました") == 2 and D_MAIL in shown and I_MAIL in shown
    log = page.get_by_text("ご案内の送信記録（2件）")
    assert log.count() == 1
    assert kuro.is_disabled() and okhotsk.is_disabled()  # ご案内済み: a second send is not offered
    assert page.get_by_role("button", name="選んだ 0 機関にご案内を送信する").is_disabled()
    page.screenshot(path=str(output_dir / "invitations_sent.png"), full_page=True)

    # 案内不要: an address replied; the DB has it, the list shows it; then it is taken back.
    page.get_by_label("メールアドレス", exact=True).fill(I_MAIL)
    page.get_by_label("メモ（任意・例: 〇月〇日に返信あり）").fill("返信あり")
    page.get_by_role("button", name="案内不要にする").click()
    page.get_by_text(f"{I_MAIL} を「案内不要」にしました。").wait_for(timeout=30_000)
    settle_and_check(page, "opted out")
    assert [(o.address, o.note) for o in _rows(url, OptOut)] == [(I_MAIL, "返信あり")]
    assert page.get_by_role("button", name="取り消す").count() == 1
    page.get_by_role("button", name="取り消す").click()
    page.get_by_text(f"{I_MAIL} の「案内不要」を取り消しました。").wait_for(timeout=30_000)
    settle_and_check(page, "opt-out undone")
    assert _rows(url, OptOut) == []
    assert len(server.handler.messages) == 2  # nothing else was sent on the way

    # The committee's view of the same tab: the outcome as counts only, as the database gives it.
    with db.session(url) as s:  # someone of オホーツク支援センター registers after its invitation
        s.add(Registration(meeting_id=inv_app["world"].meetings["future"], person_id=inv_app["world"].people["p12"],
                           status="申込"))
    page.locator('[data-testid="stSidebar"]').get_by_text("委員会の表示で確認").click()
    page.get_by_text(PREVIEW_BANNER).wait_for(timeout=45_000)
    settle_and_check(page, "committee view")
    page.get_by_role("tab", name="ご案内").click()
    settle_and_check(page, "committee invitations tab")
    page.get_by_role("heading", name="ご案内の結果（地域別・機関数）").wait_for(timeout=30_000)
    with db.session(url) as s:
        expected = outcome.outcome(s, Viewer(role=COMMITTEE), inv_app["world"].meetings["future"])
    grid = page.locator("[data-testid='stDataFrame']").locator("visible=true").first
    shown = grid.evaluate(GRID_ROWS_JS)
    assert shown[0] == list(outcome.LABELS.values())
    assert shown[1:] == [[str(v) for v in row] for row in expected.values.tolist()]
    assert shown[-1] == ["合計", "5未満", "5未満", "5未満", "0"]  # 2 invited, 1 registered after, none came yet
    main = page.locator("[data-testid='stMain']").inner_text().replace(PREVIEW_BANNER, "")
    assert "@" not in main and "くろ町役場" not in main and "オホーツク支援センター" not in main
    assert "「5未満」と表示します" in main and "ご案内をお送りした後に申し込んだ機関" in main
    assert page.get_by_role("checkbox").count() == 0
    assert page.get_by_role("button", name="送信").count() == 0 and page.get_by_text("案内不要にする").count() == 0
    assert page.get_by_text("ご案内の送信記録").count() == 0 and page.get_by_text("ご案内メールのプレビュー").count() == 0
    assert not english_on_screen(page)
    page.screenshot(path=str(output_dir / "invitations_committee.png"), full_page=True)

    # The committee pack, downloaded as the committee: its page holds the same counts, no address.
    page.get_by_role("tab", name="委員会資料").click()
    settle_and_check(page, "committee pack tab")
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Excel（表のまとめ）をダウンロード").click()
    with open(info.value.path(), "rb") as f:
        workbook = openpyxl.load_workbook(io.BytesIO(f.read()))
    rows = list(workbook[outcome.PACK_TITLE].values)
    assert rows[0] == ("会", *outcome.LABELS.values())
    assert [list(r[1:]) for r in rows[1:-1]] == expected.values.tolist()
    cells = "\n".join(str(v) for ws in workbook.worksheets for r in ws.iter_rows(values_only=True) for v in r if v)
    assert D_MAIL not in cells and I_MAIL not in cells and "オホーツク支援センター" not in "\n".join(map(str, rows))
