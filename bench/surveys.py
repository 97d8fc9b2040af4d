"""Benchmark: survey summaries (5,000 responses × 30 questions incl. 5 free-text) and the tokenizers.

    .venv/bin/python bench/surveys.py [--responses 5000] [--skip-janome]

Prints the first-load time (CSV read + typing + counts + tokenizing every comment), the cached time,
and Janome vs SudachiPy on the same comments. Not collected by pytest.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from facilitation.files.tabular import read_table  # noqa: E402
from facilitation.roles import SECRETARIAT_LOCAL
from facilitation.surveys import summary as summary_mod  # noqa: E402
from facilitation.surveys.summary import Survey, summarize  # noqa: E402
from facilitation.text import textmining  # noqa: E402

SENTENCES = [
    "家計改善支援事業の担当者として、他の自治体の取り組みを聞けて大変参考になりました。",
    "引きこもりの方への就労準備支援事業の進め方について、具体的な事例が聞けてよかった。",
    "ブレイクアウトルームの時間が短く、もう少し話したかった。",
    "支援調整会議の進め方やプラン作成について悩んでいたので、主任相談支援員同士で話せて良かったです。",
    "社協との連携や関係機関との連携、地域づくりについて情報交換できました。",
    "フードバンクと住居確保給付金の活用について知りたい。",
    "自立相談支援機関の体制が不十分で、人材の確保が課題です。",
    "一時生活支援事業を実施していない町村での対応を知りたいです。",
    "子どもの学習・生活支援事業の財源確保が難しい。",
    "初任者向けの研修や勉強会を開いてほしい。",
    "オンラインだと気軽に参加できるので助かります。",
    "対面での開催も年に一度はあるとうれしいです。",
    "統計システムの入力方法について他の機関の工夫を聞きたい。",
    "ひきこもりの家族支援について、他の地域の話が参考になった。",
    "委託先との役割分担や情報共有の方法が参考になりました。",
    "相談件数が増えていて、相談支援員の負担が大きくなっています。",
    "厚生労働省の方の話を直接聞ける貴重な機会でした。",
    "居住支援法人との連携の事例をもっと知りたいです。",
]
PLACES = ["札幌市", "旭川市", "函館市", "釧路市", "帯広市", "北見市", "苫小牧市", "江別市", "稚内市", "根室市"]
USEFUL = ["とても役に立った", "役に立った", "あまり役に立たなかった", "役に立たなかった", "参加できなかった"]
AGREE = ["そう思う", "ややそう思う", "どちらともいえない", "あまりそう思わない", "そう思わない"]
FREQ = ["年1-2回", "3-4か月に1回", "年6回", "毎月"]
CONTENT = ["テーマ別のディスカッション", "講師を招いた勉強会（制度, 実務など）", "事例検討、ケース検討", "交流タイム", "当てはまるものはない"]
USAGE = ["利用した", "検討した", "利用していない"]


def comment(rng: random.Random) -> str:
    parts = rng.sample(SENTENCES, rng.randint(1, 3))
    if rng.random() < 0.5:
        parts.insert(0, f"{rng.choice(PLACES)}では今年度{rng.randint(1, 120)}件の相談がありました。")
    return "".join(parts)


def build_csv(n: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    headers = ["タイムスタンプ", "メールアドレス", "お名前", "ご所属（機関名）"]
    headers += [f"設問{i}: 情報交換会の内容{i}は役に立ちましたか" for i in range(1, 6)]
    headers += ["満足度を10段階で教えてください", "次回の満足度予想（10段階）"]
    headers += [f"設問{i}: 希望する開催頻度{i}" for i in range(1, 6)]
    headers += [f"開催内容についての希望{i}（複数選択可）" for i in range(1, 5)]
    headers += ["あなたの機関からの参加人数", "相談支援の経験年数", "参加した日"]
    headers += [f"支援メニューの利用状況 [{m}]" for m in ("家計相談", "就労準備", "一時生活")]
    headers += [f"運営への評価 [{m}]" for m in ("案内", "進行", "時間配分")]
    headers += [f"自由記述{i}: ご意見・ご感想" for i in range(1, 6)]
    rows = []
    for i in range(n):
        row = [f"2026/12/{10 + i % 5} 16:{i % 60:02d}:00", f"user{i}@example.jp", f"参加者 {i}", rng.choice(PLACES)]
        row += [rng.choice(USEFUL) if rng.random() > 0.05 else "" for _ in range(5)]
        row += [str(rng.randint(1, 10)), str(rng.randint(3, 10))]
        row += [rng.choice(FREQ) if rng.random() > 0.02 else f"その他: 年度初めに{rng.randint(1, 3)}回" for _ in range(5)]
        row += [", ".join(rng.sample(CONTENT[:4], rng.randint(1, 3))) if rng.random() > 0.05 else CONTENT[4]
                for _ in range(4)]
        row += [str(rng.randint(1, 5)), f"{rng.randint(0, 20)}年", f"2026/12/{rng.randint(10, 12)}"]
        row += [rng.choice(USAGE) for _ in range(3)] + [rng.choice(AGREE) for _ in range(3)]
        row += [comment(rng) if rng.random() < 0.9 else "" for _ in range(5)]
        rows.append(row)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(headers)
    w.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def bench_summary(n: int) -> None:
    data = build_csv(n)
    textmining._terms_cached.cache_clear()
    summary_mod.clear_cache()
    textmining.terms("準備")  # dictionary load is measured separately below
    c0, t0 = time.process_time(), time.perf_counter()
    table = read_table(data, "bench.csv")
    t1 = time.perf_counter()
    survey = Survey.from_table(table)
    result = summarize(survey)
    c2, t2 = time.process_time(), time.perf_counter()
    kinds = [q.kind for q in result.questions]
    assert len(result.questions) == 30 and kinds.count("text") == 5, kinds
    comments = sum(q.n for q in result.questions if q.kind == "text")
    # From cache: a new Survey object from the same rows (what a page rerun does after loading).
    t3 = time.perf_counter()
    again = summarize(Survey.from_table(table))
    t4 = time.perf_counter()
    assert again is result
    t5 = time.perf_counter()
    summarize(survey)
    t6 = time.perf_counter()
    print(f"responses {n}, questions {len(result.questions)} ({', '.join(f'{k} {kinds.count(k)}' for k in sorted(set(kinds)))}), "
          f"comments tokenized {comments}")
    print(f"first load: read CSV {t1 - t0:.2f} s + typing/counting/tokenizing {t2 - t1:.2f} s = {t2 - t0:.2f} s wall "
          f"({c2 - c0:.2f} s CPU of this process)")
    print(f"from cache: same rows read again {t4 - t3:.3f} s; same Survey object {t6 - t5:.4f} s")
    bench_database(table, result)


def bench_database(table, first) -> None:
    """The page's path: rows stored in SQLite; a rerun checks the version and reuses the Survey object."""
    import tempfile

    from facilitation.storage import db
    from facilitation.surveys import store

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        t0 = time.perf_counter()
        with db.session(url) as s:
            sid = store.import_table(s, SECRETARIAT_LOCAL, table, title="bench", meeting_id=None).survey_id
        t1 = time.perf_counter()
        with db.session(url) as s:
            survey = store.load(s, sid)
        t2 = time.perf_counter()
        assert summarize(survey) is first  # same content → the summary computed above
        t3 = time.perf_counter()
        with db.session(url) as s:  # what every rerun of the page does before hitting the caches
            store.version(s, sid)
            store.attributes(s, sid)
        summarize(survey)
        t4 = time.perf_counter()
        db.dispose_all()
    print(f"database: import {t1 - t0:.2f} s, load rows {t2 - t1:.2f} s, "
          f"page rerun from cache (version check + groups + cached summary) {t4 - t3:.3f} s")


