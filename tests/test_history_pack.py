"""The committee pack: the Excel workbook read back, and the offline HTML summary."""

import datetime as dt
import io
import re

import openpyxl
import pytest

from facilitation.history import committee_pack, participation
from facilitation.history import coverage as cov
from facilitation.roles import SECRETARIAT_LOCAL
from tests import history_world as hw

MADE = dt.datetime(2026, 11, 1, 10, 0)


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('pack') / 'world.sqlite3'}"
    hw.make(url)
    h = hw.load(url)  # the secretariat's data, names included: the pack must still hold none
    return committee_pack.build(h, participation.Scope(), cov.Population(size=8), SECRETARIAT_LOCAL, made_at=MADE)


def _cells(wb):
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            yield from (str(v) for v in row if v is not None)


def test_workbook_read_back(pack):
    assert pack.xlsx_name == "委員会資料_参加状況_20261101.xlsx"
    wb = openpyxl.load_workbook(io.BytesIO(pack.xlsx))
    assert wb.sheetnames[:3] == ["概要", "会ごとの集計", "年度別"]
    meetings = list(wb["会ごとの集計"].values)
    header = meetings[0]
    lines = [row[header.index("報告の表記")] for row in meetings[1:]]
    assert lines == ["10名（4機関：団体2(6)・自治体1(2)・厚労省(2)）", "6名（4機関：団体3(5)・厚労省(1)）",
                     "4名（3機関：団体2(2)・自治体1(2)）", "6名（4機関：団体2(4)・自治体1(1)・厚労省(1)）"]
    assert [row[header.index("参加者数")] for row in meetings[1:]] == [10, 6, 4, 6]  # numbers stay numbers
    summary = dict(list(wb["概要"].values)[1:])
    assert summary["延べ参加者数"] == "26名" and summary["実人数"] == "12名"
    assert summary["対象機関の参加"] == "生活困窮者自立相談支援機関 4/8（50.0%）"
    outreach = list(wb[wb.sheetnames[-1]].values)
    assert {r[1] for r in outreach[1:]} == {"くろ町役場"}  # the whole history: only D never came
    for ws in wb.worksheets:  # the domain's English column names never reach the document
        header = next(ws.iter_rows(max_row=1, values_only=True))
        assert not [h for h in header if re.fullmatch(r"[a-z0-9_]+", str(h))], (ws.title, header)
    assert list(wb["年度別"].values)[0][:4] == ("年度", "開催回数", "延べ参加者数", "実人数")
    assert list(wb["機関別の参加"].values)[0][:5] == ("機関名", "地域", "区分", "対象", "参加回数")
    texts = set(_cells(wb))
    for key in hw.NAMES:
        assert hw.NAMES[key] not in texts and hw.EMAILS[key] not in texts


def test_html_summary_is_self_contained_and_anonymous(pack):
    page = pack.html
    from plotly.offline import get_plotlyjs

    bundle = get_plotlyjs()
    assert page.count(bundle) == 1  # plotly.js embedded once, inline …
    rest = page.replace(bundle, "")
    assert rest.count("Plotly.newPlot") == 6  # … for six charts
    assert "http://" not in rest and "https://" not in rest  # nothing to fetch
    assert "10名（4機関：団体2(6)・自治体1(2)・厚労省(2)）" in page
    assert "作成日: 2026年11月1日（日）" in page
    headers = re.findall(r"<th>([^<]*)</th>", page)
    assert {"会", "報告の表記", "延べ参加者数", "参加率（%）", "機関名"} <= set(headers)
    assert not [h for h in headers if re.fullmatch(r"[a-z0-9_]+", h)]
    for key in hw.NAMES:
        assert hw.NAMES[key] not in page and hw.EMAILS[key] not in page


def test_html_renders_offline_in_a_browser(pack, browser, tmp_path):
    path = tmp_path / pack.html_name
    path.write_text(pack.html, encoding="utf-8")
    context = browser.new_context(offline=True)
    page = context.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=20_000)
    assert page.locator(".js-plotly-plot").count() == 6
    assert [u for u in requests if not u.startswith("file:")] == []
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    context.close()


def test_command_line(tmp_path, capsys):
    import json

    from facilitation.cli import main

    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    hw.make(url)
    assert main(["--db", url, "history", "meetings", "--year", "2025", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["報告の表記"] for r in rows] == ["6名（4機関：団体2(4)・自治体1(1)・厚労省(1)）"]
    assert main(["--db", url, "history", "meetings", "--year", "2025"]) == 0
    assert capsys.readouterr().out == "第4回 情報交換会（2025年6月10日（火））  6名（4機関：団体2(4)・自治体1(1)・厚労省(1)）\n"
    assert main(["--db", url, "history", "coverage", "--year", "2025", "--json"]) == 0
    outreach = json.loads(capsys.readouterr().out)["outreach"]
    assert [(r["状態"], r["機関名"]) for r in outreach] == [("未参加", "くろ町役場"), ("最近の参加なし", "オホーツク支援センター")]
    out = tmp_path / "outreach.csv"
    assert main(["--db", url, "history", "coverage", "--year", "2025", "-o", str(out)]) == 0
    assert "3/5" in capsys.readouterr().out
    assert "くろ町役場" in out.read_bytes().decode("utf-8-sig")
    assert main(["--db", url, "history", "pack", "-o", str(tmp_path / "pack")]) == 0
    assert len(list((tmp_path / "pack").glob("委員会資料_参加状況_*.xlsx"))) == 1
    sheets = openpyxl.load_workbook(next((tmp_path / "pack").glob("*.xlsx")))
    assert "繰り返し出る課題・要望（振興局別）" in sheets.sheetnames
    # No invitations in this world: the page is there and says so.
    assert list(sheets["ご案内の結果（振興局別）"].values)[1][0] == "この範囲の会には、ご案内メールを送っていません。"
    assert main(["--db", url, "history", "coverage", "-o", str(tmp_path / "x.txt")]) == 2  # told, no traceback


def test_a_year_without_meetings_gives_an_empty_pack_not_an_error(tmp_path):
    url = f"sqlite:///{tmp_path / 'world.sqlite3'}"
    hw.make(url)
    empty = committee_pack.build(hw.load(url), participation.Scope(fiscal_years=(2015,)), cov.Population(size=8),
                                 SECRETARIAT_LOCAL, made_at=MADE)
    assert openpyxl.load_workbook(io.BytesIO(empty.xlsx)).worksheets and "<html" in empty.html.lower()


def test_a_database_without_meetings_gives_an_empty_pack_from_the_command_line(tmp_path, capsys):
    from facilitation.cli import main

    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    assert main(["--db", url, "history", "pack", "-o", str(tmp_path / "pack")]) == 0  # was a traceback
    assert "委員会資料を作成しました" in capsys.readouterr().out
    book = openpyxl.load_workbook(next((tmp_path / "pack").glob("*.xlsx")))
    assert book.worksheets
