"""The invitation e-mail's template (edited in 設定 › ルームのご案内メール, read and filled by storage.templates).

Whatever the saved text says, every invitation ends with STOP_NOTE: how to ask not to be sent
invitations any more (the secretariat then marks the address 「案内不要」).
"""

from __future__ import annotations

from facilitation.storage.templates import TemplateSet

SETTING_KEY = "invitations.templates"
SUBJECT = "invitation_subject"
BODY = "invitation_body"
TEMPLATE_NAMES: dict[str, str] = {SUBJECT: "参加のご案内（件名）", BODY: "参加のご案内（本文）"}

DEFAULT_TEMPLATES: dict[str, str] = {
    SUBJECT: "{会名}（{日付}）開催のご案内",
    BODY: (
        "{機関名}\n"
        "ご担当者様\n"
        "\n"
        "突然のご連絡失礼いたします。\n"
        "{事務局名}です。\n"
        "\n"
        "北海道内で生活困窮者支援に携わる機関どうしが、日ごろの悩みや工夫を話し合う\n"
        "「{会名}」を下記のとおり開催します。\n"
        "初めての方も、しばらく参加されていない方も、ぜひお気軽にご参加ください。\n"
        "\n"
        "■日時：{日付} {時間}\n"
        "■開催方法：{開催方法}\n"
        "■テーマ別ルーム（予定）\n"
        "{テーマ一覧}\n"
        "\n"
        "■お申し込み\n"
        "{申込URL}\n"
        "\n"
        "ご不明な点がありましたら、このメールにご返信ください。\n"
        "\n"
        "{事務局名}"
    ),
}

FIELDS: dict[str, str] = {
    "機関名": "宛先の機関の名前",
    "会名": "「第3回 情報交換会」のような会の名前",
    "日付": "2026年12月10日（木）",
    "時間": "14:00〜16:30",
    "開催方法": "オンライン・会場とオンライン など（会場があれば会場名も）",
    "テーマ一覧": "会のルームのテーマを1行ずつ",
    "申込URL": "会の申込フォームの URL（会の設定）",
    "事務局名": "差出人の名前（メールの設定）",
}

STOP_NOTE = ("\n\n――――――――――\n"
             "今後このようなご案内が不要な場合は、お手数ですがこのメールに「案内不要」とご返信ください。"
             "以後、このアドレスにはご案内をお送りしません。")

TEMPLATES = TemplateSet(
    setting_key=SETTING_KEY, names=TEMPLATE_NAMES, defaults=DEFAULT_TEMPLATES, fields=FIELDS,
    refusal="ご案内メールのひな形を変更できるのは事務局のみです。", subject_keys=(SUBJECT,))
