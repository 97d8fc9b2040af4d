"""The LINE talk-history parser on hand-written exports of each app, OS and language."""

import datetime as dt
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilitation import cli
from facilitation.openchat import parser

DATA = Path(__file__).parent / "data" / "openchat"

# file: (posts, of which media, joins, leaves, other system lines, posting members, first, last, unparsed)
EXPECTED = {
    "ja_ios.txt": (7, 3, 2, 1, 2, 4, "2024-01-14", "2024-01-16", 0),
    "ja_android.txt": (7, 2, 1, 0, 1, 4, "2024-02-05", "2024-02-07", 0),
    "ja_ios_old.txt": (5, 1, 0, 1, 0, 3, "2019-05-20", "2019-05-21", 0),
    "ja_pc.txt": (5, 1, 1, 0, 0, 3, "2024-01-14", "2024-01-15", 0),
    "en_ios.txt": (6, 3, 1, 1, 1, 3, "2024-01-14", "2024-01-15", 0),
    "en_android.txt": (3, 2, 1, 0, 2, 3, "2024-01-14", "2024-01-15", 0),
    "broken.txt": (1, 0, 1, 0, 0, 1, "2024-03-01", "2024-03-01", 5),
    "questions.txt": (12, 3, 0, 0, 0, 6, "2024-06-03", "2024-06-10", 0),
}


def parse(name: str) -> parser.ParsedExport:
    return parser.parse_bytes((DATA / name).read_bytes())


def by_line(p: parser.ParsedExport, line_no: int) -> parser.ChatMessage:
    return next(m for m in p.messages if m.line_no == line_no)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_known_counts_for_each_format(name):
    posts, media, joins, leaves, other, members, first, last, unparsed = EXPECTED[name]
    p = parse(name)
    s = p.summary()
    assert (s["messages"], s["media"], s["joins"], s["leaves"]) == (posts, media, joins, leaves)
    assert s["system_events"] - joins - leaves == other
    assert len(s["members"]) == members
    assert (s["first_date"], s["last_date"], s["unparsed_lines"]) == (first, last, unparsed)
    raw = (DATA / name).read_bytes()
    assert sum(p.line_counts.values()) == p.total_lines == raw.count(b"\n")


def test_japanese_ios_quoted_multiline_with_doubled_quotes_and_system_lines():
    p = parse("ja_ios.txt")
    assert p.chat_name == "どうねっと（北海道生活困窮者支援ネットワーク）"
    assert p.saved_at == dt.datetime(2024, 3, 1, 21, 15)
    intro = by_line(p, 8)
    assert intro.sender == "ステップ&田中"
    assert intro.text == 'はじめまして！\n札幌市生活就労支援センターステップの田中です。\n"就労準備"を担当しています。'
    assert [(m.media, m.kind) for m in p.messages if m.kind == "media"] == [
        ("スタンプ", "media"), ("写真", "media"), ("ノート", "media")]
    kinds = [(e.kind, e.actor) for e in p.events]
    assert kinds == [("join", "りんく&佐藤"), ("join", "ステップ&田中"), ("unsend", "ステップ&田中"),
                     ("announcement", "江別市社協&高橋"), ("leave", "ステップ&田中")]
    assert p.line_counts == {"header": 2, "blank": 3, "date": 3, "message": 7, "system": 5,
                             "continuation": 2, "unparsed": 0}


def test_android_crlf_blank_line_inside_quote_and_a_typed_leading_quote():
    p = parse("ja_android.txt")
    assert by_line(p, 8).text == "参考までに、りんくの流れです。\n1. 初回面談\n2. 書類確認\n\n以上です。"
    # A member typed a quote at the start of a one-line message: the date line after it still counts.
    typed = by_line(p, 17)
    assert typed.text == '"家計改善"の研修資料です'
    assert by_line(p, 20).at == dt.datetime(2024, 2, 7, 9, 0)
    rename = p.events[-1]
    assert (rename.kind, rename.actor, rename.new_name) == ("rename", "りんく&佐藤", "りんく&佐藤(岩見沢)")


