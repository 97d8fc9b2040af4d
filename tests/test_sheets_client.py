"""The real gspread code against the local Sheets server: one request per sync, retries, errors."""

import json
import time
import urllib.request

import pandas as pd
import pytest

from facilitation.demo.sheets import DEMO_KEY, DEMO_URL, REGISTRATION_TAB, SURVEY_TAB, demo_tabs
from facilitation.meetings import schedule
from facilitation.registrations import intake
from facilitation.roles import SECRETARIAT_LOCAL
from facilitation.sheets import gsheets
from facilitation.sheets.emulator import SheetsEmulator
from facilitation.sheets.gsheets import SheetsClient, SheetsError, parse_key
from facilitation.storage import db

KEY = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
URL = f"https://docs.google.com/spreadsheets/d/{KEY}/edit#gid=0"


@pytest.fixture
def emulator():
    gsheets.clear_cache()
    with SheetsEmulator() as em:
        em.add_spreadsheet(KEY, {
            "フォームの回答 1": [["タイムスタンプ", "メールアドレス", "氏名"],
                           ["2026/11/20 10:00:00", "a@example.org", "山田 太郎"], [],
                           ["2026/11/21 10:00:00", "b@example.org", "佐藤 花子", "", ""]],
            "アンケート": [["タイムスタンプ", "情報交換会に参加して"], ["2026/12/10 16:30:00", "とても役に立った"]],
        })
        yield em
    gsheets.clear_cache()


@pytest.fixture
def client(emulator):
    return SheetsClient(endpoint=emulator.url, backoff=0.01)


def test_parse_key_from_urls_and_bare_keys():
    assert parse_key(URL) == KEY
    assert parse_key(f"https://docs.google.com/spreadsheets/u/1/d/{KEY}/htmlview") == KEY
    assert parse_key(f"  {KEY} ") == KEY
    with pytest.raises(SheetsError, match="IDを読み取れません"):
        parse_key("https://example.org/なにか")
    with pytest.raises(SheetsError, match="URLを入力"):
        parse_key("")


def test_two_tabs_in_exactly_one_request_then_cached(emulator, client):
    tables = client.fetch(URL, ["フォームの回答 1", "アンケート"])
    assert emulator.request_count == 1
    assert "values:batchGet" in emulator.requests[0][1]
    reg = tables["フォームの回答 1"]
    assert reg.headers == ["タイムスタンプ", "メールアドレス", "氏名"]
    assert [r[2] for r in reg.rows] == ["山田 太郎", "佐藤 花子"]
    assert reg.row_number(1) == 4  # the empty third row keeps the numbering honest
    assert tables["アンケート"].rows == [["2026/12/10 16:30:00", "とても役に立った"]]
    # Many viewers within a minute: no further request; the survey page's own fetch hits the cache.
    client.fetch(URL, ["フォームの回答 1", "アンケート"])
    SheetsClient(endpoint=emulator.url).fetch(KEY, ["アンケート"])
    assert emulator.request_count == 1
    client.fetch(URL, ["フォームの回答 1"], max_age=0)
    assert emulator.request_count == 2


def test_429_then_success_is_retried(emulator, client):
    emulator.fail(429, times=2)
    tables = client.fetch(URL, ["アンケート"])
    assert len(tables["アンケート"].rows) == 1
    assert emulator.request_count == 3


def test_retries_are_bounded(emulator, client):
    emulator.fail(503, times=50)
    with pytest.raises(SheetsError, match="一時的なエラー"):
        client.fetch(URL, ["アンケート"])
    assert emulator.request_count == 1 + gsheets.RETRIES


def test_403_names_the_account_to_share_with(emulator, client):
    emulator.forbidden.add(KEY)
    with pytest.raises(SheetsError) as err:
        client.fetch(URL, ["アンケート"])
    assert err.value.kind == "not_shared"
    assert client.account_email in str(err.value) and "共有" in str(err.value)
    assert emulator.request_count == 1  # a permission error is not retried


def test_service_account_email_comes_from_the_credentials(tmp_path, monkeypatch):
    info = {"type": "service_account", "client_email": "donet-sync@donet-project.iam.gserviceaccount.com"}
    path = tmp_path / "key.json"
    path.write_text(json.dumps(info), encoding="utf-8")
    assert SheetsClient(credentials_info=str(path), endpoint="").account_email == info["client_email"]
    assert SheetsClient(credentials_info=info, endpoint="").account_email == info["client_email"]
    monkeypatch.setenv(gsheets.CREDENTIALS_ENV, str(tmp_path / "missing.json"))
    broken = SheetsClient(endpoint="")  # a wrong path does not break the page; reading says why
    assert broken.account_email == ""
    with pytest.raises(SheetsError, match="見つかりません"):
        broken.fetch(URL, ["アンケート"])
    monkeypatch.delenv(gsheets.CREDENTIALS_ENV, raising=False)
    with pytest.raises(SheetsError, match="サービスアカウントが設定されていません"):
        SheetsClient(credentials_info=None, endpoint="").fetch(URL, ["アンケート"])


def test_404_wrong_key(emulator, client):
    with pytest.raises(SheetsError, match="シートが見つかりません") as err:
        client.fetch("https://docs.google.com/spreadsheets/d/NoSuchSheet123456/edit", ["アンケート"])
    assert err.value.kind == "not_found"


def test_missing_tab_is_named(emulator, client):
    with pytest.raises(SheetsError, match="タブ「回答」がありません") as err:
        client.fetch(URL, ["回答", "アンケート"])
    assert err.value.kind == "missing_tab"