def bench_tokenizers(skip_janome: bool) -> None:
    rng = random.Random(11)
    texts = [comment(rng) for _ in range(3000)]
    chars = sum(map(len, texts))
    t0 = time.perf_counter()
    textmining.dictionary()
    textmining._tokenizer()
    t1 = time.perf_counter()
    textmining._terms_cached.cache_clear()
    t2 = time.perf_counter()
    for t in texts:
        textmining.terms(t)
    t3 = time.perf_counter()
    print(f"SudachiPy (core, mode C + compounds): load {t1 - t0:.2f} s, {len(texts)} comments ({chars} chars) "
          f"{t3 - t2:.2f} s = {chars / (t3 - t2):,.0f} chars/s")
    if skip_janome:
        return
    try:  # the comparison that chose SudachiPy; Janome is not a project dependency
        from janome.tokenizer import Tokenizer
    except ImportError:
        print("Janome: not installed (pip install janome==0.5.0 to repeat the comparison)")
        return

    t0 = time.perf_counter()
    jt = Tokenizer()
    t1 = time.perf_counter()
    for t in texts:
        list(jt.tokenize(t))
    t2 = time.perf_counter()
    print(f"Janome 0.5 (bundled IPADIC, tokenize only): load {t1 - t0:.2f} s, same comments {t2 - t1:.2f} s = "
          f"{chars / (t2 - t1):,.0f} chars/s")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--responses", type=int, default=5000)
    p.add_argument("--skip-janome", action="store_true")
    args = p.parse_args()
    bench_tokenizers(args.skip_janome)
    bench_summary(args.responses)


if __name__ == "__main__":
    main()
