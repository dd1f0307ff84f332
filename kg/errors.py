"""Error types, one per kind of failure.

Every error knows the file (and where it can, the line and column) it is about and
what the user can do about it. The CLI turns them into one clear line; nothing
below the CLI prints or exits.
"""
from __future__ import annotations

from typing import NamedTuple


class Problem(NamedTuple):
    """One thing wrong with one place in one file."""

    file: str
    line: int | None
    column: int | None
    message: str
    hint: str = ""
    kind: str = "annotation"

    def location(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def __str__(self) -> str:
        text = f"{self.location()}: {self.message}" if self.file else self.message
        if self.hint:
            text += f" ({self.hint})"
        # one problem, one line: quotes with line breaks must not look like more problems
        return text.replace("\r", "\\r").replace("\n", "\\n")

    def as_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "kind": self.kind,
            "message": self.message,
            "hint": self.hint,
        }


class KgError(Exception):
    """Base of every error kg reports to a user. `exit_code` is what the CLI returns."""

    exit_code = 1

    def __init__(self, problems: list[Problem] | Problem | str):
        if isinstance(problems, str):
            problems = [Problem(file="", line=None, column=None, message=problems, kind="project")]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__(self.summary())

    def summary(self) -> str:
        lines = [str(p) for p in self.problems]
        return "\n".join(lines)

    def cli_exit_code(self) -> int:
        """2 for a usage problem (unknown query or parameter, bad value), else the error type's code."""
        return 2 if any(p.kind == "usage" for p in self.problems) else self.exit_code


class AnnotationError(KgError):
    """An annotation or registry file is malformed, refers to something unknown, or does not anchor."""


class ProjectError(KgError):
    """The project directory lacks what kg needs (seeds/, ontology/, queries/), or a file cannot be read."""


class QueryError(KgError):
    """A saved query is unknown, malformed, or failed while running."""


class ParameterError(KgError):
    """A query parameter is unknown, missing, or has a value of the wrong type."""

    exit_code = 2


class InconsistencyError(KgError):
    """OWL 2 RL reasoning found the graph inconsistent (owlrl's error triples)."""


class LoadError(KgError):
    """Talking to an external store failed: names the graph, the HTTP status and the store's message."""


class NetworkBlocked(KgError):
    """Something tried to reach the network while kg works offline (SERVICE, remote FROM, remote context)."""


class QueryTimeout(KgError):
    """A query ran longer than --timeout."""


class ExportError(KgError):
    """An export could not be written."""


class ProblemCollector:
    """Collects every problem instead of stopping at the first, so one run reports them all."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, file: str, line: int | None, column: int | None, message: str, hint: str = "", kind: str = "annotation") -> None:
        self.problems.append(Problem(file, line, column, message, hint, kind))

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self, error_type: type[KgError] = AnnotationError) -> None:
        if self.problems:
            raise error_type(sorted(self.problems, key=_problem_order))


def _problem_order(p: Problem) -> tuple:
    return (p.file, p.line or 0, p.column or 0, p.message)
