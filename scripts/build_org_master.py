"""One-off: draft facilitation/data/organisations.csv from the printed 2021 list.

The draft was checked by hand afterwards; re-running overwrites those checks, so keep the output
under review when you change the heuristics.
"""
import csv
import re
import sys
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from facilitation.text.normalize import clean, legal_forms  # noqa: E402

SRC = Path(__file__).resolve().parents[1] / "facilitation/data/hokkaido_network_orgs_2021.csv"
OUT = SRC.with_name("organisations.csv")
MUNI = re.compile(r"([一-龥ぁ-ゖ]{1,4}?[市町村])(?=役所|役場|社会福祉協議会|保健|健康|福祉|・|生活|自立|中学生|就労|一時|ホームレス|$)")
KANA_TAIL = re.compile(r"([ぁ-ゖァ-ヺー・A-Za-z]{2,}(?:・[ぁ-ゖァ-ヺー]+)?)(?:\s*\(シェルター\))?$")

rows = list(csv.DictReader(SRC.open(encoding="utf-8")))
out = []
for r in rows:
    printed = r["name_as_printed"]
    name = legal_forms(clean(printed))
    spaced = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", printed)).replace("NPO 法人 ", "NPO法人").replace("NPO 法人", "NPO法人").strip()
    parts = spaced.split(" ", 1)
    body = legal_forms(parts[0]) if len(parts) == 2 else name
    office = legal_forms(parts[1]) if len(parts) == 2 else ""
    if "北海道庁" in name:
        kind = "道"
    elif "振興局" in name and "社会福祉協議会" not in name:
        kind = "振興局"
    elif "社会福祉協議会" in name:
        kind = "社協"
    elif re.search(r"(市役所|町役場|村役場|^[^ ]{1,4}町健康福祉課)", name):
        kind = "自治体"
    else:
        kind = "NPO等"
    m = MUNI.search(name.replace("北海道", ""))
    municipality = m.group(1) if m else ""
    if kind in ("振興局", "道"):
        municipality = ""
    region = r["area"]
    if "新ひだか町" in name:
        region = "日高振興局"
    progs = []
    if re.search("就労準備|しごとびら|わーく", name):
        progs.append("就労準備支援事業")
    if re.search("一時生活|シェルター|ホームレス", name):
        progs.append("一時生活支援事業")
    if re.search("学習", name):
        progs.append("子どもの学習・生活支援事業")
    if re.search("家計", name):
        progs.append("家計改善支援事業")
    if kind in ("自治体", "振興局") or re.search("相談|サポートセンター|あんしんセンター|自立支援|自立サポート|くらし|生活自立|生活支援課|福祉課", name):
        if "学習" not in name and "若者" not in name:
            progs.insert(0, "自立相談支援事業")
    if not progs:
        progs = ["その他"]
    aliases = []
    t = KANA_TAIL.search(name)
    if t and kind not in ("自治体", "振興局", "道"):
        aliases.append(t.group(1))
    if kind == "社協" and municipality:
        aliases.append(municipality + "社協")
    out.append(dict(no=r["no"], name=name, legal_body=body, office=office, kind=kind, gov_mode="",
                    region=region, municipality=municipality, programs=";".join(dict.fromkeys(progs)),
                    aliases=";".join(dict.fromkeys(aliases)), facilitator_body=r["facilitator_2021"],
                    target=0))
# Hand-checked corrections: aliases people use, municipalities the name does not show, programs.
ALIASES = {
    8: "そらち生活サポートセンター", 9: "ライフネットゆうぱり", 10: "りんく", 11: "くらしサポートセンターとうべつ;当別町社協",
    12: "ゆうゆう塾", 14: "JOIN;札幌市ホームレス相談支援センター", 15: "ステップ", 16: "ベトサダ", 17: "みんなの広場",
    18: "れおん;コミュニティハウスれおん", 19: "Asyl;女性サポートAsyl", 20: "CoCo-BuLa;みんなのおうち",
    21: "くらしサポートセンターえべつ;江別市社協", 22: "コクリ", 25: "恵庭市社協", 26: "石狩市社協", 28: "ぽると",
    29: "くらし・しごと相談処しりべし", 30: "漂流教室", 32: "たるさぼ", 33: "小樽市社協", 34: "京極町社協",
    35: "倶知安町社協", 36: "黒松内町社協", 38: "いぶり", 39: "室蘭市社協", 40: "登別市社協", 42: "しごとびら",
    44: "新ひだか町社協", 46: "こみっと", 47: "なないろ", 49: "おしま", 52: "ひやま", 54: "かみかわ生活あんしんセンター",
    56: "旭川市自立サポートセンター;旭川市社協", 61: "名寄市社協", 62: "富良野市社協", 66: "るもい生活あんしんセンター",
    68: "稚内社協", 69: "ここから・わーく", 70: "ふくろう", 71: "北見市社協;北見市自立支援センター", 72: "スパロウハウス",
    73: "オホーツク若者サポートステーション", 74: "らいと;網走市社協", 75: "紋別市社協", 76: "とかち生活あんしんセンター",
    77: "ふらっと", 78: "くらしごと", 81: "サロン", 83: "よりそい", 85: "ねむろ日常生活サポートセンター;根室市社協",
}
MUNICIPALITIES = {
    8: "", 9: "夕張市", 12: "当別町", 14: "札幌市", 15: "札幌市", 16: "札幌市", 17: "札幌市", 18: "札幌市", 19: "札幌市",
    20: "札幌市", 22: "江別市", 28: "北広島市", 32: "小樽市", 43: "苫小牧市", 46: "浦河町", 47: "平取町", 59: "旭川市",
    67: "枝幸町", 68: "稚内市", 71: "北見市", 72: "北見市", 73: "北見市", 77: "帯広市", 78: "釧路市", 81: "釧路市",
    83: "中標津町",
}
PROGRAMS = {
    2: "就労準備支援事業", 15: "自立相談支援事業;就労準備支援事業", 16: "一時生活支援事業", 20: "子どもの学習・生活支援事業",
    22: "就労準備支援事業", 25: "自立相談支援事業", 30: "子どもの学習・生活支援事業", 40: "自立相談支援事業",
    44: "自立相談支援事業", 67: "自立相談支援事業", 68: "自立相談支援事業", 79: "自立相談支援事業",
    14: "一時生活支援事業",
}
for o in out:
    n = int(o["no"])
    o["aliases"] = ALIASES.get(n, "")
    o["municipality"] = MUNICIPALITIES.get(n, o["municipality"])
    o["programs"] = PROGRAMS.get(n, o["programs"])
# a municipality with a contractor (same municipality, not itself) commissions the service
contracted = {o["municipality"] for o in out if o["kind"] in ("社協", "NPO等") and o["municipality"]}
for o in out:
    if o["kind"] == "自治体":
        o["gov_mode"] = "委託元" if o["municipality"] in contracted else "直営"
    elif o["kind"] == "振興局":
        o["gov_mode"] = "委託元"
    # coverage target: bodies that run 自立相談支援 themselves (contractors and 直営 municipalities)
    o["target"] = int("自立相談支援事業" in o["programs"] and o["kind"] != "道" and o["gov_mode"] != "委託元")
with OUT.open("w", encoding="utf-8", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(out[0]))
    w.writeheader()
    w.writerows(out)
print(f"wrote {len(out)} rows to {OUT}")
