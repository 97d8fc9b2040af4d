"""What the page shows: activity over time, questions and answers, organisations, overlap, topics."""

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from facilitation.errors import AccessDenied
from facilitation.openchat import activity, store
from facilitation.roles import COMMITTEE, SECRETARIAT_LOCAL, Viewer
from facilitation.storage import db
from facilitation.storage.models import Meeting, Person, Registration
from facilitation.text import vocab

DATA = Path(__file__).parent / "data" / "openchat"
SEC = SECRETARIAT_LOCAL
COMM = Viewer(role=COMMITTEE)


def load(url: str, *names: str) -> None:
    with db.session(url) as s:
        for name in names:
            store.import_bytes(s, SEC, (DATA / name).read_bytes(), file_name=name)


def chat(url: str, viewer=SEC) -> activity.ChatData:
    with db.session(url) as s:
        return activity.load(s, viewer)


@pytest.mark.parametrize("text", [
    "ひきこもりの方の家族支援、皆さんどうしていますか？",
    "フードバンクの寄付を受け付けている団体があれば教えてください",
    "統計システムの入力、皆さんいかがでしょうか。",
    "支援調整会議は月何回開いていますか",
    "プラン作成のシートはありますか",
    "住居確保給付金の再支給について、どのように運用されていますか",
    "どなたかご存知の方いらっしゃいませんか",
    "Is anyone using the new form?",
])
def test_questions_are_recognised(text):
    assert activity.is_question(text)


@pytest.mark.parametrize("text", [
    "ありがとうございます。参考にします。",
    "うちでは家族会と一緒に、訪問の前に手紙から始めています。",
    "https://example.org/page?id=3 の資料が参考になります",
    "本日の研修資料を共有します。",
    "",
    None,
])
def test_statements_are_not_questions(text):
    assert not activity.is_question(text)


def test_who_answered_and_how_fast_on_a_realistic_exchange(sqlite_url):
    load(sqlite_url, "questions.txt")
    q = activity.questions(chat(sqlite_url))
    with db.session(sqlite_url) as s:
        found = activity.texts(s, SEC, q["id"])
    q = q.assign(text=[found[i] for i in q["id"]])
    got = [(t[:8], st, None if pd.isna(mins) else int(mins), who)
           for t, st, mins, who in zip(q["text"], q["status"], q["reply_minutes"], q["replier"], strict=True)]
    assert got == [
        # the asker's own stamp and another member's stamp are not answers; the text 90 min later is
        ("一時生活支援事業", activity.ANSWERED, 90, "JOIN&鈴木"),
        # nobody else wrote within 72 hours (the next post came four days later)
        ("フードバンクの寄", activity.UNANSWERED, None, ""),
        ("家計改善支援事業", activity.ANSWERED, 2, "りんく&佐藤"),
        # the history ends before 72 hours have passed: still waiting, not unanswered
        ("支援調整会議は月", activity.WAITING, None, ""),
    ]
    with db.session(sqlite_url) as s:
        un = activity.unanswered(s, SEC, chat(sqlite_url))
    assert list(un["text"]) == ["フードバンクの寄付を受け付けている団体があれば教えてください"]
    s = activity.summary(chat(sqlite_url))
    assert (s.questions, s.answered, s.unanswered, s.median_reply_minutes) == (4, 2, 1, 46.0)
    assert s.answer_rate == pytest.approx(2 / 3)


def test_members_over_time_counts_joins_leaves_and_people_already_there(sqlite_url):
    load(sqlite_url, "ja_ios.txt")
    data = chat(sqlite_url)
    mot = activity.members_over_time(data)
    # 2 joins and 1 leave in January; 江別市社協&高橋 and JOIN&鈴木 posted without a join line.
    assert mot.to_dict("records") == [{"month": pd.Timestamp("2024-01-01"), "joins": 2, "leaves": 1, "members": 3}]
    apm = activity.active_per_month(data)
    assert (apm["active_members"].tolist(), apm["messages"].tolist(), apm["media"].tolist()) == ([4], [4], [3])
    s = activity.summary(data)
    assert (s.messages, s.media, s.posters, s.members_now, s.joins, s.leaves) == (4, 3, 4, 3, 2, 1)
    assert (s.first_date, s.last_date) == (dt.date(2024, 1, 14), dt.date(2024, 1, 16))


def test_messages_per_week_includes_empty_weeks(sqlite_url):
    load(sqlite_url, "questions.txt")
    mpw = activity.messages_per_week(chat(sqlite_url))
    assert mpw["week"].dt.day_of_week.eq(0).all()
    assert mpw.to_dict("records") == [
        {"week": pd.Timestamp("2024-06-03"), "messages": 8, "media": 3},
        {"week": pd.Timestamp("2024-06-10"), "messages": 1, "media": 0},
    ]


def test_the_committee_gets_counts_without_names_or_texts(sqlite_url):
    load(sqlite_url, "ja_ios.txt", "questions.txt")
    data = chat(sqlite_url, COMM)
    assert "text" not in data.messages.columns and not data.with_names
    everything = " ".join(str(v) for frame in (data.messages, data.events, data.members)
                          for v in frame.astype(str).to_numpy().ravel())
    for name in ("佐藤", "田中", "高橋", "鈴木", "伊藤", "小林"):
        assert name not in everything
    q = activity.questions(data)
    assert "text" not in q.columns and len(q) == 5
    assert activity.summary(data).questions == 5
    with db.session(sqlite_url) as s:
        with pytest.raises(AccessDenied):
            activity.unanswered(s, COMM, data)
        with pytest.raises(AccessDenied):
            activity.recent_messages(s, COMM)
        with pytest.raises(AccessDenied):
            activity.texts(s, COMM, data.messages["id"])
    # the same counts as the secretariat sees
    sec = chat(sqlite_url)
    assert activity.active_per_month(data).equals(activity.active_per_month(sec))