def test_old_ios_gozen_gogo_times_and_unquoted_continuation_lines():
    p = parse("ja_ios_old.txt")
    assert [m.at.strftime("%m-%d %H:%M") for m in p.messages] == [
        "05-20 09:05", "05-20 09:06", "05-20 12:30", "05-20 13:05", "05-21 00:10"]
    assert by_line(p, 6).text == "今日の研修の資料です。\n1枚目：制度の概要\n2枚目：事例"
    assert p.events[0].kind == "leave" and p.events[0].at == dt.datetime(2019, 5, 21, 15, 0)


def test_pc_layout_with_spaces_splits_known_names():
    p = parse("ja_pc.txt")
    assert [(m.sender, m.text) for m in p.messages[:2]] == [
        ("りんく&佐藤", "おはようございます"), ("ステップ&田中", "はじめまして、よろしくお願いします")]
    assert p.joins[0].actor == "ステップ&田中"


def test_english_app_am_pm_and_english_system_lines():
    p = parse("en_ios.txt")
    assert p.chat_name == "どうねっと"
    assert p.saved_at == dt.datetime(2024, 3, 1, 21, 15)
    assert [m.at.strftime("%d %H:%M") for m in p.messages] == [
        "14 09:06", "14 12:30", "14 13:15", "14 23:59", "15 08:00", "15 08:01"]
    assert [m.media for m in p.messages if m.media] == ["スタンプ", "写真", "ファイル"]
    assert by_line(p, 8).text == "プラン作成のときに使っているシートはありますか？\nよければ教えてください。"
    assert [(e.kind, e.actor, e.at.hour) for e in p.events] == [
        ("join", "りんく&佐藤", 9), ("unsend", "JOIN&鈴木", 0), ("leave", "ステップ&田中", 17)]
    android = parse("en_android.txt")
    assert [e.kind for e in android.events] == ["join", "unsend", "rename"]
    assert android.events[-1].new_name == "JOIN&鈴木(札幌)"


def test_unreadable_lines_are_returned_with_line_numbers_and_reasons():
    p = parse("broken.txt")
    assert [(u.line_no, u.reason) for u in p.unparsed] == [
        (3, "日付の行より前にあります"),
        (4, "日付の行より前にあります"),
        (8, "メッセージの形になっていません"),
        (9, "時刻が読み取れません"),
        (11, "内容がありません"),
    ]
    assert p.unparsed[3].text == "25:70\tりんく&佐藤\tありえない時刻"


def test_line_endings_bom_and_shift_jis_give_the_same_result():
    raw = (DATA / "ja_ios.txt").read_bytes()
    text = raw.decode("utf-8-sig")
    variants = [raw, text.encode("utf-8"), text.replace("\n", "\r\n").encode("utf-8"),
                text.encode("cp932", errors="replace"), text.encode("utf-16")]
    results = [parser.parse_bytes(v) for v in variants]
    base = [(m.at, m.sender, m.text) for m in results[0].messages]
    for r in results[1:]:
        assert [(m.at, m.sender, m.text) for m in r.messages] == base
    assert results[3].encoding == "cp932"


@pytest.mark.parametrize("text,expected", [
    ("9:05", "09:05"), ("09:05", "09:05"), ("午前9:05", "09:05"), ("午後1:30", "13:30"),
    ("午前12:10", "12:10"), ("午前0:10", "00:10"), ("午後12:10", "12:10"), ("午後 3:00", "15:00"), ("1:30 PM", "13:30"),
    ("12:05 AM", "00:05"), ("12:30 PM", "12:30"), ("9:05am", "09:05"), ("PM 1:30", "13:30"),
    ("２３：５９", "23:59"), ("23:59:10", "23:59"),
])
def test_times(text, expected):
    assert parser.parse_time(text).strftime("%H:%M") == expected


