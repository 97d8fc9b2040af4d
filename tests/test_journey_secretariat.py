"""The secretariat's whole journey in a real browser, clicking like a person (issue 13).

設定 → add a meeting (twice pressed: one meeting) → 申込管理: import a Google Forms CSV (cp932, messy
organisation names, one bad e-mail) → clear the review queue → fix the kept-aside row → ルーム割り当て:
copy the previous meeting's rooms → map the wishes no room matched → rules → run → publish → Zoom
CSV and Excel roster (downloaded and read back) → every room's facilitator link.

Nothing is set up by calling the domain mid-journey; the database is only read to check what the
person relies on. After every action: no English error box or "Page not found", the same tab and
the same meeting still chosen. The interactions and the wall time are written to
test-output/journey_secretariat.json (not asserted: the machine is shared).
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import select

from facilitation.assignment import choices
from facilitation.assignment.models import AssignmentVersion, ChoiceMapping
from facilitation.meetings import schedule
from facilitation.storage import db
from facilitation.storage.models import Assignment, Meeting, Registration, Room
from tests.browser_checks import english_on_screen, settle, settle_and_check
from tests.conftest import served_demo

FORM = Path(__file__).parent / "data" / "registrations" / "journey_form_cp932.csv"
TITLE = "北海道生活困窮者支援ネットワーク 年度末の情報交換会"
ROWS = 20  # rows in FORM; one has a bad e-mail address
BAD_EMAIL, FIXED_EMAIL = "nakamura.t＠example", "nakamura.t@example.org"  # shown as the person typed it
# Wishes no room matches, and the theme of the room the secretariat picks (None: 対象外); the form's
# 「住まい・居住支援」 is close enough to 「住まいと居住支援」 to be matched without a person.
UNMATCHED = {"ひきこもり": "自立相談支援事業【支援に関する事】（引きこもり）", "フードバンクと食の支援": None}
OUTSIDE = "対象外（どのルームでもない）"
WAIT = 60_000


@pytest.fixture(scope="module")
def journey_app(demo_url, tmp_path_factory):
    """The app on a private copy of the demo (facilitator links can be issued)."""
    with served_demo(demo_url, tmp_path_factory.mktemp("journey_secretariat")) as app:
        yield app


class Person:
    """The secretariat at the desk: every action is counted, and checked when the page settles."""

    def __init__(self, page):
        self.page = page
        self.counts: Counter[str] = Counter()
        self.tab: str | None = None  # the tab that must stay selected
        self.meeting: str | None = None  # the meeting that must stay chosen (picker label)
        self.picker = "対象の会"

    def check(self, step: str) -> None:
        settle_and_check(self.page, step)
        english = english_on_screen(self.page)
        assert not english, f"{step}: 英語の表示 {english}"

    def click(self, locator, step: str, kind: str = "click") -> None:
        locator.click()
        self.counts[kind] += 1
        self.check(step)

    def fill(self, locator, text: str, step: str) -> None:
        locator.fill(text)
        self.counts["fill"] += 1
        self.check(step)

    def open_tab(self, name: str) -> None:
        self.tab = name
        self.click(self.page.get_by_role("tab", name=name, exact=True), f"タブ「{name}」", kind="tab")

    def go(self, page_name: str) -> None:
        """The sidebar, like a person (the chosen meeting must come along)."""
        self.tab = None
        self.page.locator('[data-testid="stSidebarNav"]').get_by_text(page_name, exact=True).click()
        self.counts["click"] += 1
        self.page.get_by_role("heading", name=page_name).first.wait_for(timeout=WAIT)
        self.check(f"サイドバーで{page_name}へ")

    def select(self, box, option: str, step: str) -> None:
        box.click()
        self.page.get_by_role("option", name=option, exact=True).click()
        self.counts["select"] += 1
        self.check(step)

    def download(self, button, step: str) -> bytes:
        with self.page.expect_download(timeout=WAIT) as info:
            button.click()
        self.counts["download"] += 1
        self.check(step)
        return Path(info.value.path()).read_bytes()

    def wait_text(self, text: str, timeout: int = WAIT) -> None:
        """Wait for a text, then for the run that drew it to end (a message at the top of the page
        is drawn before the rest of the run redraws the form below it)."""
        self.page.get_by_text(text).first.wait_for(timeout=timeout)
        settle(self.page)

    @property
    def interactions(self) -> int:
        return sum(self.counts.values())


def edit_cell(page, grid, row: int, column: int, text: str) -> None:
    """Type into one cell of a st.data_editor (a canvas grid) as a person does: select the first
    cell, move with the arrow keys, Enter opens the cell's editor, replace its text, Enter."""
    editor = page.locator("textarea:focus")
    for _attempt in range(3):  # a grid drawn a moment ago may not take the first click yet
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 30, box["y"] + 35 + 17)  # the first column of the first row
        page.wait_for_timeout(300)
        for _ in range(row):
            page.keyboard.press("ArrowDown")
        for _ in range(column):
            page.keyboard.press("ArrowRight")
        page.keyboard.press("Enter")
        try:
            editor.wait_for(timeout=5_000)
            break
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    editor.fill(text)
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)


