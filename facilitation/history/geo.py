"""An offline map of Hokkaido: approximate coordinates and a plain lon/lat scatter figure.

Plotly's geo base maps and map tiles are downloaded from the internet, so the map here is an
ordinary `go.Scatter` on longitude/latitude with a fixed aspect ratio (1° of longitude is
cos(43.5°) ≈ 0.725 of 1° of latitude), a hand-drawn coastline and region labels. Coordinates are
approximate (town halls, rounded); that is all a participation map needs.

Frames here have English snake_case columns (the municipality table of `participation`, the points);
what a person reads on the map (hover texts, labels) is written in Japanese below.
"""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from facilitation.text import vocab

# (latitude, longitude) of each 振興局's seat; the prefecture-wide bodies sit in 札幌 (道庁).
REGION_SEATS: dict[str, tuple[float, float]] = {
    "空知総合振興局": (43.196, 141.776),  # 岩見沢市
    "石狩振興局": (43.062, 141.354),  # 札幌市
    "後志総合振興局": (42.902, 140.759),  # 倶知安町
    "胆振総合振興局": (42.315, 140.974),  # 室蘭市
    "日高振興局": (42.168, 142.768),  # 浦河町
    "渡島総合振興局": (41.769, 140.729),  # 函館市
    "檜山振興局": (41.869, 140.127),  # 江差町
    "上川総合振興局": (43.771, 142.365),  # 旭川市
    "留萌振興局": (43.941, 141.637),  # 留萌市
    "宗谷総合振興局": (45.416, 141.673),  # 稚内市
    "オホーツク総合振興局": (44.021, 144.274),  # 網走市
    "十勝総合振興局": (42.924, 143.196),  # 帯広市
    "釧路総合振興局": (42.985, 144.381),  # 釧路市
    "根室振興局": (43.330, 145.583),  # 根室市
    vocab.HOKKAIDO_WIDE: (43.064, 141.347),  # 北海道庁
}

# Where region labels are drawn (a little inland from the seat so they do not hide the points).
REGION_LABELS: dict[str, tuple[float, float]] = {
    "空知総合振興局": (43.45, 141.95),
    "石狩振興局": (43.30, 141.35),
    "後志総合振興局": (42.95, 140.45),
    "胆振総合振興局": (42.62, 141.05),
    "日高振興局": (42.50, 142.55),
    "渡島総合振興局": (42.05, 140.55),
    "檜山振興局": (42.15, 140.10),
    "上川総合振興局": (43.95, 142.60),
    "留萌振興局": (44.35, 141.85),
    "宗谷総合振興局": (45.05, 142.10),
    "オホーツク総合振興局": (43.90, 143.60),
    "十勝総合振興局": (43.10, 143.10),
    "釧路総合振興局": (43.30, 144.20),
    "根室振興局": (43.65, 145.05),
}

# (latitude, longitude) of the municipalities in the organisation master and of every city with
# a welfare office (data/hokkaido_areas.csv), approximate.
MUNICIPALITIES: dict[str, tuple[float, float]] = {
    "札幌市": (43.062, 141.354), "江別市": (43.104, 141.536), "千歳市": (42.821, 141.652),
    "恵庭市": (42.883, 141.578), "石狩市": (43.172, 141.316), "北広島市": (42.985, 141.563),
    "当別町": (43.224, 141.517),
    "夕張市": (43.057, 141.974), "岩見沢市": (43.196, 141.776), "美唄市": (43.333, 141.854),
    "芦別市": (43.518, 142.190), "赤平市": (43.558, 142.044), "三笠市": (43.246, 141.875),
    "滝川市": (43.558, 141.910), "砂川市": (43.495, 141.904), "歌志内市": (43.521, 142.035),
    "深川市": (43.723, 142.040),
    "小樽市": (43.190, 140.994), "倶知安町": (42.902, 140.759), "京極町": (42.857, 140.884),
    "黒松内町": (42.668, 140.306),
    "室蘭市": (42.315, 140.974), "苫小牧市": (42.634, 141.605), "登別市": (42.413, 141.106),
    "伊達市": (42.472, 140.865),
    "新ひだか町": (42.361, 142.368), "浦河町": (42.168, 142.768), "平取町": (42.584, 142.127),
    "函館市": (41.769, 140.729), "北斗市": (41.824, 140.653),
    "江差町": (41.869, 140.127),
    "旭川市": (43.771, 142.365), "名寄市": (44.356, 142.463), "富良野市": (43.342, 142.383),
    "士別市": (44.179, 142.400), "鷹栖町": (43.843, 142.355),
    "留萌市": (43.941, 141.637),
    "稚内市": (45.416, 141.673), "枝幸町": (44.939, 142.580),
    "北見市": (43.807, 143.894), "網走市": (44.021, 144.274), "紋別市": (44.356, 143.354),
    "帯広市": (42.924, 143.196),
    "釧路市": (42.985, 144.381),
    "根室市": (43.330, 145.583), "中標津町": (43.555, 144.972),
}

