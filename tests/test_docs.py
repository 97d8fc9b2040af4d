"""The README documents every command-line subcommand, and every subcommand explains itself in
`--help` (the model: sqlite-utils' tests/test_docs.py)."""

import argparse
from pathlib import Path

import pytest

from facilitation.cli import build_parser

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _subcommands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield (*prefix, name), helps.get(name), sub
                yield from _subcommands(sub, (*prefix, name))


COMMANDS = list(_subcommands(build_parser()))


def test_the_command_line_has_subcommands():
    assert len(COMMANDS) >= 20


@pytest.mark.parametrize("words,help_text,parser", COMMANDS, ids=[" ".join(c[0]) for c in COMMANDS])
def test_every_subcommand_is_in_the_readme_and_has_help(words, help_text, parser):
    assert f"python -m facilitation {' '.join(words)}" in README, f"README に {' '.join(words)} の説明がありません"
    assert help_text and help_text.strip(), f"{' '.join(words)} に --help の説明がありません"
    for action in parser._actions:
        if action.option_strings and action.dest != "help":
            assert action.help, f"{' '.join(words)} {action.option_strings[0]} に説明がありません"


def test_every_environment_variable_of_the_set_up_commands_is_in_the_readme():
    """`dev.py` reads PORT and ADDRESS (issue 22 found them undocumented): each one it reads is named
    in the README."""
    import re

    from .conftest import ROOT

    read = set(re.findall(r"os\.environ\.get\(\"([A-Z_]+)\"", (ROOT / "dev.py").read_text(encoding="utf-8")))
    assert {"PORT", "ADDRESS"} <= read
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert not [v for v in sorted(read) if f"`{v}`" not in readme]
