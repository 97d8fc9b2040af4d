"""Local mode (no sign-in configured): only a browser on this computer, over loopback, gets in.

The rule itself is a pure function (tested exhaustively below). The real check runs a real server
bound to all interfaces and opens it three ways with Chromium: over 127.0.0.1 (served), over this
machine's own non-loopback address (refused: the TCP peer is not loopback), and over 127.0.0.1
through a "proxy" that adds X-Forwarded-For (refused: uvicorn, which Streamlit runs on, trusts that
header from loopback and reports the forwarded address, and the app refuses forwarded requests).
What we cannot test here: a browser on another machine (there is none); the peer address it would
produce is the same kind as the non-loopback case.
"""

from __future__ import annotations

import socket

import pytest

from facilitation.access import gate
from facilitation.access.gate import is_loopback_request

from . import streamlit_process
from .conftest import CHROMIUM, require


@pytest.mark.parametrize("ip,headers,expected", [
    (None, {}, True),  # Streamlit reports None for 127.0.0.1 and ::1
    ("127.0.0.1", {"Host": "localhost:8501"}, True),
    ("::1", {"host": "[::1]:8501"}, True),
    ("::ffff:127.0.0.1", {"Host": "localhost:8501"}, True),  # dual-stack socket
    ("::ffff:192.168.1.20", {}, False),
    (None, {"Host": "127.0.0.1:8501"}, True),
    ("192.168.1.20", {}, False),
    ("10.0.0.5", {"Host": "localhost:8501"}, False),
    ("2001:db8::1", {}, False),
    ("fe80::1%eth0", {}, False),
    ("not an ip", {}, False),
    (None, {"X-Forwarded-For": "203.0.113.9"}, False),  # behind a proxy on the same machine
    (None, {"Forwarded": "for=203.0.113.9"}, False),
    (None, {"X-Real-IP": "203.0.113.9"}, False),
    (None, {"CF-Connecting-IP": "203.0.113.9"}, False),  # a tunnel
    (None, {"Host": "dounet.example.org"}, False),  # a public name pointing at loopback (rebinding)
    (None, {"Host": "192.168.1.20:8501"}, False),
    (None, {"Host": "localhost"}, True),
    (None, {"Host": "LocalHost:8501"}, True),
    (None, {"Host": "127.0.0.1"}, True),
    (None, {"Host": "127.0.0.2:8501"}, True),  # all of 127/8 is loopback
    (None, {"Host": "[::1]"}, True),
    (None, {"Host": "[::ffff:127.0.0.1]:8501"}, True),
    # DNS rebinding: names that only start like a loopback address, or end like localhost
    (None, {"Host": "127.attacker.example"}, False),
    (None, {"Host": "127.attacker.example:8501"}, False),
    (None, {"Host": "127.0.0.1.attacker.example:8501"}, False),
    (None, {"Host": "127.0.0.1.nip.io"}, False),
    (None, {"Host": "localhost.attacker.example"}, False),
    (None, {"Host": "attacker.localhost.example:8501"}, False),
    (None, {"Host": "127.1:8501"}, False),  # not a dotted address; refused rather than guessed
    (None, {"Host": "[::1].attacker.example"}, False),
    (None, {"Host": "[::1]:x"}, False),
    (None, {"Host": "localhost:"}, False),
    (None, {"Host": ""}, False),
    (None, {"Host": "localhost:8501", "X-Forwarded-Proto": "https"}, False),
])
def test_the_loopback_rule(ip, headers, expected):
    assert is_loopback_request(ip, headers) is expected


@pytest.mark.parametrize("headers", [{}, {"Host": "localhost:8501"}, {"Host": "127.0.0.1:8501"}])
def test_behind_a_proxy_nothing_is_local(headers):
    """A proxy that forwards without X-Forwarded-* looks exactly like a local browser: declared, refuse."""
    assert is_loopback_request(None, headers) is True
    assert is_loopback_request(None, headers, proxied=True) is False


@pytest.mark.parametrize("configured,env,expected", [
    (None, None, False), (None, "1", True), (None, "true", True), (None, "0", False),
    (True, None, True), ("true", None, True), (False, "1", False), ("", "1", True),
])
def test_behind_proxy_setting(monkeypatch, configured, env, expected):
    if env is None:
        monkeypatch.delenv(gate.BEHIND_PROXY_ENV, raising=False)
    else:
        monkeypatch.setenv(gate.BEHIND_PROXY_ENV, env)
    assert gate.behind_proxy(configured) is expected