@pytest.mark.parametrize("text", ["25:00", "12:60", "午前13:00", "abc", "", "1230"])
def test_not_times(text):
    assert parser.parse_time(text) is None


@pytest.mark.parametrize("line,expected", [
    ("2024/01/14(日)", dt.date(2024, 1, 14)), ("2024/1/14(日)", dt.date(2024, 1, 14)),
    ("2024/01/14（日）", dt.date(2024, 1, 14)), ("2024.01.14 日曜日", dt.date(2024, 1, 14)),
    ("2024.01.14 Sunday", dt.date(2024, 1, 14)), ("Sun, 1/14/2024", dt.date(2024, 1, 14)),
    ("Sunday, 01/14/2024", dt.date(2024, 1, 14)), ("2024/1/14(Sun)", dt.date(2024, 1, 14)),
    ("2024年1月14日(日)", dt.date(2024, 1, 14)), ("2024年01月14日 日曜日", dt.date(2024, 1, 14)),
    ("Sun, Jan 14, 2024", dt.date(2024, 1, 14)), ("Sun, 14 Jan 2024", dt.date(2024, 1, 14)),
    ("1/14/2024(Sun)", dt.date(2024, 1, 14)), ("2024/01/14", dt.date(2024, 1, 14)),
])
def test_date_lines(line, expected):
    assert parser.parse_date_line(line) == expected


@pytest.mark.parametrize("line", ["2024/01/14(月)", "Mon, 1/14/2024", "2024/02/30(金)", "14:00 開始", "第3回 2024/01/14 のご案内"])
def test_not_date_lines(line):
    assert parser.parse_date_line(line) is None


