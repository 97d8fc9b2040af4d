"""Japanese free text → terms: the one tokenizer of the package (survey comments, open-chat talk).

SudachiPy with its bundled core dictionary, split mode C (longest units), then consecutive nouns
joined into one compound (家計改善支援事業 stays one term) and a domain compound list applied first
(子どもの学習・生活支援事業, 住居確保給付金…). Text is NFKC-normalised before anything else, so
full-width digits and letters (１２月, ＮＰＯ) compare equal to half-width ones. Janome was measured
too and lost (15× slower, splits 引きこもり); see notes/issue-7.md.

Public API: `terms`, `document_terms`, `term_frequencies`, `cooccurrence`, `keyword_in_context`. Loading the dictionary
takes ~0.3 s, so it is loaded once per process; tokenizers are per thread (Streamlit runs sessions
in threads and a Sudachi tokenizer must not be shared between threads).
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
from collections import Counter
from collections.abc import Iterable, Sequence

import pandas as pd

from facilitation.text import vocab
from facilitation.text.normalize import clean

# Domain compounds that Sudachi would split or that contain の/・ (kept as one term), plus the
# programs, regions and staff roles from vocab. Spelling variants map to one written form.
DOMAIN_COMPOUNDS: tuple[str, ...] = (
    "生活困窮者自立支援法",
    "生活困窮者自立支援制度",
    "生活困窮者",
    "自立相談支援機関",
    "住居確保給付金",
    "認定就労訓練事業",
    "支援調整会議",
    "関係機関",
    "社会福祉協議会",
    "情報交換会",
    "ブレイクアウトルーム",
    "ブレイクセッション",
    "オープンチャット",
    "交流タイム",
    "フードバンク",
    "地域づくり",
    "ケース検討",
    "プラン作成",
    "統計システム",
    "家族支援",
    "学習支援",
    "居住支援",
    "就労支援",
    "就労準備",
    "一時生活",
    "家計改善",
    "引きこもり",
    "8050問題",
    "重層的支援体制整備事業",
    "相談支援員",
    "初任者",
    "厚生労働省",
    "北海道庁",
)
VARIANTS: dict[str, str] = {
    "ひきこもり": "引きこもり",
    "引き籠もり": "引きこもり",
    "引き篭もり": "引きこもり",
    "引きこもり": "引きこもり",
    "ブレイクアウト・ルーム": "ブレイクアウトルーム",
    "ブレークアウトルーム": "ブレイクアウトルーム",
    "取組": "取り組み",
    "取組み": "取り組み",
    "子供": "子ども",
    "社協": "社会福祉協議会",
}

# Words too common in survey comments to say anything (nouns, verbs and adjectives, dictionary form).
STOP_WORDS: frozenset[str] = frozenset(
    """
    こと もの ため よう ところ とき 時 方 方々 ほう 等 など 他 ほか 中 上 下 前 後 間 点 際 場合 感じ
    今回 次回 前回 今後 今日 本日 自分 私 皆さん 皆様 みなさん 方たち 人 者 的 化 毎回 それぞれ 全体 部分
    さん 様 たち 達 同士 何 なに 一つ 1つ 回 分 年 月 日 件 名 つ 個 度 感 気 目 頃 ぶり 以上 以下 以外
    とても 非常 大変 色々 いろいろ 様々 さまざま 少し たくさん 沢山 本当 ありがとう ありがとうございました
    する できる いる ある なる 思う 考える 感じる 言う いう 行う おる いただく くださる くれる もらう 頂く
    下さる 致す いたす 存ずる 申す 見る 来る 行く 良い よい いい ない 多い 欲しい ほしい 持つ 出来る
    """.split()
)
# Suffixes that end a compound without being part of it (主任相談支援員同士 → 主任相談支援員).
_DETACHED_SUFFIXES = frozenset({"同士", "さん", "様", "等", "など", "たち", "達", "ら", "方々"})

_MAX_CHUNK = 2000  # characters per Sudachi call (its input limit is in bytes, ~48 KB)
_ONLY_SYMBOLS = re.compile(r"^[\W\d_ー〜～]+$")
_HIRAGANA_1_2 = re.compile(r"^[ぁ-ゖー]{1,2}$")

# POS classes derived from Sudachi's part-of-speech tuples, cached by id.
_NOUN, _PREFIX, _SUFFIX, _NUMBER, _CONTENT, _NAME, _SYMBOL, _OTHER = range(8)


def compound_vocabulary() -> tuple[str, ...]:
    """The domain compounds kept as one term, longest first (programs, regions, roles, DOMAIN_COMPOUNDS)."""
    words = {w for w in (*vocab.PROGRAMS, *vocab.STAFF_ROLES, *vocab.REGIONS, *DOMAIN_COMPOUNDS)
             if w != "その他"}
    return tuple(sorted(words, key=lambda w: (-len(w), w)))


@functools.lru_cache(maxsize=1)
def dictionary():
    """The Sudachi dictionary, loaded once per process (textmining and the search index share it)."""
    from sudachipy import Dictionary

    return Dictionary(dict="core")


_local = threading.local()


def _tokenizer():
    """A mode-C tokenizer for this thread (the dictionary itself is shared)."""
    tok = getattr(_local, "tokenizer", None)
    if tok is None:
        from sudachipy import SplitMode

        tok = dictionary().tokenizer(mode=SplitMode.C, fields={"pos", "dictionary_form"})
        _local.tokenizer = tok
    return tok


def _pos_class(pos: tuple[str, ...]) -> int:
    major, sub, sub2 = pos[0], pos[1], pos[2]
    if major == "名詞":
        if sub == "数詞":
            return _NUMBER
        if sub == "固有名詞" and sub2 == "人名":
            return _NAME  # never a term: comments must not surface people's names
        return _NOUN
    if major == "接頭辞":
        return _PREFIX
    if major == "接尾辞" and sub == "名詞的":
        return _SUFFIX
    if (major in ("動詞", "形容詞") and sub == "一般") or (major == "形状詞" and sub == "一般"):
        return _CONTENT
    if major == "補助記号":
        return _SYMBOL  # where the compound placeholders show up
    return _OTHER


@functools.lru_cache(maxsize=1)
def _pos_classes() -> tuple[int, ...]:
    """The class of every part-of-speech id of the dictionary (a lookup per morpheme)."""
    d = dictionary()
    out = []
    while (pos := d.pos_of(len(out))) is not None:
        out.append(_pos_class(pos))
    return tuple(out)


_PUA = 0xE000  # each domain compound is replaced by one private-use character before Sudachi runs
_PUA_RE = re.compile("[\ue000-\uf8ff]")


@functools.lru_cache(maxsize=1)
def _compounds() -> tuple[re.Pattern[str], dict[str, str], dict[str, str]]:
    """The compound/variant pattern, word → placeholder, and placeholder → canonical term."""
    words = sorted({*compound_vocabulary(), *VARIANTS}, key=lambda w: (-len(w), w))
    placeholder = {w: chr(_PUA + i) for i, w in enumerate(words)}
    table = {placeholder[w]: VARIANTS.get(w, w) for w in words}
    pattern = re.compile("|".join(re.escape(w) for w in words))
    return pattern, placeholder, table


def _keep(term: str) -> bool:
    return bool(term) and term not in STOP_WORDS and not _ONLY_SYMBOLS.match(term) \
        and not _HIRAGANA_1_2.match(term)


def _chunks(text: str) -> Iterable[str]:
    """The text in pieces within Sudachi's input limit, cut after a sentence end where possible."""
    while len(text) > _MAX_CHUNK:
        cut = max(text.rfind(c, 0, _MAX_CHUNK) for c in "。！？!?\n")
        cut = cut + 1 if cut > 0 else _MAX_CHUNK
        yield text[:cut]
        text = text[cut:]
    if text.strip():
        yield text


