"""`python -m facilitation`: a thin command line over the same functions the pages call.

Each area adds its subcommands in facilitation/commands/<area>.py with `register(subparsers)`;
a command function takes the parsed args and returns the process exit code.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from facilitation import commands


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m facilitation", description="北海道生活困窮者支援ネットワーク 事務局ツール")
    parser.add_argument("--db", help="データベースURL（既定: $FACILITATION_DB_URL または data/facilitation.sqlite3）")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for mod in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"{commands.__name__}.{mod.name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, LookupError, OSError) as exc:  # errors a user can fix: say so, no traceback
        print(f"エラー: {exc}", file=sys.stderr)
        return 2
