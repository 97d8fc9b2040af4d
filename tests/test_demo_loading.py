"""When the demo history is loaded: one rule for the app's first start and `python -m facilitation init`."""

from __future__ import annotations

import pytest

from facilitation import cli, demo
from facilitation.storage import db


@pytest.mark.parametrize(("url", "env", "expected"), [
    ("sqlite:///data/facilitation.sqlite3", {}, True),
    ("sqlite:///data/facilitation.sqlite3", {"FACILITATION_DEMO": "0"}, False),
    ("sqlite:///data/facilitation.sqlite3", {"FACILITATION_DEMO": "1"}, True),
    ("postgresql+psycopg://u@h/db", {}, False),
    ("postgresql+psycopg://u@h/db", {"FACILITATION_DEMO": "0"}, False),
    ("postgresql+psycopg://u@h/db", {"FACILITATION_DEMO": "1"}, True),
])
def test_demo_rule(url, env, expected):
    assert demo.wanted(url, env) is expected


def _init(url: str, monkeypatch, value: str | None) -> bool:
    if value is None:
        monkeypatch.delenv(demo.DEMO_ENV, raising=False)
    else:
        monkeypatch.setenv(demo.DEMO_ENV, value)
    assert cli.main(["--db", url, "init"]) == 0
    return not db.is_empty(url)


@pytest.mark.parametrize(("value", "expected"), [(None, False), ("0", False), ("1", True)])
def test_init_on_postgresql_follows_the_rule(pg_cluster, monkeypatch, value, expected):
    """An empty PostgreSQL gets the demo only with FACILITATION_DEMO=1 (it used to get it always)."""
    assert _init(pg_cluster.new_database(), monkeypatch, value) is expected


@pytest.mark.parametrize(("value", "expected"), [(None, True), ("0", False)])
def test_init_on_sqlite_follows_the_rule(tmp_path, monkeypatch, value, expected):
    assert _init(f"sqlite:///{tmp_path / 'x.sqlite3'}", monkeypatch, value) is expected