def _terms_of_clean(text: str) -> tuple[str, ...]:
    """Terms of NFKC-clean text: compounds swapped for placeholders, one Sudachi call per chunk."""
    pattern, placeholder, table = _compounds()
    text = pattern.sub(lambda m: placeholder[m.group(0)], _PUA_RE.sub("", text) if _PUA_RE.search(text) else text)
    tok = _tokenizer()
    classes = _pos_classes()
    out: list[str] = []
    for chunk in _chunks(text):
        run: list[str] = []
        prefix = ""
        for m in tok.tokenize(chunk):
            cls = classes[m.part_of_speech_id()]
            if cls == _NOUN:
                if prefix:
                    run.append(prefix)
                    prefix = ""
                run.append(m.surface())
                continue
            if cls == _SUFFIX and run:
                surface = m.surface()
                if surface not in _DETACHED_SUFFIXES:
                    run.append(surface)
                    continue
            if run:  # a noun run ends: one compound term
                term = "".join(run)
                term = VARIANTS.get(term, term)
                if _keep(term):
                    out.append(term)
                run = []
            prefix = m.surface() if cls == _PREFIX else ""
            if cls == _CONTENT:
                base = m.dictionary_form() or m.surface()
                if _keep(base):
                    out.append(VARIANTS.get(base, base))
            elif cls == _SYMBOL:
                out.extend(table[c] for c in m.surface() if c in table)
        if run:
            term = "".join(run)
            term = VARIANTS.get(term, term)
            if _keep(term):
                out.append(term)
    return tuple(out)


@functools.lru_cache(maxsize=100_000)
def _terms_cached(text: str) -> tuple[str, ...]:
    cleaned = clean(text)
    return _terms_of_clean(cleaned) if cleaned else ()


def terms(text: str) -> list[str]:
    """The content terms of one text, in order: compound nouns, verbs and adjectives (dictionary form).

    NFKC first (１２ → 12, ＮＰＯ → NPO); stop words, numbers, symbols and people's names dropped.
    Empty or blank text gives []. Results are cached per text (comments are re-read on every rerun).
    """
    if text is None or (isinstance(text, float) and text != text):
        return []
    return list(_terms_cached(str(text)))


