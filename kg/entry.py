"""The `kg` console entry point: the everyday `kg query NAME` answered without loading click.

Loading click takes about 40 ms, as long as answering a saved query on a built graph (issue 5 asks a
cold query to take at most 100 ms). So a command line of the plain form

    kg [--project DIR | -p DIR] query NAME [--param KEY=VALUE]... [--format FORMAT] [--engine oxigraph]

on a build that is current is answered here, by the same library calls and the same error lines as
the click command (kg/cli.py `query`). Anything else (another command or option, --help, a build to
make first) goes to kg.cli untouched, which parses it all again: this module accepts a subset of what
click accepts and never rejects anything itself. tests/test_entry.py runs both on the same command
lines and compares output and exit codes.
"""
from __future__ import annotations

import os
import sys
from typing import NamedTuple

from .results import FORMATS


class PlainQuery(NamedTuple):
    project: str
    name: str
    params: tuple[str, ...]
    form: str


class _BuildNeeded(Exception):
    """The build is not current: kg.cli builds first (and says so)."""


def main() -> None:
    plain = plain_query(sys.argv[1:])
    if plain is not None and _answer(plain):
        # Everything is written and flushed, and the store was opened read-only: the interpreter's
        # teardown (closing the store, freeing every module) would only add about 10 ms.
        sys.stderr.flush()
        os._exit(0)
    from .cli import main as click_main

    click_main()


def plain_query(arguments: list[str]) -> PlainQuery | None:
    """The command line as a PlainQuery if it has the plain form (see the module's notes), else None."""
    project, name, params, form = ".", None, [], "table"
    words = iter(arguments)
    for word in words:  # group options, up to the command
        if word == "query":
            break
        option, value = _option(word, words, ("--project", "-p"))
        if option is None or not os.path.isdir(value):
            return None  # not a directory: click's own message says why
        project = value
    else:
        return None
    for word in words:
        if not word.startswith("-"):
            if name is not None:
                return None
            name = word
            continue
        option, value = _option(word, words, ("--param", "--format", "--engine"))
        if option == "--param":
            params.append(value)
        elif option == "--format" and value in FORMATS:
            form = value
        elif option != "--engine" or value != "oxigraph":
            return None
    return PlainQuery(project, name, tuple(params), form) if name else None


def _option(word: str, words, names: tuple[str, ...]) -> tuple[str | None, str | None]:
    """(name, value) of an option written `--name value` or `--name=value`; (None, None) if not one of `names`."""
    name, equals, value = word.partition("=")
    if name not in names or (equals and not name.startswith("--")):  # click reads `-p=DIR` as the value '=DIR'
        return None, None
    if not equals:
        value = next(words, None)
        if value is None:
            return None, None
    return name, value


def _answer(plain: PlainQuery) -> bool:
    """Print the answers and exit as kg.cli would; False (nothing printed) if the build is not current."""
    from .deadline import DEFAULT_QUERY_TIMEOUT
    from .errors import KgError
    from .oxigraph_engine import run_saved_query
    from .project import open_project
    from .queries import parse_param_options
    from .results import render

    def build_needed() -> None:
        raise _BuildNeeded()

    try:
        result = run_saved_query(open_project(plain.project), plain.name, parse_param_options(plain.params),
                                 on_build=build_needed, timeout=DEFAULT_QUERY_TIMEOUT)
        text = render(result, plain.form)
    except _BuildNeeded:
        return False
    except KgError as error:
        sys.stderr.write(f"Error: {error.summary()}\n")
        sys.exit(error.cli_exit_code())
    except KeyboardInterrupt:
        sys.stderr.write("\nAborted!\n")  # as click says it
        sys.exit(1)
    if "\x1b" in text and not sys.stdout.isatty():
        return False  # click strips terminal escapes from what it writes to a pipe
    _write(text)
    return True


def _write(text: str) -> None:
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:  # `kg query ... | head`: quiet, exit 1, as click does
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - so that the flush at exit does not fail again
        sys.exit(1)


if __name__ == "__main__":
    main()
