"""Coverage of the target population, the editable target list, and the outreach list export."""

import io

import openpyxl
import pytest

from facilitation.errors import AccessDenied
from facilitation.files.exports import to_csv_bytes, to_xlsx_bytes
from facilitation.history import coverage as cov
from facilitation.history import participation
from facilitation.roles import SECRETARIAT_LOCAL, Viewer
from facilitation.storage import db
from facilitation.storage.models import Organisation
from tests import history_world as hw

COMMITTEE = Viewer(role="委員会")


@pytest.fixture
def world(sqlite_url):
    return sqlite_url, hw.make(sqlite_url)


def test_coverage_whole_history_and_one_year(world):
    url, _ = world
    h = hw.load(url)
    pop = cov.Population()
    # Targets: A B C D I (H merged into A is not counted on its own); reached A B C I.
    whole = cov.coverage(h, pop)
    assert (whole.reached, whole.total, whole.share) == (4, 5, 80.0)
    last_year = cov.coverage(participation.scoped(h, participation.Scope(fiscal_years=(2025,))), pop)
    assert last_year.line == "生活困窮者自立相談支援機関 3/5（60.0%）"


def test_population_size_setting_for_an_incomplete_master(world):
    url, _ = world
    with db.session(url) as s:
        cov.set_population(s, SECRETARIAT_LOCAL, label="自立相談支援機関", size=8)
        with pytest.raises(AccessDenied):
            cov.set_population(s, COMMITTEE, size=3)
    with db.session(url) as s:
        pop = cov.population(s)
    assert pop == cov.Population(label="自立相談支援機関", size=8)
    h = participation.scoped(hw.load(url), participation.Scope(fiscal_years=(2025,)))
    c = cov.coverage(h, pop)
    assert (c.reached, c.flagged, c.total, c.line) == (3, 5, 8, "自立相談支援機関 3/8（37.5%）")
    with db.session(url) as s:
        cov.set_population(s, SECRETARIAT_LOCAL, size=None)  # back to counting the flags
        assert cov.population(s).size is None


def test_target_list_is_editable(world):
    url, w = world
    with db.session(url, actor="test") as s:
        assert cov.set_targets(s, SECRETARIAT_LOCAL, [w.orgs["G"]], True) == 1
        with pytest.raises(AccessDenied):
            cov.set_targets(s, COMMITTEE, [w.orgs["G"]], False)
        with pytest.raises(ValueError, match="ID 99999"):
            cov.set_targets(s, SECRETARIAT_LOCAL, [99999], True)
    h = hw.load(url)
    assert cov.coverage(h, cov.Population()).line == "生活困窮者自立相談支援機関 5/6（83.3%）"
    with db.session(url, actor="test") as s:
        flags = {w.orgs[k]: k in ("A", "D") for k in "ABCDGI"}  # the editor's rows (H merged: not shown)
        added, removed = cov.update_targets(s, SECRETARIAT_LOCAL, flags)
        assert (added, removed) == (0, 4)  # B C G I
        targets = {o.name for o in s.query(Organisation).filter_by(is_target=True)}
        assert targets == {"NPOあおば", "くろ町役場", "NPO法人ひかり"}  # H untouched
    table = cov.target_table(hw.load(url))
    assert "NPO法人ひかり" not in table["organisation"].tolist()  # merged away: not offered for editing
    assert table.set_index("organisation").loc["くろ町役場", ["id", "target"]].tolist() == [w.orgs["D"], True]


def test_outreach_list_never_and_no_longer_reached(world):
    url, _ = world
    h = hw.load(url)
    period = participation.scoped(h, participation.Scope(fiscal_years=(2025,)))
    out = cov.outreach_list(h, period)
    assert out[["status", "organisation", "region", "last_came", "times"]].values.tolist() == [
        ["未参加", "くろ町役場", "根室振興局", "", 0],
        ["最近の参加なし", "オホーツク支援センター", "オホーツク総合振興局", "2024年6月10日（月）", 1],
    ]
    # Exported as CSV and Excel under the Japanese headers (as the page and the CLI save it), read back.
    document = out.rename(columns=cov.OUTREACH_LABELS)
    csv_text = to_csv_bytes(document).decode("utf-8-sig")
    assert "くろ町役場" in csv_text and csv_text.splitlines()[0].startswith("状態,機関名")
    wb = openpyxl.load_workbook(io.BytesIO(to_xlsx_bytes({"声かけ候補": document})))
    rows = list(wb["声かけ候補"].values)
    assert rows[0][:3] == ("状態", "機関名", "地域") and rows[1][1] == "くろ町役場" and len(rows) == 3


def test_coverage_by_region_and_year(world):
    url, _ = world
    h = hw.load(url)
    period = participation.scoped(h, participation.Scope(fiscal_years=(2025,)))
    regions = cov.coverage_by_region(period).set_index("region")
    assert regions.loc["石狩振興局", ["targets", "reached"]].tolist() == [1, 1]  # A (H merged in)
    assert regions.loc["根室振興局", ["targets", "reached", "share"]].tolist() == [1, 0, 0.0]
    assert regions.loc["オホーツク総合振興局", "reached"] == 0
    assert len(regions) >= 14  # every 振興局 is listed, reached or not
    years = cov.coverage_by_year(h, cov.Population())
    assert years.to_dict("records") == [
        {"fiscal_year": "2024年度", "reached": 4, "targets": 5, "share": 80.0},
        {"fiscal_year": "2025年度", "reached": 3, "targets": 5, "share": 60.0}]