class Names:
    """People's names a term must never show (chat display names, surnames, registrants).

    `whole`: names that drop any term containing them (「りんくの石川」 with 石川 a chat member's
    surname); `exact`: short guesses (a registrant's first two characters, 「石川」 of 「石川太郎」)
    that drop a term equal to them or ending with them.
    """

    def __init__(self, whole: Iterable[str] = (), exact: Iterable[str] = ()):
        whole_set = {w for w in (clean(x) for x in whole) if len(w) >= 2}
        self.exact = {e for e in (clean(x) for x in exact) if len(e) >= 2}
        self._re = re.compile("|".join(re.escape(w) for w in sorted(whole_set, key=len, reverse=True))) \
            if whole_set else None

    def hides(self, term: str) -> bool:
        if self._re is not None and self._re.search(term):
            return True
        return term in self.exact or any(term.endswith(e) for e in self.exact if len(term) > len(e))


def _documents(texts: Iterable[object], names: Names | None = None) -> list[tuple[str, ...]]:
    """Terms per non-blank text (without the terms `names` hides)."""
    docs = [_terms_cached(t if isinstance(t, str) else clean(t)) for t in texts
            if t is not None and not (isinstance(t, float) and t != t) and str(t).strip()]
    if names is None:
        return docs
    hidden: dict[str, bool] = {}
    return [tuple(t for t in d if not hidden.setdefault(t, names.hides(t))) for d in docs]


def document_terms(texts: Sequence[object]) -> list[frozenset[str]]:
    """The set of terms of each text, aligned with `texts` (a blank text has none)."""
    return [frozenset(_terms_cached(t if isinstance(t, str) else clean(t)))
            if t is not None and not (isinstance(t, float) and t != t) and str(t).strip() else frozenset()
            for t in texts]


def term_frequencies(texts: Sequence[object], top: int = 50, *, names: Names | None = None) -> pd.DataFrame:
    """The `top` most frequent terms: columns term, count (occurrences), documents (texts containing it).

    Sorted by count, then documents, then term; blank texts are ignored; `names` are never terms.
    """
    counts: Counter[str] = Counter()
    docs: Counter[str] = Counter()
    for ts in _documents(texts, names):
        counts.update(ts)
        docs.update(set(ts))
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], -docs[kv[0]], kv[0]))[:top]
    return pd.DataFrame(
        {"term": [t for t, _ in rows], "count": [c for _, c in rows], "documents": [docs[t] for t, _ in rows]},
        columns=["term", "count", "documents"],
    ).astype({"term": object, "count": "int64", "documents": "int64"})


def cooccurrence(texts: Sequence[object], top: int = 30, *, vocabulary: int = 60,
                 names: Names | None = None) -> pd.DataFrame:
    """Pairs of terms that appear in the same text: columns term_a, term_b, count (texts with both), jaccard.

    Only the `vocabulary` terms found in the most texts are paired (so rare words don't flood the
    list); pairs seen in a single text are left out; the `top` pairs by count are returned.
    """
    doc_sets = [set(ts) for ts in _documents(texts, names)]
    df: Counter[str] = Counter()
    for s in doc_sets:
        df.update(s)
    keep = {t for t, _ in sorted(df.items(), key=lambda kv: (-kv[1], kv[0]))[:vocabulary]}
    pairs: Counter[tuple[str, str]] = Counter()
    for s in doc_sets:
        pairs.update(itertools.combinations(sorted(s & keep), 2))
    rows = [(a, b, n, n / (df[a] + df[b] - n)) for (a, b), n in pairs.items() if n >= 2]
    rows.sort(key=lambda r: (-r[2], -r[3], r[0], r[1]))
    return pd.DataFrame(rows[:top], columns=["term_a", "term_b", "count", "jaccard"]).astype(
        {"term_a": object, "term_b": object, "count": "int64", "jaccard": "float64"})


def keyword_in_context(texts: Sequence[object], keyword: str, width: int = 20) -> list[tuple[int, str, str, str]]:
    """Every occurrence of `keyword`: (index of the text in `texts`, left context, match, right context).

    Matching is on NFKC-normalised text, ignoring case and hiragana/katakana differences; contexts are
    at most `width` characters. A blank keyword finds nothing.
    """
    needle = fold(clean(keyword))
    if not needle:
        return []
    out: list[tuple[int, str, str, str]] = []
    for i, raw in enumerate(texts):
        text = clean(raw)
        folded = fold(text)
        start = folded.find(needle)
        while start >= 0:
            end = start + len(needle)
            out.append((i, text[max(0, start - width):start], text[start:end], text[end:end + width]))
            start = folded.find(needle, end)
    return out


def fold(text: str) -> str:
    """Case- and kana-insensitive form with the same length as `text` (so positions carry over)."""
    out = []
    for c in text:
        low = c.lower()
        c = low if len(low) == 1 else c
        out.append(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c)
    return "".join(out)
