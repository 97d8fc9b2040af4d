"""The offline map: plain lon/lat scatter traces, fixed aspect ratio, labels, 道外 apart."""

import pandas as pd

from facilitation.history import geo
from facilitation.orgs import directory
from facilitation.text import vocab

HOKKAIDO_BOX = (41.3, 45.6, 139.7, 145.9)  # lat min/max, lon min/max


def _table(rows):
    return pd.DataFrame(rows, columns=["region", "municipality", "total", "distinct_orgs"])  # as municipality_table


def test_every_place_in_the_master_has_coordinates_inside_hokkaido():
    for row in directory.read_master():
        if row.region == vocab.OUTSIDE_HOKKAIDO:
            continue
        lat, lon = geo.position(row.region, row.municipality)
        assert HOKKAIDO_BOX[0] < lat < HOKKAIDO_BOX[1] and HOKKAIDO_BOX[2] < lon < HOKKAIDO_BOX[3], row.name
        if row.municipality:
            assert row.municipality in geo.MUNICIPALITIES, row.municipality
    assert set(vocab.REGIONS) <= set(geo.REGION_SEATS) and set(vocab.REGIONS) == set(geo.REGION_LABELS)


def test_figure_renders_without_map_tiles_or_geo():
    fig = geo.figure(_table([
        ("石狩振興局", "札幌市", 120, 8),
        ("根室振興局", "", 5, 1),  # no municipality: drawn under the region's label
        ("道外", "", 9, 2),
        ("不明", "", 3, 0),  # cannot be placed: left to the table
    ]))
    assert {t.type for t in fig.data} == {"scatter"}
    layout = fig.to_plotly_json()["layout"]
    assert not {"geo", "mapbox", "map"} & set(layout)
    assert fig.layout.xaxis.scaleanchor == "y" and 0.6 < fig.layout.xaxis.scaleratio < 0.8
    labels = next(t for t in fig.data if t.name == "振興局").text
    assert {vocab.short_region(r) for r in vocab.REGIONS} == set(labels)
    outside = next(t for t in fig.data if t.name == vocab.OUTSIDE_HOKKAIDO)
    assert outside.text == ("道外 9名",)
    inside = next(t for t in fig.data if t.name == "道内")
    sizes = dict(zip(inside.text, inside.marker.size, strict=True))
    sapporo = next(k for k in sizes if k.startswith("札幌市"))
    nemuro = next(k for k in sizes if k.startswith("根室管内"))
    assert sizes[sapporo] > sizes[nemuro] > 0  # marker size grows with participation


def test_points_group_by_place():
    pts = geo.points(_table([("空知総合振興局", "岩見沢市", 4, 1), ("空知総合振興局", "岩見沢市", 6, 2),
                             ("道外", "", 1, 1)]))
    assert pts[["place", "value", "distinct_orgs", "outside"]].values.tolist() == [
        ["岩見沢市", 10, 3, False], ["道外", 1, 1, True]]
