"""The 設定 section (accounts, audit log, backup, erasure) and the facilitator-link panel, in AppTest."""

from __future__ import annotations

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from facilitation.access import gate
from facilitation.roles import COMMITTEE, SECRETARIAT, Viewer
from facilitation.storage import db
from facilitation.storage.models import Meeting, Person, Room

from .conftest import ROOT

SCRIPT = """
import sys
sys.path.insert(0, {root!r})
from ui import {module}
from ui.common import show_flash
show_flash()  # as every page does: what the last action said
{call}
"""


def _app(tmp_path, monkeypatch, url, module, call, viewer):
    monkeypatch.setenv(db.ENV_VAR, url)
    monkeypatch.setenv(gate.SECRET_ENV, "u" * 40)
    path = tmp_path / f"{module}_script.py"
    path.write_text(SCRIPT.format(root=str(ROOT), module=module, call=call))
    at = AppTest.from_file(str(path), default_timeout=60)
    at.session_state["viewer"] = viewer
    return at


ADMIN = Viewer(role=SECRETARIAT, email="office@example.org")


def test_settings_section_for_the_secretariat(tmp_path, monkeypatch, demo_copy_url):
    at = _app(tmp_path, monkeypatch, demo_copy_url, "settings_access", "settings_access.render()", ADMIN)
    at.run()
    assert not at.exception
    assert [t.label for t in at.tabs] == ["アカウントと役割", "変更履歴", "バックアップと復元", "個人情報の削除"]
    at.text_input[0].input("iinkai@example.org")
    at.selectbox[0].select(COMMITTEE)
    at.button[0].click()  # the form's submit button
    at.run()
    assert not at.exception
    assert any("委員会" in s.value for s in at.success)
    with db.session(demo_copy_url) as s:
        assert gate.role_for(s, "iinkai@example.org") == COMMITTEE
    at.run()  # the table is drawn above the form: the next run lists the new account
    accounts = at.dataframe[0].value
    assert list(accounts.columns) == ["メールアドレス", "役割", "メモ", "編集"]
    assert accounts.set_index("メールアドレス").loc["iinkai@example.org", "役割"] == COMMITTEE
    assert "iinkai@example.org" in at.selectbox(key="account_remove_target").options  # may be removed again
    # The audit log shows that change, by whom.
    log = at.dataframe[1].value
    assert "office@example.org" in log["操作者"].tolist() and "アカウント" in log["対象"].tolist()
    # Picked and removed in one message: the account in the picker as the click arrives is removed.
    at.selectbox(key="account_remove_target").set_value("iinkai@example.org")
    at.button(key="account_remove").click().run()
    assert not at.exception
    assert [s.value for s in at.success if "登録を外しました" in s.value and "iinkai" in s.value]
    with db.session(demo_copy_url) as s:
        assert gate.role_for(s, "iinkai@example.org") is None
    assert all("iinkai@example.org" not in b.options for b in at.selectbox if b.key == "account_remove_target")


def test_privacy_erasure_from_settings(tmp_path, monkeypatch, demo_copy_url):
    with db.session(demo_copy_url) as s:
        person = s.scalars(select(Person).order_by(Person.id)).first()
        pid, email = person.id, person.email
    at = _app(tmp_path, monkeypatch, demo_copy_url, "settings_access", "settings_access.render()", ADMIN)
    at.run()
    at.text_input(key="privacy_search").input(email)
    at.run()
    assert at.radio(key="privacy_person").value == pid
    at.checkbox(key="privacy_sure").check()
    at.run()
    at.button(key="privacy_go").click()
    at.run()
    assert not at.exception
    assert any("個人情報を削除しました" in s.value for s in at.success)
    with db.session(demo_copy_url) as s:
        assert s.get(Person, pid).name == "削除済み"


def test_settings_section_is_empty_for_the_committee(tmp_path, monkeypatch, demo_copy_url):
    at = _app(tmp_path, monkeypatch, demo_copy_url, "settings_access", "settings_access.render()",
              Viewer(role=COMMITTEE, email="c@example.org"))
    at.run()
    assert not at.exception
    assert not at.tabs and not at.dataframe
    assert "事務局だけ" in at.info[0].value


