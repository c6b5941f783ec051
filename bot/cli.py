"""`python -m bot …`: one entry point; each area registers its own sub-commands.

An area is a module with ``register(subparsers)`` that adds its parsers and sets ``func``
(a callable taking the parsed ``argparse.Namespace`` and returning an exit code).
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Order is the order shown by --help.
COMMAND_MODULES: list[str] = [
    "knowledge.cli",  # kb load | validate | stats | resolve
    "bot.training",  # train, nlu sync, test-stories
    "bot.stack",  # run
    "bot.console.cli",  # users add | list | remove | passwd, logs purge | erase
    "bot.evaluation",  # eval
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Boussole")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    settings = sub.add_parser("settings", help="list every setting with its default and help")
    settings.set_defaults(func=_print_settings)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def _print_settings(_args: argparse.Namespace) -> int:
    from bot.settings import describe

    for env, default, help_text in describe():
        print(f"{env:<20} {default:<45} {help_text}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return 130