def test_cli_parse_json(capsys):
    assert cli.main(["openchat", "parse", str(DATA / "ja_ios.txt"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["messages"] == 7 and data["system_events"] == 5
    assert (data["joins"], data["leaves"]) == (2, 1)
    assert data["members"] == ["りんく&佐藤", "ステップ&田中", "江別市社協&高橋", "JOIN&鈴木"]
    assert (data["first_date"], data["last_date"], data["unparsed_lines"]) == ("2024-01-14", "2024-01-16", 0)


def test_cli_names_a_missing_file(capsys):
    assert cli.main(["openchat", "parse", "/nonexistent/talk.txt"]) == 2
    assert "talk.txt" in capsys.readouterr().err


# --- property: any input is read without an exception and every line is accounted for ---

_pieces = st.sampled_from([
    "", "[LINE] テストのトーク履歴", "保存日時：2024/01/20 12:34", "2024/01/14(日)", "2024.01.15 月曜日",
    "Sun, 1/14/2024", "09:05\tりんく&佐藤\tこんにちは", '09:06\tりんく&佐藤\t"複数', '行"', '""',
    "午後1:30\tJOIN&鈴木\t[スタンプ]", "10:00\t\tA&Bが参加しました。", "10:00\tA&Bが退出しました。", '"',
    "9:05 AM\tX\t[Photo]", "25:99\tX\ty", "\t\t", "12:00 X Y", "\ufeff", "2024/01/14(月)",
])
_lines = st.lists(st.one_of(_pieces, st.text(max_size=30)), max_size=40)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=_lines, crlf=st.booleans())
def test_parser_never_raises_and_accounts_for_every_line(lines, crlf):
    text = ("\r\n" if crlf else "\n").join(lines)
    p = parser.parse_text(text)
    flat = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    expected = flat.count("\n") + (0 if flat == "" or flat.endswith("\n") else 1)
    assert p.total_lines == expected
    assert sum(p.line_counts.values()) == expected
    assert p.line_counts["unparsed"] == len(p.unparsed)
    assert all(1 <= u.line_no <= expected for u in p.unparsed)
    assert p.line_counts["message"] == len(p.messages) + sum(
        1 for e in p.events if e.kind == "unsend" and "\t" in e.text)


@settings(max_examples=100, deadline=None)
@given(data=st.binary(max_size=300))
def test_parser_never_raises_on_any_bytes(data):
    p = parser.parse_bytes(data)
    assert sum(p.line_counts.values()) == p.total_lines


# --- what real exports do (issue 15); the fixtures imitate each feature, the real files live outside ---

REAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "real-samples" / "line"


def test_japanese_12_hour_apps_write_noon_as_gozen_12_and_the_saved_time_keeps_gogo():
    p = parse("ja_noon.txt")
    assert [m.at.strftime("%d %H:%M") for m in p.messages] == [
        "05 11:58", "05 12:03", "05 12:40", "05 13:05", "06 00:15", "06 09:00"]
    assert p.saved_at == dt.datetime(2024, 4, 30, 13, 16)
    assert p.format == "LINE（スマートフォン・日本語）"


def test_a_date_line_with_a_wrong_weekday_is_used_and_named_in_a_warning():
    p = parse("weekday_mismatch.txt")
    assert [(m.at.date().isoformat(), m.sender) for m in p.messages] == [
        ("2024-01-01", "りんく&佐藤"), ("2024-01-01", "ステップ&田中"), ("2024-02-02", "りんく&佐藤"),
        ("2024-02-02", "ステップ&田中"), ("2025-01-01", "りんく&佐藤")]
    assert [(w.line_no, w.text) for w in p.warnings] == [(9, "2024/02/02(火)"), (14, "2025/01/01(月)")]
    assert "金曜日" in p.warnings[0].message and "日付のほうを使いました" in p.warnings[0].message
    # A date typed inside a message (no blank line before it, no post after it) stays text.
    assert p.messages[1].text == "次回の日程です\n2024/03/05(月)\nよろしくお願いします"
    assert p.messages[2].text == "研修の報告です\n資料は後ほど"
    # The first line holds only the chat name, without 「[LINE]」.
    assert (p.chat_name, p.line_counts["header"], p.unparsed) == ("どうねっと", 1, [])


def test_read_date_line_returns_a_date_whose_weekday_disagrees_for_the_parser_to_judge():
    assert parser.read_date_line("2024/02/02(火)") == (dt.date(2024, 2, 2), False)
    assert parser.read_date_line("2024/02/02(金)") == (dt.date(2024, 2, 2), True)
    assert parser.read_date_line("2024/02/02") == (dt.date(2024, 2, 2), True)
    assert parser.read_date_line("2024/02/02 のご案内") == (None, False)


def test_english_pc_bare_media_words_and_a_time_glued_to_the_name():
    p = parse("en_pc_bare_media.txt")
    assert p.format == "LINE（PC/Mac・英語）"
    assert [(m.sender, m.media) for m in p.messages if m.kind == parser.KIND_MEDIA] == [
        ("Bob", "写真"), ("Bob", "スタンプ"), ("Alice", "動画"), ("Bob", "ファイル")]
    # A sentence that starts with the word is a message; a call line stays a post.
    assert by_line(p, 7).kind == parser.KIND_TEXT and by_line(p, 12).text == "Canceled"
    # 「08:16Bob …」 is not folded into the previous post: it is listed with its line number.
    assert [(u.line_no, u.text) for u in p.unparsed] == [(8, "08:16Bob I will be late")]
    assert by_line(p, 7).text == "Photos of the venue are in the album"
    # A continuation that merely starts with a time (「10:00からです」) stays in its message.
    assert by_line(p, 9).text == "The meeting starts\n10:00からです"


def test_impossible_dates_are_kept_aside_with_their_lines_listed():
    p = parse("impossible_dates.txt")
    assert [(m.at.isoformat(timespec="minutes"), m.text) for m in p.messages] == [
        ("2024-01-14T09:00", "おはようございます"), ("2024-01-15T10:00", "よろしくお願いします"),
        ("2024-01-15T10:05", "こちらこそ")]
    assert p.events == []
    assert [u.line_no for u in p.unparsed] == [8, 9, 10, 13]
    assert "9999/12/31" in p.unparsed[0].reason and "2009/01/01" in p.unparsed[3].reason
    assert [w.line_no for w in p.warnings] == [7, 12]
    assert (p.first_date.isoformat(), p.last_date.isoformat()) == ("2024-01-14", "2024-01-15")
    assert sum(p.line_counts.values()) == p.total_lines


@pytest.mark.parametrize("day,sane", [
    (dt.date(2011, 6, 23), True), (dt.date(2010, 12, 31), False), (dt.date(9999, 12, 31), False),
    (dt.date(2030, 1, 1), True)])
def test_sane_dates(day, sane):
    assert parser.sane_date(day, today=dt.date(2026, 12, 4)) is sane


def test_chat_name_of_a_one_to_one_chat_and_of_a_group_ending_in_to():
    one = parser.parse_text("[LINE] 佐藤とのトーク履歴\n\n2024/01/14(日)\n09:00\t佐藤\tこんにちは\n09:01\t田中\tはい\n")
    group = parser.parse_text("[LINE] どうねっとのトーク履歴\n\n2024/01/14(日)\n09:00\tA\tこんにちは\n"
                              "09:01\tB\tはい\n09:02\tC\tどうも\n")
    assert (one.chat_name, group.chat_name) == ("佐藤", "どうねっと")


@pytest.mark.parametrize("name,fmt", [
    ("ja_ios.txt", "LINE（スマートフォン・日本語）"), ("en_android.txt", "LINE（スマートフォン・英語）"),
    ("ja_pc.txt", "LINE（PC/Mac・日本語）")])
def test_the_recognised_format_is_named(name, fmt):
    assert parse(name).format == fmt


def test_not_a_chat_names_no_format():
    assert parser.parse_text("こんにちは\nただのメモです\n").format == ""


def test_cli_prints_the_format_warnings_and_every_unplaced_line(capsys):
    assert cli.main(["openchat", "parse", str(DATA / "impossible_dates.txt")]) == 0
    out = capsys.readouterr().out
    assert "形式: LINE（スマートフォン・日本語）" in out
    assert "7行目の日付 9999/12/31" in out
    for line_no in (8, 9, 10, 13):
        assert f"  {line_no}行目: " in out
    assert cli.main(["openchat", "parse", str(DATA / "weekday_mismatch.txt"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["format"] == "LINE（スマートフォン・日本語）"
    assert [w["line"] for w in data["warnings"]] == [9, 14]


@pytest.mark.skipif(not (REAL / "line2json_talk-pc.txt").exists(), reason="real samples live beside the project")
def test_real_mobile_and_pc_exports_of_one_chat_agree_on_every_text_post():
    """arrow2nd/line2json's testdata: the same chat from the phone (午前/午後) and from LINE PC (24 h)."""
    mobile = parser.parse_bytes((REAL / "line2json_talk-mobile.txt").read_bytes())
    pc = parser.parse_bytes((REAL / "line2json_talk-pc.txt").read_bytes())
    def texts(p):
        return {(m.at, m.sender, m.text) for m in p.messages if m.kind == parser.KIND_TEXT}
    assert texts(mobile) <= texts(pc)
    assert (dt.datetime(2021, 1, 1, 12, 3), "A", "あいうえお") in texts(mobile)
    assert mobile.saved_at == dt.datetime(2021, 4, 30, 13, 16)


def test_cli_import_keeps_impossible_dates_out_of_the_database_and_lists_them(sqlite_url, capsys):
    assert cli.main(["--db", sqlite_url, "openchat", "import", str(DATA / "impossible_dates.txt"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["messages_added"], data["events_added"], data["unparsed_lines"]) == (3, 0, 4)
    assert data["format"] == "LINE（スマートフォン・日本語）"
    assert [u["line"] for u in data["unparsed"]] == [8, 9, 10, 13]
    assert [w["line"] for w in data["warnings"]] == [7, 12]
    assert cli.main(["--db", sqlite_url, "openchat", "import", str(DATA / "weekday_mismatch.txt")]) == 0
    out = capsys.readouterr().out
    assert "（形式: LINE（スマートフォン・日本語））" in out and "注意: 9行目の日付 2024/02/02 の曜日が合いません" in out


# --- the files partners actually send (issue 24): old Android times, look-alike lines inside quotes,
# --- English group names, other UI languages, and no line dropped without a word ---

def test_older_android_times_after_midnight_are_read_as_zero_hour_with_one_warning():
    p = parse("ja_android_old_midnight.txt")
    at = {m.line_no: m.at.isoformat(timespec="minutes") for m in p.messages}
    assert (at[9], at[10], at[11], at[12]) == ("2016-03-02T00:01", "2016-03-02T00:15", "2016-03-02T00:59",
                                               "2016-03-02T09:00")
    assert p.unparsed == []
    assert [(w.line_no, w.message) for w in p.warnings] == [
        (9, "9行目ほか2件の「24:MM」という時刻（古い Android 版の書き方）は、その日付の 0:MM として読みました。")]
    assert "24:MM" in p.summary()["warnings"][0]["message"]


def test_a_message_line_typed_inside_a_quoted_message_stays_in_it():
    p = parse("ja_quoted_lookalike.txt")
    assert [(m.line_no, m.sender) for m in p.messages] == [
        (5, "りんく&佐藤"), (6, "ステップ&田中"), (10, "江別社協&鈴木"), (11, "りんく&佐藤"), (13, "りんく&佐藤")]
    memo = by_line(p, 6)
    assert memo.text == ("前回のメモを貼ります\n10:05\tりんく&佐藤\t会費は現金で私に直接渡してください\n"
                         "10:06\t江別社協&鈴木\t\"了解\"です\n以上、メモでした")
    assert not any(m.at.minute == 5 for m in p.messages)  # nobody 「posted」 at 10:05
    assert by_line(p, 11).text == 'ただし書き\n"注意"は2行目'
    assert by_line(p, 13).text == '"引用だけの1行"'  # a one-line post in quotes keeps them


def test_english_group_export_name_loses_its_quotes():
    p = parse("en_group_quoted_name.txt")
    assert (p.chat_name, p.format, len(p.messages)) == ("GroupChat", "LINE（スマートフォン・英語）", 2)


@pytest.mark.parametrize("name,language", [("zh_hant_android.txt", "中国語（繁体字）"), ("th_ios.txt", "タイ語")])
def test_an_export_in_a_language_not_read_is_refused_naming_the_language(name, language, sqlite_url, capsys):
    p = parse(name)
    assert (p.language, p.messages, p.events, p.format) == (language, [], [], "")
    assert p.refusal.startswith(f"{language}の LINE の書き出しのようです。") and "日本語か英語" in p.refusal
    raw = (DATA / name).read_bytes()
    lines = parser.split_lines(raw.decode("utf-8"))
    assert [u.line_no for u in p.unparsed] == [i for i, line in enumerate(lines, 1) if line.strip()]
    assert cli.main(["--db", sqlite_url, "openchat", "import", str(DATA / name), "--json"]) == 2
    assert f"{language}の LINE の書き出しのようです" in capsys.readouterr().err


@pytest.mark.parametrize("text,language", [
    ("[LINE] 북한산 모임 대화\n저장한 날짜：2024/01/16 21:15\n\n2024/01/14(일)\n오전 9:46\t김민수\t안녕하세요\n", "韓国語"),
    ("[LINE] Chatverlauf mit Gruppe\nGespeichert am: 16.01.2024 21:15\n\nSonntag, 14.01.2024\n09:46\tAnna\tHallo\n",
     "ドイツ語"),
    ("[LINE] 与北海道的聊天记录\n保存日期：2024/01/16 21:15\n\n2024/01/14 星期日\n上午09:46\t王\t你好\n", "中国語（簡体字）"),
])
def test_other_ui_languages_are_named(text, language):
    assert parser.parse_text(text).language == language


def test_a_japanese_chat_where_members_write_korean_or_chinese_is_still_read():
    text = ("[LINE] 日韓交流のトーク履歴\n保存日時：2024/01/16 21:15\n\n2024/01/14(日)\n"
            "09:00\t김민수\t안녕하세요\n09:01\t王\t上午好\n09:02\t佐藤\tこんにちは\n")
    p = parser.parse_text(text)
    assert (p.language, len(p.messages)) == ("", 3)
    named = parser.parse_text("[LINE] 한국어 교실のトーク履歴\n保存日時：2024/01/16 21:15\n\n2024/01/14(日)\n"
                              "09:00\t김민수\t안녕하세요\n")
    assert (named.language, named.chat_name, len(named.messages)) == ("", "한국어 교실", 1)


def dropped_lines(p: parser.ParsedExport, lines: list[str]) -> list[int]:
    """Lines that are in no post (first line or continuation), no header, date or system line, and not
    listed with a reason: the issue's 「dropped without a word」."""
    covered = set(p.header_lines) | {e.line_no for e in p.events} | {u.line_no for u in p.unparsed}
    for m in p.messages:
        covered.update(range(m.line_no, max(m.line_no, m.last_line) + 1))
    return [i for i, line in enumerate(lines, 1) if line.strip() and i not in covered]


def assert_every_line_accounted(p: parser.ParsedExport, text: str) -> None:
    lines = parser.split_lines(text)
    assert p.total_lines == len(lines) == sum(p.line_counts.values())
    assert dropped_lines(p, lines) == []
    assert p.line_counts[parser.UNPARSED] == len(p.unparsed)
    assert all(u.reason and 1 <= u.line_no <= len(lines) and u.text == lines[u.line_no - 1] for u in p.unparsed)


def test_the_accounting_rule_holds_on_every_fixture():
    for path in sorted(DATA.glob("*.txt")):
        data = path.read_bytes()
        p = parser.parse_bytes(data)
        assert_every_line_accounted(p, parser.decode(data)[0])


_SOURCES = sorted(DATA.glob("*.txt")) + (sorted(REAL.glob("*.txt")) if REAL.exists() else [])


def _mutate(text: str, how: str, rnd) -> str:
    lines = parser.split_lines(text)
    if how == "truncate":
        cut = rnd.randrange(len(text) + 1)
        return text[:cut]
    if how == "shuffle":
        rnd.shuffle(lines)
    elif how == "blank":
        for _ in range(rnd.randrange(1, 6)):
            lines.insert(rnd.randrange(len(lines) + 1), rnd.choice(["", " ", "\u3000", "\t"]))
    elif how == "drop":
        if lines:
            del lines[rnd.randrange(len(lines))]
    elif how == "title":
        lines[:0] = ["第9回 情報交換会のトーク", ""]
    return rnd.choice(["\n", "\r\n", "\r"]).join(lines)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=st.sampled_from(_SOURCES), how=st.sampled_from(["truncate", "shuffle", "blank", "drop", "title"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp932"]), seed=st.integers(0, 2**16))
def test_fuzzed_real_and_fixture_exports_drop_no_line_silently(source, how, encoding, seed):
    import random

    rnd = random.Random(seed)
    text = _mutate(parser.decode(source.read_bytes())[0], how, rnd)
    data = text.encode(encoding, errors="replace" if encoding == "cp932" else "strict")
    p = parser.parse_bytes(data)
    assert_every_line_accounted(p, parser.decode(data)[0])