def test_organisations_regions_and_overlap_with_meetings(demo_copy_url):
    load(demo_copy_url, "ja_ios.txt", "ja_android.txt")
    data = chat(demo_copy_url)
    orgs = activity.organisations(data)
    assert len(orgs) == 5  # りんく, ステップ, 江別市社協, JOIN, 恵庭市社協 (2 names wait for review)
    row = orgs[orgs["organisation"].str.endswith("りんく")].iloc[0]
    assert (row["members"], row["messages"], row["region"]) == (2, 5, "空知総合振興局")
    regions = activity.regions(data)
    assert regions.set_index("region").loc[activity.UNMATCHED, "members"] == 2
    assert regions["members"].sum() == len(data.members)
    with db.session(demo_copy_url) as s:
        ov = activity.overlap_with_meetings(s, data, now=dt.datetime(2026, 11, 1))
        came = set(s.scalars(
            select(Person.organisation_id).join(Registration).join(Meeting)
            .where(Meeting.starts_at < dt.datetime(2026, 11, 1),
                   Registration.status.in_((vocab.STATUS_ATTENDED, vocab.STATUS_APPLIED)))))
    chat_orgs = set(orgs["organisation_id"].astype(int))
    assert (ov.chat_members, ov.matched_members, ov.chat_organisations) == (8, 6, 5)
    assert ov.organisations_at_meetings == len(chat_orgs & came)
    assert len(ov.per_meeting) == 7
    assert (ov.per_meeting["organisations_in_chat"] <= ov.per_meeting["organisations"]).all()


def test_topics_per_month_use_the_japanese_term_counter(sqlite_url):
    load(sqlite_url, "ja_ios.txt", "ja_android.txt")
    with db.session(sqlite_url) as s:
        assert activity.months(s) == [dt.date(2024, 2, 1), dt.date(2024, 1, 1)]
        jan = activity.topics(s, COMM, dt.date(2024, 1, 1))
        feb = activity.topics(s, COMM, dt.date(2024, 2, 1))
        per = activity.topics_per_month(s, COMM)
    assert "引きこもり" in set(jan["term"])  # ひきこもり is counted under one spelling
    assert "住居確保給付金" in set(feb["term"])
    assert list(jan.columns) == ["term", "count", "documents"]
    assert per["month"].tolist() == [dt.date(2024, 2, 1), dt.date(2024, 1, 1)]
    assert "住居確保給付金" in per["terms"].iloc[0]


def test_threads_split_on_silence(sqlite_url):
    load(sqlite_url, "questions.txt")
    t = activity.threads(chat(sqlite_url))
    assert t["messages"].tolist() == [6, 4, 1, 1]  # gaps of more than 3 hours split
    per = activity.threads_per_month(chat(sqlite_url))
    assert per[["threads", "conversations"]].values.tolist() == [[4, 2]]


def test_frames_and_answers_are_the_same_on_postgresql_and_sqlite(db_url):
    load(db_url, "questions.txt", "ja_ios.txt")
    data = chat(db_url)
    assert str(data.messages["at"].dtype).startswith("datetime64")
    assert data.messages["at"].iloc[0] == pd.Timestamp("2024-01-14 09:06")
    q = activity.questions(data)
    # January: answered the next morning (10 h 35 min); then the four June questions
    assert q["status"].tolist() == [activity.ANSWERED, activity.ANSWERED, activity.UNANSWERED,
                                    activity.ANSWERED, activity.WAITING]
    assert q["reply_minutes"].iloc[0] == 635
    assert activity.members_over_time(data)["joins"].sum() == 2
    with db.session(db_url) as s:
        found = activity.recent_messages(s, SEC, search="フードバンク")
        assert found["text"].tolist() == ["フードバンクの寄付を受け付けている団体があれば教えてください"]
        assert found["at"].iloc[0] == pd.Timestamp("2024-06-03 11:00")
        latest = activity.recent_messages(s, SEC, limit=2)
        assert latest["text"].tolist()[0].startswith("https://example.org")


CHAT_WITH_NAMES = """[LINE] 北海道ネットワークのトーク履歴
保存日時：2024/03/31 10:00

2024/03/01(金)
10:00	岩見沢市生活サポートセンターりんく&石川	岩見沢市生活サポートセンターりんくの石川です。家計相談の件でご相談です。
10:05	札幌市社協&高橋	石川さん、家計相談なら札幌でも実施しています。
10:10	札幌市社協&高橋	家計相談の研修は石川さんもいかがですか。
10:20	旭川市&中村	家計相談の事例を共有します。山本さんから伺った件です。
"""


def test_names_never_become_topic_words(sqlite_url):
    """「…りんくの石川」 made 石川 a topic word shown to the committee: chat members' names and the
    people in the database never are."""
    with db.session(sqlite_url) as s:
        s.add(Person(name="山本健太", name_key="山本健太"))
        store.import_bytes(s, SEC, CHAT_WITH_NAMES.encode("utf-8"), file_name="names.txt")
    with db.session(sqlite_url) as s:
        terms = set(activity.topics(s, COMM, dt.date(2024, 3, 1))["term"])
        pairs = activity.topic_pairs(s, COMM, dt.date(2024, 3, 1))
        per = activity.topics_per_month(s, COMM)["terms"].iloc[0]
    assert "家計相談" in terms  # the detector still finds the real topic
    words = terms | set(pairs.term_a) | set(pairs.term_b)
    for name in ("石川", "高橋", "中村", "山本"):
        assert not [t for t in words if name in t], f"{name} became a topic word: {sorted(words)}"
        assert name not in per
