"""The areas of facilitation/ stand in tiers: an area imports only from the tiers below it.

Every import counts, the ones inside a function too (they are the ones that hide a loop). An area
never imports from a tier above it, nor from a sibling in its own tier, so a person who changes
one area knows what else can move: the areas above it, never the ones below. README.md's
「コードの構成」 shows the same tiers.
"""

from __future__ import annotations

import ast
import re

from .conftest import ROOT

PACKAGE = ROOT / "facilitation"

# Bottom first. A name is an area: a folder of facilitation/ or one of its top-level modules.
TIERS: list[tuple[str, ...]] = [
    ("errors",),  # the errors a person can fix or is refused (UserError, AccessDenied)
    ("roles", "text"),  # who is looking; the ground floor of words, dates and vocabulary
    ("files",),  # reading and writing files a person gives or takes
    ("storage",),  # the database, its central tables, settings, audit, backup
    ("access",),  # sign-in, facilitator links, erasure
    ("config", "orgs", "sheets"),  # the installation's settings; the organisation master; the Sheets client
    ("meetings",),  # meetings and the way they are counted
    ("assignment", "history", "openchat", "rosters", "surveys"),  # the work around one meeting
    ("mail", "registrations", "search"),  # what draws on several of the above
    ("invitations",),  # coverage gaps → invitation e-mails (history + mail + registrations)
    ("demo",),  # the demo data, built through the areas below
    ("commands",),  # the CLI's subcommands
    ("cli",),  # `python -m facilitation`: the parser and the user-error handling
    ("__init__", "__main__", "zoom_attendance"),  # entry points
]

# The one exception: the table registry imports every area's tables onto one MetaData.
EXEMPT = {"facilitation.storage.schema"}


def _module(path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _area(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "facilitation":
        return None
    return parts[1] if len(parts) > 1 else "__init__"


def _imported(path) -> list[tuple[int, str]]:
    return _imports_in(path.read_text(encoding="utf-8"), _module(path), path.name == "__init__.py")


def _imports_in(source: str, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, module) for every import of the source, at any depth, relative ones resolved."""
    me = module.split(".")
    package = me if is_package else me[:-1]
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[:len(package) - node.level + 1]) if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            if module == "facilitation":  # `from facilitation import x`: x is the area
                out += [(node.lineno, f"facilitation.{alias.name}") for alias in node.names]
            else:
                out.append((node.lineno, module))
    return out


def _tier_of() -> dict[str, int]:
    return {area: i for i, tier in enumerate(TIERS) for area in tier}


def _files():
    return sorted(p for p in PACKAGE.rglob("*.py") if "migrations" not in p.relative_to(PACKAGE).parts)


def test_every_area_has_a_tier():
    areas = {_area(_module(p)) for p in _files()}
    assert len(areas) > 15
    assert sorted(areas - set(_tier_of())) == [], "place the new area in TIERS (and in README.md)"
    assert sorted(set(_tier_of()) - areas) == [], "TIERS names an area that no longer exists"


def test_areas_import_only_from_lower_tiers():
    tier = _tier_of()
    wrong = []
    for path in _files():
        me = _module(path)
        if me in EXEMPT:
            continue
        mine = _area(me)
        for line, target in _imported(path):
            theirs = _area(target)
            if theirs is None or theirs == mine or theirs not in tier:
                continue
            if tier[theirs] >= tier[mine]:
                kind = "sibling" if tier[theirs] == tier[mine] else "upward"
                wrong.append(f"{path.relative_to(ROOT)}:{line} {mine} → {theirs} ({kind}: {target})")
    assert not wrong, "imports against the tiers:\n" + "\n".join(wrong)


def test_the_checker_sees_local_and_relative_imports():
    """The detector finds an import hidden in a function and a relative one (it can fail)."""
    source = "import os\n\ndef f():\n    from ..access import gate\n    import facilitation.demo.dataset\n"
    found = [m for _, m in _imports_in(source, "facilitation.storage.probe", False)]
    assert found == ["os", "facilitation.access", "facilitation.demo.dataset"]
    assert _imports_in("from facilitation import cli\n", "facilitation.x.y", False) == [(1, "facilitation.cli")]


def test_each_area_map_names_its_modules():
    """An area's `__init__.py` says what each of its files holds (commands/: one file per area)."""
    missing = []
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        if init.parent.name == "commands":
            continue
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        missing += [f"{init.parent.name}/{p.name}" for p in sorted(init.parent.glob("*.py"))
                    if p.stem != "__init__" and not re.search(rf"\b{p.stem}\b", doc)]
    assert not missing, f"modules the __init__.py map does not name: {missing}"


def test_the_readme_shows_the_same_tiers():
    """README.md's 「facilitation/ の階」 numbers each area the way TIERS does (newcomers read that one)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("### facilitation/ の階", 1)[1].split("```", 2)[1]
    shown, floor = {}, None
    for line in block.splitlines():
        number, names = re.match(r"^\s*(\d*)\s*(\S*)", line).groups()
        floor = int(number) if number else floor
        for name in names.split("・"):
            shown[name.removesuffix("/").removesuffix(".py")] = floor
    expected = {area: i for i, tier in enumerate(TIERS) for area in tier if area != "__init__"}
    assert {a: shown.get(a) for a in expected} == expected