def test_link_panel_issues_a_link_with_qr_and_revokes_it(tmp_path, monkeypatch, demo_copy_url):
    with db.session(demo_copy_url) as s:
        m = s.scalars(select(Meeting).order_by(Meeting.starts_at.desc())).first()
        room = s.scalars(select(Room).where(Room.meeting_id == m.id).order_by(Room.position)).first()
        mid, rid = m.id, room.id
    # As the rooms page shows it: inside an expander (so the panel must not nest expanders).
    call = f"import streamlit as st\nwith st.expander('ファシリテーター用リンク'):\n    links.render({mid})"
    at = _app(tmp_path, monkeypatch, demo_copy_url, "links", call, ADMIN)
    at.run()
    assert not at.exception
    at.button(key=f"link_issue_{rid}").click()
    at.run()
    assert not at.exception
    codes = [c.value for c in at.code if "token=" in c.value]
    assert len(codes) == 1 and "/roster?token=v1." in codes[0]
    token = codes[0].split("token=")[1]
    with db.session(demo_copy_url) as s:
        check = gate.check_link(s, token, ("u" * 40).encode())
        assert check.ok and check.room_id == rid
    # This test's app answers at localhost: no QR code a phone could never open, and what to set instead.
    assert len(at.get("image")) == 0
    assert any("このパソコンの中でしか開けない" in w.value for w in at.warning)
    assert any("public_url" in c.value for c in at.code)
    at.button(key=f"link_revoke_{rid}").click()
    at.run()
    with db.session(demo_copy_url) as s:
        assert gate.check_link(s, token, ("u" * 40).encode()).reason == "revoked"
    assert not [c for c in at.code if "token=" in c.value]
    issued = at.dataframe[0].value
    assert list(issued.columns) == ["ルーム", "状態", "有効期限", "発行", "発行者"]  # no id, no token
    assert "無効（取り消し済み）" in issued["状態"].tolist()


# --- 「委員会の表示で確認」: the secretariat previews the app as the committee ---------------------

def _whole_app(monkeypatch, url):
    monkeypatch.setenv(db.ENV_VAR, url)
    monkeypatch.setenv(gate.SECRET_ENV, "u" * 40)
    monkeypatch.chdir(ROOT)
    return AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=90)


def _run_through_gate(at) -> None:
    """Run the whole app again from streamlit_app.py (its gate and sidebar), as a browser's rerun does.

    AppTest 1.67 reruns only the page a multipage run finished on (no entry point, no sidebar)
    unless the finished page is forgotten; the default page then opens the viewer's first page.
    """
    at._finished_page_script_hash = ""
    at.run()


def test_committee_preview_runs_as_the_committee_and_back(monkeypatch, demo_copy_url):
    from ui import auth

    at = _whole_app(monkeypatch, demo_copy_url)
    at.run()
    assert not at.exception and at.session_state["viewer"].role == SECRETARIAT
    assert not [w for w in at.warning if auth.PREVIEW_BANNER in w.value]
    at.toggle(key=auth.PREVIEW_TOGGLE).set_value(True)
    _run_through_gate(at)
    assert not at.exception
    v = at.session_state["viewer"]
    assert v.role == COMMITTEE and not v.sees_names and not v.is_secretariat
    assert [w for w in at.warning if auth.PREVIEW_BANNER in w.value]
    # The sidebar still shows the switch (the real person is the secretariat) and the way back.
    assert at.toggle(key=auth.PREVIEW_TOGGLE).value is True
    at.button(key="committee_preview_back").click()
    _run_through_gate(at)
    assert not at.exception
    assert at.session_state["viewer"].role == SECRETARIAT
    assert at.toggle(key=auth.PREVIEW_TOGGLE).value is False
    assert not [w for w in at.warning if auth.PREVIEW_BANNER in w.value]