@pytest.mark.timeout(420)
def test_secretariat_journey(journey_app, desk, output_dir):
    base, url = journey_app["base"], journey_app["url"]
    page = desk
    me = Person(page)
    started_at = time.monotonic()

    # --- 設定: add the meeting; a second press on the emptied form adds nothing ---
    page.goto(f"{base}/settings", wait_until="domcontentloaded")
    page.get_by_role("heading", name="設定").first.wait_for(timeout=WAIT)
    me.check("設定を開く")
    me.tab = "会の管理"
    me.fill(page.get_by_label("タイトル"), TITLE, "タイトルを入力")
    page.get_by_role("spinbutton", name="year, 開催日").click()  # the date field's year, month, day
    page.keyboard.type("20270305")
    me.counts["fill"] += 1
    add = page.get_by_role("button", name="会を追加する")
    me.click(add, "会を追加（1回目）")
    me.wait_text("会を追加しました")
    me.click(add, "会を追加（2回目）")
    assert page.get_by_text("開催日を選んでください").count() == 1
    with db.session(url) as s:
        added = s.scalars(select(Meeting).where(Meeting.title == TITLE)).all()
        assert len(added) == 1
        meeting_id, label = added[0].id, schedule.label(added[0])

    # --- 申込管理: the new meeting, then the Google Forms file ---
    me.go("申込管理")
    me.meeting = label  # the meeting just added is the one chosen: nothing to pick
    me.check("申込管理に追加した会")
    assert f"meeting={meeting_id}" in page.url
    me.open_tab("取り込み")
    before_file = me.interactions
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(FORM)
    chosen_at = time.monotonic()  # "file chosen": the clock of the measured part starts
    me.counts["upload"] += 1
    me.check("ファイルを選ぶ")
    me.click(page.get_by_role("button", name="このファイルを取り込む"), "ファイルを取り込む")
    me.wait_text(f"{ROWS}行: 新規 {ROWS - 1}件")
    assert page.get_by_text("保留にした行が 1 件あります").count() == 1
    assert page.get_by_text("Google フォームの回答（CSV・Shift_JIS）として読みました。").count() == 1  # what the file is
    assert page.get_by_text("機関名の確認待ち").count() >= 1

    # --- 確認待ち: confirm each organisation name (the best candidate is the right one) ---
    me.open_tab("確認待ち")
    confirmed = 0
    button, done = page.get_by_role("button", name="この機関で確定").first, page.get_by_text("確認待ちの機関名はありません。")
    while True:  # wait for the tab to be drawn (after each rerun too): a button to press, or none left
        button.or_(done).first.wait_for(timeout=WAIT)
        if done.count():
            break
        me.click(button, f"機関名を確定（{confirmed + 1}件目）")
        me.wait_text("を確定しました")
        confirmed += 1
        assert confirmed <= 10
    assert confirmed >= 2
    with db.session(url) as s:
        regs = s.scalars(select(Registration).where(Registration.meeting_id == meeting_id)).all()
        assert len(regs) == ROWS - 1 and all(r.person.organisation_id for r in regs)

    # --- 保留の行: correct the e-mail address and take the row in ---
    me.open_tab("保留の行")
    me.wait_text(BAD_EMAIL)
    grid = page.locator('[data-testid="stDataFrame"]').locator("visible=true").first
    edit_cell(page, grid, 0, 1, FIXED_EMAIL)  # メールアドレス is the form's second column
    me.counts["fill"] += 1
    me.check("メールアドレスを直す")
    me.click(page.get_by_role("button", name="修正して取り込む"), "修正して取り込む")
    me.wait_text("修正した行を取り込みました。")
    me.wait_text("保留の行はありません。")
    with db.session(url) as s:
        emails = {r.person.email for r in s.scalars(select(Registration).where(Registration.meeting_id == meeting_id))}
    assert len(emails) == ROWS and FIXED_EMAIL in emails

    # --- ルーム割り当て: copy the rooms of the meeting before ---
    me.go("ルーム割り当て")
    me.open_tab("1. ルーム")
    copy_from = page.get_by_role("combobox", name="前の会のルームをコピー")
    assert copy_from.input_value().startswith("第3回 北海道生活困窮者支援ネットワーク 情報交換会（2026年12月10日")
    me.click(page.get_by_role("button", name="コピー", exact=True), "前の会のルームをコピー")
    me.wait_text("ルーム 5 室をコピーしました。")
    with db.session(url) as s:  # the database after the write: the five rooms the message names
        assert len(s.scalars(select(Room).where(Room.meeting_id == meeting_id)).all()) == 5

    # --- 2. 希望の確認: the wishes no room matched ---
    # Each picker must show its own wish's suggestion (never another row's choice: the list re-sorts
    # after each 決定), and what is recorded must be what the person chose. No re-selecting on an
    # unexpected value: it fails the journey.
    me.open_tab("2. 希望の確認")
    me.wait_text(f"どのルームにも当たらない希望が {len(UNMATCHED)} 種類あります")
    with db.session(url) as s:
        rooms = {r.theme: r for r in s.scalars(select(Room).where(Room.meeting_id == meeting_id))}
        review = choices.choice_review(s, meeting_id)
    labels = {r.name: f"{r.name}（{r.theme}）" for r in rooms.values()}
    suggested = {row["text"]: labels.get(row["suggestion"], OUTSIDE)
                 for row in review.to_dict("records") if row["match"] == choices.NO_ROOM}
    assert set(suggested) == set(UNMATCHED)
    for text, theme in UNMATCHED.items():
        row = page.locator('[data-testid="stHorizontalBlock"]').filter(has_text=f"「{text}」")
        option = f"{rooms[theme].name}（{theme}）" if theme else OUTSIDE
        box = row.get_by_role("combobox")
        assert box.input_value() == suggested[text], f"「{text}」の候補: {box.input_value()}"
        if option != suggested[text]:
            me.select(box, option, f"「{text}」のルームを選ぶ")
        me.click(row.get_by_role("button", name="決定"), f"「{text}」を決定")
        me.wait_text(f"「{text}」を{option}にしました。")
        with db.session(url) as s:  # the database after the write: the room the person chose
            mapping = s.scalar(select(ChoiceMapping).where(ChoiceMapping.meeting_id == meeting_id,
                                                           ChoiceMapping.text_key == choices.text_key(text)))
        assert mapping is not None and mapping.room_id == (rooms[theme].id if theme else None), text
        assert mapping.ignored == (theme is None)
    me.wait_text("すべての希望がどれかのルームに対応しています。")

    # --- 3. 決まりと実行: every rule on, run ---
    me.open_tab("3. 決まりと実行")
    switches = ["各ルームにファシリテーター1名（希望者から）", "自治体・国の方を各ルームに均等に",
                "同じ機関の方は1ルームに上限まで", "以前同じルームだった方と重ならないように", "1ルームの最少人数"]
    for name in switches:
        switch = page.get_by_role("switch", name=name)
        if not switch.is_checked():
            me.click(page.get_by_text(name, exact=True), f"決まり「{name}」をオンにする")  # its label
        assert switch.is_checked()
    me.click(page.get_by_role("button", name="割り当てを実行"), "割り当てを実行")
    me.wait_text("割り当てを保存しました", timeout=90_000)
    used = page.get_by_text(re.compile(r"いまの割り当て（.*の実行）で使った決まり:")).first.inner_text()
    for phrase in ("各ルームにファシリテーター1名", "自治体・国の方を各ルームに均等に", "同じ機関の方は1ルームに1名まで",
                   "1ルーム3名以上", "以前同じルームだった方となるべく重ならないように"):
        assert phrase in used, used
    assert page.get_by_text("決まりはその後に変わっています").count() == 0
    with db.session(url) as s:
        room_ids = s.scalars(select(Room.id).where(Room.meeting_id == meeting_id)).all()
        placed = s.scalars(select(Assignment).where(Assignment.room_id.in_(room_ids))).all()
    assert len(placed) == ROWS
    assert sorted(a.room_id for a in placed if a.is_facilitator) == sorted(room_ids)  # one per room

    # --- 5. 公開・書き出し: publish, the two files, every facilitator link ---
    me.open_tab("5. 公開・書き出し")
    me.click(page.get_by_role("button", name="この割り当てを公開する"), "公開する")
    me.wait_text("第1版として公開しました。")
    with db.session(url) as s:  # the version the screen names is the one stored, with every person in it
        version = s.scalar(select(AssignmentVersion).where(AssignmentVersion.meeting_id == meeting_id))
        assert version.number == 1 and len(version.snapshot) == ROWS
    zoom = me.download(page.get_by_role("button", name=re.compile(r"Zoom 事前割り当て CSV")), "Zoom CSV")
    zoom_at, zoom_interactions = time.monotonic(), me.interactions
    lines = list(csv.reader(io.StringIO(zoom.decode("utf-8"))))
    assert lines[0] == ["Pre-assign Room Name", "Email Address"]
    assert len(lines) - 1 == ROWS and len({e for _, e in lines[1:]}) == ROWS
    assert {e for _, e in lines[1:]} == emails | {FIXED_EMAIL}
    roster = me.download(page.get_by_role("button", name="名簿（Excel）", exact=True), "名簿（Excel）")
    book = openpyxl.load_workbook(io.BytesIO(roster), read_only=True)
    overview = list(book["一覧"].values)
    head = list(overview[0])
    assert len(overview) - 1 == len(room_ids)
    assert all(row[head.index("ファシリテーター")] for row in overview[1:])  # every room has one
    assert sum(row[head.index("人数")] for row in overview[1:]) == ROWS

    me.click(page.get_by_role("button", name="全ルームのリンクを発行してまとめる"), "全ルームのリンクを発行")
    me.wait_text(f"{len(room_ids)} 室のリンクを用意しました")
    pasted = page.locator('[data-testid="stCode"]').filter(has_text="ファシリテーター用リンク").inner_text()
    links_at = time.monotonic()
    blocks = pasted.split("■ ")[1:]  # one block per room: name, facilitator, link, expiry
    with db.session(url) as s:
        names = s.scalars(select(Room.name).where(Room.meeting_id == meeting_id)).all()
    assert sorted(b.splitlines()[0].split("（")[0] for b in blocks) == sorted(names), pasted
    for block in blocks:
        urls = re.findall(r"^https?://\S+/roster\?token=\S+$", block, flags=re.M)
        assert len(urls) == 1, block
        assert "ファシリテーター: 未定" not in block, block  # every room's facilitator is named
        assert "有効期限:" in block

    figures = {  # the measured part runs from "file chosen" (the upload counts) to the links
        "seconds_file_to_zoom_csv": round(zoom_at - chosen_at, 1),
        "interactions_file_to_zoom_csv": zoom_interactions - before_file,
        "seconds_file_to_all_links": round(links_at - chosen_at, 1),
        "interactions_file_to_all_links": me.interactions - before_file,
        "tab_returns": me.counts.get("tab_return", 0),  # tab clicks only needed to get back
        "interactions_whole_journey": me.interactions,
        "seconds_whole_journey": round(links_at - started_at, 1),
        "by_kind": dict(me.counts),
        "review_confirmations": confirmed,
    }
    print("\n事務局の流れ:", json.dumps(figures, ensure_ascii=False))
    (output_dir / "journey_secretariat.json").write_text(json.dumps(figures, ensure_ascii=False, indent=2))