# A rough coastline of the main island, clockwise from Cape Sōya, as (longitude, latitude).
COASTLINE: tuple[tuple[float, float], ...] = (
    (141.94, 45.52), (142.58, 44.94), (143.35, 44.36), (143.90, 44.15), (144.27, 44.02),
    (144.66, 43.91), (145.32, 44.35), (145.19, 44.02), (145.13, 43.66), (145.30, 43.55),
    (145.58, 43.33), (145.82, 43.38), (144.85, 43.05), (144.38, 42.98), (144.07, 42.95),
    (143.65, 42.68), (143.25, 41.93), (142.77, 42.17), (142.37, 42.33), (141.60, 42.63),
    (141.30, 42.52), (140.97, 42.32), (140.85, 42.47), (140.37, 42.51), (140.58, 42.10),
    (141.15, 41.82), (140.73, 41.77), (140.20, 41.40), (140.10, 41.43), (140.13, 41.87),
    (139.85, 42.45), (140.23, 42.78), (140.47, 43.37), (140.99, 43.19), (141.32, 43.20),
    (141.53, 43.85), (141.64, 43.94), (141.75, 44.88), (141.67, 45.41), (141.94, 45.52),
)

# 道外 is drawn as a separate box in the lower-right sea, clearly off the island.
OUTSIDE_POSITION = (41.75, 145.10)  # (latitude, longitude)
ASPECT = math.cos(math.radians(43.5))
X_RANGE = (139.4, 146.2)
Y_RANGE = (41.2, 45.8)


def position(region: str, municipality: str = "") -> tuple[float, float] | None:
    """(lat, lon) of a municipality if known, else of its region's seat; None for 道外/unknown."""
    if municipality in MUNICIPALITIES:
        return MUNICIPALITIES[municipality]
    return REGION_SEATS.get(region)


def points(table: pd.DataFrame, value: str = "total") -> pd.DataFrame:
    """Map points from a (region, municipality, value…, distinct_orgs) table such as
    `participation.municipality_table`: one point per place, 道外 apart.

    Returns columns place, region, lat, lon, value, distinct_orgs, outside (bool).
    """
    rows: dict[tuple[str, str], dict] = {}
    for r in table.to_dict("records"):
        region, muni = r["region"], r["municipality"] or ""
        if region == vocab.OUTSIDE_HOKKAIDO:
            place, lat_lon = vocab.OUTSIDE_HOKKAIDO, OUTSIDE_POSITION
        else:
            if muni in MUNICIPALITIES:
                place, lat_lon = muni, MUNICIPALITIES[muni]
            elif region in REGION_LABELS:  # region-wide bodies: just under the region's label
                lat, lon = REGION_LABELS[region]
                place, lat_lon = f"{vocab.short_region(region)}管内（市町村の登録なし）", (lat - 0.15, lon)
            elif region in REGION_SEATS:
                place, lat_lon = region, REGION_SEATS[region]
            else:
                continue
        k = (region, place)
        row = rows.setdefault(k, {"place": place, "region": region, "lat": lat_lon[0], "lon": lat_lon[1],
                                  "value": 0, "distinct_orgs": 0,
                                  "outside": region == vocab.OUTSIDE_HOKKAIDO})
        row["value"] += int(r[value])
        row["distinct_orgs"] += int(r["distinct_orgs"])
    out = pd.DataFrame(list(rows.values()),
                       columns=["place", "region", "lat", "lon", "value", "distinct_orgs", "outside"])
    return out.astype({"outside": bool})  # bool even when empty: a mask, not a list of column names


