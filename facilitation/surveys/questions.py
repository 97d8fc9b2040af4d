"""What each column of a survey sheet is: a question of one kind, learned from the answers, correctable.

Google Forms writes one column per question (a grid: one column per row, 「質問 [行]」), a checkbox
answer as the chosen options joined by ", " (options may themselves contain commas), and the text
typed after 「その他」 in place of an option. `detect` turns headers + rows into `Question`s in form
order; `parse` turns one question's cells into coded answers the summaries count.

The answers alone can mislead on small forms: a comment box answered once, or twice with 「特になし」,
looks like a single choice; a 1–5 question where only 3 and 4 were chosen looks like a number. The
question's title (「ご自由にお書きください」「ご意見」「感想」, 「(1〜5)」「5段階」「満足度」「進み具合」)
and the form's other 1–N questions decide then; `Question.reason` says why a kind was chosen.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import Counter
from dataclasses import dataclass, field, replace

from facilitation.text import headers
from facilitation.text.normalize import clean, email_key
from facilitation.text.normalize import key as _key

SINGLE, SCALE, MULTI, NUMBER, DATE, GRID, TEXT, IDENTITY = (
    "single", "scale", "multi", "number", "date", "grid", "text", "identity")
KINDS: tuple[str, ...] = (SINGLE, SCALE, MULTI, NUMBER, DATE, GRID, TEXT, IDENTITY)
CHOICE_KINDS = (SINGLE, SCALE, MULTI, GRID)

# Identity roles: used to link a response to a registration, never counted or charted.
# Any column that could name a respondent is one (記入者, ご担当者名, 連絡先, 電話…): a column
# typed as a choice would list the respondents in the committee's results and exports.
TIMESTAMP, EMAIL, NAME, ORG, CONTACT, META = "timestamp", "email", "name", "org", "contact", "meta"
_IDENTITY_HEADERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # what a form tool adds about the response itself (Microsoft Forms: ID, 開始時刻, 最終変更時刻)
    (META, re.compile(r"^(id|開始時刻|最終変更時刻|start time|last modified time)$", re.I)),
    (TIMESTAMP, re.compile(r"^(タイムスタンプ|timestamp|回答日時|送信日時|完了時刻|completion time)", re.I)),
    (EMAIL, re.compile(r"(メールアドレス|^e-?mail|^メール|mail\s*address)", re.I)),
    (NAME, re.compile(r"(氏名|お名前|名前|ご芳名|ニックネーム"
                     r"|^ご?(記入|担当|回答|申込|報告)者(様|名|の?お?名前)?\s*([（(][^）)]*[）)])?$)")),
    (CONTACT, re.compile(r"(連絡先|電話|^tel\b|^fax\b|携帯|ファックス|ご住所|^住所)", re.I)),
    (ORG, re.compile(r"(所属|機関名|団体名|法人名|事業所名|勤務先)")),
)
_SHARED_ROLES = {"timestamp": TIMESTAMP, "email": EMAIL, "name": NAME, "org": ORG, "furigana": CONTACT}
# 「山田太郎」「山田太郎様」「やまださん」「Taro Yamada」: a person's name as a clean cell reads (clean()
# drops the space between surname and given name). Kanji words ending like a place or an agency
# (札幌市, 社会福祉協議会, 相談室) are not names.
_NAME_LIKE = re.compile(r"^[一-龥々ヶ]{2,6}$|^[一-龥々ぁ-んァ-ヶー]{2,8}(様|さん|氏)$|^[A-Z][a-z]+ [A-Z][a-z]+$")
_NOT_A_NAME_END = re.compile(r"[市町村区都道府県郡会所課部局館室係園校院庁署省社団]$|センター$|法人$")
_PHONE_LIKE = re.compile(r"^(\+81[- ]?)?0?\d{1,4}[-(（ ]?\d{1,4}[-)） ]?\d{3,4}$")
NEARLY_ALL_DISTINCT = 0.9  # identity by the answers: this share of answers differ from each other

# Ordered answer scales seen in the network's forms, best answer first (domain data).
SCALES: tuple[tuple[str, ...], ...] = (
    ("とても役に立った", "役に立った", "あまり役に立たなかった", "役に立たなかった"),
    ("とても役に立った", "役に立った", "どちらともいえない", "あまり役に立たなかった", "役に立たなかった"),
    ("とても参考になった", "参考になった", "あまり参考にならなかった", "参考にならなかった"),
    ("とても参考になった", "参考になった", "どちらともいえない", "あまり参考にならなかった", "参考にならなかった"),
    ("とても満足", "満足", "不満", "とても不満"),
    ("とても満足", "満足", "どちらともいえない", "不満", "とても不満"),
    ("満足", "やや満足", "どちらともいえない", "やや不満", "不満"),
    ("満足", "やや満足", "普通", "やや不満", "不満"),
    ("そう思う", "ややそう思う", "あまりそう思わない", "そう思わない"),
    ("そう思う", "ややそう思う", "どちらともいえない", "あまりそう思わない", "そう思わない"),
    ("とても良かった", "良かった", "あまり良くなかった", "良くなかった"),
    ("とても良かった", "良かった", "普通", "あまり良くなかった", "良くなかった"),
    ("非常に良い", "良い", "普通", "悪い", "非常に悪い"),
    ("継続してほしい", "どちらともいえない", "継続しなくてよい"),
    ("参加したい", "どちらともいえない", "参加したくない"),
    ("ぜひ参加したい", "参加したい", "どちらともいえない", "参加したくない"),
)

# Answers that are not a rating: kept out of the base and shown separately (domain data).
NOT_APPLICABLE: tuple[str, ...] = (
    "参加できなかった", "参加しなかった", "参加していない", "欠席した", "当てはまるものはない",
    "あてはまるものはない", "当てはまるものがない", "該当なし", "該当しない", "無回答", "わからない",
    "分からない",
)
OTHER = "その他"
_OTHER_PREFIX = re.compile(r"^その他\s*[:：）)（(]?\s*")
_GRID_HEADER = re.compile(r"^(?P<stem>.*\S)\s*\[(?P<row>[^\[\]]+)\]\s*$")
_JOIN = ", "
_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
_NUMBER_UNIT = re.compile(r"^([+-]?\d+(?:\.\d+)?)\s*(?:名|人|回|年|歳|か月|ヶ月|カ月|時間|分|件|円|%|％)?$")
_DATE_FORMATS = ("%Y/%m/%d", "%Y-%m-%d", "%Y年%m月%d日", "%Y/%m/%d %H:%M:%S", "%Y-%m-%d %H:%M:%S",
                 "%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M")
_SCALE_HINT = re.compile(r"(段階|満足度|評価|点数|何点|進み具合|難易度|難しさ|理解度|期待|おすすめ度|お勧め度|"
                         r"わかりやすさ|分かりやすさ|役に立|参考にな)")
# 「(1〜5)」「1-5で」「0～10」: the scale's ends written in the title.
_RANGE_HINT = re.compile(r"([01])\s*[〜~～\-－ー]\s*(\d{1,2})(?!\d)")
# Titles of free-text questions (comment boxes), as the network's and others' forms word them.
_TEXT_HINT = re.compile(r"(自由|ご意見|ご感想|感想|ご要望|コメント|お書き|ご記入|記述|お聞かせ|ご質問|質問や|お気づき)")
# Answers meaning "nothing to add"; repeated in comment boxes, never options of a choice.
_NOTHING = {"特になし", "特に無し", "とくになし", "なし", "無し", "特にありません", "ありません", "特にない", "ない",
            "特になし。", "なし。", "特にありません。", "none", "n/a", "na", "-", "ー", "―"}
_SENTENCE = re.compile(r"[。！？!?]|です|ます|ました|でした|ください|下さい")
_POINTS_HINT = re.compile(r"(\d+)\s*段階")
_NUMBER_HINT = re.compile(r"(人数|件数|年数|年齢|何人|何名|何回|金額|歳|経験年)")


def na_key(text: str) -> str:
    return clean(text).replace(" ", "")


_NA_KEYS = {na_key(x) for x in NOT_APPLICABLE}


@functools.lru_cache(maxsize=4096)
def is_not_applicable(option: str) -> bool:
    """参加できなかった / 当てはまるものはない / 無回答 …: not part of a rating base."""
    k = na_key(option)
    return k in _NA_KEYS or any(k.startswith(x) for x in ("参加できなかった", "当てはまるものはない", "該当なし"))


@dataclass
class Question:
    """One question of the form, in form order.

    `options` are ordered (scale: best first); `not_applicable` are options outside the rating base;
    `columns` index into the sheet's headers (several for a grid, one per `rows` entry).
    """

    key: str
    title: str
    kind: str
    columns: list[int]
    position: int
    rows: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)
    not_applicable: list[str] = field(default_factory=list)
    identity: str = ""  # timestamp / email / name / org for identity columns
    detected: str = ""  # the kind detect() chose, before the secretariat's override
    scale_points: int = 0  # numeric scales: 5, 10 …
    scale_options: bool = False  # a grid whose answers form an ordered scale
    reason: str = ""  # Japanese: why `detected` was chosen when the answers alone did not decide

    @property
    def ordered(self) -> bool:
        """Answers form a scale (charted as diverging bars): scales and scale grids."""
        return self.kind == SCALE or (self.kind == GRID and self.scale_options)

    @property
    def positive(self) -> list[str]:
        """The favourable half of a scale (とても役に立った・役に立った); [] for other kinds."""
        if not self.ordered or len(self.options) < 2:
            return []
        return self.options[: len(self.options) // 2]

    @property
    def negative(self) -> list[str]:
        if not self.ordered or len(self.options) < 2:
            return []
        return self.options[-(len(self.options) // 2):]

    @property
    def neutral(self) -> list[str]:
        if not self.ordered or len(self.options) % 2 == 0:
            return []
        return [self.options[len(self.options) // 2]]



def _values(rows: list[list[str]], col: int) -> list[str]:
    """One column of already clean rows (Survey.from_table cleans every cell once)."""
    return [r[col] if col < len(r) else "" for r in rows]


NEUTRAL = frozenset({"どちらともいえない", "どちらでもない", "ふつう", "普通"})  # the middle of a scale


def _scale_for(values: set[str]) -> tuple[str, ...] | None:
    """The shortest known scale containing every value (not-applicable answers aside)."""
    vals = {na_key(v) for v in values if not is_not_applicable(v)}
    if len(vals) < 2:
        return None
    for scale in sorted(SCALES, key=len):
        if vals <= {na_key(s) for s in scale}:
            # A known scale with a middle 「どちらともいえない」 nobody chose: many forms ask without one,
            # and the answers cannot tell; an option the form may not have is not shown with 0 (the
            # secretariat adds it back in 質問の種類 when the form had it).
            return tuple(o for o in scale if o not in NEUTRAL or na_key(o) in vals)
    return None


def _small_integers(values: set[str]) -> list[int] | None:
    vals = [v for v in values if not is_not_applicable(v)]
    if not vals or not all(re.fullmatch(r"\d{1,2}", v) for v in vals):
        return None
    return [int(v) for v in vals]


def _numeric_scale(header: str, values: set[str]) -> tuple[int, int] | None:
    """(low, high) when integer answers look like a linear scale (1–5, 1–10, 0–10…)."""
    nums = _small_integers(values)
    if nums is None:
        return None
    hinted = _SCALE_HINT.search(header)
    if _NUMBER_HINT.search(header) and not hinted:
        return None
    r = _RANGE_HINT.search(header)
    if r and int(r.group(1)) <= min(nums) and max(nums) <= int(r.group(2)) <= 10:
        return int(r.group(1)), int(r.group(2))
    if max(nums) > 10 or (not hinted and len(set(nums)) < 3):
        return None
    m = _POINTS_HINT.search(header)
    high = int(m.group(1)) if m else (5 if max(nums) <= 5 else 7 if max(nums) <= 7 else 10)
    high = max(high, max(nums))
    low = 0 if min(nums) == 0 else 1
    return low, high


def parse_number(text: str) -> float | None:
    m = _NUMBER_UNIT.match(clean(text).replace(",", ""))
    return float(m.group(1)) if m else None


def parse_date(text: str) -> dt.date | None:
    s = clean(text)
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    return None


def learn_options(cells: list[str], known: list[str] | tuple[str, ...] = ()) -> list[str]:
    """The option set of a checkbox question: `known` first, then the others most chosen first.

    Cells are options joined by ", ". A piece counts as an option when it is known, is a
    not-applicable answer, or appears in at least two answers; a run of pieces that only ever occur
    together in the same order (twice or more) is one option containing ", ". Anything else is text
    typed after 「その他」, and 「その他」 is added to the set. Two real options always ticked together
    would be merged too: the secretariat corrects the set then.
    """
    known = [clean(k) for k in known if clean(k)]
    known_set = set(known)
    segs = [_segment([p for p in c.split(_JOIN) if p], known_set) for c in cells if c]
    counts: Counter[str] = Counter(p for ps in segs for p in ps)
    follows: Counter[tuple[str, str]] = Counter((a, b) for ps in segs for a, b in zip(ps, ps[1:], strict=False))
    merges = {(a, b) for (a, b), n in follows.items()
              if n >= 2 and n == counts[a] == counts[b] and a not in known_set and b not in known_set}
    merged: list[list[str]] = []
    for ps in segs:
        out: list[str] = []
        for p in ps:
            if out and (out[-1].split(_JOIN)[-1], p) in merges:
                out[-1] = out[-1] + _JOIN + p
            else:
                out.append(p)
        merged.append(out)
    freq: Counter[str] = Counter(o for ps in merged for o in set(ps))
    options = list(known)
    for opt, n in sorted(freq.items(), key=lambda kv: (-kv[1], kv[0])):
        if opt in known_set or opt.startswith(OTHER):
            continue
        if n >= 2 or is_not_applicable(opt):
            options.append(opt)
    if OTHER not in options and any(o not in options for ps in merged for o in ps):
        options.append(OTHER)
    return options


def _segment(pieces: list[str], options: set[str]) -> list[str]:
    """Longest-first segmentation of ", "-split pieces into options; unknown pieces stay single."""
    out: list[str] = []
    i = 0
    while i < len(pieces):
        for j in range(len(pieces), i, -1):
            cand = _JOIN.join(pieces[i:j])
            if cand in options:
                out.append(cand)
                i = j
                break
        else:
            out.append(pieces[i])
            i += 1
    return out


def split_multi(cell: str, options: list[str] | set[str]) -> tuple[list[str], str]:
    """The options ticked in one checkbox cell and the 「その他」 text ("" when none).

    Unknown pieces become 「その他」 (once) with their text joined by ", ".
    """
    opts = set(options)
    if not cell:
        return [], ""
    chosen: list[str] = []
    other: list[str] = []
    for part in _segment([p for p in cell.split(_JOIN) if p], opts):
        if part in opts and part != OTHER:
            if part not in chosen:
                chosen.append(part)
        else:
            other.append(_OTHER_PREFIX.sub("", part) if part.startswith(OTHER) else part)
    if other:
        chosen.append(OTHER)
    return chosen, _JOIN.join(t for t in other if t)


def split_single(cell: str, options: list[str]) -> tuple[str, str]:
    """(option, その他 text) for one single-choice cell; an unknown answer is その他 with its text."""
    if not cell:
        return "", ""
    if cell in options and cell != OTHER:
        return cell, ""
    if cell.startswith(OTHER):
        return OTHER, _OTHER_PREFIX.sub("", cell)
    return OTHER, cell


def _single_options(values: list[str], known: list[str] | tuple[str, ...] = ()) -> list[str]:
    counts = Counter(v for v in values if v)
    options = list(known)
    for v, _n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if v not in options and not v.startswith(OTHER):
            options.append(v)
    if any(v.startswith(OTHER) for v in counts) and OTHER not in options:
        options.append(OTHER)
    return options


def header_role(header: str) -> str:
    """The identity role a header names (timestamp / email / name / contact / org / meta); "" for others.

    After the survey's own patterns, the header vocabulary every importer shares
    (text.headers: 「Full Name」「E-mail Address」「Organization」「フリガナ」…), for titles
    that are little more than the word itself."""
    for role, pattern in _IDENTITY_HEADERS:
        if pattern.search(header):
            return role
    return _SHARED_ROLES.get(headers.field_of(header, strict=True) or "", "")


def _identity_role(header: str, values: list[str]) -> str:
    if role := header_role(header):
        return role
    filled = [v for v in values if v]
    if filled and all(email_key(v) for v in filled):
        return EMAIL
    if len(filled) < 2 or len(set(filled)) < NEARLY_ALL_DISTINCT * len(filled):
        return ""
    # Answers that look like people's names / phone numbers, nearly all different: someone's details.
    if sum(bool(_PHONE_LIKE.match(v.replace("−", "-"))) for v in filled) >= 0.8 * len(filled):
        return CONTACT
    if sum(bool(_NAME_LIKE.match(v)) and not _NOT_A_NAME_END.search(v) for v in filled) >= 0.8 * len(filled):
        return NAME
    return ""


def _looks_multi(values: list[str]) -> bool:
    filled = [v for v in values if v]
    joined = [v for v in filled if _JOIN in v]
    if not joined:
        return False
    pieces = [p for v in filled for p in v.split(_JOIN)]
    counts = Counter(pieces)
    repeated = sum(n for n in counts.values() if n >= 2)
    short = sum(len(p) <= 60 for p in pieces)
    # Checkbox answers reuse a few options; comments rarely repeat a comma-separated piece.
    return repeated >= 0.6 * len(pieces) and short >= 0.9 * len(pieces)


def _looks_text(values: list[str]) -> bool:
    filled = [v for v in values if v]
    if not filled:
        return True
    said = {v for v in filled if v.lower() not in _NOTHING}
    if not said:  # only 「特になし」: a comment box nobody used, never a choice with one option
        return True
    # Sentences (「…してほしいです。」) are comments even when two people wrote the same one.
    if said and sum(len(v) >= 15 and bool(_SENTENCE.search(v)) for v in said) * 2 >= len(said):
        return True
    distinct = len(set(filled))
    mean_len = sum(map(len, filled)) / len(filled)
    if mean_len > 40:
        return True
    if len(filled) >= 5 and distinct / len(filled) > 0.8 and mean_len > 12:
        return True
    if len(filled) >= 8 and distinct / len(filled) > 0.6 and distinct > 12:
        return True
    return distinct > 30


def _classify(header: str, values: list[str]) -> tuple[str, dict]:
    """(kind, extra) for one ordinary column."""
    role = _identity_role(header, values)
    if role:
        return IDENTITY, {"identity": role}
    filled = [v for v in values if v]
    distinct = set(filled)
    if not filled:
        return TEXT, {}
    scale = _scale_for(distinct)
    if scale:
        return SCALE, {"options": list(scale)}
    if _TEXT_HINT.search(header) and not _SCALE_HINT.search(header) and not _looks_multi(filled):
        return TEXT, {"reason": f"題名の「{_TEXT_HINT.search(header).group(1)}」から自由記述としました"}
    numeric = _numeric_scale(header, distinct)
    if numeric:
        low, high = numeric
        extra = {"options": [str(i) for i in range(high, low - 1, -1)], "scale_points": high - low + 1}
        nums = set(_small_integers(distinct) or [])
        if len(nums) < 3:  # the answers alone would not have made a scale
            hint = _RANGE_HINT.search(header) or _SCALE_HINT.search(header)
            extra["reason"] = f"題名の「{hint.group(0)}」から{low}〜{high}の段階評価としました"
        return SCALE, extra
    non_na = [v for v in filled if not is_not_applicable(v)]
    if non_na and all(parse_number(v) is not None for v in non_na):
        return NUMBER, {}
    if non_na and all(parse_date(v) is not None for v in non_na):
        return DATE, {}
    if _looks_multi(filled):
        return MULTI, {}
    if _looks_text(filled):
        return TEXT, {}
    return SINGLE, {}


def detect(headers: list[str], rows: list[list[str]], kinds: dict[str, str] | None = None,
           options: dict[str, list[str]] | None = None) -> list[Question]:
    """Questions in form order from a sheet; `kinds` and `options` are the secretariat's corrections.

    `rows` hold clean strings (normalize.clean; Survey.from_table does it).

    Both are keyed by `Question.key` (the header; a grid's question text without 「[行]」).
    Unknown kinds in `kinds` are ignored.
    """
    kinds = {k: v for k, v in (kinds or {}).items() if v in KINDS}
    options = options or {}
    raw_headers = [str(h).strip() for h in headers]
    headers = [clean(h) for h in headers]
    questions: list[Question] = []
    i = 0
    used: Counter[str] = Counter()
    while i < len(headers):
        m = _GRID_HEADER.match(headers[i])
        if m and kinds.get(m.group("stem"), GRID) == GRID:
            stem = m.group("stem")
            cols = [i]
            j = i + 1
            while j < len(headers):
                m2 = _GRID_HEADER.match(headers[j])
                if not m2 or m2.group("stem") != stem:
                    break
                cols.append(j)
                j += 1
            key = _unique(stem, used)
            raw = _GRID_HEADER.match(raw_headers[i])
            q = Question(key=key, title=raw.group("stem").strip() if raw else stem, kind=GRID, columns=cols, position=len(questions),
                         rows=[_GRID_HEADER.match(headers[c]).group("row").strip() for c in cols],
                         detected=GRID)
            _fill_grid(q, rows, options.get(key))
            questions.append(q)
            i = j
            continue
        header = headers[i] or f"列{i + 1}"
        key = _unique(header, used)
        values = _values(rows, i)
        kind, extra = _classify(header, values)
        if kind == NUMBER:
            kind, extra = _as_form_scale(header, values, headers, rows, kinds) or (kind, extra)
        q = Question(key=key, title=raw_headers[i] or header, kind=kind, columns=[i], position=len(questions), detected=kind,
                     identity=extra.get("identity", ""), scale_points=extra.get("scale_points", 0),
                     reason=extra.get("reason", ""))
        if kind == SCALE:
            q.options = extra["options"]
        override = kinds.get(key) or (kinds.get(m.group("stem")) if m else None)  # a grid split by the secretariat
        if override and override != kind and override != GRID:
            q.kind = override
            if override == IDENTITY and not q.identity:
                q.identity = NAME
        _fill_options(q, values, options.get(key), scale_default=extra.get("options"))
        questions.append(q)
        i += 1
    return questions


def _as_form_scale(header: str, values: list[str], headers: list[str], rows: list[list[str]],
                   kinds: dict[str, str]) -> tuple[str, dict] | None:
    """A column of a few small integers, in a form whose other questions are 1–N scales: a scale too.

    Google Forms' linear scales give every question of a form the same shape; a question where only
    3 and 4 were chosen is one of them, not a count.
    """
    nums = _small_integers({v for v in values if v})
    if not nums or _NUMBER_HINT.search(header):
        return None
    ranges: list[tuple[int, int]] = []
    for j, other in enumerate(headers):
        if other == header or _GRID_HEADER.match(other) or kinds.get(other, SCALE) != SCALE:
            continue
        found = _numeric_scale(other, {v for v in _values(rows, j) if v})
        if found and len(set(_small_integers({v for v in _values(rows, j) if v}) or [])) >= 3:
            ranges.append(found)
    fitting = sorted((high - low, low, high) for low, high in ranges if low <= min(nums) and max(nums) <= high)
    if not fitting:
        return None
    _, low, high = fitting[0]
    return SCALE, {"options": [str(i) for i in range(high, low - 1, -1)], "scale_points": high - low + 1,
                   "reason": f"同じフォームの{low}〜{high}の質問にそろえて段階評価としました"}


def _unique(key: str, used: Counter[str]) -> str:
    used[key] += 1
    return key if used[key] == 1 else f"{key} ({used[key]})"


def _fill_options(q: Question, values: list[str], given: list[str] | None, scale_default=None) -> None:
    given = [clean(o) for o in (given or []) if clean(o)]
    if q.kind == MULTI:
        q.options = learn_options(values, given)
    elif q.kind == SCALE:
        # A column the secretariat called a scale keeps the answers' order unless told otherwise.
        q.options = given or list(scale_default or []) or _single_options(values)
    elif q.kind == SINGLE:
        q.options = _single_options(values, given)
    else:
        q.options = []
        return
    na = [o for o in q.options if is_not_applicable(o)]
    if q.kind != MULTI:
        na += sorted({v for v in values if v and is_not_applicable(v)} - set(na))
    q.not_applicable = na
    q.options = [o for o in q.options if not is_not_applicable(o)]


def _fill_grid(q: Question, rows: list[list[str]], given: list[str] | None) -> None:
    values = {v for c in q.columns for v in _values(rows, c) if v}
    scale = _scale_for(values)
    numeric = None if scale else _numeric_scale(q.title, values)
    if given:
        q.options = [clean(o) for o in given if clean(o)]
        q.scale_options = bool(scale or numeric)
    elif scale:
        q.options, q.scale_options = list(scale), True
    elif numeric:
        low, high = numeric
        q.options = [str(i) for i in range(high, low - 1, -1)]
        q.scale_points, q.scale_options = high - low + 1, True
    else:  # a grid of plain choices: options in first-seen order across rows
        q.options = _single_options([v for c in q.columns for v in _values(rows, c)])
    q.not_applicable = sorted({v for v in values if is_not_applicable(v)})
    q.options = [o for o in q.options if not is_not_applicable(o)]


def with_kind(q: Question, kind: str) -> Question:
    """A copy of `q` with another kind (for previews of a correction)."""
    return replace(q, kind=kind)


# --- The same question in earlier surveys ---------------------------------------------------------

@dataclass(frozen=True)
class Remembered:
    """The kind a question had in an earlier survey (by its normalised title) and that scale's options."""

    kind: str
    options: tuple[str, ...] = ()
    by_secretariat: bool = False  # set in 「質問の種類」, not detected
    survey_title: str = ""


def remember(memory: dict[str, Remembered], questions: list[Question], corrected: set[str],
             survey_title: str = "") -> None:
    """Add one stored survey's questions to `memory` (call oldest survey first: newer ones win).

    Kept: a kind the secretariat set (`corrected` holds those question keys) and a question detected
    as a scale or as free text. A detected kind never replaces one the secretariat set.
    """
    for q in questions:
        if q.kind == GRID or q.detected == IDENTITY:
            continue
        by_secretariat = q.key in corrected
        if not by_secretariat and q.kind not in (SCALE, TEXT):
            continue
        k = title_key(q.title)
        before = memory.get(k)
        if before is not None and before.by_secretariat and not by_secretariat:
            continue
        memory[k] = Remembered(q.kind, tuple(q.options) if q.kind == SCALE else (), by_secretariat, survey_title)


def carried_kinds(questions: list[Question], memory: dict[str, Remembered]
                  ) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(kinds, options) corrections for a new survey: each question asked before under the same
    title takes the kind it had then (a scale its options too, when today's answers fit them).
    Columns that could name a respondent (identity) are never changed."""
    kinds: dict[str, str] = {}
    options: dict[str, list[str]] = {}
    for q in questions:
        if q.kind in (GRID, IDENTITY):
            continue
        found = memory.get(title_key(q.title))
        if found is None or found.kind == q.kind or found.kind == GRID:
            continue
        kinds[q.key] = found.kind
        if found.kind == SCALE and found.options:
            options[q.key] = list(found.options)
    return kinds, options


def title_key(title: str) -> str:
    """Questions with the same title in different surveys meet on this key."""
    return _key(title)
