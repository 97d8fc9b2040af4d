"""No facilitator link, overview ticket, e-mail or name in any log the deployment writes (issue 23).

A facilitator's link (`?token=…`) opens a room's roster by itself for days; the secretariat's
overview ticket carries the viewer's e-mail. The app is served behind nginx with the access-log
format the README documents (`log_format facilitation`, read from the README itself, so the
documentation is what is tested); a phone opens the link through the proxy (page, scripts with the
link in their Referer, WebSocket, the roster's waiting requests), the overview's waiting request
goes by with a real ticket, and then every log is read: nginx's access and error logs and the
app's own output. None may hold the token (or its signature), the ticket, the e-mail in it, or the
name or e-mail of anyone in the room. The access log still traces the requests by the link's id.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from facilitation.access import gate
from facilitation.storage import db
from facilitation.storage.models import Person, Registration
from tests import streamlit_process
from tests.conftest import LINK_SECRET, require, served_demo, upcoming_with_link

ROOT = Path(__file__).resolve().parents[1]
NGINX = "/usr/sbin/nginx"
CONF = """
worker_processes 1;
daemon off;
pid {home}/nginx.pid;
error_log {home}/error.log error;  # nginx's default level
{user}
events {{ worker_connections 128; }}
http {{
    access_log {home}/default-access.log;
    client_body_temp_path {home}/body;
    proxy_temp_path {home}/proxy;
    fastcgi_temp_path {home}/fastcgi;
    uwsgi_temp_path {home}/uwsgi;
    scgi_temp_path {home}/scgi;
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}
{documented}
    server {{
        listen 127.0.0.1:{port};
        {access_log}
        location / {{
            proxy_pass http://127.0.0.1:{app};
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_read_timeout 1h;
            proxy_buffering off;
        }}
    }}
}}
"""


def documented_logging() -> tuple[str, str]:
    """The README's `map $arg_token` and `log_format facilitation` (nginx's own text, braces doubled
    for str.format), and the access_log line that uses it; ("", "") when the README has none."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```nginx\n(.*?)```", readme, re.S).group(1)
    parts = re.findall(r"^ *map \$arg_token.*?^ *\}\n|^ *log_format facilitation.*?;\n", block, re.S | re.M)
    access = re.search(r"^ *(access_log \S+ facilitation;)", block, re.M)
    if not parts or not access:
        return "", ""
    text = "".join(parts).replace("{", "{{").replace("}", "}}")
    return text, access.group(1)


@pytest.fixture
def behind_nginx(demo_url, tmp_path):
    require(Path(NGINX).exists(), "nginx が見つかりません（Debian の nginx パッケージ）")
    (tmp_path / "app").mkdir()
    with served_demo(demo_url, tmp_path / "app", prepare=upcoming_with_link, entry="serve.py") as app:
        home = tmp_path / "nginx"
        home.mkdir()
        os.chmod(tmp_path, 0o755)
        os.chmod(home, 0o777)
        documented, access = documented_logging()
        access = access.replace("/var/log/nginx/facilitation.access.log", str(home / "access.log"))
        port = streamlit_process.free_port()
        conf = home / "nginx.conf"
        conf.write_text(CONF.format(home=home, port=port, app=app["base"].rsplit(":", 1)[1],
                                    documented=documented.replace("{{", "{").replace("}}", "}"),
                                    access_log=access or f"access_log {home / 'access.log'};",
                                    user="user root;" if os.geteuid() == 0 else ""))
        proxy = subprocess.Popen([NGINX, "-p", str(home), "-c", str(conf)], stdout=subprocess.DEVNULL,
                                 stderr=open(home / "stderr.log", "wb"))
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 20
        while True:
            try:
                urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read()
                break
            except OSError:
                if time.time() > deadline or proxy.poll() is not None:
                    proxy.kill()
                    raise RuntimeError("nginx: " + (home / "stderr.log").read_text()) from None
                time.sleep(0.3)
        try:
            yield {**app, "proxy": base, "home": home}
        finally:
            proxy.terminate()
            proxy.wait(10)


def secrets_of(app: dict) -> dict[str, str]:
    """What must never be written to a log: the link, the ticket, and the room's people."""
    w = app["world"]
    token = w["token"]
    ticket = gate.overview_ticket(LINK_SECRET.encode(), w["meeting_id"], "jimukyoku.office@example.org")
    out = {"token": token, "token signature": token.rsplit(".", 1)[1], "ticket": ticket,
           "ticket signature": ticket.rsplit(".", 1)[1], "ticket e-mail": "jimukyoku.office@example.org",
           "ticket e-mail (base64)": ticket.split(".")[3]}
    with db.session(app["url"]) as s:
        for reg_id in w["placed"][w["rooms"][0]]:
            person = s.get(Person, s.get(Registration, reg_id).person_id)
            out[f"name {reg_id}"] = person.name
            if person.email:
                out[f"e-mail {reg_id}"] = person.email
    return out


@pytest.mark.timeout(300)
def test_no_token_ticket_email_or_name_in_any_log(behind_nginx, browser):
    app = behind_nginx
    secret = secrets_of(app)
    w = app["world"]
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ja-JP", is_mobile=True)
    page = context.new_page()
    page.goto(f"{app['proxy']}/roster?token={secret['token']}", wait_until="domcontentloaded")
    page.get_by_text("Zoom表示名").first.wait_for(timeout=45_000)
    page.get_by_text("変更があるとすぐに自動で表示されます").wait_for(timeout=15_000)
    time.sleep(3)  # the roster's waiting request goes out with the link
    context.close()
    # The secretariat overview's waiting request with a real ticket (refused here: not local), and a
    # link sent with a made-up signature.
    for query in (f"meeting={w['meeting_id']}&ticket={secret['ticket']}&since=0",
                  f"token={secret['token']}&since=0"):
        try:
            urllib.request.urlopen(f"{app['proxy']}/_roster/stamp?{query}", timeout=30).read()
        except urllib.error.HTTPError:
            pass
    time.sleep(1)

    logs = {p.name: p.read_text(errors="replace") for p in app["home"].glob("*.log")}
    logs["app"] = Path(app["log"]).read_text(errors="replace")
    found = {(log, what) for log, text in logs.items() for what, value in secret.items() if value and value in text}
    assert found == set(), sorted(found)
    access = logs["access.log"]
    jti = secret["token"].split(".")[4]
    assert f"link={jti}" in access and "/roster " in access and "/_roster/stamp " in access  # still traceable