def figure(table: pd.DataFrame, value: str = "total", unit: str = "名",
           title: str = "") -> go.Figure:
    """The participation map: coastline, region labels, a marker per place sized by `value`."""
    pts = points(table, value)
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=[p[0] for p in COASTLINE], y=[p[1] for p in COASTLINE], mode="lines", fill="toself",
        fillcolor="rgba(200, 215, 200, 0.35)", line={"color": "rgba(90, 110, 90, 0.7)", "width": 1},
        hoverinfo="skip", showlegend=False, name="北海道",
    ))
    fig.add_trace(go.Scatter(
        x=[lon for _, lon in REGION_LABELS.values()], y=[lat for lat, _ in REGION_LABELS.values()],
        mode="text", text=[vocab.short_region(r) for r in REGION_LABELS],
        textfont={"size": 11, "color": "rgba(60, 60, 60, 0.8)"}, hoverinfo="skip", showlegend=False,
        name="振興局",
    ))
    inside = pts[~pts["outside"]]
    biggest = max(1, int(pts["value"].max())) if len(pts) else 1

    def sizes(values: pd.Series) -> list[float]:
        return [6 + 34 * math.sqrt(v / biggest) if v > 0 else 0 for v in values]

    fig.add_trace(go.Scatter(
        x=inside["lon"], y=inside["lat"], mode="markers", name="道内",
        marker={"size": sizes(inside["value"]), "color": "rgba(31, 119, 180, 0.65)",
                "line": {"color": "white", "width": 1}},
        text=[f"{p}（{vocab.short_region(r)}）: {v}{unit}・{o}機関" for p, r, v, o in
              zip(inside["place"], inside["region"], inside["value"], inside["distinct_orgs"], strict=True)],
        hovertemplate="%{text}<extra></extra>", showlegend=False,
    ))
    outside = pts[pts["outside"]]
    n_out = int(outside["value"].sum()) if len(outside) else 0
    o_lat, o_lon = OUTSIDE_POSITION
    fig.add_shape(type="rect", x0=o_lon - 0.55, x1=o_lon + 0.55, y0=o_lat - 0.32, y1=o_lat + 0.32,
                  line={"color": "rgba(120, 120, 120, 0.8)", "dash": "dot"})
    fig.add_trace(go.Scatter(
        x=[o_lon], y=[o_lat], mode="markers+text", name=vocab.OUTSIDE_HOKKAIDO,
        marker={"size": sizes(pd.Series([n_out]))[0] or 1, "color": "rgba(214, 39, 40, 0.6)"},
        text=[f"{vocab.OUTSIDE_HOKKAIDO} {n_out}{unit}"], textposition="bottom center",
        hovertemplate=f"{vocab.OUTSIDE_HOKKAIDO}: {n_out}{unit}<extra></extra>", showlegend=False,
    ))
    fig.update_xaxes(range=list(X_RANGE), visible=False, scaleanchor="y", scaleratio=ASPECT,
                     fixedrange=True)
    fig.update_yaxes(range=list(Y_RANGE), visible=False, fixedrange=True)
    fig.update_layout(title=title or None, height=520, margin={"l": 0, "r": 0, "t": 40 if title else 10, "b": 0},
                      plot_bgcolor="rgba(235, 243, 250, 1)", dragmode=False)
    return fig
