"""Display names (機関名&名字) matched to organisations and people, and the review queue."""

from pathlib import Path

import pytest
from sqlalchemy import select

from facilitation.errors import AccessDenied
from facilitation.openchat import members, store
from facilitation.openchat.models import ChatMember, ChatMessage
from facilitation.orgs import directory
from facilitation.roles import COMMITTEE, SECRETARIAT_LOCAL, Viewer
from facilitation.storage import db
from facilitation.storage.models import Organisation, Person
from facilitation.text.normalize import person_key

DATA = Path(__file__).parent / "data" / "openchat"
SEC = SECRETARIAT_LOCAL


def load(url: str, name: str) -> store.ImportResult:
    with db.session(url) as s:
        return store.import_bytes(s, SEC, (DATA / name).read_bytes(), file_name=name)


def load_text(url: str, body: str) -> store.ImportResult:
    data = f"[LINE] どうねっとのトーク履歴\n\n2024/04/01(月)\n{body}\n".encode()
    with db.session(url) as s:
        return store.import_bytes(s, SEC, data, file_name="extra.txt")


def member(s, nickname: str) -> ChatMember:
    return s.scalar(select(ChatMember).where(ChatMember.nickname == nickname))


@pytest.mark.parametrize("nickname,expected", [
    ("りんく&佐藤", ("りんく", "佐藤")),
    ("江別市社協＆高橋", ("江別市社協", "高橋")),
    ("JOIN@鈴木", ("JOIN", "鈴木")),
    ("りんく 佐藤", ("りんく", "佐藤")),
    ("りんく・佐藤さん", ("りんく", "佐藤")),
    ("りんく&佐藤(岩見沢)", ("りんく", "佐藤")),
    ("どうねっと事務局", ("どうねっと事務局", "")),
])
def test_split_nickname(nickname, expected):
    assert members.split_nickname(nickname) == expected


def test_exact_names_and_aliases_match_at_once_close_ones_wait_for_review(demo_copy_url):
    load(demo_copy_url, "ja_ios.txt")
    load(demo_copy_url, "ja_android.txt")
    with db.session(demo_copy_url) as s:
        linku = member(s, "りんく&佐藤")
        assert linku.status == members.REVIEW_AUTO
        assert linku.organisation.name.endswith("岩見沢市生活サポートセンターりんく")
        assert member(s, "江別市社協&高橋").organisation.name == "江別市社会福祉協議会くらしサポートセンターえべつ"
        assert member(s, "りんく&佐藤(岩見沢)").organisation_id == linku.organisation_id  # after a rename
        chitose = member(s, "千歳市&伊藤")
        assert chitose.status == members.REVIEW_PENDING and chitose.organisation_id is None
        assert chitose.suggestion.name == "千歳市役所保健福祉部福祉課生活支援係"
        queue = members.review_queue(s, SEC)
        names = [i.nickname for i in queue]
        assert set(names) == {"千歳市&伊藤", "そらちサポセン&山田"}
        sorachi = next(i for i in queue if i.nickname == "そらちサポセン&山田")
        assert sorachi.candidates[0].name.endswith("そらち生活サポートセンター")
        assert sorachi.messages == 2


def test_a_confirmed_spelling_is_remembered_for_the_next_member(demo_copy_url):
    load(demo_copy_url, "ja_android.txt")
    with db.session(demo_copy_url) as s:
        m = member(s, "千歳市&伊藤")
        members.confirm(s, SEC, m.id)
        assert (m.status, m.organisation.name) == (members.REVIEW_CONFIRMED, "千歳市役所保健福祉部福祉課生活支援係")
        assert directory.find_exact(s, "千歳市").id == m.organisation_id
    load_text(demo_copy_url, "10:00\t千歳市＆佐々木\tはじめまして。")
    with db.session(demo_copy_url) as s:
        new = member(s, "千歳市＆佐々木")
        assert new.status == members.REVIEW_AUTO
        assert new.organisation.name == "千歳市役所保健福祉部福祉課生活支援係"
        # the new member's posts are linked to the member row
        assert s.scalar(select(ChatMessage.member_id).where(ChatMessage.sender == "千歳市＆佐々木")) == new.id


def test_people_are_matched_by_surname_in_kanji_or_kana(demo_copy_url):
    with db.session(demo_copy_url) as s:
        linku = directory.find_exact(s, "りんく")
        s.add(Person(name="道下 花子", furigana="みちした はなこ", organisation_id=linku.id,
                     name_key=person_key("道下花子")))
    load_text(demo_copy_url, "10:00\tりんく&道下\tよろしくお願いします。\n10:01\tりんく&ミチシタ\t[スタンプ]")
    with db.session(demo_copy_url) as s:
        assert member(s, "りんく&道下").person.name == "道下 花子"
        assert member(s, "りんく&ミチシタ").person.name == "道下 花子"


def test_pick_create_ignore_and_reopen(demo_copy_url):
    load_text(demo_copy_url, "10:00\t北見のフードバンク&森\tこんにちは\n10:01\tどうねっと事務局\tお知らせです")
    with db.session(demo_copy_url) as s:
        food = member(s, "北見のフードバンク&森")
        office = member(s, "どうねっと事務局")
        assert food.status == office.status == members.REVIEW_PENDING
        created = members.create(s, SEC, food.id, name="NPO法人きたみフードバンク", kind="NPO等",
                                 region="オホーツク総合振興局")
        assert created.status == members.REVIEW_CONFIRMED
        assert created.organisation.name == "NPO法人きたみフードバンク"
        assert members.ignore(s, SEC, office.id).status == members.REVIEW_IGNORED
        assert members.review_queue(s, SEC) == []
        other = s.scalar(select(Organisation).where(Organisation.name_key == directory.org_key("りんく")).limit(1)) \
            or directory.find_exact(s, "りんく")
        members.pick(s, SEC, office.id, other.id)
        assert office.organisation_id == other.id
        members.reopen(s, SEC, food.id)
        # the created organisation now has the spelling as an alias: matched exactly again
        assert food.status == members.REVIEW_AUTO


def test_the_review_queue_is_for_the_secretariat(demo_copy_url):
    load(demo_copy_url, "ja_android.txt")
    committee = Viewer(role=COMMITTEE)
    with db.session(demo_copy_url) as s:
        with pytest.raises(AccessDenied):
            members.review_queue(s, committee)
        with pytest.raises(AccessDenied):
            members.ignore(s, committee, member(s, "千歳市&伊藤").id)
