"""The Japanese tokenizer on real comment sentences: compounds kept, full-width digits, stop words."""

import threading

from facilitation.text import textmining as tm

COMMENTS = [
    "家計改善支援事業の担当者として、他の自治体の取り組みを聞けて大変参考になりました。",
    "引きこもりの方への就労準備支援事業の進め方について、具体的な事例が聞けてよかった。",
    "ブレイクアウトルームの時間が短く、もう少し話したかった。次回は１２０分くらいあるとよい。",
    "支援調整会議の進め方やプラン作成について悩んでいたので、主任相談支援員同士で話せて良かったです。",
    "社協との連携や関係機関との連携、地域づくりについて情報交換できました。",
    "ひきこもり支援と子どもの学習・生活支援事業の財源確保が課題です。山田さんのお話が参考になった。",
    "",
]


def test_compound_nouns_stay_one_term():
    assert tm.terms(COMMENTS[0])[:2] == ["家計改善支援事業", "担当者"]
    assert "就労準備支援事業" in tm.terms(COMMENTS[1])
    assert "ブレイクアウトルーム" in tm.terms(COMMENTS[2])  # Sudachi alone splits ブレイク/アウト/ルーム
    t = tm.terms(COMMENTS[3])
    assert {"支援調整会議", "プラン作成", "主任相談支援員"} <= set(t)
    assert "子どもの学習・生活支援事業" in tm.terms(COMMENTS[5])  # contains の and ・


def test_variants_and_full_width_text_are_normalised():
    assert tm.terms("ひきこもり")[0] == tm.terms("引きこもり")[0] == "引きこもり"
    assert tm.terms("社協との連携")[0] == "社会福祉協議会"
    assert tm.terms("ＮＰＯ法人と８０５０問題") == ["NPO法人", "8050問題"]
    assert tm.terms("第３回は１２０分") == []  # numbers and counters are not terms


def test_stop_words_and_names_are_dropped():
    t = tm.terms(COMMENTS[5])
    assert "こと" not in t and "山田" not in t and "さん" not in t
    assert not {"する", "ある", "思う", "今回"} & set(tm.terms("今回参加して、とても良いと思うことがありました。"))
    assert tm.terms("") == [] and tm.terms(None) == [] and tm.terms("   ") == []


def test_term_frequencies_counts_occurrences_and_documents():
    df = tm.term_frequencies(COMMENTS, top=5)
    assert list(df.columns) == ["term", "count", "documents"]
    # Ties on count are broken by the number of comments: four terms in 2 comments before 連携 (1).
    assert set(df.term.tolist()[:4]) == {"参考", "引きこもり", "聞ける", "進め方"}
    assert df.term.tolist()[4] == "連携"
    assert df.set_index("term").loc["連携"].tolist() == [2, 1]
    row = df.set_index("term").loc["引きこもり"]
    assert (row["count"], row.documents) == (2, 2)
    assert len(df) == 5
    assert tm.term_frequencies([], top=5).empty


def test_cooccurrence_pairs_terms_of_the_same_comment():
    texts = ["家計改善支援事業と財源の課題", "財源が課題。家計改善支援事業は大事", "研修の課題", "財源と人材"]
    df = tm.cooccurrence(texts, top=5)
    assert list(df.columns[:3]) == ["term_a", "term_b", "count"]
    pairs = {(r.term_a, r.term_b): r.count for r in df.itertuples()}
    assert pairs[("家計改善支援事業", "財源")] == 2
    assert pairs[("課題", "財源")] == 2
    assert all(n >= 2 for n in pairs.values())


def test_keyword_in_context_finds_every_occurrence_with_context():
    hits = tm.keyword_in_context(COMMENTS, "連携", width=5)
    assert hits == [(4, "社協との", "連携", "や関係機関"), (4, "係機関との", "連携", "、地域づく")]
    # Kana- and width-insensitive: katakana keyword finds hiragana text; full-width keyword finds digits.
    assert [h[0] for h in tm.keyword_in_context(COMMENTS, "ヒキコモリ")] == [5]
    assert tm.keyword_in_context(["次回は120分"], "１２０", width=3) == [(0, "次回は", "120", "分")]
    assert tm.keyword_in_context(COMMENTS, " ") == []


def test_long_text_and_threads():
    long = "関係機関との連携が大切です。" * 2000  # beyond Sudachi's single-call input limit
    assert tm.terms(long).count("関係機関") == 2000
    results = []

    def work():
        results.append(tm.terms("家計改善支援事業の財源確保について。" * 3))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert all(r == results[0] for r in results) and len(results) == 4
