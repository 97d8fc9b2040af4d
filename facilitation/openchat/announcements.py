"""Announcing a meeting: the open-chat post and the same text for e-mail, with QR codes.

Templates use placeholders in braces (「{日付}」「{申込URL}」…), edited in 設定 and read, saved and
filled through `storage.templates`. Unknown placeholders stay as written and are reported, so a
typo never breaks the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from facilitation.meetings.schedule import get_meeting, time_range
from facilitation.roles import Viewer, require_secretariat
from facilitation.storage import settings
from facilitation.storage.models import Meeting
from facilitation.storage.templates import TemplateSet, fill
from facilitation.text.dates import ja_date

TEMPLATES_KEY = "openchat.templates"
INVITE_URL_KEY = "openchat.invite_url"

TEMPLATE_OPENCHAT = "openchat"
TEMPLATE_EMAIL_SUBJECT = "email_subject"
TEMPLATE_EMAIL_BODY = "email_body"
TEMPLATE_NAMES: dict[str, str] = {  # key → label in 設定
    TEMPLATE_OPENCHAT: "オープンチャットへの投稿",
    TEMPLATE_EMAIL_SUBJECT: "メールの件名",
    TEMPLATE_EMAIL_BODY: "メールの本文",
}

DEFAULT_TEMPLATES: dict[str, str] = {
    TEMPLATE_OPENCHAT: (
        "【{会名}のご案内】\n"
        "みなさま、いつもありがとうございます。事務局です。\n"
        "{会名}を次のとおり開催します。\n"
        "\n"
        "■日時：{日付} {時間}\n"
        "■方法：{開催方法}{会場カッコ}\n"
        "■テーマ別ルーム\n"
        "{テーマ一覧}\n"
        "\n"
        "お申し込みはこちらからお願いします。\n"
        "{申込URL}\n"
        "\n"
        "初めての方も、テーマのご提案も大歓迎です。ご参加をお待ちしています。"
    ),
    TEMPLATE_EMAIL_SUBJECT: "【ご案内】{会名}（{日付}）",
    TEMPLATE_EMAIL_BODY: (
        "関係機関のみなさま\n"
        "\n"
        "いつも大変お世話になっております。\n"
        "北海道生活困窮者支援ネットワーク事務局です。\n"
        "\n"
        "{会名}を下記のとおり開催いたします。\n"
        "ご多用のところ恐縮ですが、ぜひご参加ください。\n"
        "\n"
        "■日時：{日付} {時間}\n"
        "■方法：{開催方法}{会場カッコ}\n"
        "■定員：{定員}\n"
        "\n"
        "■テーマ別ルーム\n"
        "{テーマ一覧}\n"
        "\n"
        "■当日の流れ\n"
        "{プログラム}\n"
        "\n"
        "■お申し込み\n{申込URL}\n"
        "\n"
        "ネットワークのオープンチャットでも情報交換をしています。\n"
        "ご参加はこちらから：{オープンチャットURL}\n"
        "\n"
        "北海道生活困窮者支援ネットワーク 事務局"
    ),
}

# Placeholders and what they stand for (shown in 設定).
PLACEHOLDERS: dict[str, str] = {
    "会名": "「第3回 情報交換会」のような会の名前",
    "回": "「第3回」",
    "タイトル": "会のタイトル",
    "日付": "2026年12月10日（木）",
    "時間": "14:00〜16:30",
    "開催方法": "オンライン / 会場 / ハイブリッド",
    "会場": "会場や Zoom などの場所",
    "会場カッコ": "会場があれば「（会場名）」、なければ空",
    "定員": "「100名」（未設定なら「なし」）",
    "テーマ一覧": "ルームのテーマを1行ずつ「・」付きで",
    "プログラム": "当日の流れを1行ずつ（14:00 開会…）",
    "申込URL": "申込フォームのURL",
    "オープンチャットURL": "オープンチャットの招待リンク",
}
TEMPLATES = TemplateSet(
    setting_key=TEMPLATES_KEY, names=TEMPLATE_NAMES, defaults=DEFAULT_TEMPLATES, fields=PLACEHOLDERS,
    refusal="お知らせのひな形を変更できるのは事務局のみです。", subject_keys=(TEMPLATE_EMAIL_SUBJECT,))


@dataclass
class Announcement:
    meeting_id: int
    openchat_text: str
    email_subject: str
    email_body: str
    registration_url: str
    invite_url: str
    problems: list[str] = field(default_factory=list)  # Japanese, for the secretariat


def get_invite_url(session: Session) -> str:
    return str(settings.get(session, INVITE_URL_KEY) or "")


def save_invite_url(session: Session, viewer: Viewer, url: str) -> None:
    require_secretariat(viewer, "招待リンクを変更できるのは事務局のみです。")
    settings.put(session, INVITE_URL_KEY, url.strip())


def meeting_values(meeting: Meeting, invite_url: str = "") -> dict[str, str]:
    """What each placeholder stands for, for one meeting."""
    number = f"第{meeting.number}回" if meeting.number else ""
    title = meeting.title.strip()
    name = title if not number or title.startswith(number) else f"{number} {title}"
    themes = [r.theme or r.name for r in sorted(meeting.rooms, key=lambda r: r.position)]
    program = [f"{p.get('time', '')} {p.get('item', '')}".strip() for p in (meeting.program or [])
               if isinstance(p, dict)]
    venue = meeting.venue.strip()
    return {
        "会名": name,
        "回": number,
        "タイトル": title,
        "日付": ja_date(meeting.starts_at),
        "時間": time_range(meeting),
        "開催方法": meeting.format,
        "会場": venue,
        "会場カッコ": f"（{venue}）" if venue else "",
        "定員": f"{meeting.capacity}名" if meeting.capacity else "なし",
        "テーマ一覧": "\n".join(f"・{t}" for t in themes) if themes else "・（ルームのテーマは準備中です）",
        "プログラム": "\n".join(program),
        "申込URL": meeting.registration_url.strip(),
        "オープンチャットURL": invite_url,
    }


def compose(session: Session, meeting_id: int, templates: dict[str, str] | None = None) -> Announcement:
    """The announcement texts for a meeting from its data and the templates in use."""
    meeting = get_meeting(session, meeting_id)
    invite = get_invite_url(session)
    tpl = templates or TEMPLATES.get(session)
    values = meeting_values(meeting, invite)
    problems = []
    if not values["申込URL"]:
        problems.append("この会には申込フォームのURLが登録されていません（会の設定で入力してください）。")
    if not meeting.rooms:
        problems.append("ルームのテーマがまだありません。")
    if not invite and "{オープンチャットURL}" in "".join(tpl.values()):
        problems.append("オープンチャットの招待リンクが未設定です（設定ページで入力できます）。")
    for k, t in tpl.items():
        problems += TEMPLATES.unknown_fields(t, TEMPLATE_NAMES.get(k, k))
    return Announcement(
        meeting_id=meeting.id,
        openchat_text=fill(tpl[TEMPLATE_OPENCHAT], values).strip(),
        email_subject=fill(tpl[TEMPLATE_EMAIL_SUBJECT], values).strip(),
        email_body=fill(tpl[TEMPLATE_EMAIL_BODY], values).strip(),
        registration_url=values["申込URL"],
        invite_url=invite,
        problems=problems,
    )
