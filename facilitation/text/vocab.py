"""The network's vocabulary: fixed lists the secretariat uses (domain data, so in Japanese)."""

from __future__ import annotations

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"

# The 14 振興局 in the order the network lists them, plus participants from outside Hokkaido.
REGIONS: tuple[str, ...] = (
    "空知総合振興局",
    "石狩振興局",
    "後志総合振興局",
    "胆振総合振興局",
    "日高振興局",
    "渡島総合振興局",
    "檜山振興局",
    "上川総合振興局",
    "留萌振興局",
    "宗谷総合振興局",
    "オホーツク総合振興局",
    "十勝総合振興局",
    "釧路総合振興局",
    "根室振興局",
)
OUTSIDE_HOKKAIDO = "道外"
HOKKAIDO_WIDE = "北海道"  # the prefecture itself and prefecture-wide bodies
ALL_AREAS: tuple[str, ...] = (*REGIONS, HOKKAIDO_WIDE, OUTSIDE_HOKKAIDO)


def short_region(region: str) -> str:
    """「石狩振興局」→「石狩」, 「オホーツク総合振興局」→「オホーツク」."""
    return region.replace("総合振興局", "").replace("振興局", "") or region


# Programs (事業) under 生活困窮者自立支援法.
PROGRAMS: tuple[str, ...] = (
    "自立相談支援事業",
    "就労準備支援事業",
    "一時生活支援事業",
    "家計改善支援事業",
    "子どもの学習・生活支援事業",
    "その他",
)

# Organisation kinds as the secretariat distinguishes them.
KIND_MUNICIPALITY = "自治体"
KIND_SHAKYO = "社協"
KIND_PRIVATE = "NPO等"
KIND_SHINKOKYOKU = "振興局"
KIND_PREFECTURE = "道"
KIND_NATIONAL = "国"
ORG_KINDS: tuple[str, ...] = (
    KIND_MUNICIPALITY,
    KIND_SHAKYO,
    KIND_PRIVATE,
    KIND_SHINKOKYOKU,
    KIND_PREFECTURE,
    KIND_NATIONAL,
)
GOV_MODES: tuple[str, ...] = ("直営", "委託元")

# How reports count organisations: 団体 / 自治体 / 国 (the ministry counts as one 機関).
CATEGORY_GROUP = "団体"
CATEGORY_GOVERNMENT = "自治体"
CATEGORY_NATIONAL = "国"
COUNT_CATEGORIES: tuple[str, ...] = (CATEGORY_GROUP, CATEGORY_GOVERNMENT, CATEGORY_NATIONAL)


def count_category(kind: str | None) -> str:
    """The report category (団体 / 自治体 / 国) of an organisation kind."""
    if kind == KIND_NATIONAL:
        return CATEGORY_NATIONAL
    if kind in (KIND_MUNICIPALITY, KIND_SHINKOKYOKU, KIND_PREFECTURE):
        return CATEGORY_GOVERNMENT
    return CATEGORY_GROUP


def is_government(kind: str | None) -> bool:
    """Officials for the room rules: 自治体・振興局・道・国."""
    return count_category(kind) != CATEGORY_GROUP


# Sector used by the assignment rules (自治体 / 社協 / NPO等 / 国).
def sector(kind: str | None) -> str:
    if kind in (KIND_MUNICIPALITY, KIND_SHINKOKYOKU, KIND_PREFECTURE):
        return KIND_MUNICIPALITY
    if kind == KIND_NATIONAL:
        return KIND_NATIONAL
    if kind == KIND_SHAKYO:
        return KIND_SHAKYO
    return KIND_PRIVATE


STAFF_ROLES: tuple[str, ...] = (
    "主任相談支援員",
    "相談支援員",
    "就労支援員",
    "家計改善支援員",
    "自治体担当者",
    "管理者",
    "その他",
)

# Meetings.
MEETING_KINDS: tuple[str, ...] = ("情報交換会", "シンポジウム", "勉強会", "最終報告会")
MEETING_FORMATS: tuple[str, ...] = ("オンライン", "会場", "ハイブリッド")
MEETING_STATUSES: tuple[str, ...] = ("準備中", "募集中", "締切", "開催済", "中止")
MEETING_CANCELLED = MEETING_STATUSES[-1]  # 中止: not held, so never history nor "next meeting"

# Registrations.
ATTENDANCE_MODES: tuple[str, ...] = ("オンライン", "会場")
MEETING_ROLES: tuple[str, ...] = ("参加者", "ファシリテーター", "登壇者", "運営スタッフ", "オブザーバー")
REGISTRATION_STATUSES: tuple[str, ...] = ("申込", "キャンセル", "出席", "欠席")
STATUS_APPLIED, STATUS_CANCELLED, STATUS_ATTENDED, STATUS_ABSENT = REGISTRATION_STATUSES

# Live attendance taps in a room.
ATTENDANCE_MARKS: tuple[str, ...] = ("出席", "欠席", "遅刻", "途中退室")
CAME_MARKS: tuple[str, ...] = ("出席", "遅刻", "途中退室")  # the person was in the room at some point

# Themes seen in past meetings (the 4th meeting's ten rooms and other meetings' groupings).
THEME_LIBRARY: tuple[str, ...] = (
    "自立相談支援事業【支援に関する事】（引きこもり）",
    "自立相談支援事業【支援に関する事】（引きこもりと就労準備支援事業）",
    "自立相談支援事業【支援に関する事】（引きこもりと家族支援）",
    "家計改善支援事業・自立相談支援事業【支援に関する事】（その他のケース検討等）",
    "自立相談支援事業【その他支援以外に関すること】（プラン作成・システム・支援調整会議の進め方等）",
    "就労準備支援事業",
    "一時生活支援事業",
    "制度の運営について（自治体担当者）",
    "社会福祉協議会との連携・関係機関との連携や地域づくり",
    "テーマを決めずに様々な話がしたい",
    "直営自治体の部屋",
    "社協受託の部屋",
    "委託NPO等の部屋",
    "主任相談支援員の部屋",
    "初任者の部屋",
    "子どもの学習・生活支援事業",
    "住まいと居住支援",
    "フードバンクと食の支援",
)
