"""`python -m facilitation registrations import|sync … --json` and `sheets-emulator`."""

import json
import subprocess
import sys
import time
from pathlib import Path

from facilitation import cli
from facilitation.demo.sheets import DEMO_URL
from facilitation.meetings import schedule
from facilitation.registrations import intake
from facilitation.roles import SECRETARIAT_LOCAL
from facilitation.sheets import gsheets
from facilitation.storage import db

from .conftest import ROOT, demo_sheet, free_port

DATA = Path(__file__).parent / "data" / "registrations"


def run(capsys, *argv):
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_import_file_json(demo_copy_url, capsys):
    with db.session(demo_copy_url) as s:
        mid = schedule.upcoming_meeting(s).id
    code, out, _ = run(capsys, "--db", demo_copy_url, "registrations", "import", str(DATA / "form_problems.csv"),
                       "--meeting", str(mid), "--json")
    data = json.loads(out)
    assert code == 0
    assert data["rows"] == 4 and data["imported"] == 1
    assert [q["row"] for q in data["quarantined"]] == [2, 3, 4]
    assert data["rows"] == data["imported"] + data["updated"] + data["duplicates"] + len(data["quarantined"])
    code, out, _ = run(capsys, "--db", demo_copy_url, "registrations", "import", str(DATA / "form_cp932.csv"),
                       "--meeting", str(mid))
    assert code == 0 and "3行: 新規 3件" in out


def test_import_errors_are_japanese_without_traceback(demo_copy_url, capsys):
    code, _, err = run(capsys, "--db", demo_copy_url, "registrations", "import", str(DATA / "only_headers.csv"),
                       "--meeting", "1")
    assert code == 2 and "見出し行しか" in err and "Traceback" not in err
    code, _, err = run(capsys, "--db", demo_copy_url, "registrations", "import", "nai.csv", "--meeting", "1")
    assert code == 2 and "見つかりません" in err


def test_sync_json_through_the_emulator(demo_copy_url, capsys, monkeypatch):
    with demo_sheet(demo_copy_url, monkeypatch) as (em, mid):
        code, _, err = run(capsys, "--db", demo_copy_url, "registrations", "sync", "--meeting", str(mid))
        assert code == 2 and "URLが設定されていません" in err
        with db.session(demo_copy_url) as s:
            intake.configure_sheet(s, SECRETARIAT_LOCAL, mid, DEMO_URL)
        em.reset_counts()
        code, out, _ = run(capsys, "--db", demo_copy_url, "registrations", "sync", "--meeting", str(mid), "--json")
        data = json.loads(out)
        assert code == 0 and em.request_count == 1
        assert data["rows"] == data["imported"] + data["updated"] + data["duplicates"] + len(data["quarantined"])
        assert len(data["quarantined"]) == 2


def test_sheets_emulator_command_serves_demo_sheets(tmp_path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "facilitation", "--db", f"sqlite:///{tmp_path / 'none.sqlite3'}",
                             "sheets-emulator", "--port", str(port)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}" in first
        client = gsheets.SheetsClient(endpoint=f"http://127.0.0.1:{port}")
        deadline = time.time() + 30
        while True:
            try:
                tables = client.fetch(DEMO_URL, ["フォームの回答 1", "アンケート"], max_age=0)
                break
            except gsheets.SheetsError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        assert tables["フォームの回答 1"].headers[:3] == ["タイムスタンプ", "メールアドレス", "氏名"]
        assert len(tables["フォームの回答 1"].rows) > 30 and len(tables["アンケート"].rows) == 36
    finally:
        proc.terminate()
        proc.wait(10)
