"""The announcement of a meeting: open-chat post, e-mail, templates in settings, QR codes."""

import pytest
import segno
from sqlalchemy import select

from facilitation.errors import AccessDenied
from facilitation.files import qr
from facilitation.openchat import announcements
from facilitation.roles import COMMITTEE, SECRETARIAT_LOCAL, Viewer
from facilitation.storage import db
from facilitation.storage.models import Meeting, Setting

SEC = SECRETARIAT_LOCAL

EXPECTED_POST = """【第3回 北海道生活困窮者支援ネットワーク 情報交換会のご案内】
みなさま、いつもありがとうございます。事務局です。
第3回 北海道生活困窮者支援ネットワーク 情報交換会を次のとおり開催します。

■日時：2026年12月10日（木） 14:00〜16:30
■方法：オンライン（Zoom）
■テーマ別ルーム
・住まいと居住支援
・主任相談支援員の部屋
・自立相談支援事業【支援に関する事】（引きこもりと家族支援）
・一時生活支援事業
・自立相談支援事業【支援に関する事】（引きこもり）

お申し込みはこちらからお願いします。
https://forms.example.org/donet-registration

初めての方も、テーマのご提案も大歓迎です。ご参加をお待ちしています。"""


def upcoming_id(url: str) -> int:
    with db.session(url) as s:
        return s.scalar(select(Meeting.id).where(Meeting.status == "募集中"))


def test_the_open_chat_post_for_the_demo_meeting(demo_url):
    with db.session(demo_url) as s:
        ann = announcements.compose(s, upcoming_id(demo_url))
    assert ann.openchat_text == EXPECTED_POST
    assert ann.email_subject == "【ご案内】第3回 北海道生活困窮者支援ネットワーク 情報交換会（2026年12月10日（木））"
    body = ann.email_body
    assert body.startswith("関係機関のみなさま\n")
    for line in ("■日時：2026年12月10日（木） 14:00〜16:30", "■定員：60名", "・一時生活支援事業",
                 "14:50 ブレイクアウトルーム（テーマ別）", "https://forms.example.org/donet-registration"):
        assert line in body.splitlines()
    assert ann.registration_url == "https://forms.example.org/donet-registration"
    assert ann.problems == ["オープンチャットの招待リンクが未設定です（設定ページで入力できます）。"]


def test_a_past_meeting_without_a_form_says_what_is_missing(demo_url):
    with db.session(demo_url) as s:
        past = s.scalar(select(Meeting).where(Meeting.status == "開催済").order_by(Meeting.starts_at))
        ann = announcements.compose(s, past.id)
    assert any("申込フォームのURL" in p for p in ann.problems)
    assert "{申込URL}" not in ann.openchat_text


def test_templates_and_invite_link_are_edited_in_settings(demo_copy_url):
    mid = upcoming_id(demo_copy_url)
    with db.session(demo_copy_url) as s:
        announcements.save_invite_url(s, SEC, " https://line.me/ti/g2/donet-example ")
        warnings = announcements.TEMPLATES.save(s, SEC, {
            "openchat": "{回}のお知らせ：{日付}（{開催方法}）\n{申込URL}\n{しめきり}",
            "email_subject": "{会名}",
            "email_body": "招待: {オープンチャットURL}",
        })
    assert warnings == ["オープンチャットへの投稿: 「{しめきり}」という項目はありません（そのまま表示されます）。"]
    with db.session(demo_copy_url) as s:
        stored = s.get(Setting, announcements.TEMPLATES_KEY).value
        assert stored["email_subject"] == "{会名}"
        ann = announcements.compose(s, mid)
    assert ann.openchat_text == ("第3回のお知らせ：2026年12月10日（木）（オンライン）\n"
                                 "https://forms.example.org/donet-registration\n{しめきり}")
    assert ann.email_body == "招待: https://line.me/ti/g2/donet-example"
    assert ann.invite_url == "https://line.me/ti/g2/donet-example"
    with db.session(demo_copy_url) as s:
        announcements.TEMPLATES.reset(s, SEC)
        assert announcements.compose(s, mid).openchat_text == EXPECTED_POST


def test_only_the_secretariat_changes_templates(demo_copy_url):
    with db.session(demo_copy_url) as s:
        with pytest.raises(AccessDenied):
            announcements.TEMPLATES.save(s, Viewer(role=COMMITTEE), {})
        with pytest.raises(AccessDenied):
            announcements.save_invite_url(s, Viewer(role=COMMITTEE), "https://line.me/x")


def test_fill_leaves_unknown_and_broken_braces_alone():
    assert announcements.fill("{日付} {x} { } {{", {"日付": "1月1日"}) == "1月1日 {x} { } {{"


def _modules(png: bytes, scale: int = 8, border: int = 4) -> list[list[int]]:
    """Read the dark/light modules back from the PNG's pixels."""
    import io

    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("L")
    n = img.width // scale - 2 * border
    return [[1 if img.getpixel(((border + x) * scale + scale // 2, (border + y) * scale + scale // 2)) < 128 else 0
             for x in range(n)] for y in range(n)]


def test_qr_codes_encode_the_link():
    url = "https://forms.example.org/donet-registration"
    png = qr.png(url)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    expected = [list(row) for row in segno.make(url, error="m").matrix]
    assert _modules(png) == expected
    assert _modules(qr.png("https://line.me/ti/g2/other")) != expected
    svg = qr.svg(url).decode()
    assert svg.startswith("<svg") and "</svg>" in svg
