"""The room e-mails in a real browser: preview, a test send, the send itself, the templates in 設定.

Its own app server on a small meeting with a published assignment, pointed (FACILITATION_SMTP_*)
at an aiosmtpd server on loopback in this process. Every step ends with settle_and_check.
"""

from __future__ import annotations

import re

import openpyxl
import pytest

from facilitation.access import gate
from tests import streamlit_process
from tests.browser_checks import settle_and_check
from tests.mail_world import SmtpServer, build, email_of

SECRET = "mail-browser-test-link-secret-0123456789"


@pytest.fixture(scope="module")
def mail_app(tmp_path_factory):
    home = tmp_path_factory.mktemp("mail_app")
    url = f"sqlite:///{home / 'app.sqlite3'}"
    mid = build(url, people=12)
    with SmtpServer() as server:
        env = {gate.SECRET_ENV: SECRET, **server.env()}
        app = streamlit_process.start(url, home / "streamlit.log", env=env)
        yield {"base": app.base, "mid": mid, "server": server}
        streamlit_process.stop(app)


@pytest.mark.timeout(300)
def test_preview_test_send_and_send_from_the_rooms_page(mail_app, browser, output_dir):
    page = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="ja-JP").new_page()
    server = mail_app["server"]
    page.goto(f"{mail_app['base']}/rooms?meeting={mail_app['mid']}", wait_until="domcontentloaded")
    page.get_by_role("heading", name="ルーム割り当て").first.wait_for(timeout=45_000)
    settle_and_check(page, "rooms")
    page.get_by_role("tab", name="5. 公開・書き出し").click()
    settle_and_check(page, "publish tab")
    page.get_by_role("heading", name="ルームのご案内メール").wait_for()
    send = page.get_by_role("button", name="未送信の 12 通を送信する")
    assert send.is_enabled()

    page.get_by_text("メールのプレビュー・テスト送信").click()
    settle_and_check(page, "preview")
    code = page.locator("[data-testid='stCode']").filter(has_text="様").first
    assert "■あなたのルーム：" in code.inner_text() or "■担当ルーム：" in code.inner_text()
    page.get_by_role("button", name=re.compile("テスト送信する")).click()
    page.get_by_text("テストとして jimukyoku@example.org に送信しました").wait_for(timeout=30_000)
    settle_and_check(page, "test send")
    assert server.handler.recipients() == ["jimukyoku@example.org"]

    page.get_by_role("button", name="未送信の 12 通を送信する").click()
    page.get_by_text("12 通を送信しました。").wait_for(timeout=60_000)
    settle_and_check(page, "sent")
    assert sorted(server.handler.recipients()[1:]) == sorted(email_of(k) for k in range(12))
    assert page.get_by_role("button", name="未送信の 0 通を送信する").is_disabled()
    page.screenshot(path=str(output_dir / "mail_rooms_sent.png"), full_page=True)

    # Paper for the venue, from the same tab: the reception list downloads as an A4 workbook.
    with page.expect_download() as got:
        page.get_by_role("button", name="受付名簿（Excel）").click()
    with open(got.value.path(), "rb") as fh:  # a download has no file extension
        book = openpyxl.load_workbook(fh)
    assert book["受付名簿"].max_row == 3 + 12
    settle_and_check(page, "paper download")

    page.goto(f"{mail_app['base']}/settings", wait_until="domcontentloaded")
    page.get_by_role("heading", name="設定").first.wait_for(timeout=45_000)
    page.get_by_role("tab", name="ルームのご案内メール").click()
    settle_and_check(page, "settings mail tab")
    subject = page.get_by_label("参加者へのメール（件名）")
    assert subject.input_value() == "【ルームのご案内】{会名}（{日付}）"
    page.get_by_text("メールサーバー: 127.0.0.1").wait_for()
