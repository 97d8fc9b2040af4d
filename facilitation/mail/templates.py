"""The room e-mails' templates: named fields in braces (「{氏名}」「{ルーム名}」…), edited in 設定.

Read, saved and filled through `storage.templates` (saved texts over the built-in ones; a field the
data does not know stays as written and is reported, so a typo never breaks a message or raises).
"""

from __future__ import annotations

from facilitation.storage.templates import TemplateSet

SETTING_KEY = "mail.templates"

PARTICIPANT_SUBJECT = "participant_subject"
PARTICIPANT_BODY = "participant_body"
FACILITATOR_SUBJECT = "facilitator_subject"
FACILITATOR_BODY = "facilitator_body"
TEMPLATE_NAMES: dict[str, str] = {  # key → label in 設定
    PARTICIPANT_SUBJECT: "参加者へのメール（件名）",
    PARTICIPANT_BODY: "参加者へのメール（本文）",
    FACILITATOR_SUBJECT: "ファシリテーターへのメール（件名）",
    FACILITATOR_BODY: "ファシリテーターへのメール（本文）",
}
KINDS = {"participant": (PARTICIPANT_SUBJECT, PARTICIPANT_BODY),
         "facilitator": (FACILITATOR_SUBJECT, FACILITATOR_BODY)}
KIND_LABELS = {"participant": "参加者", "facilitator": "ファシリテーター", "test": "テスト送信"}

DEFAULT_TEMPLATES: dict[str, str] = {
    PARTICIPANT_SUBJECT: "【ルームのご案内】{会名}（{日付}）",
    PARTICIPANT_BODY: (
        "{所属}\n"
        "{氏名} 様\n"
        "\n"
        "いつも大変お世話になっております。\n"
        "{事務局名}です。\n"
        "\n"
        "{会名}にお申し込みいただき、ありがとうございます。\n"
        "当日のテーマ別ルームが決まりましたので、ご案内いたします。\n"
        "\n"
        "■日時：{日付} {時間}\n"
        "■あなたのルーム：{ルーム名}\n"
        "■テーマ：{テーマ}\n"
        "\n"
        "■Zoom\n"
        "URL：{ZoomURL}\n"
        "ミーティングID：{ミーティングID}\n"
        "パスコード：{パスコード}\n"
        "\n"
        "Zoom の事前割り当ては、お申し込みのメールアドレスで Zoom にサインインしている場合にだけ働きます。\n"
        "別のアドレスで参加される場合や、サインインせずに参加される場合は、\n"
        "入室後に表示名を「{Zoom表示名}」に変更してください。ホストがすぐにルームへご案内します。\n"
        "\n"
        "■ご準備いただきたいこと\n"
        "{準備}\n"
        "\n"
        "ご不明な点がありましたら、このメールにご返信ください。\n"
        "当日お会いできることを楽しみにしております。\n"
        "\n"
        "{事務局名}"
    ),
    FACILITATOR_SUBJECT: "【ファシリテーターのお願い】{会名}（{日付}）{ルーム名}",
    FACILITATOR_BODY: (
        "{所属}\n"
        "{氏名} 様\n"
        "\n"
        "いつも大変お世話になっております。\n"
        "{事務局名}です。\n"
        "\n"
        "{会名}では、{ルーム名}のファシリテーターをお引き受けいただき、ありがとうございます。\n"
        "\n"
        "■日時：{日付} {時間}\n"
        "■担当ルーム：{ルーム名}\n"
        "■テーマ：{テーマ}\n"
        "■参加予定：{人数}名\n"
        "■参加機関\n"
        "{参加機関}\n"
        "\n"
        "■ルームの名簿（スマートフォンでも開けます・ログインは不要です）\n"
        "{名簿リンク}\n"
        "有効期限：{有効期限}\n"
        "このリンクはご自分のルームのものです。ほかの方には転送しないでください。\n"
        "\n"
        "■Zoom\n"
        "URL：{ZoomURL}\n"
        "ミーティングID：{ミーティングID}\n"
        "パスコード：{パスコード}\n"
        "表示名：{Zoom表示名}\n"
        "\n"
        "■ご準備いただきたいこと\n"
        "{準備}\n"
        "\n"
        "どうぞよろしくお願いいたします。\n"
        "\n"
        "{事務局名}"
    ),
}

# Fields and what they stand for (shown in 設定).
FIELDS: dict[str, str] = {
    "氏名": "宛先の方の氏名",
    "所属": "宛先の方の所属",
    "会名": "「第3回 情報交換会」のような会の名前",
    "日付": "2026年12月10日（木）",
    "時間": "14:00〜16:30",
    "ルーム名": "割り当てたルームの名前",
    "テーマ": "ルームのテーマ",
    "ルーム番号": "「R3」（Zoom のルーム名）",
    "Zoom表示名": "「R3_氏名」（事前割り当てが効かないときの表示名）",
    "ZoomURL": "会の Zoom の URL（ルーム割り当て › メールで設定）",
    "ミーティングID": "Zoom のミーティングID",
    "パスコード": "Zoom のパスコード",
    "準備": "ご準備いただきたいこと（会ごとに設定）",
    "事務局名": "差出人の名前（メールの設定）",
    "名簿リンク": "ファシリテーター用の名簿リンク（ファシリテーターのみ）",
    "有効期限": "名簿リンクの有効期限「2026年12月12日（土） 0:00まで」（ファシリテーターのみ）",
    "参加機関": "ルームの参加機関を1行ずつ（ファシリテーターのみ）",
    "人数": "ルームの参加予定人数（ファシリテーターのみ）",
}

TEMPLATES = TemplateSet(
    setting_key=SETTING_KEY, names=TEMPLATE_NAMES, defaults=DEFAULT_TEMPLATES, fields=FIELDS,
    refusal="メールのひな形を変更できるのは事務局のみです。", subject_keys=(PARTICIPANT_SUBJECT, FACILITATOR_SUBJECT))
