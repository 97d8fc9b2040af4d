"""One header vocabulary per field, shared by every importer that reads people's answers
(registrations, surveys, the format detector): the Japanese and English spellings partners' tools
and offices write for a timestamp, an e-mail, a name, its reading, an organisation…

`recognise(header)` gives the field a header most likely names and how strongly; every importer
asks it instead of keeping its own word list, so a spelling added here is read everywhere.
"""

from __future__ import annotations

import re

from facilitation.text.normalize import key

# Words that name a field when a header contains them (the longest match wins, a header starting
# with the word counts a little more). English words are compared as keys: lower case, no spaces.
CONTAINS: dict[str, tuple[str, ...]] = {
    "timestamp": ("タイムスタンプ", "timestamp", "回答日時", "送信日時", "申込日時", "申込日", "回答日", "完了時刻",
                  "completion time", "submitted at", "submission date", "registration date", "registered at",
                  "注文日時", "購入日時"),
    "email": ("メールアドレス", "メール", "e-mail", "email", "mail", "eメール", "アドレス"),
    "name": ("氏名", "お名前", "名前", "参加者名", "ご芳名", "full name", "your name", "participant name",
             "attendee name", "display name", "表示名"),
    "furigana": ("ふりがな", "フリガナ", "よみがな", "ヨミガナ", "読み仮名", "カナ", "kana", "furigana"),
    "org": ("所属（法人・機関名）", "法人・機関名", "所属機関", "所属団体", "団体名", "機関名", "法人名",
            "所属先", "勤務先", "会社名", "所属", "organization", "organisation", "affiliation", "company",
            "institution", "agency", "employer"),
    "department": ("部署・事業所名", "事業所名", "部署名", "部署", "課名", "担当課", "事業所", "department",
                   "division", "section"),
    "region": ("地域（振興局）", "振興局", "地域", "エリア", "圏域", "管内", "region"),
    "programs": ("担当している事業", "担当事業", "従事している事業", "実施事業"),
    "role_title": ("職種・立場", "職種", "立場", "役職", "職名", "job title", "position", "role"),
    "years": ("経験年数", "従事年数", "勤続年数", "経験", "years of experience"),
    "mode": ("参加方法", "参加形態", "参加形式", "出席方法", "参加方式", "attendance mode"),
    "choice1": ("第1希望", "第一希望", "希望テーマ1", "希望1", "first choice", "1st choice"),
    "choice2": ("第2希望", "第二希望", "希望テーマ2", "希望2", "second choice", "2nd choice"),
    "choice3": ("第3希望", "第三希望", "希望テーマ3", "希望3", "third choice", "3rd choice"),
    "facilitator": ("ファシリテーター", "進行役", "facilitator"),
    "note": ("備考", "連絡事項", "ご質問", "質問", "ご意見", "コメント", "メッセージ", "comment", "remarks", "notes"),
}
# Words that name a field only when they are the whole header (too common to match inside:
# 「name」 is also in 「Company name」, 「ユーザー名」 is an account id when a 表示名 is there too).
EXACT: dict[str, tuple[str, ...]] = {
    "note": ("その他", "その他ご意見", "note", "other"),
    "programs": ("事業", "programs"),
    "name": ("名", "name", "names", "full name", "名前（漢字）", "氏名（漢字）", "ユーザー名", "username", "user name",
             "participant", "attendee", "registrant", "参加者", "申込者", "出席者"),
    "choice1": ("希望テーマ", "希望するテーマ", "参加希望テーマ", "theme", "topic"),
    "timestamp": ("date", "日時", "submitted"),
}
# Exact headers weaker than a real name column: 「ユーザー名」 (a connpass / Peatix account id) names
# the person only when nothing better does.
WEAK: frozenset[str] = frozenset({"ユーザー名", "username", "user name", "participant", "attendee"})

_HEADER_DROP = re.compile(r"[:*?]")  # after NFKC: a form's 「：」「＊」「？」 are not part of what a header names


def header_key(text: str) -> str:
    """The package's comparison key (normalize.key) without question marks and required-field marks:
    「 E-mail＊ 」, 「e-mail」 and 「Eメール？」's spellings compare as the same header."""
    return _HEADER_DROP.sub("", key(text))


_CONTAINS_KEYS = {f: tuple(sorted({header_key(w) for w in ws}, key=len, reverse=True)) for f, ws in CONTAINS.items()}
_EXACT_KEYS = {f: {header_key(w) for w in ws} for f, ws in EXACT.items()}
_WEAK_KEYS = {header_key(w) for w in WEAK}
EXACT_STRENGTH, WEAK_STRENGTH = 500, 15


def recognise(header: str, standard: dict[str, str] | None = None) -> tuple[str | None, int]:
    """The field a header most likely means, with a strength (0 = unknown, 1000 = `standard`'s text,
    500 = a whole-header word, else 10 per character of the longest word found in it)."""
    k = header_key(header)
    if not k:
        return None, 0
    for f, text in (standard or {}).items():
        if header_key(text) == k:
            return f, 1000
    for f, keys in _EXACT_KEYS.items():
        if k in keys:
            return f, (WEAK_STRENGTH if k in _WEAK_KEYS else EXACT_STRENGTH)
    best, strength = None, 0
    for f, keys in _CONTAINS_KEYS.items():
        for w in keys:
            if w in k:
                score = len(w) * 10 + (5 if k.startswith(w) else 0)
                if score > strength:
                    best, strength = f, score
                break
    if best == "name" and any(w in k for w in _CONTAINS_KEYS["furigana"]):
        best = "furigana"  # 「お名前（カナ）」「参加者名(カナ)」: the reading of a name
    return best, strength


def field_of(header: str, *, strict: bool = False) -> str | None:
    """The field a header names, or None. With `strict`, only headers that are little more than the
    word itself (「メール」「お名前（必須）」「Email」, not 「研修で学んだことの名前」): what a survey
    question title must be before it is treated as someone's identity."""
    f, strength = recognise(header)
    if f is None or not strict:
        return f
    if strength >= EXACT_STRENGTH:
        return f
    k = header_key(header)
    word = next((w for w in _CONTAINS_KEYS[f] if w in k), "")
    return f if word and k.startswith(word) and len(k) <= len(word) + 6 else None