@pytest.mark.parametrize("body", ["{not json", json.dumps({"valueRanges": "x"}), json.dumps({"spreadsheetId": KEY})])
def test_malformed_body(emulator, client, body):
    emulator.fail(200, body=body)
    with pytest.raises(SheetsError, match="形式が正しくありません") as err:
        client.fetch(URL, ["アンケート"])
    assert err.value.kind == "malformed"


def test_write_tab_creates_the_tab_and_neutralises_formulas(emulator, client):
    frame = pd.DataFrame({"氏名": ["山田 太郎", "=HYPERLINK(\"x\")"], "人数": [3, 4]})
    client.write_tab(URL, "整理済み名簿", frame)
    assert emulator.values(KEY, "整理済み名簿") == [["氏名", "人数"], ["山田 太郎", "3"], ["'=HYPERLINK(\"x\")", "4"]]
    client.write_tab(URL, "整理済み名簿", frame.head(1))  # replaced, not appended
    assert emulator.values(KEY, "整理済み名簿") == [["氏名", "人数"], ["山田 太郎", "3"]]


def test_emulator_speaks_the_raw_api():
    with SheetsEmulator() as em:
        em.add_spreadsheet("k1234567890", {"A": [["x", "y"], ["1", "2"]]})
        with urllib.request.urlopen(f"{em.url}/v4/spreadsheets/k1234567890") as r:
            meta = json.load(r)
        assert meta["sheets"][0]["properties"]["title"] == "A"
        with urllib.request.urlopen(f"{em.url}/v4/spreadsheets/k1234567890/values/A!B1:B2") as r:
            assert json.load(r)["values"] == [["y"], ["2"]]
        try:
            urllib.request.urlopen(f"{em.url}/v4/spreadsheets/nope")
        except urllib.error.HTTPError as exc:
            assert json.load(exc) == {"error": {"code": 404, "message": "Requested entity was not found.",
                                                "status": "NOT_FOUND"}}


def test_one_sync_of_the_demo_sheet_is_one_request(demo_copy_url):
    gsheets.clear_cache()
    with SheetsEmulator() as em:
        em.add_spreadsheet(DEMO_KEY, demo_tabs(demo_copy_url))
        client = SheetsClient(endpoint=em.url)
        with db.session(demo_copy_url) as s:
            mid = schedule.upcoming_meeting(s).id
            intake.configure_sheet(s, SECRETARIAT_LOCAL, mid, DEMO_URL, REGISTRATION_TAB, SURVEY_TAB)
        em.reset_counts()
        with db.session(demo_copy_url) as s:
            first = intake.sync(s, SECRETARIAT_LOCAL, mid, client=client, fresh=True)
        assert em.request_count == 1 and first.error == ""
        assert first.consistent and first.imported >= 5 and len(first.quarantined) == 2
        with db.session(demo_copy_url) as s:
            again = intake.sync(s, SECRETARIAT_LOCAL, mid, client=client, fresh=True)
            state = intake.sheet_state(s, mid)
            assert state.last_synced_at is not None and state.last_result["rows"] == first.rows
        assert em.request_count == 2
        assert (again.imported, again.updated) == (0, 0)
        em.forbidden.add(DEMO_KEY)
        with db.session(demo_copy_url) as s:
            failed = intake.sync(s, SECRETARIAT_LOCAL, mid, client=client, fresh=True)
        assert "共有" in failed.error
        with db.session(demo_copy_url) as s:
            assert "共有" in intake.sheet_state(s, mid).last_error


def test_a_server_that_never_answers_times_out_with_a_message():
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # connections are accepted by the kernel, but nothing is ever sent back
        host, port = silent.getsockname()
        client = SheetsClient(endpoint=f"http://{host}:{port}", backoff=0.01, timeout=(1.0, 0.3))
        client._client().retries = 1  # one retry is enough to show the bound; keeps the test short
        with pytest.raises(SheetsError, match="時間切れ") as err:
            client.fetch(URL, ["アンケート"], max_age=0)
    assert err.value.kind == "timeout"


def test_retries_stop_at_the_deadline_so_a_page_answers_within_seconds(emulator):
    emulator.fail(503, times=100)
    client = SheetsClient(endpoint=emulator.url, backoff=0.4, deadline=1.0)
    started = time.monotonic()
    with pytest.raises(SheetsError, match="一時的なエラー"):
        client.fetch(KEY, ["アンケート"], max_age=0)
    assert time.monotonic() - started < 3.0  # five attempts with backoff would take ~6 s


def test_a_lone_surrogate_from_the_api_is_replaced_not_a_crash(emulator, client):
    emulator.add_spreadsheet("surrogate-sheet-0001", {"T": [["氏名"], ["山田\ud800太郎"]]})
    table = client.fetch("surrogate-sheet-0001", ["T"], max_age=0)["T"]
    assert table.rows[0][0] == "山田\ufffd太郎"
    table.rows[0][0].encode("utf-8")  # storable


def test_an_erasure_request_clears_the_cached_rows(emulator, client, sqlite_url):
    from facilitation.access import privacy
    from facilitation.sheets import gsheets
    from facilitation.storage import db

    client.fetch(KEY, ["アンケート"])
    assert gsheets._cache
    assert "90_sheet_cache" in privacy.registered()
    with db.session(sqlite_url) as s:
        for name in privacy.registered():
            if name == "90_sheet_cache":
                privacy._ERASERS[name](s, None)
    assert not gsheets._cache
