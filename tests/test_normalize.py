"""Normalisation: the same organisation typed the ways people type it is one organisation."""

import csv

import pytest

from facilitation.text import normalize as n
from facilitation.text.vocab import DATA_DIR

ORGS = list(csv.DictReader((DATA_DIR / "hokkaido_network_orgs_2021.csv").open(encoding="utf-8")))


@pytest.mark.parametrize("variants", [
    ["NPO法人ベトサダ", "ＮＰＯ法人ベトサダ", "NPO 法人 ベトサダ", "特定非営利活動法人ベトサダ", "（特非）ベトサダ", "(特非)ベトサダ"],
    ["一般社団法人 札幌一時生活支援協議会", "一社) 札幌一時生活支援協議会", "（一社）札幌一時生活支援協議会",
     "一社札幌一時生活支援協議会"],
    ["江別市社会福祉協議会", "江別市社協", "江別市 社会福祉協議会", "江別市　社会福祉協議会"],
    ["社会福祉法人ゆうゆう", "（福）ゆうゆう", "社福ゆうゆう", "(社福)ゆうゆう"],
    ["キャリアバンク株式会社", "キャリアバンク（株）", "キャリアバンク㈱"],
])
def test_legal_form_variants_share_one_key(variants):
    assert len({n.key(v) for v in variants}) == 1, {v: n.key(v) for v in variants}


def test_every_printed_name_keeps_its_identity_when_retyped():
    """Each of the 85 printed names, full-width and re-spaced, gets the same key as printed."""
    import unicodedata

    for row in ORGS:
        printed = row["name_as_printed"]
        full_width = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in printed)
        spaced = printed.replace(" ", "　　")
        assert n.key(full_width) == n.key(printed), printed
        assert n.key(spaced) == n.key(printed), printed
        assert n.key(unicodedata.normalize("NFKD", printed)) == n.key(printed), printed


def test_keys_of_different_organisations_stay_different():
    keys = [n.key(r["name_as_printed"]) for r in ORGS]
    assert len(set(keys)) == len(keys)


def test_clean_keeps_text_readable():
    assert n.clean("  ＮＰＯ 法人　コミュニティ ワーク  ") == "NPO 法人コミュニティワーク"
    assert n.clean("みんなのおうちC o C o - B u L a") == "みんなのおうちCoCo - BuLa"
    assert n.clean(None) == "" and n.clean(float("nan")) == ""


def test_org_key_drops_legal_forms_and_office_suffix():
    assert n.org_key("NPO法人 りんく") == n.org_key("りんく")
    assert n.org_key("札幌市役所") == n.org_key("札幌市")


def test_person_key_ignores_spaces_and_kana_script():
    assert n.person_key("佐藤　陽子") == n.person_key("佐藤陽子") == n.person_key(" 佐藤 陽子 ")
    assert n.key("サトウ ヨウコ") == n.key("さとうようこ")


@pytest.mark.parametrize("raw, expected", [
    ("Taro.Sato@Example.org ", "taro.sato@example.org"),
    ("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｏｒｇ", "taro@example.org"),
    ("mailto:a@b.jp", "a@b.jp"),
    ("なし", ""),
    ("a@b", ""),
    ("", ""),
])
def test_email_key(raw, expected):
    assert n.email_key(raw) == expected
