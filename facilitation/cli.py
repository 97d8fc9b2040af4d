"""`python -m facilitation`: a thin command line over the same functions the pages call.

Each area adds its subcommands in facilitation/commands/<area>.py with `register(subparsers)`;
a command function takes the parsed args (with `args.config`, the installation's configuration, and
`args.db` from --db or that configuration) and returns the process exit code. A command raises a
UserError (or AccessDenied) for what a person can fix: it is printed in Japanese, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from facilitation import commands, config
from facilitation.errors import SHOWN_ERRORS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m facilitation", description="北海道生活困窮者支援ネットワーク 事務局ツール")
    parser.add_argument("--db", help="データベースURL（既定: secrets.toml の [database] url、$FACILITATION_DB_URL、"
                                     "data/facilitation.sqlite3 の順）")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for mod in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        importlib.import_module(f"{commands.__name__}.{mod.name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.config = config.load()
        args.db = args.db or args.config.db_url
        return int(args.func(args) or 0)
    except SHOWN_ERRORS as exc:  # what a person can fix, as the pages show it: say so, no traceback
        print(f"エラー: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a file or folder named on the command line cannot be read or written
        print(f"エラー: {exc.strerror or exc}" + (f"（{exc.filename}）" if exc.filename else ""), file=sys.stderr)
        return 2