def _own_address() -> str | None:
    """This machine's non-loopback IPv4 address (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
            addr = s.getsockname()[0]
        except OSError:
            return None
    return None if addr.startswith("127.") else addr


def _start(home) -> streamlit_process.App:
    """The app bound to every interface (so another address of this machine reaches it)."""
    return streamlit_process.start(f"sqlite:///{home / 'app.sqlite3'}", home / "streamlit.log", address="0.0.0.0",
                                   env={"FACILITATION_LINK_SECRET": "l" * 40})


@pytest.fixture(scope="module")
def open_server(tmp_path_factory):
    """The app bound to every interface, in local mode (no secrets), with the demo data."""
    app = _start(tmp_path_factory.mktemp("local"))
    yield app.port
    streamlit_process.stop(app)


@pytest.fixture
def fresh_server(tmp_path):
    """A just-started server that no browser has opened yet (the state right after a restart)."""
    from facilitation.demo import dataset
    from facilitation.storage import db

    with db.session(f"sqlite:///{tmp_path / 'app.sqlite3'}", actor="demo") as s:
        dataset.generate(s)
    db.dispose_all()
    app = _start(tmp_path)
    yield app.port
    streamlit_process.stop(app)


def _page_text(browser, url: str, headers: dict | None = None) -> str:
    context = browser.new_context(extra_http_headers=headers or {})
    page = context.new_page()
    try:
        page.goto(url, wait_until="domcontentloaded")
        page.wait_for_selector("h1", timeout=45_000)
        page.wait_for_timeout(1500)  # let the run finish rendering
        return page.inner_text("body")
    finally:
        context.close()


NOTICE = "このパソコンからだけ使えます"


def test_loopback_browser_is_served(open_server, browser):
    text = _page_text(browser, f"http://127.0.0.1:{open_server}/")
    assert NOTICE not in text
    assert "ローカルモード" in text  # the sidebar says how the app is running


def test_a_browser_from_another_address_is_refused_with_instructions(open_server, browser):
    addr = _own_address()
    require(addr is not None, "ループバック以外の IPv4 アドレスがありません")
    text = _page_text(browser, f"http://{addr}:{open_server}/")
    assert NOTICE in text
    assert "secrets.toml" in text and "admin_emails" in text  # tells how to configure sign-in
    assert "@example.org" not in text and "申込" not in text  # no data at all


def test_a_proxied_request_is_refused(open_server, browser):
    text = _page_text(browser, f"http://127.0.0.1:{open_server}/", {"X-Forwarded-For": "203.0.113.9"})
    assert NOTICE in text


def test_dns_rebinding_host_is_refused(open_server, browser):
    """A page on `127.attacker.example` (a name the attacker resolves to 127.0.0.1) reaches the app
    over loopback with that name as Host: Chromium, told to resolve the name to 127.0.0.1 exactly as
    the rebinding DNS would, gets the notice and no data."""
    b = browser.browser_type.launch(executable_path=CHROMIUM, headless=True, args=[
        "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--host-resolver-rules=MAP *.attacker.example 127.0.0.1"])
    try:
        served = _page_text(b, f"http://localhost:{open_server}/")
        rebound = _page_text(b, f"http://127.attacker.example:{open_server}/")
    finally:
        b.close()
    assert NOTICE not in served and "ローカルモード" in served  # the same browser, by its real name
    assert NOTICE in rebound
    assert "@example.org" not in rebound and "ローカルモード（" not in rebound


@pytest.fixture(scope="module")
def proxied_server(tmp_path_factory):
    home = tmp_path_factory.mktemp("proxied")
    app = streamlit_process.start(f"sqlite:///{home / 'app.sqlite3'}", home / "streamlit.log",
                                  env={gate.BEHIND_PROXY_ENV: "1", "FACILITATION_LINK_SECRET": "l" * 40})
    yield app.port
    streamlit_process.stop(app)


def test_behind_a_declared_proxy_even_loopback_is_refused(proxied_server, browser):
    """FACILITATION_BEHIND_PROXY=1: a proxy on this computer that adds no forwarding header would
    make every visitor look local; the app refuses local mode and asks for sign-in instead."""
    text = _page_text(browser, f"http://127.0.0.1:{proxied_server}/")
    assert NOTICE in text and "behind_proxy" in text
    assert "ローカルモード（" not in text


def test_facilitator_link_with_a_configured_secret_works_from_another_address(open_server, browser):
    """With link_secret set, a valid link is itself the credential, from any address."""
    addr = _own_address()
    require(addr is not None, "ループバック以外の IPv4 アドレスがありません")
    text = _page_text(browser, f"http://{addr}:{open_server}/roster?token=v1.1.1.1.abc.bad")
    assert NOTICE not in text
    assert "正しくありません" in text  # the link was checked (and this forged one refused)


def test_a_page_opened_first_after_a_restart_still_goes_through_the_gate(fresh_server, browser):
    addr = _own_address()
    require(addr is not None, "ループバック以外の IPv4 アドレスがありません")
    # Right after a restart Streamlit runs a page of pages/ opened directly WITHOUT streamlit_app.py
    # (legacy multipage mode until st.navigation runs once); ui.common.viewer() must still gate it.
    text = _page_text(browser, f"http://{addr}:{fresh_server}/registrations")
    assert "@example.org" not in text  # no registrant e-mails for a client that is not local
    assert NOTICE in text


@pytest.fixture
def fresh_server_with_link(tmp_path):
    """A just-started server and a valid facilitator link for one room of the upcoming meeting."""
    from facilitation.access import gate
    from facilitation.demo import dataset
    from facilitation.roles import SECRETARIAT, Viewer
    from facilitation.storage import db
    from facilitation.storage.models import Meeting, Room

    url = f"sqlite:///{tmp_path / 'app.sqlite3'}"
    with db.session(url, actor="demo") as s:
        dataset.generate(s)
    with db.session(url, actor="test") as s:
        m = s.query(Meeting).order_by(Meeting.starts_at.desc()).first()
        room = s.query(Room).filter(Room.meeting_id == m.id).order_by(Room.position).first()
        link = gate.issue_link(s, Viewer(role=SECRETARIAT, email="t"), room.id, b"l" * 40, hours=5)
        room_name = room.name
    db.dispose_all()
    app = _start(tmp_path)
    yield app.port, link.token, room_name
    streamlit_process.stop(app)


def test_a_facilitator_link_works_as_the_first_request_after_a_restart(fresh_server_with_link, browser):
    port, token, room_name = fresh_server_with_link
    addr = _own_address()
    require(addr is not None, "ループバック以外の IPv4 アドレスがありません")
    text = _page_text(browser, f"http://{addr}:{port}/roster?token={token}")
    assert NOTICE not in text and "入口から開いてください" not in text
    assert f"ファシリテーター用リンクで表示中（{room_name}）" in text