def test_committee_preview_is_not_offered_to_the_committee(monkeypatch, demo_copy_url):
    """A real committee account (signed in) has no switch, and the flag alone changes nothing."""
    from ui import auth

    at = _whole_app(monkeypatch, demo_copy_url)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 40,
                          "client_id": "id.apps.googleusercontent.com", "client_secret": "placeholder",
                          "server_metadata_url": "https://accounts.google.com/.well-known/openid-configuration"}
    at.secrets["facilitation"] = {"admin_emails": ["office@example.org"]}
    with db.session(demo_copy_url, actor="test") as s:
        gate.set_account(s, ADMIN, "iinkai@example.org", COMMITTEE)
    at.user = {"is_logged_in": True, "email": "iinkai@example.org", "email_verified": True}
    at.run()
    assert not at.exception
    assert at.session_state["viewer"].role == COMMITTEE
    assert not [t for t in at.toggle if t.key == auth.PREVIEW_TOGGLE]
    assert not [w for w in at.warning if auth.PREVIEW_BANNER in w.value]
    # A facilitator-looking or committee viewer is never turned into anything by the flag.
    assert auth.previewed(Viewer(role=COMMITTEE, email="c@example.org"), True).role == COMMITTEE
    assert auth.previewed(ADMIN, True) == Viewer(role=COMMITTEE, email=ADMIN.email)
    assert auth.previewed(ADMIN, False) == ADMIN


def test_the_restore_screen_shows_who_gains_which_role_and_asks_before_trusting(tmp_path, monkeypatch, demo_copy_url):
    """A forged archive (unsigned, a made-up 事務局 account, Markdown in its creation time) is shown
    for what it is; restoring it takes two ticks, the second one about the warnings."""
    import io
    import json
    import zipfile

    from facilitation.storage import backup

    with db.session(demo_copy_url) as s:
        gate.set_account(s, ADMIN, "iin@example.org", COMMITTEE)
    real = io.BytesIO(backup.backup_bytes(demo_copy_url, b"u" * 40))
    with zipfile.ZipFile(real) as zf:
        files = {n: zf.read(n) for n in zf.namelist() if n != backup.SIGNATURE}
    rows = json.loads(files["tables/access_accounts.json"])
    rows.append({**rows[0], "id": rows[0]["id"] + 100, "email": "attacker@example.net", "role": SECRETARIAT})
    payload = json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()
    manifest = json.loads(files["manifest.json"])
    manifest["created_at"] = "![m](http://127.0.0.1:9/x)2026"
    import hashlib

    manifest["tables"]["access_accounts"] = {"rows": len(rows), "sha256": hashlib.sha256(payload).hexdigest()}
    files["tables/access_accounts.json"] = payload
    files["manifest.json"] = json.dumps(manifest).encode()
    forged = io.BytesIO()
    with zipfile.ZipFile(forged, "w") as zf:
        for n, d in files.items():
            zf.writestr(n, d)

    at = _app(tmp_path, monkeypatch, demo_copy_url, "settings_access", "settings_access._backup()", ADMIN)
    at.run()
    at.file_uploader(key="restore_upload").set_value(("b.zip", forged.getvalue(), "application/zip")).run()
    assert not at.exception
    shown = " ".join(m.value for m in at.markdown)
    assert "![m](" not in shown and "\\!\\[m\\]" in shown  # escaped: shown as text, never fetched
    errors = [e.value for e in at.error]
    assert any("署名がありません" in e for e in errors) and any("attacker@example.net" in e for e in errors)
    changes = at.dataframe[0].value
    assert changes.set_index("メールアドレス").loc["attacker@example.net"].tolist() == ["（なし）", SECRETARIAT]
    at.checkbox(key="restore_sure").check().run()
    assert at.button(key="restore_go").disabled  # the second tick is still missing
    at.checkbox(key="restore_trust").check().run()
    at.button(key="restore_go").click().run()
    assert not at.exception and any("復元しました" in s.value for s in at.success)
    with db.session(demo_copy_url) as s:
        assert gate.role_for(s, "attacker@example.net") == SECRETARIAT
